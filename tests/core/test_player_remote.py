"""Media-key commands (RemoteCommand) and the events the player announces to a Listener."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from nightvoice.core.keys import Command
from nightvoice.core.plan import Hold, HoldUntilEased, Plan, PlanStep, Say, WaitForKey
from nightvoice.core.planner import compile_plan
from nightvoice.core.player import Player, PlayerOptions
from nightvoice.core.ports import RemoteCommand
from nightvoice.core.routine import Question
from nightvoice.user.catalog import load_routine
from nightvoice.user.config import resolve_settings
from tests.fakes import FakeVoice, FakeWorld, fake_player

PLAY, PAUSE_ONLY, PLAY_PAUSE = Command.PLAY, Command.PAUSE_ONLY, Command.PAUSE


def plan_of(*steps: tuple[object, ...]) -> Plan:
    return Plan(
        "test",
        tuple(PlanStep(n, f"step {n}", "", tuple(actions)) for n, actions in enumerate(steps, 1)),  # type: ignore[arg-type]
    )


@dataclass
class Events:
    """A Listener that writes down what it is told."""

    log: list[tuple[object, ...]] = field(default_factory=list)

    def step_started(self, number: int, total: int, title: str) -> None:
        self.log.append(("step", number, total, title))

    def paused(self) -> None:
        self.log.append(("paused",))

    def resumed(self) -> None:
        self.log.append(("resumed",))

    def waiting(self, waiting: bool) -> None:
        self.log.append(("waiting", waiting))

    def ended(self) -> None:
        self.log.append(("ended",))


def make(world: FakeWorld, **options: object) -> tuple[Player, FakeVoice, Events]:
    player, voice, _ = fake_player(world, options=PlayerOptions(ramp_sentences=0, **options))  # type: ignore[arg-type]
    events = Events()
    player.listener = events
    return player, voice, events


def remote(world: FakeWorld, at: float, command: Command) -> None:
    world.post_at(1000.0 + at, RemoteCommand(command))


HOLD = (Say("Pull your toes up."), Hold(30.0))  # the sentence ends at 2.0, the hold at 32.0


def test_pause_is_idempotent_and_play_resumes_with_the_time_left() -> None:
    """Pause twice, then Play: one pause of exactly 10 s; Play while playing does nothing."""
    world = FakeWorld()
    remote(world, 1.0, PLAY)  # already playing: nothing, not even a cut
    remote(world, 10.0, PAUSE_ONLY)
    remote(world, 15.0, PAUSE_ONLY)  # already paused: still paused
    remote(world, 20.0, PLAY)
    remote(world, 25.0, PLAY)
    player, voice, events = make(world)
    outcome = player.play(plan_of(HOLD, (Say("next"),)))
    assert outcome.completed
    assert voice.said() == [(0.0, "Pull your toes up."), (42.0, "next")]  # 32 s + 10 s paused
    assert [e for e in events.log if e[0] in ("paused", "resumed")] == [("paused",), ("resumed",)]


def test_play_pause_toggles_like_space() -> None:
    world = FakeWorld()
    remote(world, 10.0, PLAY_PAUSE)
    remote(world, 14.0, PLAY_PAUSE)
    player, voice, _ = make(world)
    player.play(plan_of(HOLD, (Say("next"),)))
    assert voice.said()[-1] == (36.0, "next")


@pytest.mark.parametrize(
    ("command", "steps"),
    [(Command.NEXT, [1, 2, 3]), (Command.BACK, [1, 2, 1, 2, 3]), (Command.REPEAT, [1, 2, 2, 3])],
)
def test_next_and_previous_move_by_step(command: Command, steps: list[int]) -> None:
    world = FakeWorld()
    remote(world, 10.0, Command.NEXT)  # in step 1's hold
    remote(world, 12.0, command)  # in step 2's hold
    player, _, _ = make(world)
    outcome = player.play(plan_of(HOLD, HOLD, (Say("last"),)))
    assert outcome.steps_started == steps


@pytest.mark.parametrize("paused", [False, True])
def test_stop_quits_at_once_even_when_paused(paused: bool) -> None:
    world = FakeWorld()
    if paused:
        remote(world, 5.0, PAUSE_ONLY)
    remote(world, 8.0, Command.QUIT)
    player, voice, events = make(world)
    outcome = player.play(plan_of(HOLD, (Say("never said"),)))
    assert outcome.quit
    assert world.elapsed == pytest.approx(8.0)
    assert "never said" not in [text for _, text in voice.said()]
    assert events.log[-1] == ("ended",)


@pytest.mark.parametrize("command", [PLAY_PAUSE, PLAY, Command.NEXT])
@pytest.mark.parametrize(
    "wait",
    [
        pytest.param(WaitForKey(5.0), id="wait-for-key"),
        pytest.param(HoldUntilEased(60.0, 10.0, "Keep holding."), id="until-eased"),
    ],
)
def test_the_one_button_goes_on_at_a_step_that_waits(command: Command, wait: object) -> None:
    """PlayPause or Play at a wait goes on, as Enter does; the wait is announced around it."""
    world = FakeWorld()
    remote(world, 7.0, command)
    player, voice, events = make(world)
    outcome = player.play(plan_of((Say("Ready?"), wait), (Say("go"),)))
    assert outcome.completed
    assert voice.said()[-1] == (7.0, "go")
    assert ("waiting", True) in events.log
    assert events.log.index(("waiting", False)) < events.log.index(("step", 2, 2, "step 2"))


def test_pause_at_a_wait_changes_nothing() -> None:
    """A wait already shows as paused; Pause there neither goes on nor pauses."""
    world = FakeWorld()
    remote(world, 3.0, PAUSE_ONLY)
    remote(world, 9.0, PLAY)
    player, voice, events = make(world)
    player.play(plan_of((Say("Ready?"), WaitForKey(5.0)), (Say("go"),)))
    assert voice.said() == [(0.0, "Ready?"), (9.0, "go")]
    assert ("paused",) not in events.log


def test_step_mode_waits_go_on_with_play_pause() -> None:
    world = FakeWorld()
    remote(world, 4.0, PLAY_PAUSE)
    player, voice, _ = make(world, step_mode=True)
    player.play(plan_of((Say("first"),), (Say("second"),)))
    assert voice.said() == [(0.0, "first"), (4.0, "second")]


QUESTION = Question(
    name="side",
    say="Which leg?",
    choices={"l": "left", "r": "right"},
    default="right",
    timeout=30.0,
)


@pytest.mark.parametrize(
    ("command", "answer"),
    [(PLAY_PAUSE, "right"), (PLAY, "right"), (Command.NEXT, "right"), (Command.QUIT, None)],
)
def test_the_start_question_takes_its_default_from_the_button(
    command: Command, answer: str | None
) -> None:
    world = FakeWorld()
    remote(world, 0.5, command)
    player, _, events = make(world)
    assert player.ask(QUESTION) == answer
    assert world.elapsed == pytest.approx(0.5)
    assert events.log == [("waiting", True), ("waiting", False)]


def test_the_listener_hears_steps_pauses_and_the_end_in_order() -> None:
    world = FakeWorld()
    world.press(10.0, "space")
    world.press(12.0, "space")
    player, _, events = make(world)
    player.play(plan_of(HOLD, (Say("last"),)))
    assert events.log == [
        ("step", 1, 2, "step 1"),
        ("paused",),
        ("resumed",),
        ("step", 2, 2, "step 2"),
        ("ended",),
    ]


class OneButton(Events):
    """A headset with one button, pressed (PlayPause) a second after the player waits."""

    def __init__(self, world: FakeWorld) -> None:
        super().__init__()
        self.world = world
        self.presses = 0

    def waiting(self, waiting: bool) -> None:
        super().waiting(waiting)
        if waiting:
            self.presses += 1
            self.world.post_at(self.world.time + 1.0, RemoteCommand(PLAY_PAUSE))


@pytest.mark.parametrize("step_mode", [False, True], ids=["timed", "step-mode"])
def test_one_button_gets_through_every_built_in_routine(
    builtin_routines: list[object], step_mode: bool
) -> None:
    """Its question, its key-wait steps and its holds until eased: all passed with PlayPause."""
    waits = 0
    for path in builtin_routines:
        routine = load_routine(path)  # type: ignore[arg-type]
        world = FakeWorld()
        player, _, _ = fake_player(world, options=PlayerOptions(step_mode=step_mode))
        headset = OneButton(world)
        player.listener = headset
        answers = {}
        if routine.ask:
            answer = player.ask(routine.ask)
            assert answer == routine.ask.default
            answers[routine.ask.name] = answer
        plan = compile_plan(routine, resolve_settings(routine.voice, {}, {}).settings, answers)
        outcome = player.play(plan)
        assert outcome.completed, path
        assert outcome.steps_started == [step.number for step in plan.steps], path
        waits += headset.presses
    assert waits > 0  # the built-ins do wait for the person somewhere
