"""A live run keeps to its exported timeline: start-up and wake-up delays never add up.

A real voice starts each sound some milliseconds after it is asked to (synthesis, a process,
the sound server), says it has ended some milliseconds after it has (aplay drains and exits),
and the player wakes a little after each deadline. Played on the fake clock with all three
delays, a 5-minute routine of holds, cues, sentences and chimes must end within 100 ms of
`planner.timeline`, which is what `export` renders.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest

from nightvoice.core.loader import parse_routine
from nightvoice.core.plan import Settings
from nightvoice.core.planner import CHIME_SECONDS, compile_plan, timeline, total_seconds
from nightvoice.core.player import Player, PlayerOptions
from nightvoice.core.ports import Event, SpeechFinished
from tests.fakes import FakeWorld, RecordingScreen, words_half_second

STEP = """\
  - title: Stretch {n}
    say: Pull your toes towards your knee and hold it there.
    hold: 25
    cues: {{halfway: true, countdown: 3, release: Release.}}
  - say: Rest now, and breathe slowly in and out.
    rest: 8
"""
ROUTINE = "nightvoice: 1\ntitle: Five minutes\nchime: true\nsteps:\n" + "".join(
    STEP.format(n=n) for n in range(1, 8)
)


class LateWorld(FakeWorld):
    """The fake clock, but every deadline is noticed `late` seconds after it passed."""

    def __init__(self, late: float) -> None:
        super().__init__()
        self.late = late

    def wait(self, deadline: float | None) -> Event | None:
        event = super().wait(deadline)
        if event is None:
            self.time += self.late
        return event


SPEECH_TAIL = 0.4  # espeak-ng ends a sentence with ~0.5 s of silence; the speaker plays
CHIME_TAIL = 0.15  # up to the last audible sample and lets the rest pass as time


@dataclass
class SlowVoice:
    """Like the real speaker: each sound starts `start_up` after it is asked for, and its
    player says it is over `report_delay` after its last audible sample; it is reported at
    its own end (asked + length) or then, whichever is later, and it knows its own end
    unless `knows_end` is off."""

    world: FakeWorld
    start_up: float
    report_delay: float
    knows_end: bool = True
    started: list[float] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _sound(self, seconds: float, tail: float) -> int:
        utterance = next(self._ids)
        asked = self.world.time
        self.started.append(asked + self.start_up - 1000.0)
        ends = asked + seconds  # on the voice's own timeline, from when it was asked
        heard = max(ends, asked + self.start_up + seconds - tail + self.report_delay)
        at = ends if self.knows_end else None
        self.world.post_at(heard, SpeechFinished(utterance, at=at))
        return utterance

    def say(self, text: str, *, rate: int, volume: float, language: str | None = None) -> int:
        return self._sound(words_half_second(text), SPEECH_TAIL)

    def chime(self, *, volume: float) -> int:
        return self._sound(CHIME_SECONDS, CHIME_TAIL)

    def cut(self) -> None:
        pass


def play(voice_options: dict[str, object], late: float) -> tuple[float, float]:
    """(live length, exported length) of the routine, played hands-free."""
    routine = parse_routine(ROUTINE.encode(), "five.yaml")
    plan = compile_plan(routine, Settings(rate=130, volume=0.6))
    exported = total_seconds(timeline(plan, words_half_second))
    world = LateWorld(late)
    voice = SlowVoice(world, **voice_options)  # type: ignore[arg-type]
    player = Player(
        clock=world,
        inbox=world,
        voice=voice,
        screen=RecordingScreen(),
        rate=130,
        volume=0.6,
        options=PlayerOptions(interactive=False),
    )
    outcome = player.play(plan)
    assert outcome.completed
    return outcome.seconds, exported


@pytest.mark.parametrize(
    ("start_up", "report_delay", "late"),
    [(0.04, 0.03, 0.002), (0.06, 0.05, 0.01), (0.0, 0.0, 0.0), (0.2, 0.15, 0.02)],
)
def test_a_five_minute_routine_ends_within_100_ms_of_its_export(
    start_up: float, report_delay: float, late: float
) -> None:
    """Absolute deadlines: every delay shifts one sound, none is carried into the next."""
    live, exported = play({"start_up": start_up, "report_delay": report_delay}, late)
    assert exported > 300
    assert abs(live - exported) < 0.1, (live, exported)


def test_a_voice_that_cannot_say_when_it_ended_still_never_overlaps() -> None:
    """Without the voice's own end the player falls back to the event's arrival: later, never
    earlier (the fall-back is honest, it only drifts)."""
    live, exported = play({"start_up": 0.04, "report_delay": 0.03, "knows_end": False}, 0.01)
    assert live > exported
