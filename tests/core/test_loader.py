"""The loader: valid routines load; every problem is reported at once with its location."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from nightvoice.core.errors import RoutineError
from nightvoice.core.loader import parse_routine
from nightvoice.core.routine import EachSide, Repeat, Section, Step
from nightvoice.user.catalog import load_routine

# The YAML test suite's documents (MIT), kept in the repository so a fresh clone tests alone.
CORPUS = Path(__file__).resolve().parents[1] / "data" / "yaml-test-suite"
MISSING_CORPUS = (
    f"the YAML test suite's documents are missing from {CORPUS}: "
    "they are part of the repository (restore them with `git checkout -- tests/data`)"
)
LOCATED = re.compile(r"^(?P<path>.+):(?P<line>\d+):(?P<col>\d+): \S.*")

GOOD = b"""\
nightvoice: 1
title: Test
rate: 120
volume: 0.5
ask:
  name: side
  say: Which leg?
  choices: {l: left, r: right}
  default: right
steps:
  - Sit up.
  - section: Stretch
    steps:
      - each_side: true
        steps:
          - say: Stretch the {side} leg, then the {other_side}.
            hold: 20
            cues: {halfway: true, countdown: 3, release: Let go.}
      - repeat: 2
        steps:
          - say: Round {round} of {rounds}.
            rest: 5
  - say: Breathe.
    breathe: {in: 4, hold: 2, out: 6, times: 3}
  - say: Ready?
    wait_for_key: true
  - say: Keep holding.
    until_eased: {max: 60, every: 10}
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(RoutineError) as caught:
        parse_routine(text.encode(), "r.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_routine_using_every_feature_loads_into_the_model() -> None:
    routine = parse_routine(GOOD, "good.yaml")
    assert routine.title == "Test"
    assert routine.voice.rate == 120
    assert routine.ask is not None and routine.ask.choices == {"l": "left", "r": "right"}
    first, section, breathe, wait, eased = routine.steps
    assert first == Step(say="Sit up.", line=11)
    assert isinstance(section, Section) and section.name == "Stretch"
    sides, repeat = section.steps
    assert isinstance(sides, EachSide) and isinstance(repeat, Repeat) and repeat.times == 2
    hold = sides.steps[0]
    assert isinstance(hold, Step) and hold.hold == 20 and hold.cues.countdown == 3
    assert hold.cues.release == "Let go."
    assert isinstance(breathe, Step) and breathe.breathe is not None
    assert breathe.breathe.times == 3
    assert isinstance(wait, Step) and wait.wait_for_key
    assert isinstance(eased, Step) and eased.until_eased is not None
    assert eased.until_eased.every == 10


def test_every_built_in_routine_loads(builtin_routines: list[Path]) -> None:
    assert len(builtin_routines) >= 6
    for path in builtin_routines:
        assert load_routine(path).title


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "nightvoice: 1\ntitle: T\nsteps:\n  - say: x\n    hodl: 30\n",
            "r.yaml:5:5: unknown key `hodl` in a step; did you mean `hold`?",
        ),
        (
            "nightvoice: 1\ntitle: T\nsteps:\n  - say: x\n    hold: -5\n",
            "r.yaml:5:11: `hold` must be more than 0 and at most 3600, not `-5`",
        ),
        (
            "nightvoice: 1\ntitle: T\nsteps:\n  - say: x\n    hold: 99999\n",
            "r.yaml:5:11: `hold` must be more than 0 and at most 3600, not `99999`",
        ),
        (
            "nightvoice: 1\ntitle: T\nsteps:\n  - say: x\n    hold: long\n",
            "r.yaml:5:11: `hold` must be a number of seconds, more than 0 and at most 3600, not `long`",
        ),
        (
            "nightvoice: 1\ntitle: T\nsteps: []\n",
            "r.yaml:3:8: `steps` is empty; add at least one step",
        ),
        ("nightvoice: 1\ntitle: T\nsteps:\n  - {}\n", "r.yaml:4:5: this step is empty"),
        ("nightvoice: 2\ntitle: T\nsteps: [x]\n", "r.yaml:1:13: unknown format version 2"),
        ("title: T\nsteps: [x]\n", "r.yaml:1:1: the routine has no format version"),
        ("- a\n- b\n", "r.yaml:1:1: a routine must be a mapping"),
        (
            "nightvoice: 1\ntitle: T\ntitle: U\nsteps: [x]\n",
            "r.yaml:3:1: `title` appears twice in the routine (first on line 2)",
        ),
        (
            "nightvoice: 1\ntitle: [T\n",
            "r.yaml:2:8: YAML syntax: the `[` opened at 2:8 is never closed",
        ),
        (
            "nightvoice: 1\ntitle: T\nsteps:\n  - say: x\n    hold: 5\n    pause: 2\n",
            "r.yaml:6:5: a step can do only one of `hold`, `pause`",
        ),
        (
            "nightvoice: 1\ntitle: T\nsteps:\n  - say: x\n    pause: 5\n    cues: {halfway: true}\n",
            "r.yaml:6:5: `cues` only go with `hold:` or `rest:`",
        ),
        (
            "nightvoice: 1\ntitle: T\nsteps:\n  - say: Stretch the {sdie} leg.\n",
            "r.yaml:4:10: `say` uses an unknown variable `{sdie}`; did you mean `side`?",
        ),
        (
            "nightvoice: 1\ntitle: T\nsteps:\n  - say: Round {round}.\n",
            "r.yaml:4:10: `say` uses an unknown variable `{round}`",
        ),
        (
            "nightvoice: 1\ntitle: T\nvolume: 3\nsteps: [x]\n",
            "r.yaml:3:9: `volume` must be at least 0 and at most 1, not `3`",
        ),
        (
            "nightvoice: 1\ntitle: T\nvolume: loud\nsteps: [x]\n",
            "r.yaml:3:9: `volume` must be a number, at least 0 and at most 1, not `loud`",
        ),
        (
            "nightvoice: 1\ntitle: T\nsteps:\n  - say: x\n    hold: 5\n    cues: {countdown: 5}\n",
            "r.yaml:6:23: `cues` `countdown: 5` does not fit in 5 s",
        ),
        (
            "nightvoice: 1\ntitle: T\nask: {name: side, say: Q, choices: {l: left, r: right}, "
            "default: middle}\nsteps: [x]\n",
            "r.yaml:3:66: `ask` `default` must be one of `left`, `right`",
        ),
    ],
)
def test_each_problem_is_located_and_says_how_to_fix_it(text: str, expected: str) -> None:
    found = problems_of(text)
    assert any(problem.startswith(expected) or expected in problem for problem in found), found


def test_all_problems_are_reported_at_once_in_file_order() -> None:
    found = problems_of(
        "nightvoice: 1\ntitle: T\nrate: 10\nsteps:\n  - say: a\n    hodl: 3\n  - say: b\n    hold: 0\n"
    )
    assert [p.split(": ")[0] for p in found] == ["r.yaml:3:7", "r.yaml:6:5", "r.yaml:8:11"]


def test_not_utf8_is_located_at_the_bad_byte() -> None:
    with pytest.raises(RoutineError) as caught:
        parse_routine(b"nightvoice: 1\ntitle: caf\xe9\n", "r.yaml")
    assert str(caught.value.problems[0]).startswith("r.yaml:2:11: the file is not UTF-8")


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"# only a comment\n"])
def test_an_empty_file_says_what_a_routine_needs(data: bytes) -> None:
    with pytest.raises(RoutineError) as caught:
        parse_routine(data, "r.yaml")
    message = str(caught.value)
    assert message.startswith("r.yaml:1:1: the file")
    assert "nightvoice" in message


def test_a_utf8_bom_is_accepted() -> None:
    assert parse_routine(b"\xef\xbb\xbf" + GOOD, "bom.yaml").title == "Test"


def test_a_self_referencing_alias_is_refused_not_looped() -> None:
    found = problems_of("nightvoice: 1\ntitle: T\nsteps: &s\n  - repeat: 2\n    steps: *s\n")
    assert any("nest at most 4 deep" in problem for problem in found)


def test_a_missing_file_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(RoutineError) as caught:
        load_routine(tmp_path / "nope.yaml")
    assert str(caught.value).startswith(f"{tmp_path / 'nope.yaml'}:1:1: cannot read the file")


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*/*.yaml"))


def test_the_yaml_test_suite_corpus_is_present_with_its_licence() -> None:
    """The corpus tests below must not pass vacuously: every document is there, both kinds."""
    assert CORPUS.is_dir(), MISSING_CORPUS
    assert "MIT License" in (CORPUS / "LICENSE").read_text(encoding="utf-8")
    assert len(list(CORPUS.glob("valid/*.yaml"))) >= 300, MISSING_CORPUS
    assert len(list(CORPUS.glob("error/*.yaml"))) >= 90, MISSING_CORPUS


# Without the documents this is one failing case naming them, never an empty (skipped) table.
@pytest.mark.parametrize(
    "path",
    corpus_files() or [pytest.param(None, id="corpus-missing")],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_every_yaml_test_suite_document_gets_a_clean_located_error(path: Path | None) -> None:
    """Invalid YAML, and valid YAML that is no routine: never a traceback, always located."""
    assert path is not None, MISSING_CORPUS
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    for problem in caught.value.problems:
        match = LOCATED.match(str(problem))
        assert match, str(problem)
        assert match["path"] == str(path)
        assert int(match["line"]) >= 1 and int(match["col"]) >= 1
        assert "\n" not in str(problem)


@pytest.mark.parametrize(
    ("say", "expected"),
    [
        ("hello {side:d}", "has `{side:d}`; a variable is a plain word in braces"),
        ("{side!r} leg", "has `{side!r}`"),
        ("{side:>{other_side}}", "has `{side:>{other_side}}`"),
        ("{side.upper}", "has `{side.upper}`"),
        ("{} leg", "has `{}`"),
        ("an { unmatched", "has an unmatched `{` or `}`"),
    ],
)
def test_only_plain_variables_are_accepted_in_texts(say: str, expected: str) -> None:
    """What `check` accepts must play: str.format would crash on these or speak them oddly."""
    found = problems_of(f'nightvoice: 1\ntitle: T\nsteps:\n  - say: "{say}"\n')
    assert any(expected in problem for problem in found), found


def test_a_section_name_is_checked_like_any_text() -> None:
    found = problems_of(
        "nightvoice: 1\ntitle: T\nsteps:\n  - section: Stretch {x\n    steps: [a]\n"
    )
    assert found == [
        "r.yaml:4:14: `section` (its name) has an unmatched `{` or `}`; write `{{` or `}}` for a brace"
    ]


@pytest.mark.parametrize(
    ("written", "fix"),
    [
        ("01", "write 1 without the leading zero"),
        ("0x1", "write it as a plain decimal number: 1"),
        ('"1"', 'write 1, not `"1"`'),
    ],
)
def test_the_version_is_written_as_a_plain_1(written: str, fix: str) -> None:
    """YAML 1.1's other integer forms are refused with the plain way to write them."""
    (problem,) = problems_of(f"nightvoice: {written}\ntitle: T\nsteps: [a]\n")
    assert problem.startswith("r.yaml:1:13: `nightvoice` is the format version") and fix in problem


@pytest.mark.parametrize("written", ["1:00", "0b2", "1_0_", "0o9", "0x", "1e400"])
def test_an_odd_number_is_never_a_crash(written: str) -> None:
    """As a version it is a located problem; as a hold it loads or is a located problem."""
    with pytest.raises(RoutineError) as caught:
        parse_routine(f"nightvoice: {written}\ntitle: T\nsteps: [a]\n".encode(), "r.yaml")
    assert all(LOCATED.match(str(p)) for p in caught.value.problems)
    hold = f"nightvoice: 1\ntitle: T\nsteps:\n  - say: a\n    hold: {written}\n"
    problems = []
    try:
        parse_routine(hold.encode(), "r.yaml")
    except RoutineError as error:
        problems = error.problems
    assert all(LOCATED.match(str(p)) for p in problems)


def corpus_scalars() -> list[yaml.ScalarNode]:
    """Every distinct scalar of the valid corpus documents: each tag, style and number form."""
    assert CORPUS.is_dir(), MISSING_CORPUS
    seen: dict[tuple[str, str, str | None], yaml.ScalarNode] = {}
    for path in sorted(CORPUS.glob("valid/*.yaml")):
        try:
            documents = list(yaml.compose_all(path.read_text(encoding="utf-8"), yaml.SafeLoader))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        stack: list[yaml.Node] = [d for d in documents if d is not None]
        visited: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in visited:
                continue
            visited.add(id(node))
            if isinstance(node, yaml.ScalarNode):
                seen.setdefault((node.tag, node.value, node.style), node)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
            elif isinstance(node, yaml.MappingNode):
                stack.extend(n for pair in node.value for n in pair)
    return list(seen.values())


def routine_with(field: str, value: yaml.Node) -> bytes:
    """A routine whose step has `field: value`, written out by PyYAML itself."""

    def scalar(text: str, tag: str = "tag:yaml.org,2002:str") -> yaml.ScalarNode:
        return yaml.ScalarNode(tag, text)

    step = [(scalar("say"), scalar("a"))] if field != "say" else []
    step.append((scalar(field), value))
    root = yaml.MappingNode(
        "tag:yaml.org,2002:map",
        [
            (scalar("nightvoice"), scalar("1", "tag:yaml.org,2002:int")),
            (scalar("title"), scalar("T")),
            (
                scalar("steps"),
                yaml.SequenceNode(
                    "tag:yaml.org,2002:seq", [yaml.MappingNode("tag:yaml.org,2002:map", step)]
                ),
            ),
        ],
    )
    return yaml.serialize(root, allow_unicode=True).encode("utf-8")


def test_every_corpus_scalar_in_a_number_or_text_field_loads_or_is_located() -> None:
    """Each tag, quoting style and number form the YAML test suite uses, as a `hold`, a
    `pause`, a `say` and a `chime`: a routine, or located one-line problems, never a crash."""
    scalars = corpus_scalars()
    assert len(scalars) > 400
    int_tag, float_tag = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
    scalars += [  # the forms that crashed 0.1: an empty !!int, a 400-digit number
        yaml.ScalarNode(int_tag, ""),
        yaml.ScalarNode(int_tag, "1" + "0" * 400),
        yaml.ScalarNode(float_tag, "1" + "0" * 400 + ".5"),
        yaml.ScalarNode(int_tag, "-0x" + "f" * 300),
        yaml.ScalarNode(int_tag, "1:" * 200 + "1"),
    ]
    crashes = []
    for node in scalars:
        for field in ("hold", "pause", "say", "chime"):
            data = routine_with(field, node)
            try:
                parse_routine(data, "r.yaml")
            except RoutineError as error:
                bad = [str(p) for p in error.problems if not LOCATED.match(str(p))]
                bad += [str(p) for p in error.problems if "\n" in str(p)]
                if bad:
                    crashes.append((field, node.tag, node.value[:40], bad))
            except Exception as error:  # the bug this test is for
                crashes.append((field, node.tag, node.value[:40], repr(error)))
    assert crashes == []


def test_the_question_says_its_answer_back_with_only_its_own_variable() -> None:
    """`ask.confirm` may use `{NAME}` only; without it the answer itself is said back."""
    base = "nightvoice: 1\ntitle: T\nask:\n  name: side\n  say: Which?\n"
    base += "  choices: {l: left, r: right}\n  default: left\n"
    confirmed = parse_routine(
        (base + '  confirm: "{side} leg."\nsteps: [Go.]\n').encode(), "r.yaml"
    )
    assert confirmed.ask is not None and confirmed.ask.confirm == "{side} leg."
    plain = parse_routine((base + "steps: [Go.]\n").encode(), "r.yaml")
    assert plain.ask is not None and plain.ask.confirm == "{side}."
    problems = problems_of(base + '  confirm: "{round} leg."\nsteps: [Go.]\n')
    assert problems == ["r.yaml:8:12: `ask` `confirm` can only use `{side}`, not `{round}`"]


# -- what a new user met (issue 21): each family of message, as the loader and `check` give it --
HEAD = "nightvoice: 1\ntitle: T\n"
STEP = HEAD + "steps:\n  - say: Stretch.\n"
CUT = "is cut in two at the comma"
NEW_USER = [
    # A plain text in `{...}` or `[...]` that a comma or `: ` cut in two: say to quote it.
    (
        STEP + "    until_eased: {max: 60, every: 10, check_in: Drücke Enter, wenn es nachlässt.}\n",
        f"5:49: the text of `check_in` {CUT} (`wenn es nachlässt.` became a key of its own): "
        'inside `{...}` a comma ends an entry; put the whole text in quotes: check_in: "Drücke '
        'Enter, wenn es nachlässt."',
    ),
    (
        STEP + "    hold: 20\n    cues: {halfway: true, release: Let go, slowly}\n",
        f'6:36: the text of `release` {CUT} (`slowly` became a key of its own): inside `{{...}}` '
        'a comma ends an entry; put the whole text in quotes: release: "Let go, slowly"',
    ),
    (
        HEAD + "steps:\n  - breathe: {in: 4, out: 6, times: 3, words: {in: Breathe in, slowly}}\n",
        f'4:52: the text of `in` {CUT} (`slowly` became a key of its own)',
    ),
    (HEAD + "steps:\n  - {say: Hello, world}\n", f'4:11: the text of `say` {CUT} (`world`'),
    (
        HEAD + "steps:\n  - {Sit up straight, hold: 5}\n",
        "4:6: `Sit up straight` has no `: value`; inside `{...}` a comma ends an entry, so a "
        "text with a comma in it goes in quotes",
    ),
    (
        HEAD + "ask:\n  name: side\n  say: Which?\n  choices: {l: the left leg, the one that "
        "hurts, r: right}\n  default: right\nsteps: [a]\n",
        f'6:16: the text of `l` {CUT} (`the one that hurts` became a key of its own)',
    ),
    (
        HEAD + "steps: [Note: go slowly, Breathe.]\n",
        "3:9: `Note: go slowly` inside `[...]` reads as `key: value` because of its `: `; put "
        'the whole text in quotes: "Note: go slowly"',
    ),
    (
        HEAD + "steps:\n  - {say: Note: slowly}\n",
        "4:15: YAML syntax: a `: ` inside the `{...}` opened at 4:5; put a text with `: ` in it "
        'in quotes, like {say: "Note: slowly"}',
    ),
    (
        STEP + "    hold: 20\n    cues: {release: Hold, then: let go}\n",
        "6:27: unknown key `then` in `cues`; it takes `count`, `halfway`, `countdown`, "
        "`release` (or, if the comma before it cut the text of `release`, put the whole text in "
        'quotes: release: "Hold, then: let go")',
    ),
    (
        STEP + "    until_eased: {max: 1,5}\n",
        "5:24: `max: 1,5` is cut at the comma; write the decimal point as a dot: 1.5",
    ),
    (
        STEP + "    until_eased: {max: 60 every: 10}\n",
        "5:32: YAML syntax: a comma is missing before `every:` in the `{...}` opened at 5:18; "
        "write `60, every:`",
    ),
    # A bracket or quote never closed (or closed wrongly): name it and where it was opened.
    (
        HEAD + "steps: [\n",
        "3:8: YAML syntax: the `[` opened at 3:8 is never closed; add `]` after its last item",
    ),
    (
        STEP + "    cues: {halfway: true\n    hold: 5\n",
        "5:11: YAML syntax: the `{` opened at 5:11 is never closed; add `}` after its last entry",
    ),
    (
        HEAD + "steps: [a, {say: b]\n",
        "3:19: YAML syntax: the `{` opened at 3:12 is closed with `]`; close it with `}`",
    ),
    (
        HEAD + "steps: [a, b]]\n",
        "3:14: YAML syntax: this `]` closes nothing; remove it, or add the `[` it closes",
    ),
    (
        "nightvoice: 1\ntitle: 'T\nsteps: [a]\n",
        "2:8: YAML syntax: the `'` opened at 2:8 is never closed; add `'` at the end of the text",
    ),
    (
        HEAD + "steps:\n  - say: 'Stretch\n  - say: 'Breathe.'\n",
        "4:10: YAML syntax: the `'` opened at 4:10 is not closed on its line, so the text runs "
        "on to the `'` on line 5; add `'` at the end of line 4",
    ),
    (
        HEAD + "steps:\n  - say: 'Don't walk it off'\n",
        "4:14: YAML syntax: this `'` ends the text in quotes opened at 4:10; for a `'` inside "
        "the text, write it twice (`''`), or put the whole text in double quotes",
    ),
    (
        HEAD + 'steps:\n  - say: "Say "now" softly"\n',
        '4:15: YAML syntax: this `"` ends the text in quotes opened at 4:10; for a `"` inside '
        'the text, write it as `\\"`, or put the whole text in single quotes',
    ),
    # What the user wrote, as typed; what cannot be printed, escaped (never sent raw).
    (STEP + "    häld: 3\n", "5:5: unknown key `häld` in a step; did you mean `hold`?"),
    (STEP + "    hold: zwölf\n", "5:11: `hold` must be a number of seconds, more than 0 and "
     "at most 3600, not `zwölf`"),
    ("nightvoice: zwei\ntitle: T\nsteps: [a]\n", "1:13: `nightvoice` is the format version: "
     "write 1, not `zwei`"),
    (STEP + '    "hold\\e[2J": 3\n', "5:5: unknown key `hold\\x1b[2J` in a step"),
    (STEP + '    "ho\\nld": 3\n', "5:5: unknown key `ho\\nld` in a step"),
    (STEP + '    hold: "\\e[2J"\n', '5:11: `hold` must be a number of seconds, more than 0 and '
     'at most 3600, not `"\\x1b[2J"`'),
    (STEP + '    hold: "\\u202e5"\n', '5:11: `hold` must be a number of seconds, more than 0 '
     'and at most 3600, not `"\\u202e5"`'),
    (STEP + "    hodl\x1b: 3\n", "5:9: the file has a control character U+001B here, which YAML "
     "does not allow; remove it"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), NEW_USER)
def test_what_a_new_user_meets_is_one_message_saying_what_to_write(
    text: str, expected: str
) -> None:
    """One message per mistake (no follow-ons), located, naming the cause and the fix."""
    found = problems_of(text)
    assert len(found) == 1 and found[0].startswith(f"r.yaml:{expected}"), found
