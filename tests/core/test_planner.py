"""The planner: routines flatten into steps, and the timeline matches what the player does."""

from __future__ import annotations

import pytest

from nightvoice.core.loader import parse_routine
from nightvoice.core.plan import Chime, Cue, Hold, HoldUntilEased, Say, Settings, WaitForKey
from nightvoice.core.planner import compile_plan, hold_cues, timeline, total_seconds
from nightvoice.core.player import PlayerOptions
from nightvoice.core.routine import Cues
from nightvoice.user.catalog import load_routine, resolve
from tests.fakes import FakeWorld, fake_player, words_half_second

SETTINGS = Settings(rate=130, volume=0.6)


def compile_text(text: str, answers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return compile_plan(parse_routine(text.encode(), "t.yaml"), SETTINGS, answers)


def test_sections_repeats_and_sides_flatten_into_numbered_steps() -> None:
    plan = compile_text(
        """\
nightvoice: 1
title: T
chime: false
steps:
  - section: Legs
    say: Legs now.
    steps:
      - each_side: true
        steps:
          - repeat: 2
            steps:
              - say: "{side} {round}/{rounds}, not {other_side}"
"""
    )
    says = [step.actions[0] for step in plan.steps]
    assert says == [
        Say("Legs now."),
        Say("left 1/2, not right"),
        Say("left 2/2, not right"),
        Say("right 1/2, not left"),
        Say("right 2/2, not left"),
    ]
    assert [step.number for step in plan.steps] == [1, 2, 3, 4, 5]
    assert {step.section for step in plan.steps} == {"Legs"}


def test_the_answer_to_the_start_question_fills_the_side_and_orders_the_sides() -> None:
    text = """\
nightvoice: 1
title: T
chime: false
ask: {name: side, say: Which?, choices: {l: left, r: right}, default: left}
steps:
  - each_side: true
    steps: ["Stretch {side}."]
"""
    assert [s.actions[0] for s in compile_text(text, {"side": "right"}).steps] == [
        Say("Stretch right."),
        Say("Stretch left."),
    ]
    assert compile_text(text).steps[0].actions == (Say("Stretch left."),)


def test_each_step_kind_compiles_to_its_action() -> None:
    plan = compile_text(
        """\
nightvoice: 1
title: T
steps:
  - say: a
    pause: 2
  - say: b
    rest: 10
  - say: c
    wait_for_key: true
  - say: d
    until_eased: {max: 30, every: 10, check_in: Still holding?}
  - say: e
    breathe: {in: 4, hold: 1, out: 5, times: 2}
"""
    )
    actions = [step.actions for step in plan.steps]
    assert actions[0] == (Say("a"), Hold(2.0, kind="pause"))
    assert actions[1] == (Chime(), Say("b"), Hold(10.0, kind="rest"))
    assert actions[2] == (Chime(), Say("c"), WaitForKey(5.0))
    assert actions[3] == (Chime(), Say("d"), HoldUntilEased(30.0, 10.0, "Still holding?"))
    breathe = actions[4][2]
    assert isinstance(breathe, Hold) and breathe.seconds == 20.0
    assert [(c.at, c.text) for c in breathe.cues] == [
        (0.0, "Breathe in."),
        (4.0, "Hold."),
        (5.0, "And out."),
        (10.0, "Breathe in."),
        (14.0, "Hold."),
        (15.0, "And out."),
    ]


def test_hold_cues_never_crowd_each_other_and_the_countdown_wins() -> None:
    cues = hold_cues(20.0, Cues(count=5, halfway=True, countdown=3))
    assert cues == (
        Cue(5.0, "5."),
        Cue(10.0, "Halfway."),
        Cue(15.0, "15."),
        Cue(17.0, "3."),
        Cue(18.0, "2."),
        Cue(19.0, "1."),
    )


@pytest.mark.parametrize("name", ["calf-cramp", "calm-breathing", "bedtime-stretches"])
def test_a_full_built_in_routine_plays_exactly_on_its_timeline(name: str) -> None:
    """Every sentence, cue and chime starts at the millisecond the timeline says, hands-free."""
    routine = load_routine(resolve(name).path)
    plan = compile_plan(routine, SETTINGS)
    expected = [
        (
            round(e.offset, 3),
            e.kind if e.kind == "chime" else "say",
            e.text if e.kind != "chime" else "",
        )
        for e in timeline(plan, words_half_second)
        if e.kind in ("say", "cue", "chime")
    ]
    player, voice, _ = fake_player(
        FakeWorld(),
        rate=SETTINGS.rate,
        volume=SETTINGS.volume,
        options=PlayerOptions(interactive=False),
    )
    outcome = player.play(plan)
    heard = [(round(h.at, 3), h.what, h.text) for h in voice.log if h.what != "cut"]
    assert heard == expected
    assert outcome.completed
    assert outcome.seconds == pytest.approx(
        total_seconds(timeline(plan, words_half_second)), abs=1e-6
    )


def test_the_calf_routine_ends_with_the_spoken_safety_note() -> None:
    plan = compile_plan(load_routine(resolve("calf-cramp").path), SETTINGS)
    last_words = " ".join(a.text for s in plan.steps[-3:] for a in s.actions if isinstance(a, Say))
    assert "doctor" in last_words
    assert "not medical advice" in last_words.lower()


def test_breathing_words_and_section_names_have_their_variables_filled() -> None:
    plan = compile_text(
        """\
nightvoice: 1
title: T
chime: false
steps:
  - section: The {side} leg
    steps:
      - say: Breathe.
        breathe: {in: 2, out: 2, times: 1, words: {in: "In, {side}.", out: "Out, {other_side}."}}
""",
        {"side": "right"},
    )
    hold = plan.steps[0].actions[1]
    assert isinstance(hold, Hold)
    assert [cue.text for cue in hold.cues] == ["In, right.", "Out, left."]
    assert plan.steps[0].section == "The right leg"
