"""The Voice adapters end to end: real espeak, real aplay, a private PulseAudio sink."""

from __future__ import annotations

import threading
import time
from array import array
from collections.abc import Iterator

import pytest

from nightvoice.console.realtime import QueueInbox
from nightvoice.core.errors import SpeechUnavailable
from nightvoice.core.planner import CHIME_SECONDS, CHIME_TONE_SECONDS
from nightvoice.core.ports import Event, SpeechFailed, SpeechFinished
from nightvoice.sound.audio import AplayOutput, Pcm, chime
from nightvoice.sound.speaker import (
    KEPT_TAIL_SECONDS,
    LEAD_IN_SECONDS,
    SpeakerVoice,
    TextVoice,
    audible_part,
    chime_sound,
)
from nightvoice.sound.synth import EspeakSynthesizer
from tests.audio_server import (
    Recorder,
    correlation,
    first_loud,
    goertzel,
    last_loud,
    locate,
    pulse_server,
    recorder,
)
from tests.renders import assert_said_once

_ = (pulse_server, recorder)  # fixtures used by name below

FIRST = "Sit up and stretch both legs out in front of you."
SECOND = "Now pull your toes gently toward your knees."
RATE, VOLUME = 180, 0.8
ONSET_50MS = 1102


@pytest.fixture(scope="module")
def synth() -> EspeakSynthesizer:
    engine = EspeakSynthesizer()
    engine.warm_up()
    return engine


@pytest.fixture
def voice(
    synth: EspeakSynthesizer, recorder: Recorder
) -> Iterator[tuple[SpeakerVoice, QueueInbox]]:
    inbox = QueueInbox()
    speaker = SpeakerVoice(synth, AplayOutput(), inbox.post, language="en", voice=None)
    try:
        yield speaker, inbox
    finally:
        speaker.close()


def next_event(inbox: QueueInbox, timeout: float = 15.0) -> Event:
    event = inbox.wait(time.monotonic() + timeout)
    assert event is not None, "no event within the timeout"
    return event


class RecordingSynth(EspeakSynthesizer):
    """The engine, keeping each sentence as it rendered it for the speaker."""

    def __init__(self) -> None:
        self.rendered: dict[str, Pcm] = {}

    def synthesize(self, text: str, *, rate: int, language: str, voice: str | None) -> Pcm:
        pcm = super().synthesize(text, rate=rate, language=language, voice=voice)
        self.rendered[text] = pcm
        return pcm


@pytest.mark.real_audio
def test_two_sentences_play_whole_in_order_without_overlap(
    recorder: Recorder, synth: EspeakSynthesizer
) -> None:
    # espeak's renders of one sentence differ by a few samples, more or less depending on what
    # it rendered before (so on which tests ran first): compare with the very samples played.
    recording = RecordingSynth()
    inbox = QueueInbox()
    speaker = SpeakerVoice(recording, AplayOutput(), inbox.post, language="en", voice=None)
    try:
        mark = recorder.mark()
        first = speaker.say(FIRST, rate=RATE, volume=VOLUME)
        assert next_event(inbox) == SpeechFinished(first)
        second = speaker.say(SECOND, rate=RATE, volume=VOLUME)
        assert next_event(inbox) == SpeechFinished(second)
        heard = recorder.samples(mark)
    finally:
        speaker.close()

    # Compared by envelope, aligned at the onset: each sentence is found where the silence
    # before it ends.
    spans = []
    search_from = 0
    for text in (FIRST, SECOND):
        played = recording.rendered[text].with_lead_in(LEAD_IN_SECONDS).scaled(VOLUME)
        source = played.values()
        onset, end = first_loud(source), last_loud(source)
        assert onset is not None
        assert end is not None
        found = first_loud(heard[search_from:])
        assert found is not None, f"{text!r} is missing from the recording"
        heard_onset = search_from + found
        # The first 50 ms of speech is all there: its envelope follows the source's.
        start_of_speech = heard[heard_onset : heard_onset + ONSET_50MS]
        assert envelope_correlation(start_of_speech, source[onset : onset + ONSET_50MS]) > 0.9
        # ... and so is the whole sentence, unclipped.
        whole = heard[heard_onset : heard_onset + end - onset]
        assert envelope_correlation(whole, source[onset:end]) > 0.95
        # Its real end: renders differ by a few samples, so look up to 100 ms past the estimate.
        last = last_loud(heard[: heard_onset + end - onset + 2205])
        assert last is not None
        spans.append((heard_onset, last))
        search_from = last + 1
    (a_start, a_end), (b_start, b_end) = spans
    assert a_start < a_end < b_start < b_end  # in order, no overlap
    assert b_start - a_end > 0.1 * 22050  # a real gap of silence between them


def envelope(values: array[int], block: int = 110) -> list[float]:
    """Mean absolute amplitude per 5 ms block."""
    return [sum(map(abs, values[i : i + block])) / block for i in range(0, len(values), block)]


def envelope_correlation(a: array[int], b: array[int]) -> float:
    return correlation(envelope(a), envelope(b))


@pytest.mark.real_audio
def test_cut_silences_the_sink_within_50_ms(
    voice: tuple[SpeakerVoice, QueueInbox], recorder: Recorder
) -> None:
    speaker, inbox = voice
    mark = recorder.mark()
    utterance = speaker.say(FIRST + " " + SECOND, rate=RATE, volume=VOLUME)
    recorder.wait_for_samples(mark, seconds=0.6)  # well into the sentence
    cut_at = time.monotonic()
    speaker.cut()
    recorder.wait_for_silence(mark, 0.3)
    heard = recorder.samples(mark)
    last = last_loud(heard)
    assert last is not None
    assert recorder.arrival_of(mark + last) - cut_at < 0.05
    assert len(heard) < 6 * 22050  # the rest of the sentence was never played
    event = next_event(inbox)  # a finished event may still come for the cut sentence: stale
    assert event == SpeechFinished(utterance)


@pytest.mark.real_audio
def test_a_slow_engine_is_not_taken_for_a_stuck_sound_server(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sentence that takes long to render (a natural voice starting cold) still plays and is
    reported finished: stalling is judged from when it started to play."""
    import threading

    from nightvoice.sound import speaker as speaker_module

    monkeypatch.setattr(speaker_module, "STALL_SECONDS", 0.1)

    class SlowSynth(RecordingSynth):
        def synthesize(self, text: str, *, rate: int, language: str, voice: str | None) -> Pcm:
            threading.Event().wait(0.4)  # rendering takes longer than the sound's tail + 0.1 s
            return super().synthesize(text, rate=rate, language=language, voice=voice)

    inbox = QueueInbox()
    slow = SlowSynth()
    speaker = SpeakerVoice(slow, AplayOutput(), inbox.post, language="en", voice=None)
    try:
        mark = recorder.mark()
        utterance = speaker.say(SECOND, rate=RATE, volume=VOLUME)
        event = next_event(inbox)
    finally:
        speaker.close()
    assert isinstance(event, SpeechFinished) and event.utterance == utterance, event
    recorder.wait_for_silence(mark, 0.2)
    played = slow.rendered[SECOND].with_lead_in(LEAD_IN_SECONDS).scaled(VOLUME)
    assert_said_once(recorder.samples(mark), played)  # it did play, whole, once


@pytest.mark.real_audio
def test_the_chime_is_heard(voice: tuple[SpeakerVoice, QueueInbox], recorder: Recorder) -> None:
    speaker, inbox = voice
    mark = recorder.mark()
    ding = speaker.chime(volume=VOLUME)
    assert next_event(inbox) == SpeechFinished(ding)
    heard = recorder.samples(mark)
    source = chime(seconds=CHIME_TONE_SECONDS).values()
    start = locate(heard, chime(seconds=CHIME_TONE_SECONDS, volume=VOLUME).values())
    body = heard[start + 441 : start + len(source) // 2]
    assert goertzel(body, 660) > 1000
    assert goertzel(body, 660) > 10 * goertzel(body, 440)


def test_the_chime_as_played_lasts_what_the_timeline_gives_it() -> None:
    played = chime_sound()
    assert played.seconds == pytest.approx(CHIME_SECONDS, abs=1 / 22050)
    # the tone rises from zero (a raised-cosine attack): its first samples round to 0
    assert played.leading_silence_seconds(threshold=0) == pytest.approx(LEAD_IN_SECONDS, abs=5e-4)


def test_no_device_is_reported_as_speech_failed(synth: EspeakSynthesizer) -> None:
    inbox = QueueInbox()
    speaker = SpeakerVoice(synth, AplayOutput("no_such_pcm_device"), inbox.post, language="en")
    utterance = speaker.say("Hello.", rate=RATE, volume=VOLUME)
    event = next_event(inbox)
    assert isinstance(event, SpeechFailed)
    assert event.utterance == utterance
    assert "--text" in event.message


class RecordingScreen:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def show_step(self, number: int, total: int, title: str, section: str) -> None:
        pass

    def show_status(self, text: str) -> None:
        pass

    def show_text(self, text: str) -> None:
        self.texts.append(text)


def test_text_voice_shows_text_and_finishes_after_the_estimate() -> None:
    inbox = QueueInbox()
    screen = RecordingScreen()
    text = TextVoice(inbox.post, screen, estimate=lambda _text, _rate: 0.05)
    utterance = text.say("Breathe in.", rate=RATE, volume=VOLUME)
    assert screen.texts == ["Breathe in."]
    assert next_event(inbox, 5) == SpeechFinished(utterance)


def test_text_voice_cut_cancels_the_finish() -> None:
    inbox = QueueInbox()
    text = TextVoice(inbox.post, RecordingScreen(), estimate=lambda _text, _rate: 0.2)
    cut_one = text.say("A long sentence.", rate=RATE, volume=VOLUME)
    text.cut()
    ding = text.chime(volume=VOLUME)
    assert next_event(inbox, 5) == SpeechFinished(ding)
    assert cut_one != ding
    assert inbox.wait(time.monotonic()) is None


def test_only_the_audible_part_of_a_sound_is_sent_to_aplay() -> None:
    """Trailing silence passes as time: aplay exits (the proof it was heard) before the end."""
    rate = 22050
    loud = array("h", [8000, -8000] * (rate // 2)).tobytes()  # one second of sound
    ending_quietly = Pcm(loud + Pcm.silence(0.5, rate).samples, rate)
    sent = audible_part(ending_quietly)
    assert sent.samples == ending_quietly.samples[: len(sent.samples)]
    assert sent.seconds == pytest.approx(1.0 + KEPT_TAIL_SECONDS, abs=0.001)
    ending_loud = Pcm(loud, rate)
    assert audible_part(ending_loud) == ending_loud


class _FakeSound:
    """Plays nothing; ends when the test (or a stop) ends it."""

    def __init__(self, kind: str, first: Pcm) -> None:
        self.kind = kind
        self.parts = [first]
        self.stopped = False
        self.ended = threading.Event()

    @property
    def done(self) -> bool:
        return self.ended.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.ended.wait(timeout)

    def add(self, pcm: Pcm) -> None:
        self.parts.append(pcm)

    def finish(self) -> None:
        pass

    def stop(self) -> None:
        self.stopped = True
        self.ended.set()


class _FakeOutput:
    device = None

    def __init__(self) -> None:
        self.sounds: list[_FakeSound] = []
        self.whole_played = threading.Event()

    def play(self, pcm: Pcm, *, gain: float = 1.0) -> _FakeSound:
        self.sounds.append(_FakeSound("whole", pcm))
        self.whole_played.set()
        return self.sounds[-1]

    def play_stream(self, first: Pcm, *, gain: float = 1.0) -> _FakeSound:
        self.sounds.append(_FakeSound("stream", first))
        return self.sounds[-1]

    def close(self) -> None:
        pass


class _FailsPartway:
    """An engine that renders in pieces and dies after the first (the natural voice's child
    killed mid-sentence); asked again without pieces, it says the sentence whole."""

    renders_in_pieces = True

    def __init__(self) -> None:
        self.asked_in_pieces: list[bool] = []

    def synthesize(
        self, text: str, *, rate: int, language: str, voice: str | None, on_piece: object = None
    ) -> Pcm:
        self.asked_in_pieces.append(on_piece is not None)
        loud = b"\x88\x13" * 2205
        if callable(on_piece):
            on_piece(Pcm(loud, 22050))
            raise SpeechUnavailable("the natural voice stopped")
        return Pcm(loud * 3, 22050)

    def engine_version(self) -> str:
        return "fake"


def test_a_voice_failing_partway_through_a_sentence_says_it_again_whole() -> None:
    """Never silence, never half a sentence: the streamed part is cut and the whole sentence
    is said again by the engine that took over; the player hears of it as one sound."""
    output = _FakeOutput()
    inbox = QueueInbox()
    engine = _FailsPartway()
    speaker = SpeakerVoice(engine, output, inbox.post, voice="joe")  # type: ignore[arg-type]
    try:
        said = speaker.say("Hello there.", rate=130, volume=1.0)
        assert output.whole_played.wait(10)
        assert engine.asked_in_pieces == [True, False]
        streamed, whole = output.sounds
        assert streamed.kind == "stream" and streamed.stopped
        assert whole.kind == "whole" and len(whole.parts[0].samples) > len(
            streamed.parts[0].samples
        )
        whole.ended.set()  # it has played
        event = next_event(inbox)
        assert isinstance(event, SpeechFinished) and event.utterance == said
    finally:
        speaker.close()
