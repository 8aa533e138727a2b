"""Test doubles for the player's ports: a virtual clock that jumps, a recording voice.

`FakeWorld` is clock and inbox at once: waiting until a deadline moves virtual time there
instantly, and speech finishes when its virtual duration is up, so pacing tests are exact.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from nightvoice.core.planner import CHIME_SECONDS
from nightvoice.core.player import Player, PlayerOptions
from nightvoice.core.ports import Event, KeyPressed, SpeechFinished


def words_half_second(text: str, language: str | None = None) -> float:
    """A deterministic speech length: half a second per word (in any language)."""
    return 0.5 * len(text.split())


class FakeWorld:
    def __init__(self) -> None:
        self.time = 1000.0  # any origin: only differences matter
        self._pending: list[tuple[float, int, Event]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.time

    def post_at(self, at: float, event: Event) -> None:
        heapq.heappush(self._pending, (at, next(self._order), event))

    def press(self, after: float, key: str) -> None:
        """A key press `after` seconds from the world's start (time 1000)."""
        self.post_at(1000.0 + after, KeyPressed(key, at=1000.0 + after))

    def typed_ahead(self, after: float, key: str, *, pressed: float) -> None:
        """A key pressed at `pressed` that the player only reads at `after` (buffered)."""
        self.post_at(1000.0 + after, KeyPressed(key, at=1000.0 + pressed))

    def wait(self, deadline: float | None) -> Event | None:
        if self._pending and (deadline is None or self._pending[0][0] <= deadline):
            at, _, event = heapq.heappop(self._pending)
            self.time = max(self.time, at)
            return event
        if deadline is None:
            raise AssertionError("the player would wait forever: nothing is pending")
        self.time = max(self.time, deadline)
        return None

    @property
    def elapsed(self) -> float:
        return self.time - 1000.0


@dataclass
class Heard:
    at: float  # seconds since the world's start
    what: str  # "say", "chime" or "cut"
    text: str = ""
    rate: int = 0
    volume: float = 0.0
    language: str | None = None  # as asked: None in the routine's own voice


@dataclass
class FakeVoice:
    world: FakeWorld
    seconds: Callable[[str], float] = words_half_second
    chime_seconds: float = CHIME_SECONDS  # as the real speaker plays it
    log: list[Heard] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def say(self, text: str, *, rate: int, volume: float, language: str | None = None) -> int:
        utterance = next(self._ids)
        self.log.append(Heard(self.world.elapsed, "say", text, rate, volume, language))
        # A cut utterance still reports finishing later: the player must ignore it.
        self.world.post_at(self.world.time + self.seconds(text), SpeechFinished(utterance))
        return utterance

    def chime(self, *, volume: float) -> int:
        utterance = next(self._ids)
        self.log.append(Heard(self.world.elapsed, "chime", volume=volume))
        self.world.post_at(self.world.time + self.chime_seconds, SpeechFinished(utterance))
        return utterance

    def cut(self) -> None:
        self.log.append(Heard(self.world.elapsed, "cut"))

    def said(self) -> list[tuple[float, str]]:
        return [(round(h.at, 3), h.text) for h in self.log if h.what == "say"]


def fake_player(
    world: FakeWorld,
    *,
    rate: int = 130,
    volume: float = 0.6,
    options: PlayerOptions | None = None,
) -> tuple[Player, FakeVoice, RecordingScreen]:
    """A real Player wired to the virtual world, a recording voice and a recording screen."""
    voice = FakeVoice(world)
    screen = RecordingScreen(clock=world)
    player = Player(
        clock=world,
        inbox=world,
        voice=voice,
        screen=screen,
        rate=rate,
        volume=volume,
        options=options,
    )
    return player, voice, screen


@dataclass
class RecordingScreen:
    steps: list[tuple[int, int, str, str]] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    time_left: list[tuple[float, int | None]] = field(default_factory=list)  # (when, seconds)
    clock: FakeWorld | None = None

    def show_step(self, number: int, total: int, title: str, section: str) -> None:
        self.steps.append((number, total, title, section))

    def show_status(self, text: str) -> None:
        self.statuses.append(text)

    def show_text(self, text: str) -> None:
        self.texts.append(text)

    def show_time_left(self, seconds: int | None) -> None:
        when = self.clock.elapsed if self.clock is not None else 0.0
        self.time_left.append((round(when, 3), seconds))
