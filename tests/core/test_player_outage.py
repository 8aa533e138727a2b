"""A moment without sound, on the virtual clock: the player keeps its time and place on screen,
tries the output again every second, speaks again from where it is, and gives up only after a
long outage (hands-free: SpeechUnavailable; at a terminal: text for good)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from nightvoice.core.errors import SpeechUnavailable
from nightvoice.core.plan import Cue, Hold, Plan, PlanStep, Say
from nightvoice.core.player import Player, PlayerOptions
from nightvoice.core.ports import PROBE, Screen, SoundBack, SpeechFailed, Voice
from tests.fakes import FakeVoice, FakeWorld, RecordingScreen


@dataclass
class Server:
    """When the sound server is down, in seconds from the world's start: [from, to)."""

    down: list[tuple[float, float]] = field(default_factory=list)

    def is_down(self, at: float) -> bool:
        return any(start <= at < end for start, end in self.down)


@dataclass
class OutageVoice(FakeVoice):
    """The real voice: a sound started while the server is down fails a moment later."""

    server: Server = field(default_factory=Server)
    lasting: bool = False

    def say(self, text: str, *, rate: int, volume: float, language: str | None = None) -> int:
        if not self.server.is_down(self.world.elapsed):
            utterance = super().say(text, rate=rate, volume=volume, language=language)
            self._fail_if_cut_off(utterance, self.seconds(text))
            return utterance
        utterance = next(self._ids)
        self.world.post_at(
            self.world.time + 0.01,
            SpeechFailed(utterance, "No sound: no sound server (refused).", lasting=self.lasting),
        )
        return utterance

    def _fail_if_cut_off(self, utterance: int, seconds: float) -> None:
        """A server that goes down while a sentence plays fails that sentence."""
        start = self.world.elapsed
        for down, _ in self.server.down:
            if start < down < start + seconds:
                self.world.post_at(1000.0 + down, SpeechFailed(utterance, "No sound: gone."))


@dataclass
class FakeWatch:
    """The session's side (core.ports.SoundWatch), on the virtual clock."""

    world: FakeWorld
    real: OutageVoice
    real_screen: RecordingScreen
    interactive: bool = True
    lines: list[tuple[float, str]] = field(default_factory=list)
    probes: list[float] = field(default_factory=list)
    text: FakeVoice = field(init=False)
    text_screen: RecordingScreen = field(init=False)

    def __post_init__(self) -> None:
        self.text = FakeVoice(self.world)
        self.text._ids = iter(range(1_000_000, 2_000_000))  # type: ignore[assignment]
        self.text_screen = RecordingScreen(clock=self.world)

    def lost(self, message: str) -> tuple[Voice, Screen]:
        self.lines.append((round(self.world.elapsed, 2), "lost"))
        return self.text, self.text_screen

    def probe(self) -> None:
        self.probes.append(round(self.world.elapsed, 2))
        at = self.world.time + 0.05  # a probe takes a moment
        down = self.real.server.is_down(at - 1000.0)
        self.world.post_at(at, SpeechFailed(PROBE, "still down") if down else SoundBack())

    def back(self) -> tuple[Voice, Screen]:
        self.lines.append((round(self.world.elapsed, 2), "back"))
        return self.real, self.real_screen

    def give_up(self, message: str) -> tuple[Voice, Screen] | None:
        self.lines.append((round(self.world.elapsed, 2), "gave up"))
        return (self.text, self.text_screen) if self.interactive else None


def setup(
    down: list[tuple[float, float]], *, interactive: bool = True, lasting: bool = False
) -> tuple[FakeWorld, Player, OutageVoice, FakeWatch]:
    world = FakeWorld()
    voice = OutageVoice(world, server=Server(down), lasting=lasting)
    screen = RecordingScreen(clock=world)
    watch = FakeWatch(world, voice, screen, interactive=interactive)
    player = Player(
        clock=world,
        inbox=world,
        voice=voice,
        screen=screen,
        rate=130,
        volume=0.6,
        options=PlayerOptions(interactive=interactive, ramp_sentences=0),
        watch=watch,
    )
    return world, player, voice, watch


def step(number: int, *actions: object) -> PlanStep:
    return PlanStep(number, f"Step {number}", "", tuple(actions))  # type: ignore[arg-type]


PLAN = Plan(
    "Outage",
    (
        step(1, Say("one two three four")),  # 2 s
        step(2, Say("pull your toes now"), Hold(10.0, (Cue(5.0, "Halfway."),))),  # 2 s + 10 s
        step(3, Say("stand up slowly"), Hold(4.0)),  # 1.5 s + 4 s
    ),
)


def test_lost_in_a_steps_sentence_the_step_is_said_again_once_when_sound_is_back() -> None:
    """Down from 2.5 s to 5.4 s: step 2's sentence is cut; the routine goes on on screen,
    probes about every second fail until the server is back, then step 2 starts again from its
    first words with sound and the rest follows in order, each sentence heard once."""
    _world, player, voice, watch = setup([(2.5, 5.4)])
    outcome = player.play(PLAN)
    assert outcome.completed
    heard = [text for _, text in voice.said()]
    assert heard == [
        "one two three four",
        "pull your toes now",  # cut by the failure at 2.5 s (started at 2.0)
        "pull your toes now",  # said again from its start once sound is back
        "Halfway.",
        "stand up slowly",
    ]
    assert watch.lines == [(2.5, "lost"), (5.65, "back")]
    assert watch.probes == [3.5, 4.55, 5.6]  # a second after each try that found no sound
    assert [text for _, text in watch.text.said()] == ["pull your toes now"]  # on screen meanwhile
    assert voice.said()[2][0] == 5.65  # at once
    # The step, heard from 5.65 s, then its 10 s hold from its sentence's end: time is kept.
    assert voice.said()[4][0] == pytest.approx(5.65 + 2.0 + 10.0, abs=0.01)


def test_lost_inside_a_hold_the_hold_keeps_its_time_and_nothing_is_said_twice() -> None:
    """Down from 5 s to 6.2 s, after the step's sentence was heard: the cue due in the outage
    (5.5 s) is lost, the step is not said again, the next cue comes on its schedule with sound,
    and the hold ends at its absolute deadline."""
    world, player, voice, watch = setup([(5.0, 6.2)])
    plan = Plan(
        "Hold",
        (
            step(
                1, Say("pull your toes now"), Hold(10.0, (Cue(3.5, "Halfway."), Cue(7.0, "Three.")))
            ),
        ),
    )
    outcome = player.play(plan)
    assert outcome.completed
    said = voice.said()
    assert [text for _, text in said] == ["pull your toes now", "Three."]
    assert watch.lines == [(5.51, "lost"), (6.56, "back")]
    assert said[1][0] == pytest.approx(2.0 + 7.0)  # on its schedule: the hold kept its time
    assert world.elapsed == pytest.approx(12.0)  # ended at its deadline, not later


def test_a_long_outage_hands_free_gives_up_after_about_thirty_seconds() -> None:
    _world, player, _voice, watch = setup([(0.0, 999.0)], interactive=False)
    plan = Plan("Long", (step(1, Say("pull your toes now"), Hold(60.0)),))
    with pytest.raises(SpeechUnavailable, match="still down"):
        player.play(plan)
    assert watch.lines[0] == (0.01, "lost")
    assert watch.lines[-1][1] == "gave up"
    assert 30.0 <= watch.lines[-1][0] <= 31.5
    assert len(watch.probes) == pytest.approx(29, abs=2)  # about one a second, no more


def test_a_long_outage_at_a_terminal_stays_on_screen_to_the_end_without_more_tries() -> None:
    """The routine (19.5 s) is too short for a give-up: make it long, with a 60 s hold."""
    _world, player, _voice, watch = setup([(0.0, 999.0)], interactive=True)
    plan = Plan("Long", (step(1, Say("pull your toes now"), Hold(60.0)), step(2, Say("done now"))))
    outcome = player.play(plan)
    assert outcome.completed
    assert [line for _, line in watch.lines] == ["lost", "gave up"]
    assert max(watch.probes) < 31.5  # none after giving up
    assert [text for _, text in watch.text.said()] == ["pull your toes now", "done now"]


def test_a_lasting_failure_gives_up_at_once_without_trying_again() -> None:
    _world, player, _voice, watch = setup([(0.0, 999.0)], interactive=False, lasting=True)
    with pytest.raises(SpeechUnavailable):
        player.play(PLAN)
    assert watch.lines == [(0.01, "gave up")]
    assert watch.probes == []


def test_q_quits_at_once_while_the_sound_is_lost() -> None:
    world, player, _voice, _watch = setup([(2.5, 999.0)])
    world.press(4.2, "q")
    outcome = player.play(PLAN)
    assert outcome.quit and world.elapsed == pytest.approx(4.2)


def test_a_late_failure_report_from_before_the_loss_does_not_lose_the_sound_again() -> None:
    """The first sentence's failure arrives twice (a racing report): one loss, one return."""
    world, player, _voice, watch = setup([(0.0, 1.5)])
    world.post_at(1000.0 + 3.0, SpeechFailed(1, "a late report of the first sentence"))
    outcome = player.play(PLAN)
    assert outcome.completed
    assert [line for _, line in watch.lines] == ["lost", "back"]


def test_sound_back_while_paused_says_the_unheard_step_once_resumed() -> None:
    world, player, voice, _watch = setup([(2.5, 4.0)])
    world.press(3.0, "space")
    world.press(8.0, "space")
    outcome = player.play(PLAN)
    assert outcome.completed
    texts = [text for _, text in voice.said()]
    assert texts[:3] == ["one two three four", "pull your toes now", "pull your toes now"]
    assert voice.said()[2][0] == pytest.approx(8.0)  # on resuming, not while paused


def test_without_a_watch_a_sound_failure_ends_the_play() -> None:
    """Tests and callers with no session side keep the old, strict behaviour."""
    world = FakeWorld()
    voice = OutageVoice(world, server=Server([(0.0, 999.0)]))
    player = Player(
        clock=world, inbox=world, voice=voice, screen=RecordingScreen(), rate=130, volume=0.6
    )
    with pytest.raises(SpeechUnavailable, match="no sound server"):
        player.play(PLAN)
