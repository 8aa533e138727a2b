"""The player against a virtual clock: exact pacing, and every key's effect."""

from __future__ import annotations

import pytest

from nightvoice.core.keys import HELP_TEXT
from nightvoice.core.plan import (
    Chime,
    Cue,
    Hold,
    HoldUntilEased,
    Plan,
    PlanStep,
    Say,
    WaitForKey,
)
from nightvoice.core.planner import CHIME_SECONDS
from nightvoice.core.player import Outcome, Player, PlayerOptions
from nightvoice.core.routine import Question
from tests.fakes import FakeVoice, FakeWorld, RecordingScreen, fake_player

HOLD_30 = Hold(
    30.0,
    (
        Cue(15.0, "Halfway."),
        Cue(27.0, "3."),
        Cue(28.0, "2."),
        Cue(29.0, "1."),
        Cue(30.0, "Release."),
    ),
)


def plan_of(*steps: tuple[object, ...]) -> Plan:
    return Plan(
        "test",
        tuple(PlanStep(n, f"step {n}", "", tuple(actions)) for n, actions in enumerate(steps, 1)),  # type: ignore[arg-type]
    )


def make(
    world: FakeWorld | None = None, **options: object
) -> tuple[FakeWorld, FakeVoice, RecordingScreen, Player]:
    world = world or FakeWorld()
    opts = PlayerOptions(ramp_sentences=0, **options)  # type: ignore[arg-type]
    player, voice, screen = fake_player(world, volume=0.8, options=opts)
    return world, voice, screen, player


def run(plan: Plan, world: FakeWorld | None = None, **options: object) -> tuple[FakeVoice, Outcome]:
    _, voice, _, player = make(world, **options)
    return voice, player.play(plan)


def test_a_30_second_hold_lasts_exactly_30_seconds_from_the_end_of_its_sentence() -> None:
    """Cues land on schedule and the release comes 30.000 s after the sentence ended."""
    voice, outcome = run(plan_of((Say("Pull your toes up."), HOLD_30)))
    assert voice.said() == [
        (0.0, "Pull your toes up."),  # 4 words: ends at 2.0
        (17.0, "Halfway."),
        (29.0, "3."),
        (30.0, "2."),
        (31.0, "1."),
        (32.0, "Release."),
    ]
    assert outcome.completed
    assert outcome.seconds == pytest.approx(32.5, abs=1e-9)


def test_a_long_cue_delays_the_next_cue_but_never_the_end_of_the_hold() -> None:
    """Speech never overlaps, and cue speech does not stretch the hold."""
    hold = Hold(10.0, (Cue(5.0, "one two three four five six seven eight"), Cue(10.0, "Release.")))
    voice, _ = run(plan_of((Say("go"), hold)))
    # The long cue starts at 5.5 and runs 4 s, to 9.5; the release is still due at 10.5.
    assert voice.said() == [
        (0.0, "go"),
        (5.5, "one two three four five six seven eight"),
        (10.5, "Release."),
    ]


def test_a_cue_still_speaking_at_the_deadline_holds_the_release_back_not_the_schedule() -> None:
    """A release waits for the cue before it, rather than talking over it."""
    hold = Hold(10.0, (Cue(8.0, "one two three four five six"), Cue(10.0, "Release.")))
    voice, _ = run(plan_of((Say("go"), hold), (Say("next"),)))
    assert voice.said() == [
        (0.0, "go"),
        (8.5, "one two three four five six"),
        (11.5, "Release."),
        (12.0, "next"),
    ]


def test_pausing_ten_seconds_mid_hold_resumes_with_exactly_the_remaining_time() -> None:
    """Space at 10 s and again at 20 s moves every later cue by exactly 10 s."""
    world = FakeWorld()
    world.press(10.0, "space")
    world.press(20.0, "space")
    voice, _ = run(plan_of((Say("Pull your toes up."), HOLD_30)), world)
    assert voice.said() == [
        (0.0, "Pull your toes up."),
        (27.0, "Halfway."),
        (39.0, "3."),
        (40.0, "2."),
        (41.0, "1."),
        (42.0, "Release."),
    ]


def test_pausing_mid_sentence_cuts_it_and_says_it_again_on_resume() -> None:
    world = FakeWorld()
    world.press(1.0, "space")
    world.press(5.0, "space")
    voice, _ = run(plan_of((Say("one two three four"),)), world)
    assert [h.what for h in voice.log] == ["say", "cut", "say", "cut"]
    assert voice.said() == [(0.0, "one two three four"), (5.0, "one two three four")]


@pytest.mark.parametrize("key", ["enter", "right"])
def test_next_cuts_the_speech_at_once_and_starts_the_next_step_at_the_same_moment(key: str) -> None:
    world = FakeWorld()
    world.press(0.7, key)
    voice, outcome = run(
        plan_of((Say("a long first sentence here"), HOLD_30), (Say("second"),)), world
    )
    assert voice.log[1].what == "cut"
    assert voice.log[1].at == pytest.approx(0.7)
    assert voice.said() == [(0.0, "a long first sentence here"), (0.7, "second")]
    assert outcome.steps_started == [1, 2]


@pytest.mark.parametrize("key", ["left", "backspace"])
def test_back_goes_to_the_previous_step(key: str) -> None:
    world = FakeWorld()
    world.press(1.2, key)
    voice, outcome = run(plan_of((Say("first"),), (Say("second step"),)), world)
    assert outcome.steps_started == [1, 2, 1, 2]
    assert voice.said()[:3] == [(0.0, "first"), (0.5, "second step"), (1.2, "first")]


def test_repeat_says_the_step_again_from_its_start() -> None:
    world = FakeWorld()
    world.press(3.0, "r")
    voice, outcome = run(plan_of((Say("Pull your toes up."), HOLD_30)), world)
    assert outcome.steps_started == [1, 1]
    assert voice.said()[:2] == [(0.0, "Pull your toes up."), (3.0, "Pull your toes up.")]
    assert voice.said()[-1] == (35.0, "Release.")


@pytest.mark.parametrize("key", ["q", "esc"])
def test_quit_stops_at_once(key: str) -> None:
    world = FakeWorld()
    world.press(5.0, key)
    voice, outcome = run(plan_of((Say("Pull your toes up."), HOLD_30), (Say("never said"),)), world)
    assert outcome.quit
    assert not outcome.completed
    assert "never said" not in [text for _, text in voice.said()]
    assert world.elapsed == pytest.approx(5.0)


def test_unmapped_keys_do_nothing_while_playing() -> None:
    world = FakeWorld()
    for at, key in ((0.2, "x"), (5.0, "z"), (6.0, "f5")):
        world.press(at, key)
    voice, _ = run(plan_of((Say("Pull your toes up."), HOLD_30)), world)
    assert [h.what for h in voice.log].count("cut") == 1  # only the final clean-up
    assert voice.said()[-1] == (32.0, "Release.")


def test_step_mode_waits_for_a_key_before_each_next_step_with_a_gentle_reminder() -> None:
    world = FakeWorld()
    world.press(60.0, "enter")
    voice, _ = run(plan_of((Say("first"),), (Say("second"),)), world, step_mode=True)
    assert voice.said() == [
        (0.0, "first"),
        (45.5, "Press Enter when you are ready."),
        (60.0, "second"),
    ]


def test_step_mode_accepts_any_key_to_go_on() -> None:
    world = FakeWorld()
    world.press(2.0, "x")
    voice, _ = run(plan_of((Say("first"),), (Say("second"),)), world, step_mode=True)
    assert voice.said() == [(0.0, "first"), (2.0, "second")]


def test_a_wait_for_key_step_waits_for_a_key_and_becomes_a_pause_hands_free() -> None:
    plan = plan_of((Say("Ready?"), WaitForKey(5.0)), (Say("go"),))
    world = FakeWorld()
    world.press(12.0, "enter")
    keyed, _ = run(plan, world)
    assert keyed.said() == [(0.0, "Ready?"), (12.0, "go")]
    hands_free, _ = run(plan, interactive=False)
    assert hands_free.said() == [(0.0, "Ready?"), (5.5, "go")]


def test_hold_until_eased_checks_in_and_ends_on_a_key() -> None:
    eased = HoldUntilEased(60.0, 10.0, "Keep holding.")
    world = FakeWorld()
    world.press(25.0, "enter")
    voice, _ = run(plan_of((Say("Hold it."), eased), (Say("Good."),)), world)
    assert voice.said() == [
        (0.0, "Hold it."),
        (11.0, "Keep holding."),
        (21.0, "Keep holding."),
        (25.0, "Good."),
    ]


def test_hold_until_eased_runs_to_its_maximum_hands_free() -> None:
    eased = HoldUntilEased(30.0, 10.0, "Keep holding.")
    voice, _ = run(plan_of((Say("Hold it."), eased), (Say("Good."),)), interactive=False)
    assert voice.said() == [
        (0.0, "Hold it."),
        (11.0, "Keep holding."),
        (21.0, "Keep holding."),
        (31.0, "Good."),
    ]


def test_the_chime_plays_before_the_step_and_speech_waits_for_it() -> None:
    voice, _ = run(plan_of((Say("one"),), (Chime(), Say("two"))))
    assert [(round(h.at, 3), h.what) for h in voice.log if h.what != "cut"] == [
        (0.0, "say"),
        (0.5, "chime"),
        (round(0.5 + CHIME_SECONDS, 3), "say"),  # the chime as played: lead-in and tone
    ]


def test_louder_and_slower_cut_the_sentence_and_say_it_again_in_the_new_voice() -> None:
    world = FakeWorld()
    world.press(0.5, "0")
    world.press(0.7, "[")
    voice, _ = run(plan_of((Say("one two three four"),)), world)
    says = [h for h in voice.log if h.what == "say"]
    assert [(round(h.at, 3), h.rate, round(h.volume, 2)) for h in says] == [
        (0.0, 130, 0.8),
        (0.5, 130, 0.9),
        (0.7, 120, 0.9),
    ]


def test_quieter_during_a_hold_says_a_short_word_without_moving_the_release() -> None:
    world = FakeWorld()
    world.press(10.0, "9")
    voice, _ = run(plan_of((Say("Pull your toes up."), HOLD_30)), world)
    assert (10.0, "Quieter.") in voice.said()
    assert voice.said()[-1] == (32.0, "Release.")
    assert [h.volume for h in voice.log if h.text == "Release."] == [pytest.approx(0.7)]


@pytest.mark.parametrize("key", ["h", "?"])
def test_help_reads_the_keys_aloud_then_says_the_step_again(key: str) -> None:
    world = FakeWorld()
    world.press(0.5, key)
    voice, _ = run(plan_of((Say("one two three four"),)), world)
    texts = [text for _, text in voice.said()]
    assert texts == ["one two three four", HELP_TEXT, "one two three four"]


def test_the_night_profile_starts_quiet_and_rises_over_the_first_sentences() -> None:
    player, voice, _ = fake_player(
        FakeWorld(), volume=0.6, options=PlayerOptions(ramp_sentences=3, ramp_start=0.5)
    )
    player.play(plan_of((Say("a"),), (Say("b"),), (Say("c"),), (Say("d"),)))
    assert [round(h.volume, 3) for h in voice.log if h.what == "say"] == [0.3, 0.4, 0.5, 0.6]


def test_stale_finish_events_from_cut_speech_are_ignored() -> None:
    """The cut first sentence's finish event arrives mid-way through the second."""
    world = FakeWorld()
    world.press(0.1, "right")
    voice, _ = run(plan_of((Say("one two three"),), (Say("a b c d e f"),), (Say("end"),)), world)
    assert voice.said() == [(0.0, "one two three"), (0.1, "a b c d e f"), (3.1, "end")]


QUESTION = Question("side", "Which leg? Press L or R.", {"l": "left", "r": "right"}, "right", 6.0)


def test_the_start_question_takes_an_answer_even_while_it_is_being_asked() -> None:
    world, voice, _, player = make()
    world.press(0.5, "L")
    assert player.ask(QUESTION) == "left"
    assert voice.log[-1].what == "cut"


def test_the_start_question_falls_back_to_its_default_after_the_timeout() -> None:
    world, _, _, player = make()
    assert player.ask(QUESTION) == "right"
    assert world.elapsed == pytest.approx(3.0 + 6.0)  # 6 words, then the timeout


def test_hands_free_the_question_is_not_asked() -> None:
    _world, voice, _, player = make(interactive=False)
    assert player.ask(QUESTION) == "right"
    assert voice.log == []


def test_quitting_at_the_question_returns_none() -> None:
    world, _, _, player = make()
    world.press(1.0, "q")
    assert player.ask(QUESTION) is None


def test_the_screen_shows_each_step_with_its_progress() -> None:
    _, _, screen, player = make()
    player.play(plan_of((Say("a"),), (Say("b"),)))
    assert screen.steps == [(1, 2, "step 1", ""), (2, 2, "step 2", "")]


def test_help_while_waiting_for_a_key_does_not_swallow_the_key_that_goes_on() -> None:
    """Enter during the spoken help in step mode cuts the help and goes on at once."""
    world = FakeWorld()
    world.press(2.0, "h")
    world.press(4.0, "enter")
    voice, outcome = run(plan_of((Say("first"),), (Say("second"),)), world, step_mode=True)
    assert voice.said() == [(0.0, "first"), (2.0, HELP_TEXT), (4.0, "second")]
    assert outcome.completed


def test_hold_until_eased_ends_on_a_key_pressed_during_the_spoken_help() -> None:
    eased = HoldUntilEased(60.0, 10.0, "Keep holding.")
    world = FakeWorld()
    world.press(3.0, "?")
    world.press(12.0, "enter")  # the help (about 20 s) is still being said
    voice, _ = run(plan_of((Say("Hold it."), eased), (Say("Good."),)), world)
    assert voice.said() == [(0.0, "Hold it."), (3.0, HELP_TEXT), (12.0, "Good.")]


def test_resuming_a_pause_shows_the_status_from_before_it() -> None:
    world, _, screen, player = make()
    world.press(5.0, "space")
    world.press(8.0, "space")
    player.play(plan_of((Say("go"), Hold(10.0, ()))))
    assert screen.statuses == ["Hold 10 s", "Paused: press Space to go on", "Hold 10 s"]


def test_pressing_quieter_twice_in_a_hold_is_heard_twice() -> None:
    """The second press cuts the first feedback word and says its own, in the new volume."""
    world = FakeWorld()
    world.press(10.0, "9")
    world.press(10.2, "9")
    voice, _ = run(plan_of((Say("Pull your toes up."), HOLD_30)), world)
    quieter = [(round(h.at, 3), round(h.volume, 2)) for h in voice.log if h.text == "Quieter."]
    assert quieter == [(10.0, 0.7), (10.2, 0.6)]
    assert voice.said()[-1] == (32.0, "Release.")


def test_louder_during_a_cue_says_the_feedback_instead_of_dropping_it() -> None:
    hold = Hold(10.0, (Cue(2.0, "one two three four"), Cue(10.0, "Release.")))
    world = FakeWorld()
    world.press(4.0, "0")  # the cue runs from 2.5 to 4.5
    voice, _ = run(plan_of((Say("go"), hold)), world)
    assert (4.0, "Louder.") in voice.said()
    assert voice.said()[-1] == (10.5, "Release.")


def test_the_spoken_help_during_a_hold_drops_the_cues_it_ran_over() -> None:
    """Not a burst of stale "Halfway. 3. 2. 1." after it: the release still comes on time."""
    world = FakeWorld()
    world.press(10.0, "h")  # the help takes 20 s of fake speech: to 30 s
    voice, _ = run(plan_of((Say("Pull your toes up."), HOLD_30)), world)
    assert voice.said() == [
        (0.0, "Pull your toes up."),
        (10.0, HELP_TEXT),
        # "Halfway." was due at 17: dropped. "3." was due at 29: one second late is still said.
        (30.0, "3."),
        (30.5, "2."),
        (31.0, "1."),
        (32.0, "Release."),
    ]


def test_pausing_while_a_cue_is_spoken_moves_the_rest_of_the_hold_too() -> None:
    world = FakeWorld()
    world.press(17.2, "space")  # during "Halfway." (17.0 to 17.5)
    world.press(27.2, "space")
    voice, _ = run(plan_of((Say("Pull your toes up."), HOLD_30)), world)
    assert voice.said() == [
        (0.0, "Pull your toes up."),
        (17.0, "Halfway."),
        (39.0, "3."),
        (40.0, "2."),
        (41.0, "1."),
        (42.0, "Release."),
    ]
