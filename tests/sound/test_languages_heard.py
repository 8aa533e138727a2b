"""A German routine's words, by the voice the engine was asked for and by ear: its own
sentences in German; nightvoice's breathing words in German with a catalog, and without one
in English, said by the English voice (never English read by the German voice).

By ear, played for real into the private sound server, each cue is told by its length
against the renderings in both voices: "Breathe in." lasts about 80 ms longer read by the
German voice than by the English one.
"""

from __future__ import annotations

import marshal
import shutil
import subprocess
import sys
import time
from array import array
from pathlib import Path

import pytest

from nightvoice.console.realtime import QueueInbox
from nightvoice.core.loader import parse_routine
from nightvoice.core.phrases import PhraseBook
from nightvoice.core.plan import Line, Settings
from nightvoice.core.planner import LEAD_IN_SECONDS, compile_plan
from nightvoice.core.ports import SpeechFinished
from nightvoice.sound.ahead import RenderAhead
from nightvoice.sound.audio import AplayOutput, Pcm
from nightvoice.sound.export import render, sentences
from nightvoice.sound.speaker import SpeakerVoice
from nightvoice.sound.synth import EspeakSynthesizer
from tests.audio_server import RATE, PulseServer, Recorder, loud_stretches, pulse_server, recorder
from tests.sink import processes_with

_ = (pulse_server, recorder)  # fixtures used by name below

pytestmark = pytest.mark.real_audio

CATALOG = Path(__file__).resolve().parents[1] / "data" / "languages" / "de.po"
OWN = "Atme ruhig."
ROUTINE = f"""\
nightvoice: 1
title: Atmen
language: de
rate: 180
volume: 1.0
chime: false
steps:
  - say: {OWN}
    breathe: {{in: 1, out: 1, times: 1}}
"""
# The night profile's first three sounds rise from half the volume.
GAINS = (0.5, 0.5 + 0.5 / 3, 0.5 + 1.0 / 3)

RENDER = """
import marshal, sys
from nightvoice.sound.synth import platform_synthesizer
synth = platform_synthesizer()
pairs = [arg.split("|") for arg in sys.argv[1:]]
pcms = [synth.synthesize(t, rate=180, language=lang, voice=None) for t, lang in pairs]
sys.stdout.buffer.write(marshal.dumps([(p.samples, p.rate) for p in pcms]))
"""


def rendered(*said: tuple[str, str]) -> list[Pcm]:
    """Each (text, language) as a fresh process renders them in this order (espeak's render
    shifts a little with what was rendered before), with the player's lead-in."""
    done = subprocess.run(
        [sys.executable, "-c", RENDER, *(f"{text}|{language}" for text, language in said)],
        capture_output=True,
        check=True,
        timeout=30,
    )
    return [Pcm(s, r).with_lead_in(LEAD_IN_SECONDS) for s, r in marshal.loads(done.stdout)]


def span(pcm: Pcm, gain: float) -> float:
    """How long the sound is audible, in seconds, at the gain it is played at."""
    stretches = loud_stretches(pcm.scaled(gain).values(), gap=0.1)
    return (stretches[-1][1] - stretches[0][0]) / RATE


def play(tmp_path: Path, server: PulseServer, rec: Recorder, home: Path) -> list[float]:
    """The routine played hands-free: how long each sound it made was heard, in order."""
    routine = tmp_path / "atmen.yaml"
    routine.write_text(ROUTINE, encoding="utf-8")
    mark = rec.mark()
    done = subprocess.run(
        ["nightvoice", "play", str(routine), "--hands-free", "--blank"],
        env={**server.env(), "NIGHTVOICE_HOME": str(home)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""  # no warning: the catalog (if any) is right
    assert processes_with(f"PULSE_SERVER={server.server}") == [], "an aplay was left behind"
    time.sleep(0.1)  # the recorder's last chunk
    heard: array[int] = rec.samples(mark)
    return [(end - start) / RATE for start, end in loud_stretches(heard, gap=0.1)]


class Asked(EspeakSynthesizer):
    """The engine, noting the language and voice it is asked for, sentence by sentence."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str | None]] = []

    def synthesize(self, text: str, *, rate: int, language: str, voice: str | None) -> Pcm:
        self.asked.append((text, language, voice))
        return super().synthesize(text, rate=rate, language=language, voice=voice)


GERMAN_NO_CATALOG = PhraseBook(language="de", voice_speaks_english=False)


def test_the_engine_is_asked_for_the_english_voice_for_an_untranslated_phrase(
    recorder: Recorder,
) -> None:
    """Played (the speaker, rendering ahead) and exported, with the routine's own voice
    `de+f3`: its sentence in that voice, the untranslated cues in the English voice."""
    routine = parse_routine(ROUTINE.encode(), "atmen.yaml")
    settings = Settings(language="de", voice="de+f3", rate=180, volume=1.0)
    plan = compile_plan(routine, settings, phrases=GERMAN_NO_CATALOG)
    expected = {(OWN, "de", "de+f3"), ("Breathe in.", "en", None), ("And out.", "en", None)}
    assert sentences(plan) == [Line(OWN), Line("Breathe in.", "en"), Line("And out.", "en")]

    engine = Asked()
    inbox = QueueInbox()
    ahead = RenderAhead(engine, language="de", voice="de+f3")
    speaker = SpeakerVoice(
        engine, AplayOutput(), inbox.post, language="de", voice="de+f3", ahead=ahead
    )
    try:
        speaker.expect(sentences(plan), 180)
        for line in sentences(plan):
            utterance = speaker.say(line.text, rate=180, volume=1.0, language=line.language)
            while not isinstance(event := inbox.wait(time.monotonic() + 10), SpeechFinished) or (
                event.utterance != utterance
            ):
                assert event is not None, "not heard within 10 s"
    finally:
        speaker.close()
    assert set(engine.asked) == expected

    exported = Asked()
    render(plan, exported, phrases=GERMAN_NO_CATALOG)
    assert set(exported.asked) == expected


def judged(heard: float, expected: float, other: float) -> None:
    """Heard as `expected` (within 10 ms), and the other voice would not pass for it."""
    assert abs(heard - expected) < 0.010, (heard, expected, other)
    assert abs(other - expected) > 0.030, "the two voices cannot be told apart here"


def test_without_a_catalog_the_cues_are_said_by_the_english_voice(
    tmp_path: Path, pulse_server: PulseServer, recorder: Recorder
) -> None:
    heard = play(tmp_path, pulse_server, recorder, tmp_path / "home")
    own, breathe_in, out = rendered((OWN, "de"), ("Breathe in.", "en"), ("And out.", "en"))
    german_in, german_out = rendered(("Breathe in.", "de"), ("And out.", "de"))
    assert len(heard) == 3, heard
    judged(heard[0], span(own, GAINS[0]), span(rendered((OWN, "en"))[0], GAINS[0]))
    judged(heard[1], span(breathe_in, GAINS[1]), span(german_in, GAINS[1]))
    judged(heard[2], span(out, GAINS[2]), span(german_out, GAINS[2]))


def test_with_a_catalog_the_cues_are_said_in_german_by_the_german_voice(
    tmp_path: Path, pulse_server: PulseServer, recorder: Recorder
) -> None:
    home = tmp_path / "home"
    (home / "languages").mkdir(parents=True)
    shutil.copy(CATALOG, home / "languages" / "de.po")
    heard = play(tmp_path, pulse_server, recorder, home)
    own, breathe_in, out = rendered((OWN, "de"), ("Einatmen.", "de"), ("Und ausatmen.", "de"))
    english_in, english_out = rendered(("Einatmen.", "en"), ("Und ausatmen.", "en"))
    assert len(heard) == 3, heard
    judged(heard[0], span(own, GAINS[0]), span(rendered((OWN, "en"))[0], GAINS[0]))
    judged(heard[1], span(breathe_in, GAINS[1]), span(english_in, GAINS[1]))
    judged(heard[2], span(out, GAINS[2]), span(english_out, GAINS[2]))
