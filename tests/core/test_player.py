"""The player against a virtual clock: exact pacing, and every key's effect."""

from __future__ import annotations

import pytest

from nightvoice.core.phrases import HELP
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


@pytest.mark.parametrize(
    "waits",
    [WaitForKey(5.0), HoldUntilEased(60.0, 30.0, "Keep holding.")],
    ids=["wait_for_key", "until_eased"],
)
def test_step_mode_a_step_that_waits_for_a_key_goes_on_with_one_press(waits: object) -> None:
    world = FakeWorld()
    world.press(3.0, "enter")
    _, voice, screen, player = make(world, step_mode=True)
    player.play(plan_of((Say("Ready?"), waits), (Say("Go."),)))
    assert voice.said() == [(0.0, "Ready?"), (3.0, "Go.")]
    assert "Press Enter for the next step" not in screen.statuses


def test_step_mode_a_hold_until_eased_that_ran_out_still_waits_for_the_next_step() -> None:
    world = FakeWorld()
    world.press(40.0, "enter")
    _, voice, screen, player = make(world, step_mode=True)
    player.play(plan_of((Say("Hold."), HoldUntilEased(20.0, 30.0, "x")), (Say("Go."),)))
    assert voice.said() == [(0.0, "Hold."), (40.0, "Go.")]
    assert screen.statuses[-1] == "Press Enter for the next step"


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
    assert texts == ["one two three four", HELP.english, "one two three four"]


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
    assert voice.said() == [(0.0, "first"), (2.0, HELP.english), (4.0, "second")]
    assert outcome.completed


def test_hold_until_eased_ends_on_a_key_pressed_during_the_spoken_help() -> None:
    eased = HoldUntilEased(60.0, 10.0, "Keep holding.")
    world = FakeWorld()
    world.press(3.0, "?")
    world.press(12.0, "enter")  # the help (about 20 s) is still being said
    voice, _ = run(plan_of((Say("Hold it."), eased), (Say("Good."),)), world)
    assert voice.said() == [(0.0, "Hold it."), (3.0, HELP.english), (12.0, "Good.")]


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


def test_the_spoken_help_during_a_hold_pauses_the_hold_so_no_cue_is_lost() -> None:
    """The hold stands still while the keys are read out, then goes on with every cue."""
    world = FakeWorld()
    world.press(10.0, "h")  # 8 s into the hold; the help takes 20 s of fake speech
    voice, _ = run(plan_of((Say("Pull your toes up."), HOLD_30)), world)
    help_seconds = 0.5 * len(HELP.english.split())
    resumed = 10.0 + help_seconds
    assert voice.said() == [
        (0.0, "Pull your toes up."),
        (10.0, HELP.english),
        (resumed + 7.0, "Halfway."),  # 15 s into the hold, as scheduled
        (resumed + 19.0, "3."),
        (resumed + 20.0, "2."),
        (resumed + 21.0, "1."),
        (resumed + 22.0, "Release."),  # 30 s of holding, not counting the help
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


# -- a held or bouncing key, keys typed ahead ----------------------------------------------------

READY = plan_of(
    (Say("Sit up."), Hold(30.0, ())),
    (Say("Press Enter when you are ready to stand."), WaitForKey()),
    (Say("Hold it."), HoldUntilEased(60.0, 10.0, "Keep holding.")),
    (Say("Stand up slowly."),),
)


def steps_heard(voice: FakeVoice) -> list[str]:
    return [text for _, text in voice.said() if text != "Keep holding."]


def test_a_burst_of_fifty_enters_moves_one_step_not_the_whole_routine() -> None:
    """A bouncing or held Enter: 50 presses in 0.1 s."""
    world = FakeWorld()
    for i in range(50):
        world.press(5.0 + i * 0.002, "enter")
    world.press(20.0, "q")
    voice, outcome = run(READY, world)
    assert outcome.quit
    assert steps_heard(voice) == ["Sit up.", "Press Enter when you are ready to stand."]


def test_a_held_enter_auto_repeating_does_not_skip_the_steps_that_wait_for_the_listener() -> None:
    """Held for 3 s: the first press, then the terminal's repeats after 0.5 s, every 30 ms."""
    world = FakeWorld()
    world.press(5.0, "enter")
    for i in range(84):
        world.press(5.5 + i * 0.03, "enter")
    world.press(30.0, "enter")  # a new press, made after the wait was announced
    world.press(40.0, "q")
    voice, _ = run(READY, world)
    assert voice.said()[:3] == [
        (0.0, "Sit up."),
        (5.0, "Press Enter when you are ready to stand."),
        (30.0, "Hold it."),
    ]


@pytest.mark.parametrize("key", ["enter", "x", "space"])
def test_keys_typed_before_a_step_was_announced_do_not_go_on_from_it(key: str) -> None:
    """Read only once the step started (the player was busy): typed ahead, so not for it."""
    world = FakeWorld()
    world.press(5.0, "enter")  # skips the hold; step 2 starts at 5.0
    world.typed_ahead(9.0, key, pressed=4.99)
    world.press(30.0, "q")
    voice, _ = run(READY, world)
    assert steps_heard(voice) == ["Sit up.", "Press Enter when you are ready to stand."]


def test_hold_until_eased_needs_a_press_made_after_it_began() -> None:
    world = FakeWorld()
    world.press(1.0, "enter")  # Sit up -> Press Enter...
    world.press(3.0, "enter")  # ... ready: on to "Hold it." at 3.0
    for i in range(40):  # Enter still held: its repeats
        world.press(3.5 + i * 0.03, "enter")
    world.press(20.0, "enter")
    voice, _ = run(READY, world)
    assert (20.0, "Stand up slowly.") in voice.said()
    assert [t for _, t in voice.said()].count("Keep holding.") == 1  # the 10 s check-in


def test_two_presses_of_one_key_in_a_row_a_second_apart_are_two_presses() -> None:
    world = FakeWorld()
    world.press(1.0, "enter")
    world.press(2.0, "enter")
    voice, _ = run(
        plan_of((Say("a"), Hold(30.0, ())), (Say("b"), Hold(30.0, ())), (Say("c"),)), world
    )
    assert voice.said() == [(0.0, "a"), (1.0, "b"), (2.0, "c")]


def test_space_held_pauses_once_and_does_not_flicker() -> None:
    world, _, screen, player = make()
    for i in range(30):
        world.press(5.0 + i * 0.01, "space")
    world.press(10.0, "space")
    player.play(plan_of((Say("go"), Hold(10.0, ()))))
    assert screen.statuses == ["Hold 10 s", "Paused: press Space to go on", "Hold 10 s"]


# -- the start question ----------------------------------------------------------------------

CONFIRMED = Question(
    "side", "Which leg? Press L or R.", {"l": "left", "r": "right"}, "right", 6.0, "{side} leg."
)


def test_the_start_question_is_shown_and_the_answer_said_back() -> None:
    world, voice, screen, player = make()
    world.press(0.5, "l")
    assert player.ask(CONFIRMED) == "left"
    assert screen.statuses[0] == "Which leg? Press L or R."
    assert voice.said()[-1] == (0.5, "Left leg.")
    assert screen.statuses[-1] == "Left leg."


def test_the_start_question_says_which_default_the_timeout_chose() -> None:
    _, voice, _, player = make()
    assert player.ask(CONFIRMED) == "right"
    assert voice.said()[-1] == (9.0, "No key pressed. Right leg.")


def test_hands_free_the_question_is_not_asked_but_the_leg_it_takes_is_said() -> None:
    """Nobody can press a key: the default is taken, and said, so the listener knows which
    leg to stretch (not a silent guess)."""
    _, voice, screen, player = make(interactive=False)
    assert player.ask(CONFIRMED) == "right"
    assert voice.said() == [(0.0, "Right leg.")]  # no question, no "No key pressed."
    assert screen.statuses == ["Right leg."]


def test_hands_free_a_hold_until_it_eases_shows_as_the_hold_it_is() -> None:
    """No "press Enter" where no key can be pressed: the hold, and the seconds left."""
    eased = HoldUntilEased(30.0, 10.0, "Keep holding.")
    world = FakeWorld()
    _, _, screen, player = make(world, interactive=False)
    player.play(plan_of((Say("Hold it."), eased), (Say("Good."),)))
    assert screen.statuses == ["Hold 30 s"]
    assert not any("Enter" in status for status in screen.statuses)
    assert screen.time_left[:2] == [(1.0, 30), (2.0, 29)]  # counted down from the hold's start
    assert screen.time_left[-1] == (31.0, None)


def test_keys_typed_before_the_start_question_do_not_answer_it() -> None:
    world, _, _, player = make()
    world.typed_ahead(0.2, "l", pressed=-0.5)
    world.typed_ahead(0.2, "enter", pressed=-0.5)
    assert player.ask(QUESTION) == "right"  # the default, after the timeout
    assert world.elapsed == pytest.approx(3.0 + 6.0)


def test_quit_while_the_answer_is_said_back_quits() -> None:
    world, _, _, player = make()
    world.press(0.5, "r")
    world.press(0.7, "q")
    assert player.ask(CONFIRMED) is None


def test_resuming_a_pause_mid_sentence_is_shown_too() -> None:
    """A plain screen (a log) must show the pause ended, even with no state before it."""
    world, _, screen, player = make()
    world.press(0.5, "space")
    world.press(3.0, "space")
    player.play(plan_of((Say("one two three"),)))
    assert screen.statuses == ["Paused: press Space to go on", "Going on"]


# -- the time left in a hold -------------------------------------------------------------------


def test_a_hold_shows_the_seconds_left_once_a_second_and_no_more() -> None:
    _, _, screen, player = make()
    player.play(plan_of((Say("go"), Hold(5.0, ())), (Say("next"),)))
    # "go" ends at 0.5; a wake-up each whole second of the hold, none in between.
    assert screen.time_left == [
        (0.5, 5),
        (1.5, 4),
        (2.5, 3),
        (3.5, 2),
        (4.5, 1),
        (5.5, None),  # the hold is over: the count goes
    ]


def test_a_pause_stops_the_count_and_resuming_shows_it_again() -> None:
    world, _, screen, player = make()
    world.press(2.0, "space")  # 1.5 s into the 5 s hold: 3.5 s left
    world.press(12.0, "space")
    player.play(plan_of((Say("go"), Hold(5.0, ()))))
    counts = [entry for entry in screen.time_left if entry[1] is not None]
    assert (12.0, 4) in counts  # shown again at once
    assert not [at for at, _ in counts if 2.0 < at < 12.0]  # nothing while paused
    assert counts[-1] == (14.5, 1)  # 10 s later than without the pause
    assert screen.time_left[-1] == (15.5, None)
