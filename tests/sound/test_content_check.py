"""By ear, automated: an exported routine says its own sentences, in order, in either engine.

pocketsphinx, restricted to the routine's sentences (tests/speech_check.py), hears each
sentence of the export; the same check fails on the export of the routine with two sentences
swapped. US English throughout: the recogniser's model is American (espeak-ng's plain `en` is
British, and says "calf" in a way it does not know).
"""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from nightvoice.base import paths
from nightvoice.cli import run
from nightvoice.sound.audio import Pcm
from tests.extras import require_natural_voice
from tests.speech_check import heard_sentences

SENTENCES = [
    "Sit up and stretch your legs out in front of you.",
    "Pull your toes toward your knee, and hold.",
    "Now let go, and breathe slowly.",
    "Rub your leg gently with your hand.",
]


def routine(order: list[str]) -> str:
    steps = "".join(f"  - say: {text}\n    pause: 1\n" for text in order)
    return f"nightvoice: 1\ntitle: Check\nlanguage: en-us\nsteps:\n{steps}"


def export(folder: Path, name: str, order: list[str], voice: list[str]) -> Pcm:
    source, out = folder / f"{name}.yaml", folder / f"{name}.wav"
    source.write_text(routine(order), encoding="utf-8")
    assert run(["export", str(source), "-o", str(out), *voice]) == 0
    with wave.open(str(out)) as audio:
        return Pcm(audio.readframes(audio.getnframes()), audio.getframerate())


@pytest.mark.parametrize(
    "voice",
    [
        pytest.param([], id="espeak-ng"),
        pytest.param(["--voice", "joe"], id="joe"),
    ],
)
def test_an_export_says_its_sentences_in_order_and_a_swap_is_caught(
    tmp_path: Path, voice: list[str]
) -> None:
    """Every sentence heard, in the written order; swapping two of them fails the check."""
    if voice:
        require_natural_voice()  # fails without it, never skips
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text("chime: false\n", encoding="utf-8")  # words only
    assert heard_sentences(export(tmp_path, "check", SENTENCES, voice), SENTENCES) == SENTENCES

    swapped = [SENTENCES[0], SENTENCES[2], SENTENCES[1], SENTENCES[3]]
    heard = heard_sentences(export(tmp_path, "swapped", swapped, voice), SENTENCES)
    assert heard != SENTENCES
    assert heard == swapped  # and it says what it heard instead
