"""The head start: the first words from a cache, before click and YAML are even imported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from array import array
from pathlib import Path
from typing import Any

import pytest

from nightvoice.console.realtime import QueueInbox
from nightvoice.core.ports import SpeechFinished
from nightvoice.sound.audio import AplayOutput, Pcm
from nightvoice.sound.speaker import LEAD_IN_SECONDS, SpeakerVoice
from nightvoice.sound.synth import EspeakSynthesizer
from nightvoice.startup import headstart
from nightvoice.startup.headstart import HeadStart, Utterance, load, save
from tests.audio_server import (
    RATE,
    PulseServer,
    Recorder,
    correlation,
    loud_stretches,
    pulse_server,
    recorder,
)

_ = (pulse_server, recorder)  # fixtures used by name below

TEXT = "You are all right. This will pass."


ENGINE = "EspeakSynthesizer/espeak-ng-test"


def utterance(samples: bytes = b"\x00\x01" * 100, **changes: object) -> Utterance:
    fields: dict[str, object] = {
        "text": TEXT,
        "rate": 125,
        "volume": 0.3,
        "language": "en",
        "voice": None,
        "engine": ENGINE,
        "device": None,
        "samples": samples,
        "sample_rate": 22050,
        **changes,
    }
    return Utterance(**fields)  # type: ignore[arg-type]


def test_the_record_holds_only_while_every_deciding_file_and_the_environment_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each deciding file edited, created or removed, or the environment changed: stale."""
    routine, config, shadow = tmp_path / "r.yaml", tmp_path / "config.yaml", tmp_path / "s.yaml"
    routine.write_text("x")
    config.write_text("rate: 120\n")
    files = [str(routine), str(config), str(shadow)]
    record = str(tmp_path / "first.bin")
    question = utterance(text="Which leg?")

    def fresh_record() -> None:
        save(files, {True: question, False: utterance()}, record)
        assert load(False, record) is not None

    fresh_record()
    loaded = load(False, record)
    assert loaded is not None and loaded.as_record() == utterance().as_record()
    with_keys = load(True, record)
    assert with_keys is not None and with_keys.text == "Which leg?"

    routine.write_text("y")  # the routine edited (same size, new time)
    os.utime(routine, ns=(1, 1))
    assert load(False, record) is None and not headstart.fresh(record)
    fresh_record()
    config.write_text("rate: 140\n")  # settings changed
    os.utime(config, ns=(2, 2))
    assert load(False, record) is None
    fresh_record()
    shadow.write_text("a user routine now replaces the built-in")
    assert load(False, record) is None
    fresh_record()
    config.unlink()  # back to the night defaults
    assert load(False, record) is None
    fresh_record()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # another config file decides
    assert load(False, record) is None
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert load(False, record) is not None
    monkeypatch.setattr("nightvoice.__version__", "9.9")  # another nightvoice renders
    assert load(False, record) is None


def test_a_broken_or_missing_record_is_no_head_start(tmp_path: Path) -> None:
    (tmp_path / "broken.bin").write_bytes(b"\x00garbage")
    assert load(False, str(tmp_path / "broken.bin")) is None
    assert load(False, str(tmp_path / "absent.bin")) is None
    save([], {True: None, False: None}, str(tmp_path / "silent.bin"))
    assert headstart.fresh(str(tmp_path / "silent.bin"))  # fresh, with nothing to play first
    assert load(True, str(tmp_path / "silent.bin")) is None


def test_matching_is_exact_about_the_sentence_its_voice_its_engine_and_its_output() -> None:
    first = utterance()
    same: dict[str, Any] = {
        "rate": 125,
        "volume": 0.3,
        "language": "en",
        "voice": None,
        "engine": ENGINE,
        "device": None,
    }
    assert first.matches(TEXT, **same)
    assert not first.matches(TEXT + " ", **same)
    others = {
        "rate": 130,
        "volume": 0.6,
        "language": "de",
        "voice": "whisper",
        "engine": "PiperSynthesizer/joe",
        "device": "pulse:phones",
    }
    for name, other in others.items():
        assert not first.matches(TEXT, **{**same, name: other}), name


@pytest.fixture(scope="module")
def synth() -> EspeakSynthesizer:
    engine = EspeakSynthesizer()
    engine.warm_up()
    return engine


def played(synth: EspeakSynthesizer, volume: float = 0.3) -> Utterance:
    pcm = synth.synthesize(TEXT, rate=125, language="en", voice=None)
    pcm = pcm.with_lead_in(LEAD_IN_SECONDS).scaled(volume)
    return utterance(pcm.samples, volume=volume, engine=synth.engine_version())


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
        head.stop()


def audible_seconds(values: array[int]) -> float:
    return sum(end - start for start, end in loud_stretches(values, gap=0.05)) / RATE


@pytest.mark.real_audio
def test_a_head_start_that_is_not_the_first_sentence_is_cut_at_once(
    synth: EspeakSynthesizer, recorder: Recorder
) -> None:
    """Heard: at most a moment of the head start's 2.5 s sentence, then the other one whole."""
    other = "Something else."
    mark = recorder.mark()
    head = HeadStart(played(synth))
    inbox = QueueInbox()
    speaker = SpeakerVoice(synth, AplayOutput(), inbox.post, head_start=head)
    try:
        said = speaker.say(other, rate=125, volume=0.3)
        assert not speaker.head_start_adopted
        assert head.stopped
        assert head.done
        assert wait_event(inbox) == SpeechFinished(said)
    finally:
        speaker.close()
    recorder.wait_for_silence(mark, 0.2)
    own = audible_seconds(
        synth.synthesize(other, rate=125, language="en", voice=None).scaled(0.3).values()
    )
    heard = audible_seconds(recorder.samples(mark))
    assert own - 0.05 < heard < own + 0.2, (heard, own)  # not the 2.5 s of the first words


def test_a_failed_save_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", disk_full)
    save([], {False: utterance()}, str(tmp_path / "cache" / "first.bin"))  # never raises
    assert list((tmp_path / "cache").iterdir()) == []


def run_until(
    argv: list[str], env: dict[str, str], cwd: Path, rec: Recorder, seconds: float
) -> array[int]:
    """Run a nightvoice command until `seconds` have been heard, then SIGTERM it: the sound."""
    mark = rec.mark()
    proc = subprocess.Popen(
        argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        rec.wait_for_samples(mark, seconds, timeout=30)
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 128 + signal.SIGTERM, stderr.decode()
    return rec.samples(mark)


def heard_once(heard: array[int], source: Pcm, tolerance: float = 0.01) -> None:
    """The source sentence, then the silence before the next one: heard whole, once."""
    said = loud_stretches(source.values())
    assert len(said) == 1
    stretches = loud_stretches(heard)
    assert len(stretches) >= 2, stretches
    (start, end), (next_start, _) = stretches[:2]
    # As long as the sentence (a cut-and-restart or a repeat would be longer), then a silence
    # before the next sentence (its lead-in at least).
    assert abs((end - start) - (said[0][1] - said[0][0])) < tolerance * RATE
    assert next_start - end > 0.1 * RATE
    # The same words: the first 100 ms match the source's sample for sample.
    begin = said[0][0]
    assert correlation(heard[start : start + 2205], source.values()[begin : begin + 2205]) > 0.9


@pytest.mark.real_audio
def test_after_an_evening_routine_from_elsewhere_plain_nightvoice_starts_with_its_own_words(
    tmp_path: Path,
    private_home: Path,
    pulse_server: PulseServer,
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`play bedtime-stretches` in the evening; at night plain `nightvoice` in another folder
    starts from the head start with the calf routine's first sentence, said once."""
    env = {**pulse_server.env(), "NIGHTVOICE_HOME": str(private_home)}
    monkeypatch.setenv("HOME", env["HOME"])  # the record's key, as the commands see it
    evening, night = tmp_path / "evening", tmp_path / "night"
    evening.mkdir()
    night.mkdir()
    run_until(["nightvoice", "play", "bedtime-stretches"], env, evening, recorder, 0.3)

    # The evening command ended by rendering the night's first words in the background.
    deadline = time.monotonic() + 60
    while (first := headstart.load(False)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first is not None, "no first words were rendered after `play bedtime-stretches`"
    assert first.text == "Left leg."  # hands-free: the leg the question's default takes

    # The sentence, and the start of the next one.
    source = Pcm(first.samples, first.sample_rate)
    heard_once(run_until(["nightvoice"], env, night, recorder, source.seconds + 2.5), source)


@pytest.mark.real_audio
def test_a_first_ever_run_starts_with_the_built_in_first_words_said_once(
    tmp_path: Path,
    private_home: Path,
    pulse_server: PulseServer,
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No record yet: the head start renders the built-in sentence; the session adopts it."""
    env = {**pulse_server.env(), "NIGHTVOICE_HOME": str(private_home)}
    monkeypatch.setenv("HOME", env["HOME"])
    assert headstart._only_built_ins_decide()
    text, rate, volume = headstart.BUILT_IN_FIRST[False]
    heard = run_until(["nightvoice"], env, tmp_path, recorder, 6.0)
    # As a fresh process renders it (espeak renders a sentence a little differently after
    # another one), with the lead-in and the night volume.
    render = (
        "import sys; from nightvoice.sound import espeak; "
        f"sys.stdout.buffer.write(espeak.engine().synthesize({text!r}, rate={rate}, "
        "language='en', voice=None)[0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", render], capture_output=True, check=True, timeout=30
    )
    source = Pcm(done.stdout, RATE).with_lead_in(LEAD_IN_SECONDS).scaled(volume)
    heard_once(heard, source)


def test_the_head_start_loads_nothing_the_first_sound_does_not_need() -> None:
    """typing, re, enum, queue and subprocess cost ~10 ms of the first sound, before it
    (-S: what site imports is not the head start's doing)."""
    heavy = ("typing", "re", "enum", "queue", "subprocess")
    script = (
        "import sys, nightvoice.startup.headstart\n"
        f"print(' '.join(m for m in {heavy!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", script],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    assert done.stdout.split() == []
