"""Read a routine file into the model, reporting every problem at once with its location.

The YAML is composed into nodes (PyYAML's safe composer: no object construction at all) and
walked by hand, so each value keeps its line and column and one bad field never hides the next.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field

import yaml

from nightvoice.core.errors import Problem, RoutineError
from nightvoice.core.routine import (
    FORMAT_VERSION,
    RATE_RANGE,
    Breathing,
    Cues,
    EachSide,
    HoldKind,
    Node,
    Question,
    Repeat,
    Routine,
    Section,
    Step,
    UntilEased,
    Voice,
)
from nightvoice.core.template import TemplateError, fields

try:  # libyaml when present: the same node tree, parsed several times faster
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - pure-Python PyYAML builds
    from yaml import SafeLoader as _YamlLoader  # type: ignore[assignment]

INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
STR = "tag:yaml.org,2002:str"
NULL = "tag:yaml.org,2002:null"

TOP_KEYS = (
    "nightvoice",
    "title",
    "description",
    "safety",
    "language",
    "voice",
    "rate",
    "volume",
    "chime",
    "log_episode",
    "ask",
    "steps",
)
ASK_KEYS = ("name", "say", "choices", "default", "timeout")
ACTIONS = ("pause", "hold", "rest", "breathe", "wait_for_key", "until_eased")
LEAF_KEYS = ("say", "title", "chime", "cues", *ACTIONS)
CONTAINERS = ("section", "repeat", "each_side")
CUE_KEYS = ("count", "halfway", "countdown", "release")
BREATHE_KEYS = ("in", "hold", "out", "times", "words")
WORD_KEYS = ("in", "hold", "out")
EASED_KEYS = ("max", "every", "check_in")

MAX_PAUSE = 600.0
MAX_STEPS = 5000
MAX_DEPTH = 12
MAX_HOLD = 3600.0
MAX_EASED = 600.0
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
DEFAULT_CHECK_IN = "Keep holding. Press Enter when it eases."


def parse_routine(data: bytes, source: str) -> Routine:
    """Validate routine text (bytes, as read from disk) named `source` in messages."""
    reader = _Reader(source)
    text = reader.decode(data)
    root = reader.compose(text) if text is not None else None
    routine = reader.routine(root) if root is not None else None
    if reader.problems or routine is None:
        raise RoutineError(sorted(reader.problems, key=lambda p: (p.line, p.column)))
    return routine


def did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


@dataclass
class _Scope:
    """Which template variables a text may use where it stands."""

    names: frozenset[str]

    def with_names(self, *names: str) -> _Scope:
        return _Scope(self.names | frozenset(names))


@dataclass
class _Reader:
    source: str
    problems: list[Problem] = field(default_factory=list)
    steps_left: int = MAX_STEPS  # YAML aliases can nest a list in itself or blow up its size
    depth: int = 0

    # -- reporting -------------------------------------------------------------------------

    def problem(self, node: yaml.Node | None, message: str) -> None:
        line, column = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (1, 1)
        self.problems.append(Problem(self.source, line, column, message))

    # -- bytes, text and YAML ------------------------------------------------------------------

    def decode(self, data: bytes) -> str | None:
        try:
            text = data.decode("utf-8-sig")
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
        if not text.strip():
            self.problems.append(
                Problem(
                    self.source,
                    1,
                    1,
                    "the file is empty; a routine needs at least `nightvoice: 1`, "
                    "`title:` and `steps:` (try `nightvoice new NAME` for a starter)",
                )
            )
            return None
        return text

    def compose(self, text: str) -> yaml.Node | None:
        loader = _YamlLoader(text)
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            what = error.problem or error.context or "not valid YAML"
            if "expected a single document" in str(error.context or ""):
                what = "the file holds more than one YAML document; a routine is one document"
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            self.problems.append(Problem(self.source, line, column, f"YAML syntax: {what}"))
            return None
        except yaml.YAMLError as error:  # errors without a mark, e.g. a bad character
            self.problems.append(Problem(self.source, 1, 1, f"YAML syntax: {error}"))
            return None
        finally:
            loader.dispose()
        if node is None:
            self.problems.append(
                Problem(
                    self.source,
                    1,
                    1,
                    "the file holds no YAML document (only comments?); a routine needs "
                    "`nightvoice: 1`, `title:` and `steps:`",
                )
            )
        return node

    # -- generic node checks -------------------------------------------------------------------

    def mapping(
        self, node: yaml.Node, allowed: tuple[str, ...], what: str
    ) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        """A mapping's entries by key, with unknown and duplicate keys reported."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping of `key: value` lines")
            return None
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if (
                not isinstance(key_node, yaml.ScalarNode)
                or key_node.tag == "tag:yaml.org,2002:merge"
            ):
                self.problem(key_node, f"keys in {what} must be plain words")
                continue
            key = key_node.value
            if key in entries:
                first = entries[key][0].start_mark.line + 1
                self.problem(key_node, f"`{key}` appears twice in {what} (first on line {first})")
                continue
            if key not in allowed:
                shown = key.encode("unicode_escape").decode("ascii")[:40]
                self.problem(
                    key_node,
                    f"unknown key `{shown}` in {what}{did_you_mean(key, allowed)}",
                )
                continue
            entries[key] = (key_node, value_node)
        return entries

    def text(self, node: yaml.Node, what: str, scope: _Scope | None = None) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (STR, INT, FLOAT):
            self.problem(node, f"{what} must be text")
            return None
        value: str = node.value.strip()
        if not value:
            self.problem(node, f"{what} is empty")
            return None
        if scope is not None:
            self.check_template(node, value, what, scope)
        return value

    def check_template(self, node: yaml.Node, value: str, what: str, scope: _Scope) -> None:
        try:
            names = fields(value)
        except TemplateError as error:
            self.problem(node, f"{what} {error}")
            return
        for name in names:
            if name not in scope.names:
                hint = did_you_mean(name, sorted(scope.names)) or (
                    f"; here you can use {', '.join(f'{{{n}}}' for n in sorted(scope.names))}"
                    if scope.names
                    else ""
                )
                self.problem(node, f"{what} uses an unknown variable `{{{name}}}`{hint}")

    def number(
        self,
        node: yaml.Node,
        what: str,
        *,
        low: float,
        high: float,
        low_inclusive: bool = False,
        integer: bool = False,
    ) -> float | None:
        kind = "a whole number" if integer else "a number of seconds"
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (INT, FLOAT):
            self.problem(node, f"{what} must be {kind}, not `{_show(node)}`")
            return None
        if integer and node.tag != INT:
            self.problem(node, f"{what} must be a whole number, not `{node.value}`")
            return None
        try:
            value = _yaml_number(node)
        except ValueError:
            self.problem(node, f"{what} must be {kind}, not `{node.value}`")
            return None
        too_low = value < low if low_inclusive else value <= low
        if math.isnan(value) or too_low or value > high:
            bound = f"at least {low:g}" if low_inclusive else f"more than {low:g}"
            self.problem(node, f"{what} must be {bound} and at most {high:g}, not {node.value}")
            return None
        return value

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag != BOOL:
            self.problem(node, f"{what} must be true or false, not `{_show(node)}`")
            return None
        return node.value.lower() in ("true", "yes", "on", "y")

    # -- the routine ---------------------------------------------------------------------------

    def routine(self, root: yaml.Node) -> Routine | None:
        if not isinstance(root, yaml.MappingNode):
            self.problem(
                root,
                "a routine must be a mapping with `nightvoice: 1`, `title:` and `steps:` "
                f"at the top level, not {_kind(root)}",
            )
            return None
        entries = self.mapping(root, TOP_KEYS, "the routine")
        if entries is None:
            return None
        version_ok = self.version(root, entries.get("nightvoice"))
        title = self.required_text(root, entries, "title", "`title`")
        description = self.optional_text(entries, "description")
        safety = self.optional_text(entries, "safety")
        voice = self.voice_settings(entries)
        chime = self.optional_bool(entries, "chime", default=True)
        log_episode = self.optional_bool(entries, "log_episode", default=False)
        ask = self.question(entries["ask"][1]) if "ask" in entries else None
        scope = _Scope(frozenset({"side", "other_side"} | ({ask.name} if ask else set())))
        steps: tuple[Node, ...] = ()
        if "steps" not in entries:
            self.problem(root, "the routine has no `steps:` list; add at least one step")
        else:
            steps = self.steps(entries["steps"][1], scope, "`steps`")
        if not version_ok or title is None or not steps or self.problems:
            return None
        return Routine(
            title=title,
            steps=steps,
            description=description or "",
            safety=safety or "",
            voice=voice,
            chime=chime,
            ask=ask,
            log_episode=log_episode,
            source=self.source,
        )

    def version(self, root: yaml.Node, entry: tuple[yaml.Node, yaml.Node] | None) -> bool:
        if entry is None:
            self.problem(
                root,
                f"the routine has no format version; add `nightvoice: {FORMAT_VERSION}` "
                "as its first line",
            )
            return False
        node = entry[1]
        if not isinstance(node, yaml.ScalarNode) or node.tag != INT:
            self.problem(node, f"`nightvoice` is the format version: write `{FORMAT_VERSION}`")
            return False
        try:
            version = _yaml_number(node)
        except ValueError:
            version = math.nan
        if version != FORMAT_VERSION:
            self.problem(
                node,
                f"unknown format version {node.value}; this nightvoice reads version "
                f"{FORMAT_VERSION} (a newer nightvoice may read this file)",
            )
            return False
        return True

    def required_text(
        self,
        parent: yaml.Node,
        entries: dict[str, tuple[yaml.Node, yaml.Node]],
        key: str,
        what: str,
        scope: _Scope | None = None,
    ) -> str | None:
        if key not in entries:
            self.problem(parent, f"missing {what}")
            return None
        return self.text(entries[key][1], what, scope)

    def optional_text(
        self,
        entries: dict[str, tuple[yaml.Node, yaml.Node]],
        key: str,
        scope: _Scope | None = None,
    ) -> str | None:
        return self.text(entries[key][1], f"`{key}`", scope) if key in entries else None

    def optional_bool(
        self, entries: dict[str, tuple[yaml.Node, yaml.Node]], key: str, *, default: bool
    ) -> bool:
        if key not in entries:
            return default
        value = self.boolean(entries[key][1], f"`{key}`")
        return default if value is None else value

    def optional_number(
        self,
        entries: dict[str, tuple[yaml.Node, yaml.Node]],
        key: str,
        what: str,
        *,
        default: float,
        low: float,
        high: float,
        low_inclusive: bool = False,
        integer: bool = False,
    ) -> float:
        """The number at `key`, or `default` when it is absent or wrong (a problem is noted)."""
        if key not in entries:
            return default
        value = self.number(
            entries[key][1], what, low=low, high=high, low_inclusive=low_inclusive, integer=integer
        )
        return default if value is None else value

    def voice_settings(self, entries: dict[str, tuple[yaml.Node, yaml.Node]]) -> Voice:
        rate = volume = None
        if "rate" in entries:
            low, high = RATE_RANGE
            value = self.number(
                entries["rate"][1],
                "`rate` (words per minute)",
                low=low,
                high=high,
                low_inclusive=True,
                integer=True,
            )
            rate = int(value) if value is not None else None
        if "volume" in entries:
            volume = self.number(
                entries["volume"][1], "`volume`", low=0.0, high=1.0, low_inclusive=True
            )
        return Voice(
            language=self.optional_text(entries, "language"),
            voice=self.optional_text(entries, "voice"),
            rate=rate,
            volume=volume,
        )

    def question(self, node: yaml.Node) -> Question | None:
        entries = self.mapping(node, ASK_KEYS, "`ask`")
        if entries is None:
            return None
        name = self.required_text(node, entries, "name", "`ask` `name`")
        if name is not None and not IDENTIFIER.match(name):
            self.problem(entries["name"][1], "`ask` `name` must be one word, like `side`")
            name = None
        say = self.required_text(node, entries, "say", "`ask` `say` (the question spoken)")
        choices: dict[str, str] = {}
        if "choices" not in entries:
            self.problem(node, "missing `ask` `choices`, e.g. `choices: {l: left, r: right}`")
        else:
            choices = self.choices(entries["choices"][1])
        default = self.required_text(node, entries, "default", "`ask` `default`")
        if default is not None and choices and default not in choices.values():
            options = ", ".join(f"`{v}`" for v in choices.values())
            self.problem(entries["default"][1], f"`ask` `default` must be one of {options}")
            default = None
        timeout = self.optional_number(
            entries, "timeout", "`ask` `timeout`", default=6.0, low=1, high=60, low_inclusive=True
        )
        if name and say and choices and default:
            return Question(name=name, say=say, choices=choices, default=default, timeout=timeout)
        return None

    def choices(self, node: yaml.Node) -> dict[str, str]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, "`ask` `choices` must map a key to a value, like `l: left`")
            return {}
        choices: dict[str, str] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or len(key_node.value) != 1:
                self.problem(key_node, "each choice key must be a single character, like `l`")
                continue
            key = key_node.value.lower()
            if key in choices:
                self.problem(key_node, f"choice key `{key}` appears twice")
                continue
            value = self.text(value_node, f"the value for choice `{key}`")
            if value is not None:
                choices[key] = value
        if not 2 <= len(choices) <= 9:
            self.problem(node, "`ask` `choices` needs between 2 and 9 choices")
        return choices

    # -- steps -------------------------------------------------------------------------------

    def steps(self, node: yaml.Node, scope: _Scope, what: str) -> tuple[Node, ...]:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"{what} must be a list, one `- ` line per step")
            return ()
        if not node.value:
            self.problem(node, f"{what} is empty; add at least one step")
            return ()
        built = [self.step(item, scope) for item in node.value]
        return tuple(step for step in built if step is not None)

    def step(self, node: yaml.Node, scope: _Scope) -> Node | None:
        self.steps_left -= 1
        if self.steps_left == 0:
            self.problem(node, f"the routine has more than {MAX_STEPS} steps (a looping alias?)")
        if self.steps_left <= 0:
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag in (STR, INT, FLOAT):
            text = self.text(node, "a step", scope)
            return Step(say=text, line=node.start_mark.line + 1) if text else None
        if not isinstance(node, yaml.MappingNode):
            self.problem(
                node,
                f"a step must be text to say or a mapping like `say: ...`, not {_kind(node)}",
            )
            return None
        keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
        containers = [k for k in keys if k in CONTAINERS]
        if len(containers) > 1:
            self.problem(node, f"a step can be only one of {_pretty(containers)}")
            return None
        if containers:
            return self.container(node, containers[0], scope)
        return self.leaf(node, scope)

    def container(self, node: yaml.Node, kind: str, scope: _Scope) -> Node | None:
        if self.depth >= MAX_DEPTH:
            self.problem(node, f"steps are nested more than {MAX_DEPTH} deep (a looping alias?)")
            self.steps_left = 0
            return None
        self.depth += 1
        try:
            return self._container(node, kind, scope)
        finally:
            self.depth -= 1

    def _container(self, node: yaml.Node, kind: str, scope: _Scope) -> Node | None:
        allowed = (kind, "steps", "say") if kind == "section" else (kind, "steps")
        entries = self.mapping(node, allowed, f"a `{kind}` step")
        if entries is None:
            return None
        head = entries[kind][1]
        if "steps" not in entries:
            self.problem(node, f"a `{kind}` step needs its own `steps:` list")
            return None
        if kind == "section":
            name = self.text(head, "`section` (its name)", scope)
            say = self.optional_text(entries, "say", scope)
            steps = self.steps(entries["steps"][1], scope, f"the steps of section `{name}`")
            return Section(name=name, steps=steps, say=say) if name and steps else None
        if kind == "repeat":
            times = self.number(
                head, "`repeat` (how many times)", low=1, high=100, low_inclusive=True, integer=True
            )
            steps = self.steps(
                entries["steps"][1], scope.with_names("round", "rounds"), "the steps to repeat"
            )
            return Repeat(times=int(times), steps=steps) if times and steps else None
        flag = self.boolean(head, "`each_side`")
        if flag is False:
            self.problem(head, "`each_side: false` does nothing; remove it or write `true`")
        steps = self.steps(entries["steps"][1], scope, "the steps for each side")
        return EachSide(steps=steps) if flag and steps else None

    def leaf(self, node: yaml.MappingNode, scope: _Scope) -> Step | None:
        allowed = LEAF_KEYS
        entries = self.mapping(node, allowed, "a step")
        if entries is None:
            return None
        if not entries:
            self.problem(node, "this step is empty; give it at least `say:`")
            return None
        actions = [k for k in entries if k in ACTIONS]  # in file order: flag the second
        if len(actions) > 1:
            self.problem(
                entries[actions[1]][0],
                f"a step can do only one of {_pretty(actions)}; split it into two steps",
            )
            return None
        before = len(self.problems)
        action = actions[0] if actions else None
        say = self.optional_text(entries, "say", scope)
        title = self.optional_text(entries, "title", scope)
        chime = self.boolean(entries["chime"][1], "`chime`") if "chime" in entries else None
        step = Step(say=say, title=title, chime=chime, line=node.start_mark.line + 1)
        if "cues" in entries and action not in ("hold", "rest"):
            self.problem(entries["cues"][0], "`cues` only go with `hold:` or `rest:`")
        if action is None:
            if say is None and title is None and "say" not in entries:
                self.problem(node, "this step says nothing and does nothing; add `say:`")
        else:
            value = entries[action][1]
            step = self.action(step, action, value, entries, scope)
        return step if len(self.problems) == before else None

    def action(
        self,
        step: Step,
        action: str,
        value: yaml.Node,
        entries: dict[str, tuple[yaml.Node, yaml.Node]],
        scope: _Scope,
    ) -> Step:
        from dataclasses import replace

        if action == "pause":
            seconds = self.number(value, "`pause`", low=0, high=MAX_PAUSE)
            return replace(step, pause=seconds or 0.0)
        if action in ("hold", "rest"):
            seconds = self.number(value, f"`{action}`", low=0, high=MAX_HOLD)
            default_release = "Release." if action == "hold" else None
            cues = (
                self.cues(entries["cues"][1], default_release, seconds or 0.0, scope)
                if "cues" in entries
                else Cues(release=default_release)
            )
            kind: HoldKind = "hold" if action == "hold" else "rest"
            return replace(step, hold=seconds, hold_kind=kind, cues=cues)
        if action == "breathe":
            return replace(step, breathe=self.breathing(value, scope))
        if action == "wait_for_key":
            flag = self.boolean(value, "`wait_for_key`")
            if flag is False:
                self.problem(value, "`wait_for_key: false` does nothing; remove it")
            return replace(step, wait_for_key=bool(flag))
        return replace(step, until_eased=self.eased(value, scope))

    def cues(
        self, node: yaml.Node, default_release: str | None, seconds: float, scope: _Scope
    ) -> Cues:
        entries = self.mapping(node, CUE_KEYS, "`cues`")
        if entries is None:
            return Cues(release=default_release)
        count = self.optional_number(
            entries,
            "count",
            "`cues` `count` (every N seconds)",
            default=0.0,
            low=0,
            high=MAX_HOLD,
            low_inclusive=True,
        )
        countdown = int(
            self.optional_number(
                entries,
                "countdown",
                "`cues` `countdown`",
                default=0,
                low=0,
                high=10,
                low_inclusive=True,
                integer=True,
            )
        )
        if "countdown" in entries and seconds and countdown >= seconds:
            self.problem(
                entries["countdown"][1],
                f"`cues` `countdown: {countdown}` does not fit in {seconds:g} s",
            )
        halfway = self.optional_bool(entries, "halfway", default=False)
        release = default_release
        if "release" in entries:
            release_node = entries["release"][1]
            if isinstance(release_node, yaml.ScalarNode) and release_node.tag == BOOL:
                if self.boolean(release_node, "`cues` `release`"):
                    release = release or "Release."
                else:
                    release = None
            else:
                release = self.text(release_node, "`cues` `release`", scope)
        return Cues(count=count, halfway=halfway, countdown=countdown, release=release)

    def breathing(self, node: yaml.Node, scope: _Scope) -> Breathing | None:
        entries = self.mapping(node, BREATHE_KEYS, "`breathe`")
        if entries is None:
            return None
        seconds: dict[str, float] = {}
        for key, required in (("in", True), ("hold", False), ("out", True)):
            if key not in entries:
                if required:
                    self.problem(node, f"`breathe` needs `{key}:` (seconds)")
                continue
            low_inclusive = key == "hold"
            value = self.number(
                entries[key][1], f"`breathe` `{key}`", low=0, high=60, low_inclusive=low_inclusive
            )
            if value is not None:
                seconds[key] = value
        times = None
        if "times" not in entries:
            self.problem(node, "`breathe` needs `times:` (how many breaths)")
        else:
            times = self.number(
                entries["times"][1],
                "`breathe` `times`",
                low=1,
                high=50,
                low_inclusive=True,
                integer=True,
            )
        words = {"in": "Breathe in.", "hold": "Hold.", "out": "And out."}
        if "words" in entries:
            word_entries = self.mapping(entries["words"][1], WORD_KEYS, "`breathe` `words`")
            for key, (_, value_node) in (word_entries or {}).items():
                text = self.text(value_node, f"`breathe` `words` `{key}`", scope)
                if text:
                    words[key] = text
        if "in" not in seconds or "out" not in seconds or times is None:
            return None
        return Breathing(
            breathe_in=seconds["in"],
            hold=seconds.get("hold", 0.0),
            breathe_out=seconds["out"],
            times=int(times),
            words_in=words["in"],
            words_hold=words["hold"],
            words_out=words["out"],
        )

    def eased(self, node: yaml.Node, scope: _Scope) -> UntilEased | None:
        entries = self.mapping(node, EASED_KEYS, "`until_eased`")
        if entries is None:
            return None
        if "max" not in entries:
            self.problem(node, "`until_eased` needs `max:` (the longest to hold, in seconds)")
            return None
        longest = self.number(entries["max"][1], "`until_eased` `max`", low=0, high=MAX_EASED)
        every = self.optional_number(
            entries,
            "every",
            "`until_eased` `every`",
            default=10.0,
            low=1,
            high=MAX_EASED,
            low_inclusive=True,
        )
        check_in = self.optional_text(entries, "check_in", scope) or DEFAULT_CHECK_IN
        if longest is None:
            return None
        return UntilEased(max_seconds=longest, every=every, check_in=check_in)


def _yaml_number(node: yaml.ScalarNode) -> float:
    """The number exactly as `yaml.safe_load` reads it (YAML 1.1: 0x1F, 0o17, 1:30, 1_000).

    ValueError for what the resolver tagged a number but cannot be one.
    """
    if node.tag == INT:
        return float(_NUMBERS.construct_yaml_int(node))
    return float(_NUMBERS.construct_yaml_float(node))


_NUMBERS = yaml.constructor.SafeConstructor()


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if node.tag == NULL:
        return "nothing (null)"
    return f"the value `{_show(node)}`"


def _show(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        value: str = node.value.encode("unicode_escape").decode("ascii")
        return value if len(value) <= 30 else value[:27] + "..."
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"


def _pretty(keys: list[str]) -> str:
    return ", ".join(f"`{k}`" for k in keys)
