"""Hostile routine files, one table per class of fault, each refused by the real `check`.

Each case is a routine body and the exact first line `check` must print: `file:line:col:`
pointing at the root cause, a message that says how to fix it, exit code 1, no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nightvoice.cli import run
from tests.core.test_loader import NEW_USER

HEAD = "nightvoice: 1\ntitle: T\n"
ZEROS = "0" * 400


def check(tmp_path: Path, body: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run `nightvoice check` on `body`; the exit code and the first problem, path cut off."""
    path = tmp_path / "r.yaml"
    path.write_text(body, encoding="utf-8")
    code = run(["check", str(path)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    first = err.splitlines()[0] if err else ""
    return code, first.removeprefix(f"{path}:")


def case(body: str, expected: str) -> tuple[str, str]:
    return body, expected


def hold(value: str) -> str:
    return f"{HEAD}steps:\n  - say: a\n    hold: {value}\n"


RANGE = "`hold` must be a number of seconds, more than 0 and at most 3600, not"

# -- tracebacks: every YAML number form and tag ends in a located message ---------------------
TRACEBACKS = [
    case(
        hold(f"1{ZEROS}"),
        f"5:11: `hold` must be more than 0 and at most 3600, not `1{'0' * 26}...`",
    ),
    case(f"nightvoice: 1{ZEROS}\ntitle: T\nsteps: [a]\n", "1:13: unknown format version"),
    case(hold('!!int ""'), f'5:11: {RANGE} `""`'),
    case(hold("!!int abc"), f"5:11: {RANGE} `abc`"),
    case(hold("!!float 1.5.5"), f"5:11: {RANGE} `1.5.5`"),
    case(hold("-1.0e+400"), "5:11: `hold` must be more than 0 and at most 3600, not `-1.0e+400`"),
    case(hold(".nan"), f"5:11: {RANGE} `.nan`; write a plain number"),
    case(hold("-.inf"), f"5:11: {RANGE} `-.inf`; write a plain number"),
    case(hold("0b101"), f"5:11: {RANGE} `0b101`; write it as a plain decimal number: 5"),
    case(hold("0o17"), f"5:11: {RANGE} `0o17`"),
    case(hold("!!binary aGk="), "5:11: `hold` has the YAML tag `!!binary`"),
    case(hold("!!timestamp 2024-01-01"), f"5:11: {RANGE} `2024-01-01`"),
    case(hold("!custom 5"), "5:11: `hold` has the YAML tag `!custom`"),
    case(hold("!!str 30"), "5:11: `hold` is `30`, which is marked as text with `!!str`; write 30"),
    case(hold("[1, 2]"), f"5:11: {RANGE[:-4]} not a list"),
    case(hold("~"), "5:11: `hold` has no value"),
    case(f"{HEAD}steps:\n  - !!omap [{{say: a}}]\n", "4:5: a step must be text to say"),
    case(f"{HEAD}steps: !!set {{a, b}}\n", "3:8: `steps` must be a list"),
    case(
        f"{HEAD}rate: {ZEROS}1\nsteps: [a]\n",
        "3:7: `rate` (words per minute) must be a whole number, at least 80",
    ),
    case(f"{HEAD}steps:\n  - repeat: 1{ZEROS}\n    steps: [a]\n", "4:13: `repeat` (how many"),
    case(f"{HEAD}steps:\n  - say: a\n    cues: {{count: 1{ZEROS}}}\n    hold: 5\n", "5:19:"),
    case(
        f"{HEAD}steps:\n  - say: a\n    breathe: {{in: !!int '', out: 2, times: 1}}\n",
        "5:19: `breathe` `in` must be a number of seconds",
    ),
    case(
        f"{HEAD}ask: {{name: side, say: Q, choices: {{l: left, r: right}}, default: left, "
        f"timeout: 1{ZEROS}}}\nsteps: [a]\n",
        "3:81: `ask` `timeout` must be at least 1 and at most 60",
    ),
]


@pytest.mark.parametrize(("body", "expected"), TRACEBACKS)
def test_every_number_form_and_tag_is_a_located_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: str
) -> None:
    code, first = check(tmp_path, body, capsys)
    assert code == 1
    assert first.startswith(expected), first


def test_a_batch_reports_every_file_even_after_one_that_crashed_before(tmp_path: Path) -> None:
    """The files that raised OverflowError and IndexError, between good ones, in one child."""
    files = []
    for n, body in enumerate(
        [HEAD + "steps: [a]\n", hold(f"1{ZEROS}"), hold('!!int ""'), HEAD + "steps: [b]\n"]
    ):
        path = tmp_path / f"{n}.yaml"
        path.write_text(body)
        files.append(str(path))
    done = subprocess.run(
        [sys.executable, "-m", "nightvoice", "check", *files],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "NIGHTVOICE_HOME": str(tmp_path / "home")},
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stdout.splitlines() == [f"{files[0]}: ok (T)", f"{files[3]}: ok (T)"]
    assert [line.split(":")[0] for line in done.stderr.splitlines()[:2]] == files[1:3]
    assert done.stderr.splitlines()[-1] == "2 of 4 file(s) have problems"


TRACEBACKS += [
    case(
        f"{HEAD}steps: " + "[" * 20000 + "]" * 20000 + "\n",
        "3:1007: YAML syntax: lists and mappings nest too deep here",
    ),
    case(
        f"{HEAD}steps:\n  - say: *nope\n", "4:10: YAML syntax: this alias (`*name`) has no anchor"
    ),
    case(
        f"{HEAD}steps:\n  - <<: {{say: a}}\n    hold: 3\n",
        "4:5: nightvoice does not read YAML merge keys (`<<`); write the keys out",
    ),
    case(
        hold("1e3"),
        "5:11: `hold` is `1e3`, which is text to YAML (a number needs a dot before "
        "an exponent); write 1000",
    ),
    case(hold("30s"), f"5:11: {RANGE} `30s`; write the number of seconds alone: 30"),
    case(hold("2 min"), f"5:11: {RANGE} `2 min`; write the number of seconds alone: 120"),
    case(hold("1,5"), f"5:11: {RANGE} `1,5`; write the decimal point as a dot: 1.5"),
    case(hold("+1_000_000"), "5:11: `hold` must be more than 0 and at most 3600, not `+1_000_000`"),
    case(
        "nightvoice: 1.0\ntitle: T\nsteps: [a]\n",
        "1:13: `nightvoice` is the format version: write 1, not `1.0`",
    ),
]


# -- bounds on the plan's size -----------------------------------------------------------------
def nested(times: list[int], leaf: str = "- say: a\n  hold: 5\n") -> str:
    text = leaf
    for n in reversed(times):
        inner = "".join("    " + line + "\n" for line in text.splitlines())
        text = f"- repeat: {n}\n  steps:\n{inner}"
    return HEAD + "steps:\n" + "".join("  " + line + "\n" for line in text.splitlines())


LIMITS = [
    case(nested([100, 100, 100, 100]), "8:13: this `repeat: 100` makes the routine 10,000 steps"),
    case(
        nested([3, 2], "- say: a\n  hold: 3600\n"),
        "4:5: this `repeat: 3` makes the routine at least 6:00:",
    ),
    case(
        f"{HEAD}steps:\n  - say: a\n    hold: 3000\n    cues: {{count: 0.001}}\n",
        "6:19: `cues` `count` must be 0 (no count) or at least 1 second, not 0.001",
    ),
    case(
        f"{HEAD}steps:\n  - say: {'a' * 1001}\n",
        "4:10: `say` is 1001 characters long; a text is at most 1000",
    ),
    case(
        f"{HEAD}description: {'a' * 5000}\nsteps: [a]\n", "3:14: `description` is 5000 characters"
    ),
    case(
        f"{HEAD}steps:\n" + "  - say: a\n    hold: 3600\n" * 4,
        "8:5: with this step the routine is at least 3:00:01 long; a routine lasts at most 3:00:00",
    ),
    case(
        f"{HEAD}steps:\n" + "  - a\n" * 1001,
        "1003:5: the routine has more than 1000 steps as written",
    ),
    case(
        HEAD + "steps:\n  - section: A\n    steps:\n      - section: B\n        steps:\n"
        "          - each_side: true\n            steps:\n              - repeat: 2\n"
        "                steps:\n                  - section: E\n                    steps: [a]\n",
        "12:21: this `section` is nested 5 deep; sections, repeats and each_side nest at most 4",
    ),
    case(
        f"{HEAD}steps:\n  - repeat: 100\n    steps:\n      - say: a\n        hold: 200\n"
        "        cues: {count: 1}\n",
        "4:5: this `repeat: 100` makes the routine 20,100 spoken cues",
    ),
]


@pytest.mark.parametrize(("body", "expected"), LIMITS)
def test_each_limit_is_enforced_pointing_at_the_key_that_blows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: str
) -> None:
    code, first = check(tmp_path, body, capsys)
    assert code == 1
    assert first.startswith(expected), first


def test_a_routine_just_inside_every_limit_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """2000 steps, nesting 4 deep, 1000-character texts: all allowed."""
    body = nested([10, 10, 10, 2], f"- say: {'a' * 1000}\n  pause: 1\n")
    code, first = check(tmp_path, body, capsys)
    assert (code, first) == (0, "")


def test_list_is_never_stopped_by_a_routine_over_the_limits(
    private_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = private_home / "scripts"
    folder.mkdir(parents=True)
    (folder / "huge.yaml").write_text(nested([100, 100, 100, 100]))
    assert run(["list"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "BROKEN" in lines["huge"] and "makes the routine 10,000 steps" in lines["huge"]
    assert "calf-cramp" in lines


# -- accepted but wrong ----------------------------------------------------------------------
ASK = HEAD + "ask:\n  name: {name}\n  say: {say}\n  choices: {choices}\n  default: {default}\n"
WRONG = [
    case(HEAD + "language: englsh\nsteps: [a]\n", "3:11: no voice speaks the language `englsh`"),
    case(
        HEAD + "voice: en-gb-scotlnd\nsteps: [a]\n",
        "3:8: there is no voice named `en-gb-scotlnd`; did you mean",
    ),
    case(
        ASK.format(
            name="side", say="Which?", choices="{l: left, r: right, b: both}", default="left"
        )
        + "steps:\n  - each_side: true\n    steps: [a]\n",
        "4:3: `each_side` and `{other_side}` swap between two sides, but the `side` question has 3",
    ),
    case(
        ASK.format(
            name="side", say="Which?", choices="{l: left, k: left, r: right}", default="left"
        )
        + "steps: [a]\n",
        "6:25: choices `l` and `k` both answer `left`; give each choice its own value",
    ),
    case(f'{HEAD}steps:\n  - say: "a\\0b"\n', "4:10: `say` has a control character (U+0000)"),
    case(f'{HEAD}steps:\n  - say: "a\\x07b"\n', "4:10: `say` has a control character (U+0007)"),
    case(
        ASK.format(name="side", say="Which?", choices='{"\\0": left, r: right}', default="left")
        + "steps: [a]\n",
        "6:13: each choice key must be a key you can press",
    ),
    case(f'{HEAD}steps:\n  - say: "a\\x85b"\n', "4:10: `say` has a control character (U+0085)"),
    case(f'{HEAD}steps:\n  - say: "a\\ud800"\n', "4:10: YAML syntax: "),
    case(
        f'{HEAD}steps:\n  - say: a\n    hold: 5\n    cues: {{release: "\\e"}}\n',
        "6:21: `cues` `release` has a control character (U+001B)",
    ),
    case(
        f"{HEAD}steps:\n  - say: a\n    until_eased: {{max: 10, every: 20}}\n",
        "5:35: `until_eased` `every: 20` is not less than `max: 10`",
    ),
    case(
        ASK.format(name="side", say="Which {side}?", choices="{l: left, r: right}", default="left")
        + "steps: [a]\n",
        "5:8: `ask` `say` (the question spoken) cannot use `{side}`: the question is asked before",
    ),
    case(
        f"{HEAD[:-2]}Stretch {{side}}\nsteps: [a]\n",
        "2:8: `title` cannot use `{side}`: it is shown as",
    ),
]


@pytest.mark.parametrize(("body", "expected"), WRONG)
def test_what_would_play_wrong_is_refused_by_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: str
) -> None:
    code, first = check(tmp_path, body, capsys)
    assert code == 1
    assert first.startswith(expected), first


def test_each_side_takes_its_sides_only_from_a_side_question() -> None:
    """A question `feet` with `{o: left, b: both}` no longer plays "the both calf"."""
    from nightvoice.core.loader import parse_routine
    from nightvoice.core.plan import Say, Settings
    from nightvoice.core.planner import compile_plan

    body = ASK.format(name="feet", say="Which?", choices="{o: left, b: both}", default="left")
    body += "steps:\n  - each_side: true\n    steps:\n      - The {side} calf.\n"
    plan = compile_plan(parse_routine(body.encode(), "r.yaml"), Settings())
    said = [a.text for step in plan.steps for a in step.actions if isinstance(a, Say)]
    assert said == ["The left calf.", "The right calf."]


# -- root cause first --------------------------------------------------------------------------
ROOT = [
    case(
        "nightvoice: 1\ntitel: T\nsteps: [a]\n",
        "2:1: unknown key `titel` in the routine; did you mean `title`?",
    ),
    case(
        "nightvocie: 1\ntitle: T\nsteps: [a]\n",
        "1:1: unknown key `nightvocie` in the routine; did you mean `nightvoice`?",
    ),
    case("nightvoice: 1\ntitle: T\nstpes: [a]\n", "3:1: unknown key `stpes`"),
    case(
        ASK.format(name="side", say="Which?", choices="{ll: left, r: right}", default="left")
        + "steps: [a]\n",
        "6:13: each choice key must be a single character, like `l`, not `ll`",
    ),
    case(
        ASK.format(name="side", say="Which?", choices="{ll: left}", default="left")
        + "steps:\n  - The {side} leg, then the {other_side}.\n",
        "6:13: each choice key must be a single character",
    ),
    case(
        ASK.format(name="legs", say="Which?", choices="{l: left, r: right}", default="middle")
        + "steps:\n  - The {legs} leg.\n",
        "7:12: `ask` `default` must be one of `left`, `right`",
    ),
    case(
        f"{HEAD}steps:\n  - say: a\n    rate: 120\n",
        "5:5: `rate` belongs at the top of the routine, not in a step",
    ),
    case(
        f"{HEAD}steps:\n  - say: a\n    halfway: true\n    hold: 5\n",
        "5:5: `halfway` belongs in `cues:` under a `hold:` or `rest:`, not in a step",
    ),
    case(f"{HEAD}times: 3\nsteps: [a]\n", "3:1: `times` belongs in `breathe:`, not in the routine"),
    case(
        f"{HEAD}steps:\n  - say: a\n    steps: [b]\n",
        "5:5: `steps` belongs at the top of the "
        "routine or in a `section`, `repeat` or `each_side` step, not in a step",
    ),
    case(
        f"{HEAD}steps:\n  - say: a\n    hold: 5\n    cues: {{halfwya: true}}\n",
        "6:12: unknown key `halfwya` in `cues`; did you mean `halfway`?",
    ),
    case(
        f"{HEAD}steps:\n  - sya: hello\n", "4:5: unknown key `sya` in a step; did you mean `say`?"
    ),
    case(
        f"{HEAD}steps:\n  - repaet: 2\n    steps: [a]\n",
        "4:5: unknown key `repaet` in a step; did you mean `repeat`?",
    ),
    case(
        f"{HEAD}steps:\n  - say: a\n    colour: red\n",
        "5:5: unknown key `colour` in a step; it takes `say`, `title`",
    ),
]


@pytest.mark.parametrize(("body", "expected"), ROOT)
def test_the_first_message_is_the_root_cause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: str
) -> None:
    code, first = check(tmp_path, body, capsys)
    assert code == 1
    assert first.startswith(expected), first


@pytest.mark.parametrize(
    ("body", "only"),
    [
        ("nightvoice: 1\ntitel: T\nsteps: [a]\n", "titel"),
        (
            ASK.format(name="side", say="Which?", choices="{ll: left}", default="left")
            + "steps:\n  - The {side} leg, then the {other_side}.\n",
            "each choice key",
        ),
        (f"{HEAD}steps:\n  - sya: hello\n", "did you mean `say`"),
        (f"{HEAD}steps:\n  - repaet: 2\n    steps: [a]\n", "did you mean `repeat`"),
    ],
)
def test_a_root_cause_brings_no_follow_on_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, only: str
) -> None:
    """No "missing `title`", no "needs 2 to 9 choices", no `{side}` errors after it."""
    path = tmp_path / "r.yaml"
    path.write_text(body)
    assert run(["check", str(path)]) == 1
    problems = capsys.readouterr().err.splitlines()[:-1]
    assert len(problems) == 1 and only in problems[0], problems


# -- messages that say how to fix it ------------------------------------------------------------
FIX = [
    case(hold('"30"'), '5:11: `hold` is `"30"`, which is text in quotes; write 30'),
    case(hold("'30'"), "5:11: `hold` is `'30'`, which is text in quotes; write 30"),
    case(
        f"{HEAD}steps:\n  - say: a\n    rest: 1:45\n",
        "5:11: `rest` must be a number of "
        "seconds, more than 0 and at most 3600, not `1:45`; YAML 1.1 reads `1:45` as "
        "minutes:seconds (105); write the seconds as one number: 105",
    ),
    case(
        f"{HEAD}steps:\n  - say: a\n    pause: 1:00:30\n",
        "5:12: `pause` must be a number of "
        "seconds, more than 0 and at most 600, not `1:00:30`; YAML 1.1 reads `1:00:30` as "
        "minutes:seconds (3630)",
    ),
    case(hold("010"), f"5:11: {RANGE} `010`; YAML 1.1 reads a leading 0 as octal; write 10"),
    case(hold("0x1E"), f"5:11: {RANGE} `0x1E`; write it as a plain decimal number: 30"),
    case(
        f"{HEAD}steps:\n  - say: yes\n",
        '4:10: `say` is `yes`, which YAML reads as true or false; write it in quotes: "yes"',
    ),
    case(
        f"{HEAD}steps:\n  - No\n",
        '4:5: a step is `No`, which YAML reads as true or false; write it in quotes: "No"',
    ),
    case("title: off\nnightvoice: 1\nsteps: [a]\n", "1:8: `title` is `off`, which YAML reads"),
    case(
        f"{HEAD}steps:\n  - say: null\n",
        '4:10: `say` is `null`, which YAML reads as nothing; write it in quotes: "null"',
    ),
    case(
        ASK.format(name="ok", say="Better?", choices="{y: yes, n: no}", default='"yes"')
        + "steps: [a]\n",
        "6:16: the value for choice `y` is `yes`, which YAML reads as true or false; "
        'write it in quotes: "yes"',
    ),
    case(
        f'{HEAD}chime: "no"\nsteps: [a]\n',
        '3:8: `chime` must be true or false, not `"no"`; write no without quotes',
    ),
    case(
        f"{HEAD}volume: 3\nsteps: [a]\n", "3:9: `volume` must be at least 0 and at most 1, not `3`"
    ),
    case(
        f"{HEAD}rate: 12.5\nsteps: [a]\n", "3:7: `rate` (words per minute) must be a whole number"
    ),
    case(
        f"{HEAD}steps:\n\t- a\n",
        "4:1: YAML syntax: tabs are not allowed for indentation; use spaces",
    ),
    case(f"{HEAD}steps:\n  - say: a\n  \thold: 3\n", "5:3: YAML syntax: tabs are not allowed"),
    case(
        f"{HEAD}steps:\n  - say: a\n   hold: 3\n",
        "5:4: YAML syntax: the indentation is off: "
        "this line starts at column 4, but line 4 (`- say: a`), which it seems to continue, "
        "starts at column 5",
    ),
    case(
        f"{HEAD}steps:\n  - say: a\n    hold: 3\n - b\n",
        "6:2: YAML syntax: the indentation is "
        "off: this list item starts at column 2, but line 4 (`- say: a`)",
    ),
    case(
        f"{HEAD}steps:\n  - say: Note: slowly\n",
        "4:14: YAML syntax: a `: ` inside a value; put the whole value in quotes",
    ),
    case(
        "nightvoice: 1\ntitle: 'T\nsteps: [a]\n",
        "2:8: YAML syntax: the `'` opened at 2:8 is never closed; add `'` at the end of the text",
    ),
]


@pytest.mark.parametrize(("body", "expected"), FIX)
def test_messages_quote_the_value_and_say_how_to_fix_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: str
) -> None:
    code, first = check(tmp_path, body, capsys)
    assert code == 1
    assert first.startswith(expected), first


def test_unquoted_yes_no_choices_are_not_counted_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = ASK.format(name="ok", say="Better?", choices="{y: yes, n: no}", default="yes")
    path = tmp_path / "r.yaml"
    path.write_text(body + "steps: [a]\n")
    assert run(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "needs between 2 and 9" not in err and "must be one of" not in err
    assert err.count("write it in quotes") == 3


# -- what a new user met: the same messages through `check` ------------------------------------
@pytest.mark.parametrize(("body", "expected"), NEW_USER)
def test_check_says_what_a_new_user_met_in_plain_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: str
) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(body, encoding="utf-8")
    assert run(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith(f"{path}:{expected}"), err
    assert len(err.splitlines()) == 2  # the problem and "1 of 1 file(s) have problems"
    assert "\x1b" not in err and "\u202e" not in err  # escaped, never sent to the terminal


AS_TYPED = [
    (["check", "Grüße\x1b[2J.yaml"], "Grüße\\x1b[2J.yaml:1:1: cannot read the file"),
    (["play", "Grüße\x1b[2J.yaml"], "nightvoice: no routine file at Grüße\\x1b[2J.yaml"),
    (["play", "grüße\x1b[2J"], "nightvoice: `grüße\\x1b[2J` is not a routine name"),
    (["config", "set", "rate", "schnell\x07"], "nightvoice: `rate` must be a whole number of "
     "words a minute from 80 to 300, not `schnell\\x07`"),
    (["config", "set", "räte\x1b", "1"], "nightvoice: unknown setting `räte\\x1b`"),
    (["config", "unset", "räte\x1b"], "nightvoice: `räte\\x1b` is not in "),
    (["config", "set", "voice", "stimme-ü\x1b"], "nightvoice: there is no voice named "
     "`stimme-ü\\x1b`"),
    (["remind", "zwölf\x1b"], "nightvoice: `zwölf\\x1b` is not a time"),
    (["help", "hilfe-ü\x1b"], "no command or guide named `hilfe-ü\\x1b`"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "expected"), AS_TYPED)
def test_what_the_user_typed_is_shown_as_typed_and_never_drives_the_terminal(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) != 0
    err = capsys.readouterr().err
    assert expected in err and "\x1b" not in err and "\x07" not in err, err
