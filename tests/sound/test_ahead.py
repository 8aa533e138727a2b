"""Render ahead: with a deliberately slow engine, the next sentence is ready when it is due."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from nightvoice.console.realtime import QueueInbox
from nightvoice.core.plan import Line
from nightvoice.sound.ahead import RenderAhead
from nightvoice.sound.audio import Pcm
from nightvoice.sound.speaker import SpeakerVoice

WORKER = "nightvoice-ahead"


def lines(*texts: str) -> list[Line]:
    """A plan's sentences, in the routine's own voice."""
    return [Line(text) for text in texts]


LOUD = b"\x88\x13" * 2205  # 0.1 s at 5000


class SlowEngine:
    """A deliberately slow engine: each (text, rate) renders only once the test releases it.

    A render nobody releases blocks for good (up to 10 s, then it fails the test), so anything
    the player had to render on demand would show up as a hang, never as luck with timing.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gates: dict[tuple[str, int], threading.Event] = {}
        self._finished: dict[tuple[str, int], threading.Event] = {}
        self._started: dict[tuple[str, int], threading.Event] = {}
        self.calls: list[tuple[str, int, str]] = []  # text, rate, the thread that rendered

    def _event(
        self, table: dict[tuple[str, int], threading.Event], key: tuple[str, int]
    ) -> threading.Event:
        with self._lock:
            return table.setdefault(key, threading.Event())

    def release(self, *texts: str, rate: int = 125) -> None:
        for text in texts:
            self._event(self._gates, (text, rate)).set()

    def finished(self, text: str, rate: int = 125) -> bool:
        return bool(self._event(self._finished, (text, rate)).wait(10))

    def started(self, text: str, rate: int = 125) -> bool:
        return bool(self._event(self._started, (text, rate)).wait(10))

    def release_all(self) -> None:
        with self._lock:
            gates = list(self._gates.values())
        for gate in gates:
            gate.set()

    def synthesize(self, text: str, *, rate: int, language: str, voice: str | None) -> Pcm:
        with self._lock:
            self.calls.append((text, rate, threading.current_thread().name))
        self._event(self._started, (text, rate)).set()
        if not self._event(self._gates, (text, rate)).wait(10):
            raise AssertionError(f"{text!r} at {rate} was rendered when nobody let it")
        self._event(self._finished, (text, rate)).set()
        return Pcm(text.encode().ljust(8, b"\0")[:8] + LOUD, 22050)

    def rendered(self, rate: int | None = None) -> list[tuple[str, int, str]]:
        with self._lock:
            return [call for call in self.calls if rate is None or call[1] == rate]


@pytest.fixture
def engine() -> Iterator[SlowEngine]:
    slow = SlowEngine()
    yield slow
    slow.release_all()


def test_the_next_sentences_are_rendered_while_one_is_said(engine: SlowEngine) -> None:
    ahead = RenderAhead(engine, language="en", voice=None, ahead=2)
    try:
        ahead.expect(lines("A", "B", "C", "D"), 125)
        engine.release("A", "B", "C")
        # The first sentence is the player's to render (a piece at a time, so its first piece
        # plays at once); nothing is rendered ahead before it is asked for.
        assert ahead.get("A", 125).samples.startswith(b"A")
        assert engine.finished("C")  # the two after it, in the background
        assert ahead.get("B", 125).samples.startswith(b"B")
        # Saying B moved the window on: D is being rendered, on the worker too.
        engine.release("D")
        assert engine.finished("D")
        assert ahead.get("D", 125).samples.startswith(b"D")
        assert [(text, thread) for text, _, thread in engine.rendered()] == [
            ("A", "MainThread"),
            ("B", WORKER),
            ("C", WORKER),
            ("D", WORKER),
        ]  # each once, and after the first none on the player's thread
    finally:
        ahead.close()


def test_after_a_head_start_the_next_sentences_are_rendered_ahead(engine: SlowEngine) -> None:
    """The head start says the first sentence from its record: what follows is rendered."""
    ahead = RenderAhead(engine, language="en", voice=None, ahead=1)
    try:
        ahead.expect(lines("A", "B", "C"), 125)
        ahead.saying("A", 125)
        engine.release("A", "B")
        assert engine.finished("B")
        assert ahead.get("B", 125).samples.startswith(b"B")
        assert [text for text, _, _ in engine.rendered()][:2] == ["A", "B"]
    finally:
        ahead.close()


def test_a_sentence_not_rendered_yet_is_rendered_at_once_and_only_once(
    engine: SlowEngine,
) -> None:
    ahead = RenderAhead(engine, language="en", voice=None, ahead=1)
    try:
        ahead.expect(lines("A", "B"), 125)
        engine.release("A", "B", "Help text.")
        # The worker may be rendering A right now: get waits for it instead of rendering again.
        assert ahead.get("A", 125).samples.startswith(b"A")
        assert ahead.get("Help text.", 125).samples.startswith(b"Help")  # not in the plan
        assert engine.finished("B")
        texts = [text for text, _, _ in engine.rendered()]
        assert sorted(texts) == ["A", "B", "Help text."]
    finally:
        ahead.close()


class OneAtATime(SlowEngine):
    """Like the natural voice's child: one sentence at a time. `asked` is set for a text as soon
    as anyone asks for it, before waiting for the engine."""

    def __init__(self) -> None:
        super().__init__()
        self._engine = threading.Lock()
        self._asked: dict[tuple[str, int], threading.Event] = {}

    def asked(self, text: str, rate: int = 125) -> threading.Event:
        return self._event(self._asked, (text, rate))

    def synthesize(self, text: str, *, rate: int, language: str, voice: str | None) -> Pcm:
        self.asked(text, rate).set()
        with self._engine:
            return super().synthesize(text, rate=rate, language=language, voice=voice)


def test_the_worker_never_queues_for_the_engine_while_the_player_waits_for_a_sentence() -> None:
    """The player is rendering the sentence it must say: the worker asks for nothing more
    until it has it. (With one natural-voice child, a render ahead that got the engine first
    made a first-ever run's first words wait for the second sentence.)"""
    engine = OneAtATime()
    ahead = RenderAhead(engine, language="en", voice=None, ahead=2)
    try:
        said = threading.Thread(target=ahead.get, args=("A", 125), daemon=True)
        said.start()  # before the plan is known: the player renders A itself
        assert engine.started("A")
        ahead.expect(lines("A", "B", "C"), 125)  # wakes the worker: B is next
        # Bounded wait for what must not happen (the worker queues at once when it does).
        assert not engine.asked("B").wait(0.3)
        engine.release("A", "B", "C")
        said.join(10)
        assert engine.finished("C")  # and then it goes on
    finally:
        engine.release_all()
        ahead.close()


def test_a_new_rate_re_renders_only_what_is_still_to_come(engine: SlowEngine) -> None:
    ahead = RenderAhead(engine, language="en", voice=None, ahead=1)
    try:
        ahead.expect(lines("A", "B", "C", "D"), 125)
        engine.release("A", "B")
        ahead.get("A", 125)
        assert engine.finished("B")
        # While A plays, the listener presses "slower": B is asked for at 115.
        engine.release("B", "C", rate=115)
        assert ahead.get("B", 115).samples.startswith(b"B")
        assert engine.finished("C", 115)
        assert sorted(text for text, _, _ in engine.rendered(115)) == ["B", "C"]  # not A
        assert not [call for call in engine.rendered(125) if call[0] in "CD"]
    finally:
        ahead.close()


class FakePlayback:
    def __init__(self, pcm: Pcm) -> None:
        self.pcm = pcm
        self.stopped = False
        self._ended = threading.Event()

    @property
    def done(self) -> bool:
        return self._ended.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._ended.wait(timeout)

    def stop(self) -> None:
        self.stopped = True
        self._ended.set()


class FakeOutput:
    """Plays nothing: each sound 'plays' until it is stopped (or the test ends it)."""

    device = None

    def __init__(self) -> None:
        self.playing: list[FakePlayback] = []

    def play(self, pcm: Pcm, *, gain: float = 1.0) -> FakePlayback:
        playback = FakePlayback(pcm)
        self.playing.append(playback)
        return playback

    def close(self) -> None:
        pass


def test_with_a_slow_engine_each_sentence_still_starts_when_it_is_due(
    engine: SlowEngine, tmp_path: Path
) -> None:
    """The speaker says B the moment the player asks: B was rendered while A played. A key
    cuts B at once although the engine is still busy rendering what comes after."""
    output = FakeOutput()
    ahead = RenderAhead(engine, language="en", voice=None)
    speaker = SpeakerVoice(
        engine,  # type: ignore[arg-type]
        output,  # type: ignore[arg-type]
        QueueInbox().post,
        ahead=ahead,
    )
    try:
        speaker.expect(lines("A", "B", "C"), 125)
        engine.release("A", "B")
        speaker.say("A", rate=125, volume=1.0)  # the first: rendered as it is said
        assert engine.finished("B")  # meanwhile, on the worker
        # C is being rendered now and will not finish (the engine is that slow): saying B
        # must not wait for anything.
        assert engine.started("C")
        speaker.say("B", rate=125, volume=1.0)
        heard = [playback.pcm.samples.lstrip(b"\0")[:1] for playback in output.playing]
        assert heard == [b"A", b"B"]
        assert [thread for _, _, thread in engine.rendered()] == ["MainThread", WORKER, WORKER]
        speaker.cut()
        assert output.playing[-1].stopped
    finally:
        engine.release_all()
        speaker.close()
