"""The YAML reader: located nodes, YAML 1.1's surprises refused, syntax errors in plain words."""

from __future__ import annotations

import pytest
import yaml

from nightvoice.core.reader import YamlReader, _YamlLoader


def composed(text: str) -> tuple[YamlReader, yaml.Node | None]:
    reader = YamlReader("f.yaml")
    decoded = reader.decode(text.encode("utf-8"))
    return reader, reader.compose(decoded) if decoded is not None else None


def problems(reader: YamlReader) -> list[str]:
    return [str(p) for p in reader.sorted_problems()]


def value_of(text: str) -> tuple[YamlReader, yaml.Node]:
    """The reader and the node of `v:` in a one-key document."""
    reader, root = composed(text)
    assert isinstance(root, yaml.MappingNode), problems(reader)
    return reader, root.value[0][1]


# -- YAML 1.1's surprises: each refused where it is, with the plain way to write it ------------
NUMBERS = [
    (
        "1:45",
        "YAML 1.1 reads `1:45` as minutes:seconds (105); write the seconds as one number: 105",
    ),
    ("010", "YAML 1.1 reads a leading 0 as octal; write 10 without the leading zero"),
    ("0x1E", "write it as a plain decimal number: 30"),
    ("0b101", "write it as a plain decimal number: 5"),
    (".inf", "write a plain number"),
    ("30s", "write the number of seconds alone: 30"),
    ("1,5", "write the decimal point as a dot: 1.5"),
    ('"30"', '`v` is `"30"`, which is text in quotes; write 30'),
    ("1e3", "which is text to YAML (a number needs a dot before an exponent); write 1000"),
    ("yes", "not `yes` (YAML reads it as true/false)"),
    ("~", "`v` has no value"),
    ("!!binary aGk=", "`v` has the YAML tag `!!binary`, which nightvoice does not use"),
]


@pytest.mark.parametrize(("written", "expected"), NUMBERS)
def test_a_number_in_any_other_form_is_refused_with_how_to_write_it(
    written: str, expected: str
) -> None:
    reader, node = value_of(f"v: {written}\n")
    assert reader.number(node, "`v`", low=0, high=3600) is None
    (problem,) = problems(reader)
    assert problem.startswith("f.yaml:1:4: `v` ") and expected in problem, problem


def test_a_plain_number_reads_exactly() -> None:
    reader, node = value_of("v: 1_000.5\n")
    assert reader.number(node, "`v`", low=0, high=3600) == 1000.5
    assert problems(reader) == []


TEXTS = [
    (
        "yes",
        'f.yaml:1:4: `v` is `yes`, which YAML reads as true or false; write it in quotes: "yes"',
    ),
    (
        "Off",
        'f.yaml:1:4: `v` is `Off`, which YAML reads as true or false; write it in quotes: "Off"',
    ),
    ("null", 'f.yaml:1:4: `v` is `null`, which YAML reads as nothing; write it in quotes: "null"'),
    ("[a, b]", "f.yaml:1:4: `v` must be text, not a list"),
    ('"a\\x1bb"', "f.yaml:1:4: `v` has a control character (U+001B)"),
    ("!foo bar", "f.yaml:1:4: `v` has the YAML tag `!foo`"),
]


@pytest.mark.parametrize(("written", "expected"), TEXTS)
def test_a_text_yaml_would_read_as_something_else_is_refused(written: str, expected: str) -> None:
    reader, node = value_of(f"v: {written}\n")
    reader.text_value(node, "`v`")
    (problem,) = problems(reader)
    assert problem.startswith(expected), problem


@pytest.mark.parametrize(("written", "value"), [("on", True), ("No", False), ("true", True)])
def test_a_true_or_false_takes_yaml_1_1_words_where_they_can_mean_nothing_else(
    written: str, value: bool
) -> None:
    reader, node = value_of(f"v: {written}\n")
    assert reader.boolean(node, "`v`") is value and problems(reader) == []


def test_a_true_or_false_in_quotes_is_text() -> None:
    reader, node = value_of('v: "no"\n')
    assert reader.boolean(node, "`v`") is None
    assert problems(reader) == [
        'f.yaml:1:4: `v` must be true or false, not `"no"`; write no without quotes'
    ]


# -- mappings ------------------------------------------------------------------------------------
def test_a_mapping_reports_duplicates_merge_keys_and_unknown_keys_all_at_once() -> None:
    reader, root = composed("rate: 1\nrat: 2\nrate: 3\n<<: {a: 1}\n")
    assert root is not None
    entries = reader.mapping(root, ("rate", "volume"), "config.yaml")
    assert entries is not None and list(entries) == ["rate"]
    assert problems(reader) == [
        "f.yaml:2:1: unknown key `rat` in config.yaml; did you mean `rate`?",
        "f.yaml:3:1: `rate` appears twice in config.yaml (first on line 1)",
        "f.yaml:4:1: nightvoice does not read YAML merge keys (`<<`); write the keys out",
    ]


def test_a_mapping_that_is_not_one_says_what_it_is() -> None:
    reader, root = composed("- a\n- b\n")
    assert root is not None and reader.mapping(root, None, "config.yaml") is None
    assert problems(reader) == [
        "f.yaml:1:1: config.yaml must be a mapping of `key: value` lines, not a list"
    ]


# -- a text cut in two by a comma or `: ` inside `{...}` or `[...]` ------------------------------
CUTS = [
    (
        "v: {max: 60, every: 10, check_in: Drücke Enter, wenn es nachlässt.}\n",
        "f.yaml:1:35: the text of `check_in` is cut in two at the comma (`wenn es nachlässt.` "
        "became a key of its own): inside `{...}` a comma ends an entry; put the whole text in "
        'quotes: check_in: "Drücke Enter, wenn es nachlässt."',
    ),
    (
        "v: {check_in: Slowly, gently, softly}\n",
        "f.yaml:1:15: the text of `check_in` is cut in two at the comma (`gently` became a key "
        "of its own): inside `{...}` a comma ends an entry; put the whole text in quotes: "
        'check_in: "Slowly, gently, softly"',
    ),
    (
        "v: {Keep holding, max: 60}\n",
        "f.yaml:1:5: `Keep holding` has no `: value`; inside `{...}` a comma ends an entry, so "
        "a text with a comma in it goes in quotes",
    ),
    (
        "v: {max: 1,5}\n",
        "f.yaml:1:10: `max: 1,5` is cut at the comma; write the decimal point as a dot: 1.5",
    ),
    (
        "v: [Note: hold it, b]\n",
        "f.yaml:1:5: `Note: hold it` inside `[...]` reads as `key: value` because of its `: `; "
        'put the whole text in quotes: "Note: hold it"',
    ),
    (
        "v: {check_in: Hold, then: let go}\n",
        "f.yaml:1:21: unknown key `then` in `v`; it takes `max`, `every`, `check_in` (or, if the "
        "comma before it cut the text of `check_in`, put the whole text in quotes: check_in: "
        '"Hold, then: let go")',
    ),
    (  # an anchor before the `{` changes nothing
        "v: &a {check_in: Slowly, gently}\n",
        "f.yaml:1:18: the text of `check_in` is cut in two at the comma (`gently` became a key "
        "of its own): inside `{...}` a comma ends an entry; put the whole text in quotes: "
        'check_in: "Slowly, gently"',
    ),
    (  # a misspelt key after a text is a misspelt key
        "v: {check_in: Hold, evrey: 5}\n",
        "f.yaml:1:21: unknown key `evrey` in `v`; did you mean `every`?",
    ),
    (  # a key with no value after a number is a misspelt key too, not the number's rest
        "v: {max: 60, evry}\n",
        "f.yaml:1:14: unknown key `evry` in `v`; did you mean `every`?",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CUTS)
def test_a_text_cut_by_a_comma_or_colon_in_brackets_says_to_quote_it(
    text: str, expected: str
) -> None:
    reader, node = value_of(text)
    mapping = node.value[0] if isinstance(node, yaml.SequenceNode) else node
    reader.mapping(mapping, ("max", "every", "check_in"), "`v`")
    assert problems(reader) == [expected]


# -- YAML syntax, in plain words -----------------------------------------------------------------
SYNTAX = [
    ("v: [\n", "1:4: the `[` opened at 1:4 is never closed; add `]` after its last item"),
    ("v: [a, b\nw: T\n", "1:4: the `[` opened at 1:4 is never closed; add `]` after its last item"),
    ("v: {a: 1\n", "1:4: the `{` opened at 1:4 is never closed; add `}` after its last entry"),
    (
        "s:\n  - say: x\n    cues: {halfway: true\n    hold: 5\n",
        "3:11: the `{` opened at 3:11 is never closed; add `}` after its last entry",
    ),
    ("v: {a: [1, 2}\n", "1:13: the `[` opened at 1:8 is closed with `}`; close it with `]`"),
    ("v: [a, {b: 1]\n", "1:13: the `{` opened at 1:8 is closed with `]`; close it with `}`"),
    ("v: [a, b]]\n", "1:10: this `]` closes nothing; remove it, or add the `[` it closes"),
    ("v: 'Stretch\nw: [x]\n", "1:4: the `'` opened at 1:4 is never closed; add `'` at the end"),
    ('v: "Stretch\n', '1:4: the `"` opened at 1:4 is never closed; add `"` at the end of the text'),
    (
        "s:\n  - say: 'Stretch\n  - say: 'Breathe.'\n",
        "2:10: the `'` opened at 2:10 is not closed on its line, so the text runs on to the `'` "
        "on line 3; add `'` at the end of line 2",
    ),
    (
        "s:\n  - say: 'Don't walk it off'\n",
        "2:14: this `'` ends the text in quotes opened at 2:10; for a `'` inside the text, "
        "write it twice (`''`), or put the whole text in double quotes",
    ),
    (
        's:\n  - say: "Say "now" softly"\n',
        '2:15: this `"` ends the text in quotes opened at 2:10; for a `"` inside the text, '
        'write it as `\\"`, or put the whole text in single quotes',
    ),
    (
        "v: {say: Note: slowly}\n",
        "1:14: a `: ` inside the `{...}` opened at 1:4; put a text with `: ` in it in quotes, "
        'like {say: "Note: slowly"} (or, if a new key starts here, put a comma before it)',
    ),
    (
        "v: {max: 60 every: 10}\n",
        "1:18: a comma is missing before `every:` in the `{...}` opened at 1:4; write `60, every:`",
    ),
    ("s:\n  - say: Note: slowly\n", "2:14: a `: ` inside a value; put the whole value in quotes"),
    ("s:\n\t- a\n", "2:1: tabs are not allowed for indentation; use spaces"),
    ("s: *nope\n", "1:4: this alias (`*name`) has no anchor (`&name`) above it"),
    ("a: 1\n---\nb: 2\n", "2:1: the file holds more than one YAML document"),
    (
        "s:\n  - say: grün\n   hold: 3\n",
        "3:4: the indentation is off: this line starts at column 4, but line 2 (`- say: grün`), "
        "which it seems to continue, starts at column 5; line them up with spaces",
    ),
]


@pytest.mark.parametrize(("text", "expected"), SYNTAX)
def test_a_syntax_error_is_located_and_said_in_plain_words(text: str, expected: str) -> None:
    reader, root = composed(text)
    assert root is None
    (problem,) = problems(reader)
    assert problem.startswith(f"f.yaml:{expected.split(': ', 1)[0]}: YAML syntax: ")
    assert problem.removeprefix("f.yaml:").replace("YAML syntax: ", "").startswith(expected)


def test_a_character_yaml_refuses_is_located_where_it_is() -> None:
    reader, root = composed("a: 1\nbü: c\x1bd\n")
    assert root is None
    assert problems(reader) == [
        "f.yaml:2:6: the file has a control character U+001B here, which YAML does not allow; "
        "remove it"
    ]


def test_bytes_that_are_not_utf8_are_located_at_the_bad_byte() -> None:
    reader = YamlReader("f.yaml")
    assert reader.decode(b"a: 1\nb: caf\xe9\n") is None
    assert problems(reader) == [
        "f.yaml:2:7: the file is not UTF-8 (byte 0xe9); save it as UTF-8 in your editor"
    ]
    assert YamlReader("g.yaml").decode(b"\xef\xbb\xbfa: 1\n") == "a: 1\n"  # a BOM is fine


def test_a_file_of_only_comments_is_no_document_and_no_problem() -> None:
    reader, root = composed("# nothing yet\n")
    assert root is None and problems(reader) == []


# -- the remembered tags --------------------------------------------------------------------------
SCALARS = [
    "yes", "No", "on", "~", "null", "", "1", "-2", "0x1E", "0o17", "1_000", "1:45", "1.5",
    ".5", "1e3", "1.0e3", ".inf", "-.Inf", ".nan", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
    "=", "<<", "say", "Let go.", "'yes'", '"1"', "!!str 1", "!!int 1", "x" * 41,
]  # fmt: skip


def test_remembered_scalar_tags_are_the_ones_pyyaml_gives() -> None:
    """The reader remembers how short scalars resolve (for `list`'s hundreds of files): the
    tags it gives, the first time and every time after, are PyYAML's own."""

    def tags(loader: type[yaml.SafeLoader]) -> list[str]:
        document = "".join(f"- {value}\n- {{k: {value}}}\n" for value in SCALARS)
        node = yaml.compose(document, Loader=loader)
        return [f"{n.tag}|{n.value if isinstance(n, yaml.ScalarNode) else ''}" for n in _walk(node)]

    expected = tags(yaml.SafeLoader)
    assert tags(_YamlLoader) == expected
    assert tags(_YamlLoader) == expected  # now from what it remembered


def _walk(node: yaml.Node) -> list[yaml.Node]:
    found = [node]
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            found += _walk(child)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found += _walk(key) + _walk(value)
    return found
