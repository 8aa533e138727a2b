"""What a person writes in YAML (a routine, config.yaml), read one way: strict and located.

YAML bytes are composed into nodes (PyYAML's safe composer: nothing is constructed), so every
value keeps its `file:line:col`. Scalars are then read strictly: YAML 1.1's surprises (`1:45`
as 105, `010` as 8, `no` as false, `null` as nothing) are refused with the plain way to write
them, never read silently. Every problem is collected, so a file's mistakes come all at once.
What the values must be (the routine's schema, the settings) is for the callers.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from nightvoice.core.errors import Problem, shown

_YamlResolver = yaml.resolver.Resolver

try:  # libyaml when present: the same node tree, parsed several times faster
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - pure-Python PyYAML builds
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

_RESOLVED: dict[tuple[Any, Any, Any], str] = {}  # (kind, value, implicit) -> tag; bounded


class _YamlLoader(_SafeLoader):
    """The safe loader, remembering which tag each node resolves to: PyYAML resolves every
    node in Python (a regex per scalar), and the keys, numbers and words of routines repeat
    from file to file (`list` reads hundreds). Only a node's kind, value (None for a list or
    mapping) and implicitness decide its tag here (the safe loader has no path resolvers)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        key = (kind, value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            if len(_RESOLVED) < 10000 and (value is None or len(value) <= 40):
                _RESOLVED[key] = tag
        return tag


INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
STR = "tag:yaml.org,2002:str"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"
MERGE = "tag:yaml.org,2002:merge"
# Tags a file may carry, written or implied; any other (`!!binary`, `!foo`...) is refused.
KNOWN_TAGS = frozenset({INT, FLOAT, BOOL, STR, NULL, TIMESTAMP, SEQ, MAP})
BOOL_WORDS = {
    **dict.fromkeys(("yes", "y", "true", "on"), True),
    **dict.fromkeys(("no", "n", "false", "off"), False),
}
NULL_WORDS = ("", "~", "null", "Null", "NULL")

Entries = dict[str, tuple[yaml.Node, yaml.Node]]  # a mapping's entries: key -> (key, value)

# A character that cuts or garbles speech and screens: NUL and the other controls (Unicode
# category Cc) but newline and tab, and lone surrogates (Cs); one search, not a per-character
# lookup.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class Cut:
    """A text in `{...}` or `[...]` that a comma or `: ` cut in two."""

    node: yaml.Node  # where the text starts: where its opening quote goes
    message: str
    certain: bool  # the whole message; else only a hint after "unknown key" (it may be a typo)


@dataclass
class YamlReader:
    """Reads one file named `source` in messages; every problem found is kept in `problems`."""

    source: str
    problems: list[Problem] = field(default_factory=list)
    written: str = ""  # the decoded file, for messages that quote what was written

    def problem(self, node: yaml.Node | None, message: str) -> None:
        line, column = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (1, 1)
        self.problems.append(Problem(self.source, line, column, message))

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: (p.line, p.column))

    # -- bytes, text and YAML ---------------------------------------------------------------

    def decode(self, data: bytes) -> str | None:
        """The file's text (a UTF-8 BOM is allowed), or None with the bad byte located."""
        try:
            self.written = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            before = data[: error.start]
            line = before.count(b"\n") + 1
            column = len(before) - (before.rfind(b"\n") + 1) + 1
            self.problems.append(
                Problem(
                    self.source,
                    line,
                    column,
                    f"the file is not UTF-8 (byte 0x{data[error.start]:02x}); "
                    "save it as UTF-8 in your editor",
                )
            )
            return None
        return self.written

    def compose(self, text: str) -> yaml.Node | None:
        """The document's root node; None for a document of only comments, or (noted as a
        problem) for text that is not YAML."""
        self.written = text
        loader = _YamlLoader(text)
        try:
            return loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            line, column, what = syntax_message(error, text)
            self.problems.append(Problem(self.source, line, column, f"YAML syntax: {what}"))
        except yaml.reader.ReaderError as error:  # a character YAML refuses, not marked
            at = text.find(chr(error.character)) if isinstance(error.character, int) else -1
            line = text.count("\n", 0, max(at, 0)) + 1
            column = max(at, 0) - (text.rfind("\n", 0, max(at, 0)) + 1) + 1
            code = error.character if isinstance(error.character, int) else 0
            self.problems.append(
                Problem(
                    self.source,
                    line,
                    column,
                    f"the file has {'a control' if CONTROL.match(chr(code)) else 'the'} "
                    f"character U+{code:04X} here, which YAML does not allow; remove it",
                )
            )
        except yaml.YAMLError as error:  # any other error without a mark
            self.problems.append(Problem(self.source, 1, 1, f"YAML syntax: {error}"))
        finally:
            loader.dispose()
        return None

    # -- mappings -------------------------------------------------------------------------------

    def mapping(
        self, node: yaml.Node, allowed: tuple[str, ...] | None, what: str
    ) -> Entries | None:
        """A mapping's entries by key, with duplicate keys and keys not `allowed` reported
        (every key is kept when `allowed` is None)."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(
                node, f"{what} must be a mapping of `key: value` lines, not {kind_of(node)}"
            )
            return None
        if node.tag != MAP:
            self.problem(node, tag_problem(node, what))
            return None
        entries: Entries = {}
        cuts: set[int] = set()
        for at, (key_node, value_node) in enumerate(node.value):
            if key_node.tag == MERGE:
                self.problem(
                    key_node, "nightvoice does not read YAML merge keys (`<<`); write the keys out"
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, f"keys in {what} must be plain words")
                continue
            key = key_node.value
            if key in entries:
                first = entries[key][0].start_mark.line + 1
                self.problem(
                    key_node, f"`{shown(key, 40)}` appears twice in {what} (first on line {first})"
                )
                continue
            if allowed is not None and key not in allowed:
                cut = self.cut_text(node, at)
                if cut is not None and cut.certain:
                    if id(cut.node) not in cuts:  # `{say: a, b, c}` is one cut text
                        cuts.add(id(cut.node))
                        self.problem(cut.node, cut.message)
                else:
                    hint = f" ({cut.message})" if cut is not None else ""
                    self.problem(key_node, self.unknown_key(node, key, allowed, what, hint))
                continue
            entries[key] = (key_node, value_node)
        return entries

    def unknown_key(
        self, node: yaml.Node, key: str, allowed: tuple[str, ...], what: str, cut: str = ""
    ) -> str:
        """Why `key` is wrong in `node`: the allowed key it was meant to be, or all of them.
        `cut` is the hint to give when nothing is close: that the key is a cut-off text."""
        close = difflib.get_close_matches(key.lower(), allowed, n=1, cutoff=0.6)
        if close:
            return f"unknown key `{shown(key, 40)}` in {what}; did you mean `{close[0]}`?"
        listed = ", ".join(f"`{k}`" for k in allowed)
        return f"unknown key `{shown(key, 40)}` in {what}; it takes {listed}{cut}"

    def cut_text(self, node: yaml.MappingNode, at: int) -> Cut | None:
        """Whether entry `at` of `node` is a piece of a text that a comma or `: ` cut off: in
        `{...}` and `[...]` a comma ends an entry and `: ` starts a value, so
        `{check_in: Press Enter, when it eases.}` has a key `when it eases.` with no value."""
        if not node.flow_style or not self.written:
            return None
        key, value = node.value[at]
        if not isinstance(key, yaml.ScalarNode) or key.style:
            return None
        if self.written[node.end_mark.index - 1 : node.end_mark.index] != "}":
            # `[Note: slowly]`: YAML reads a `: ` in a `[...]` item as a one-entry mapping.
            whole = self.written[key.start_mark.index : value.end_mark.index]
            return Cut(
                key,
                f"`{shown(whole, 60)}` inside `[...]` reads as `key: value` because of its "
                f"`: `; put the whole text in quotes: {_quoted(whole)}",
                certain=True,
            )
        lone = self._lone(node, at)
        head = at - 1  # the entry whose text was cut: the last one before with a value
        while lone and head >= 0 and self._lone(node, head):
            head -= 1
        if head < 0:
            if not lone:
                return None
            first = node.value[0][0]
            return Cut(
                first,
                f"`{shown(first.value, 40)}` has no `: value`; inside `{{...}}` a comma ends an "
                "entry, so a text with a comma in it goes in quotes",
                certain=True,
            )
        name_node, before = node.value[head]
        if not isinstance(before, yaml.ScalarNode) or before.style or not before.value:
            return None
        last = at
        while lone and last + 1 < len(node.value) and self._lone(node, last + 1):
            last += 1  # `{say: a, b, c}`: the text runs on to the last piece without a value
        end = node.value[last][0] if lone else value
        whole = self.written[before.start_mark.index : end.end_mark.index]
        name = shown(str(name_node.value), 40)
        number = unit_hint(whole)
        if before.tag != STR and number is None:
            return None  # `{max: 60, evry}`: a misspelt key, not a cut text
        if lone and number is not None:
            return Cut(before, f"`{name}: {shown(whole, 40)}` is cut at the comma; {number}", True)
        fix = f"put the whole text in quotes: {name}: {_quoted(whole)}"
        if lone:
            return Cut(
                before,
                f"the text of `{name}` is cut in two at the comma (`{shown(key.value, 40)}` "
                f"became a key of its own): inside `{{...}}` a comma ends an entry; {fix}",
                certain=True,
            )
        return Cut(before, f"or, if the comma before it cut the text of `{name}`, {fix}", False)

    def _lone(self, node: yaml.MappingNode, at: int) -> bool:
        """Whether entry `at` of a `{...}` is a key alone, with no `:` after it."""
        key, value = node.value[at]
        if value.tag != NULL or value.value != "" or not isinstance(key, yaml.ScalarNode):
            return False
        after = self.written[key.end_mark.index : key.end_mark.index + 200]
        return not after.lstrip(" \t\r\n").startswith(":")

    # -- scalars ----------------------------------------------------------------------------------

    def text_value(self, node: yaml.Node, what: str) -> str | None:
        """A text as written, stripped. Problems are noted, and a value is still returned where
        one can be read (a `yes` meant as the word), so one wrong text brings no follow-ons."""
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, f"{what} must be text, not {kind_of(node)}")
            return None
        if node.tag not in KNOWN_TAGS:
            self.problem(node, tag_problem(node, what))
            return None
        if not node.style and node.tag == BOOL and node.value.lower() in BOOL_WORDS:
            self.problem(
                node,
                f"{what} is `{node.value}`, which YAML reads as true or false; "
                f'write it in quotes: "{node.value}"',
            )
            return str(node.value)
        if node.tag == NULL and node.value.strip():
            self.problem(
                node,
                f"{what} is `{node.value}`, which YAML reads as nothing; "
                f'write it in quotes: "{node.value}"',
            )
            return None
        if node.tag in (BOOL, SEQ, MAP):  # an explicit `!!bool` or the like on text
            self.problem(node, f"{what} must be text, not `{show_value(node)}` (tagged {node.tag})")
            return None
        value: str = node.value.strip()
        if not value:
            self.problem(node, f"{what} is empty")
            return None
        control = CONTROL.search(value)
        if control is not None:
            self.problem(
                node,
                f"{what} has a control character (U+{ord(control[0]):04X}) that would cut the "
                "speech short or garble the screen; remove it",
            )
            return None
        return value

    def number(
        self,
        node: yaml.Node,
        what: str,
        *,
        low: float,
        high: float,
        low_inclusive: bool = False,
        integer: bool = False,
        seconds: bool = True,
    ) -> float | None:
        """A number as a person writes it (plain decimal); every other form is refused with
        the way to write it, and the allowed range is always given."""
        kind = "a whole number" if integer else "a number of seconds" if seconds else "a number"
        bound = f"at least {low:g}" if low_inclusive else f"more than {low:g}"
        allowed = f"{kind}, {bound} and at most {high:g}"
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, f"{what} must be {allowed}, not {kind_of(node)}")
            return None
        if node.tag not in KNOWN_TAGS:
            self.problem(node, tag_problem(node, what))
            return None
        written = as_written(node)
        value, fix = read_number(node.value)
        if node.tag not in (INT, FLOAT) or fix is not None or value is None:
            if node.tag == NULL and node.value in NULL_WORDS:
                self.problem(node, f"{what} has no value; write {allowed}")
                return None
            if node.tag == STR and value is not None and fix is None:
                plain = plain_number(value)
                if node.style:
                    how = "text in quotes"
                elif implicit_tag(node.value) == STR:
                    how = "text to YAML (a number needs a dot before an exponent)"
                else:
                    how = "marked as text with `!!str`"
                self.problem(node, f"{what} is {written}, which is {how}; write {plain}")
                return None
            if fix is None and node.tag == STR:
                fix = unit_hint(node.value)
            if node.tag == BOOL:
                how = "YAML reads it as" if node.value.lower() in BOOL_WORDS else "it is tagged"
                self.problem(node, f"{what} must be {allowed}, not {written} ({how} true/false)")
                return None
            hint = f"; {fix}" if fix else ""
            self.problem(node, f"{what} must be {allowed}, not {written}{hint}")
            return None
        if integer and value != int(value):
            self.problem(node, f"{what} must be {allowed}, not {written}")
            return None
        too_low = value < low if low_inclusive else value <= low
        if too_low or value > high:
            self.problem(node, f"{what} must be {bound} and at most {high:g}, not {written}")
            return None
        return float(value)

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        """true or false (YAML 1.1's yes/no/on/off too: here they can only mean that)."""
        if isinstance(node, yaml.ScalarNode) and node.tag == BOOL:
            word = BOOL_WORDS.get(node.value.lower())
            if word is not None:
                return word
        if isinstance(node, yaml.ScalarNode) and node.tag not in KNOWN_TAGS:
            self.problem(node, tag_problem(node, what))
            return None
        written = as_written(node) if isinstance(node, yaml.ScalarNode) else kind_of(node)
        hint = ""
        if isinstance(node, yaml.ScalarNode) and node.style and node.value.lower() in BOOL_WORDS:
            hint = f"; write {node.value} without quotes"
        self.problem(node, f"{what} must be true or false, not {written}{hint}")
        return None


def _quoted(text: str) -> str:
    """`text` in double quotes as YAML reads them back (a `"` or `\\` inside escaped)."""
    inner = shown(" ".join(text.split())).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{inner}"'


# -- numbers ------------------------------------------------------------------------------------

_DECIMAL = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_UNDERSCORED = re.compile(r"[-+]?\d[\d_]*(\.[\d_]*)?")
_SEXAGESIMAL = re.compile(r"([-+]?)(\d+(?::[0-5]?\d)+)(\.\d*)?")
_OCTAL = re.compile(r"[-+]?0\d+")  # not re.fullmatch: its cache look-up, for every number read
_BASES = {"0x": 16, "0b": 2, "0o": 8}


def read_number(text: str) -> tuple[Decimal | None, str | None]:
    """A plain decimal number exactly (any size: no float overflow), or how to write one.

    YAML 1.1's other forms are refused rather than read silently: `1:45` (base 60, 105),
    `010` (octal, 8), `0x1E`; the second value says how to write the number instead.
    """
    written = text.strip()
    sign, digits = ("-", written[1:]) if written[:1] == "-" else ("", written.lstrip("+"))
    if _UNDERSCORED.fullmatch(written) and "_" in written:
        written = written.replace("_", "")
    if _DECIMAL.fullmatch(written):
        if _OCTAL.fullmatch(written):
            plain = int(written)
            return None, (
                f"YAML 1.1 reads a leading 0 as octal; write {plain} without the leading zero"
            )
        try:
            return Decimal(written), None
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            return None, None
    sexagesimal = _SEXAGESIMAL.fullmatch(written)
    if sexagesimal and len(written) < 50:
        seconds = 0.0
        for part in sexagesimal[2].split(":"):
            seconds = seconds * 60 + int(part)
        seconds += float(sexagesimal[3] or 0)
        shown_seconds = f"{sign}{seconds:g}"
        return None, (
            f"YAML 1.1 reads `{sexagesimal[0]}` as minutes:seconds ({shown_seconds}); write the "
            f"seconds as one number: {shown_seconds}"
        )
    base = _BASES.get(digits[:2].lower())
    if base is not None and len(digits) < 50:
        try:
            number = int(digits[2:].replace("_", ""), base)
        except ValueError:
            return None, None
        return None, f"write it as a plain decimal number: {sign}{number}"
    if written.lower().lstrip("+-") in (".inf", ".nan", "inf", "nan", "infinity"):
        return None, "write a plain number"
    return None, None


def plain_number(value: Decimal) -> str:
    """A decimal as a person writes it: 1000, 1.5 (never 1E+3)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def implicit_tag(text: str) -> str:
    """The tag YAML 1.1 gives this plain text on its own (str, int, float...)."""
    tag: str = _YamlResolver().resolve(  # type: ignore[no-untyped-call]
        yaml.ScalarNode, text, (True, False)
    )
    return tag


_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60}
_UNITS |= {"mins": 60, "minute": 60, "minutes": 60}


def unit_hint(text: str) -> str | None:
    """How to write `30s`, `2 min` or `1,5` as the plain number of seconds it means."""
    match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*([A-Za-z]*)\s*", text)
    if not match or match[2].lower() not in (*_UNITS, ""):
        return None
    number = float(match[1].replace(",", "."))
    seconds = number * _UNITS.get(match[2].lower(), 1)
    if match[2]:
        return f"write the number of seconds alone: {seconds:g}"
    return f"write the decimal point as a dot: {seconds:g}"


# -- showing what was written --------------------------------------------------------------------


def as_written(node: yaml.ScalarNode) -> str:
    """The value as the user wrote it, quotes included, shortened: `"30"`, `1:45`."""
    quote = {"'": "'", '"': '"'}.get(node.style or "", "")
    return f"`{quote}{show_value(node)}{quote}`"


def tag_problem(node: yaml.Node, what: str) -> str:
    tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
    return (
        f"{what} has the YAML tag `{shown(tag, 40)}`, which nightvoice does not use; remove the tag"
    )


def kind_of(node: yaml.Node) -> str:
    """What a node is, in words: "a list", "nothing (null)", "the value `abc`"."""
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if node.tag == NULL:
        return "nothing (null)"
    return f"the value `{show_value(node)}`"


def show_value(node: yaml.Node) -> str:
    """A scalar as typed, shortened to 30 characters; a list or mapping by its kind."""
    if isinstance(node, yaml.ScalarNode):
        return shown(node.value, 30)
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"


# -- syntax errors --------------------------------------------------------------------------------

_CLOSERS = {"[": "]", "{": "}"}
_OPENS = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken)
_CLOSES = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)
_ENTRY = (yaml.FlowEntryToken, *_OPENS)  # what an entry of a `{...}` starts after


def syntax_message(error: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str]:
    """Where a YAML syntax error is and what it is in plain words: a bracket or quote that is
    never closed (and where it was opened), a `: ` cutting a text, a bad indent (naming the
    line it was meant to continue)."""
    mark = error.problem_mark or error.context_mark
    opened = error.context_mark
    problem = error.problem or error.context or "not valid YAML"
    context = error.context or ""
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    if "undefined alias" in problem:
        return (
            line,
            column,
            "this alias (`*name`) has no anchor (`&name`) above it; define the anchor first",
        )
    if "nesting depth" in problem:
        return line, column, "lists and mappings nest too deep here; a file needs only a few levels"
    if "expected a single document" in context:
        return line, column, "the file holds more than one YAML document (a `---` line?); write one"
    if "quoted scalar" in context and opened is not None:
        quote = text[opened.index : opened.index + 1] or '"'
        if "end of stream" in problem:
            problem = (
                f"the `{quote}` opened at {_at(opened)} is never closed; "
                f"add `{quote}` at the end of the text"
            )
        return opened.line + 1, opened.column + 1, problem
    tokens = _tokens(text) if mark is not None else []
    if mark is not None:
        flow = _flow_message(text, tokens, mark, problem)
        if flow is not None:
            return flow
    lines = text.splitlines()
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in here[: max(column, len(here) - len(here.lstrip(" \t")))] or "tab" in problem:
        return line, column, "tabs are not allowed for indentation; use spaces"
    indent_errors = ("expected <block end>", "did not find expected", "mapping values")
    if not any(words in problem for words in indent_errors):
        return line, column, problem
    ended = _quote_message(text, tokens, mark.index) if mark is not None else None
    if ended is not None:
        return ended
    return line, column, _indent_message(problem, lines, line, column)


def _at(mark: yaml.Mark) -> str:
    return f"{mark.line + 1}:{mark.column + 1}"


def _tokens(text: str) -> list[yaml.Token]:
    """The file's YAML tokens, up to the first the scanner cannot read (only for messages)."""
    loader = _SafeLoader(text)
    tokens: list[yaml.Token] = []
    try:
        while loader.check_token():
            token = loader.get_token()
            if token is not None:
                tokens.append(token)
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return tokens


def _flow_message(
    text: str, tokens: list[yaml.Token], mark: yaml.Mark, problem: str
) -> tuple[int, int, str] | None:
    """The problem at `mark` inside a `[...]` or `{...}`: its bracket is never closed, or is
    closed by the other kind, or a `: ` is inside one of its texts; a closing bracket with no
    opening one. None when the problem is not inside brackets."""
    found = text[mark.index : mark.index + 1]
    here = (mark.line + 1, mark.column + 1)
    still_open: list[yaml.Token] = []
    for token in tokens:
        if token.start_mark.index >= mark.index:
            break
        if isinstance(token, _OPENS):
            still_open.append(token)
        elif isinstance(token, _CLOSES) and still_open:
            still_open.pop()
    if not still_open:
        if found in ("]", "}") and "expected" in problem:
            opener = "[" if found == "]" else "{"
            return (
                *here,
                f"this `{found}` closes nothing; remove it, or add the `{opener}` it closes",
            )
        return None
    start = still_open[-1].start_mark
    opener = text[start.index]
    closer = _CLOSERS[opener]
    if found in ("]", "}") and found != closer:
        return *here, (
            f"the `{opener}` opened at {_at(start)} is closed with `{found}`; "
            f"close it with `{closer}`"
        )
    if not _closed_later(tokens, still_open[-1]):
        what = "item" if opener == "[" else "entry"
        return (
            start.line + 1,
            start.column + 1,
            (
                f"the `{opener}` opened at {_at(start)} is never closed; "
                f"add `{closer}` after its last {what}"
            ),
        )
    if found == ":":
        key, value = _entry(text, tokens, mark.index)
        before = value.partition(": ")[0].split()
        if len(before) > 1 and read_number(before[0])[0] is not None:  # {max: 60 every: 10}
            return *here, (
                f"a comma is missing before `{shown(before[-1], 40)}:` in the "
                f"`{opener}...{closer}` opened at {_at(start)}; write `{shown(before[0], 40)}, "
                f"{shown(before[-1], 40)}:`"
            )
        example = f"{{{key}: {_quoted(value)}}}" if key and value else '{say: "Note: slowly"}'
        return *here, (
            f"a `: ` inside the `{opener}...{closer}` opened at {_at(start)}; put a text with "
            f"`: ` in it in quotes, like {example} (or, if a new key starts here, put a comma "
            "before it)"
        )
    return *here, (
        f"in the `{opener}...{closer}` opened at {_at(start)}: {problem} (commas separate "
        f"its {'items' if opener == '[' else 'entries'}; put a text with a comma or `: ` in "
        "quotes)"
    )


def _entry(text: str, tokens: list[yaml.Token], index: int) -> tuple[str, str]:
    """The key and value of the `{...}` entry around `index`, as written (`say`, `Note: a`)."""
    start = max(
        (t.end_mark.index for t in tokens if t.start_mark.index < index and isinstance(t, _ENTRY)),
        default=0,
    )
    ends = [at for at in (text.find(",", index), text.find("}", index)) if at >= 0]
    entry = " ".join(text[start : min(ends, default=len(text))].split())
    key, _, value = entry.partition(": ")
    return shown(key, 40), value


def _closed_later(tokens: list[yaml.Token], opener: yaml.Token) -> bool:
    """Whether the bracket `opener` has its closing bracket anywhere in the file."""
    depth = 0
    for token in tokens:
        if token.start_mark.index < opener.start_mark.index:
            continue
        if isinstance(token, _OPENS):
            depth += 1
        elif isinstance(token, _CLOSES):
            depth -= 1
            if depth == 0:
                return True
    return False


def _quote_message(text: str, tokens: list[yaml.Token], index: int) -> tuple[int, int, str] | None:
    """A text in quotes that ran on past its line, or ended at a quote inside it
    (`'Don't walk'`), so that what follows it is out of place at `index`; None when no quote
    is to blame."""
    last = None
    for token in tokens:
        if token.start_mark.index >= index:
            break
        if isinstance(token, yaml.ScalarToken) and token.style in ("'", '"'):
            last = token
    if last is None:
        return None
    start, end = last.start_mark, last.end_mark
    quote = text[start.index]
    if start.line != end.line and end.line == text.count("\n", 0, index):
        return (
            start.line + 1,
            start.column + 1,
            (
                f"the `{quote}` opened at {_at(start)} is not closed on its line, so the text runs "
                f"on to the `{quote}` on line {end.line + 1}; add `{quote}` at the end of line "
                f"{start.line + 1}"
            ),
        )
    if end.index == index and text[index : index + 1].isalnum():
        inside = "write it twice (`''`)" if quote == "'" else 'write it as `\\"`'
        other = "double" if quote == "'" else "single"
        return (
            end.line + 1,
            end.column,
            (
                f"this `{quote}` ends the text in quotes opened at {_at(start)}; for a `{quote}` "
                f"inside the text, {inside}, or put the whole text in {other} quotes"
            ),
        )
    return None


def _indent_message(problem: str, lines: list[str], line: int, column: int) -> str:
    """A bad indent in plain words, naming the line this one seems meant to continue."""
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    start = _content_column(here)
    key = _KEY.match(here, start)
    if "mapping values" in problem and key is not None and key.end() < column:
        return (
            'a `: ` inside a value; put the whole value in quotes, like say: "Note: stretch slowly"'
        )
    is_item = here.lstrip(" ").startswith("- ")
    for number in range(line - 1, 0, -1):
        above = lines[number - 1]
        content = above.strip()
        if not content or content.startswith("#"):
            continue
        if above.lstrip(" ").startswith("- ") != is_item and is_item:
            continue
        other = _dash_column(above) if is_item else _content_column(above)
        mine = _dash_column(here) if is_item else start
        if other == mine:
            continue
        what = "list item" if is_item else "line"
        return (
            f"the indentation is off: this {what} starts at column {mine + 1}, but line "
            f"{number} (`{shown(content, 40)}`), which it seems to continue, starts at column "
            f"{other + 1}; line them up with spaces"
        )
    return f"the indentation is off ({problem}); line up keys of one mapping with spaces"


_KEY = re.compile(r"[^\s#:][^:]*:(\s|$)")


def _content_column(text: str) -> int:
    """Where a line's key or text starts, after its indentation and any `- ` list markers."""
    at = len(text) - len(text.lstrip(" "))
    while text[at : at + 2] == "- ":
        at += 2
        while text[at : at + 1] == " ":
            at += 1
    return at


def _dash_column(text: str) -> int:
    return len(text) - len(text.lstrip(" "))
