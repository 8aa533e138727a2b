"""The head start: the first words from a cache, before click and YAML are even imported."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from nightvoice.console.realtime import QueueInbox
from nightvoice.core.ports import SpeechFinished
from nightvoice.sound import headstart
from nightvoice.sound.audio import AplayOutput, Pcm
from nightvoice.sound.headstart import HeadStart, Utterance, load, plays_sound, save
from nightvoice.sound.speaker import LEAD_IN_SECONDS, SpeakerVoice
from nightvoice.sound.synth import EspeakSynthesizer
from tests.audio_server import Recorder, loud_stretches, pulse_server, recorder

_ = (pulse_server, recorder)  # fixtures used by name below

TEXT = "You are all right. This will pass."


@pytest.mark.parametrize(
    ("args", "plays"),
    [
        ([], True),
        (["--hands-free"], True),
        (["--step", "--rate", "120", "--volume=0.4"], True),
        (["play"], True),
        (["play", "calf-cramp", "--device", "pulse:phones"], True),
        (["play", "--blank", "my.yaml"], True),
        (["--text"], False),
        (["play", "x", "--text"], False),
        (["--help"], False),
        (["-h"], False),
        (["--version"], False),
        (["list"], False),
        (["say", "hello"], False),
        (["devices"], False),
        (["play", "a", "b"], False),
        (["--rate"], False),
        (["--bogus"], False),
    ],
)
def test_only_playing_aloud_gets_a_head_start(args: list[str], plays: bool) -> None:
    assert plays_sound(args) is plays


def utterance(samples: bytes = b"\x00\x01" * 100, **changes: object) -> Utterance:
    fields: dict[str, object] = {
        "text": TEXT,
        "rate": 125,
        "volume": 0.3,
        "language": "en",
        "voice": None,
        "device": None,
        "samples": samples,
        "sample_rate": 22050,
        **changes,
    }
    return Utterance(**fields)  # type: ignore[arg-type]


def test_the_record_holds_only_while_the_command_and_the_files_are_the_same(
    tmp_path: Path,
) -> None:
    routine = tmp_path / "r.yaml"
    routine.write_text("x")
    record = str(tmp_path / "first.bin")
    save(["--hands-free"], False, [str(routine), str(tmp_path / "missing")], utterance(), record)
    loaded = load(["--hands-free"], False, record)
    assert loaded is not None
    assert loaded.as_record() == utterance().as_record()
    assert load(["--hands-free", "--step"], False, record) is None  # another command line
    assert load(["--hands-free"], True, record) is None  # keys now possible: may ask first
    routine.write_text("changed")
    os.utime(routine, ns=(1, 1))
    assert load(["--hands-free"], False, record) is None  # the routine changed
    (tmp_path / "broken.bin").write_bytes(b"\x00garbage")
    assert load([], False, str(tmp_path / "broken.bin")) is None
    assert load([], False, str(tmp_path / "absent.bin")) is None


def test_matching_is_exact_about_the_sentence_and_its_voice() -> None:
    first = utterance()
    assert first.matches(TEXT, 125, 0.3, "en", None)
    assert not first.matches(TEXT + " ", 125, 0.3, "en", None)
    assert not first.matches(TEXT, 130, 0.3, "en", None)
    assert not first.matches(TEXT, 125, 0.6, "en", None)
    assert not first.matches(TEXT, 125, 0.3, "de", None)


@pytest.fixture(scope="module")
def synth() -> EspeakSynthesizer:
    engine = EspeakSynthesizer()
    engine.warm_up()
    return engine


def played(synth: EspeakSynthesizer, volume: float = 0.3) -> Utterance:
    pcm = synth.synthesize(TEXT, rate=125, language="en", voice=None)
    pcm = pcm.with_lead_in(LEAD_IN_SECONDS).scaled(volume)
    return utterance(pcm.samples, volume=volume)


def wait_event(inbox: QueueInbox) -> object:
    event = inbox.wait(time.monotonic() + 15)
    assert event is not None
    return event


@pytest.mark.real_audio
def test_the_speaker_adopts_a_matching_head_start_and_plays_nothing_twice(
    synth: EspeakSynthesizer, recorder: Recorder
) -> None:
    first = played(synth)
    mark = recorder.mark()
    head = HeadStart(first)
    inbox = QueueInbox()
    speaker = SpeakerVoice(synth, AplayOutput(), inbox.post, head_start=head)
    try:
        said = speaker.say(TEXT, rate=125, volume=0.3)
        assert speaker.head_start_adopted
        assert wait_event(inbox) == SpeechFinished(said)
        assert head.done
        heard = recorder.samples(mark)
        source = loud_stretches(Pcm(first.samples, first.sample_rate).values())
        stretches = loud_stretches(heard)
        assert len(stretches) == len(source) == 2  # both sentences, heard once, not twice
        for (start, end), (src_start, src_end) in zip(stretches, source, strict=True):
            assert abs((end - start) - (src_end - src_start)) < 45  # none of it lost (2 ms)
    finally:
        speaker.close()
        headstart.discard()


@pytest.mark.real_audio
def test_a_head_start_that_is_not_the_first_sentence_is_cut_at_once(
    synth: EspeakSynthesizer, recorder: Recorder
) -> None:
    head = HeadStart(played(synth))
    inbox = QueueInbox()
    speaker = SpeakerVoice(synth, AplayOutput(), inbox.post, head_start=head)
    try:
        said = speaker.say("Something else.", rate=125, volume=0.3)
        assert not speaker.head_start_adopted
        assert head.stopped
        assert head.done
        assert wait_event(inbox) == SpeechFinished(said)
    finally:
        speaker.close()


def test_a_failed_save_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", disk_full)
    save([], False, [], utterance(), str(tmp_path / "cache" / "first.bin"))  # never raises
    assert list((tmp_path / "cache").iterdir()) == []


def test_the_head_start_knows_exactly_the_options_play_takes() -> None:
    """headstart cannot import click, so its copy of the option names must not drift."""
    import click

    from nightvoice.cli import play

    options = [p for p in play.params if isinstance(p, click.Option)]
    flags = {name for p in options if p.is_flag for name in p.opts} - {"--help"}
    values = {name for p in options if not p.is_flag for name in p.opts}
    assert flags - {"--text"} == headstart.PLAY_FLAGS  # --text plays no sound: no head start
    assert values == headstart.PLAY_VALUES
