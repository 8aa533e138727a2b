"""Sentence lengths: the estimate `list` shows before measuring, and the measured lengths'
record of which engine build measured them."""

from __future__ import annotations

import statistics
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from nightvoice.core.plan import Settings
from nightvoice.core.planner import compile_plan, estimate_speech_seconds, timeline, total_seconds
from nightvoice.sound import synth
from nightvoice.sound.export import export_plan, sentences
from nightvoice.sound.lengths import SpeechLengths
from nightvoice.user.catalog import load_routine
from nightvoice.user.config import resolve_settings


def plans(builtin_routines: list[Path]) -> list[Any]:
    found = []
    for path in builtin_routines:
        routine = load_routine(path)
        found.append(compile_plan(routine, resolve_settings(routine.voice, {}, {}).settings))
    return found


def test_the_estimate_is_within_one_percent_of_each_built_in_routines_real_length(
    builtin_routines: list[Path],
) -> None:
    """What `list` shows as `~5:20` before measuring is the export's length give or take 1 %
    (measured: at most 0.5 %, 2.5 s of bedtime-stretches' 9:30)."""
    lengths = SpeechLengths()
    for plan in plans(builtin_routines):
        rate = plan.settings.rate
        exact = total_seconds(timeline(plan, lengths.for_settings(plan.settings)))
        guess = total_seconds(
            timeline(plan, lambda text, _language: estimate_speech_seconds(text, rate))  # noqa: B023
        )
        assert abs(guess - exact) <= 0.01 * exact, plan.title


@pytest.mark.parametrize("rate", [100, 130, 200])
def test_the_estimate_of_each_sentence_is_close_and_unbiased(
    builtin_routines: list[Path], rate: int
) -> None:
    """Every built-in sentence at the usual rates: off by 0.2 s on average, and as often long
    as short (so a routine's errors cancel)."""
    lengths = SpeechLengths()
    settings = Settings(rate=rate)
    real = lengths.for_settings(settings)
    texts = {t for plan in plans(builtin_routines) for t, _ in sentences(export_plan(plan))}
    errors = [estimate_speech_seconds(text, rate) - real(text) for text in sorted(texts)]
    assert statistics.mean(abs(e) for e in errors) <= 0.2
    assert abs(statistics.mean(errors)) <= 0.05


def test_known_lengths_need_no_engine_until_its_files_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record names the engine build while its files are unchanged; a changed file (a new
    espeak-ng, new voice data) makes every length unknown rather than taken for the old."""
    real = synth.platform_synthesizer()
    data = tmp_path / "phontab"
    data.write_bytes(b"voice data")

    class Engine:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def data_file(self) -> str:
            return str(data)

    monkeypatch.setattr(synth, "platform_synthesizer", Engine)
    settings = Settings(rate=140)
    lengths = SpeechLengths()
    measured = lengths.for_settings(settings)("Let the leg rest now.")
    lengths.save()

    def no_engine() -> None:
        raise AssertionError("the engine was loaded to look a known length up")

    monkeypatch.setattr(synth, "platform_synthesizer", no_engine)
    assert SpeechLengths().known(settings, "Let the leg rest now.") == measured
    assert SpeechLengths().known(replace(settings, rate=141), "Let the leg rest now.") is None
    data.write_bytes(b"new voice data")
    assert SpeechLengths().known(settings, "Let the leg rest now.") is None
