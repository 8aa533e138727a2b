"""Read a routine file into the model, reporting every problem at once with its location.

The YAML is composed into nodes (PyYAML's safe composer: no object construction at all) and
walked by hand, so each value keeps its line and column and one bad field never hides the next.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from nightvoice.core.errors import RoutineError, shown
from nightvoice.core.planner import HANDS_FREE_WAIT, MIN_CUE_GAP
from nightvoice.core.reader import (
    BOOL,
    INT,
    KNOWN_TAGS,
    SEQ,
    Entries,
    YamlReader,
    as_written,
    kind_of,
    read_number,
    show_value,
)
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
from nightvoice.core.suggest import did_you_mean
from nightvoice.core.template import TemplateError, fields

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
ASK_KEYS = ("name", "say", "choices", "default", "timeout", "confirm")
ACTIONS = ("pause", "hold", "rest", "breathe", "wait_for_key", "until_eased")
LEAF_KEYS = ("say", "title", "chime", "cues", *ACTIONS)
CONTAINERS = ("section", "repeat", "each_side")
CUE_KEYS = ("count", "halfway", "countdown", "release")
BREATHE_KEYS = ("in", "hold", "out", "times", "words")
WORD_KEYS = ("in", "hold", "out")
EASED_KEYS = ("max", "every", "check_in")
# Where each key belongs, for "`rate` belongs at the top of the routine" (most likely first).
KEY_HOMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("at the top of the routine", tuple(k for k in TOP_KEYS if k != "steps")),
    ("in `ask:`", tuple(k for k in ASK_KEYS if k != "say")),
    ("in a step", LEAF_KEYS),
    ("at the start of a step of its own, like `- repeat: 2` with `steps:` under it", CONTAINERS),
    ("at the top of the routine or in a `section`, `repeat` or `each_side` step", ("steps",)),
    ("in `cues:` under a `hold:` or `rest:`", CUE_KEYS),
    ("in `breathe:`", BREATHE_KEYS),
    ("in `until_eased:`", EASED_KEYS),
)

# Limits (docs/routine-format.md, "Limits"): each keeps one file from taking the player, `show`,
# `export` or `list` down with it, and each is far beyond what a real routine needs.
MAX_PAUSE = 600.0  # one pause, seconds
MAX_HOLD = 3600.0  # one hold or rest, seconds
MAX_EASED = 600.0  # one until_eased maximum, seconds
MAX_WRITTEN_STEPS = 1000  # steps as written (YAML aliases count every time they are used)
MAX_NESTING = 4  # sections, repeats and each_side inside one another
MAX_PLAN_STEPS = 2000  # steps after repeats and sides are expanded
MAX_CUES = 10000  # spoken cues, breaths and check-ins after expansion
MAX_ROUTINE_SECONDS = 3 * 3600.0  # the routine's timed length plus its speech at the fastest rate
MAX_TEXT = 1000  # characters in one spoken text (say, a cue, a check-in...)
MAX_LONG_TEXT = 4000  # characters in `description` or `safety`
MIN_COUNT = 1.0  # seconds between counted cues: closer ones would talk over each other
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def parse_routine(data: bytes, source: str) -> Routine:
    """Validate routine text (bytes, as read from disk) named `source` in messages."""
    reader = _RoutineReader(source)
    text = reader.decode(data)
    root = None
    if text is not None and not text.strip():
        reader.problem(
            None,
            "the file is empty; a routine needs at least `nightvoice: 1`, `title:` and "
            "`steps:` (try `nightvoice new NAME` for a starter)",
        )
    elif text is not None:
        root = reader.compose(text)
        if root is None and not reader.problems:
            reader.problem(
                None,
                "the file holds no YAML document (only comments?); a routine needs "
                "`nightvoice: 1`, `title:` and `steps:`",
            )
    routine = reader.routine(root) if root is not None else None
    if reader.problems or routine is None:
        raise RoutineError(reader.sorted_problems())
    return routine


@dataclass
class _Scope:
    """Which template variables a text may use where it stands."""

    names: frozenset[str]
    lenient: bool = False  # the question is broken: its name is unknown, so do not guess
    where: str = ""  # why no variables can be used here ("" where they can)

    def with_names(self, *names: str) -> _Scope:
        return _Scope(self.names | frozenset(names), self.lenient)


NO_VARIABLES = _Scope(frozenset(), where="it is shown as written, never filled in")


@dataclass
class _Cost:
    """What a part of a routine adds to the plan once repeats and sides are expanded."""

    steps: float = 0
    cues: float = 0
    seconds: float = 0.0

    def times(self, n: float) -> _Cost:
        return _Cost(self.steps * n, self.cues * n, self.seconds * n)

    def plus(self, other: _Cost) -> _Cost:
        return _Cost(self.steps + other.steps, self.cues + other.cues, self.seconds + other.seconds)

    def excess(self) -> str | None:
        """Which limit this cost is over, in words, or None."""
        if self.steps > MAX_PLAN_STEPS:
            return (
                f"{_count(self.steps)} steps once repeats and sides are expanded; "
                f"a routine plays at most {MAX_PLAN_STEPS}"
            )
        if self.cues > MAX_CUES:
            return (
                f"{_count(self.cues)} spoken cues, breaths and check-ins; "
                f"a routine has at most {MAX_CUES}"
            )
        if self.seconds > MAX_ROUTINE_SECONDS:
            return (
                f"at least {_duration(self.seconds)} long; a routine lasts at most "
                f"{_duration(MAX_ROUTINE_SECONDS)}"
            )
        return None


@dataclass
class _RoutineReader(YamlReader):
    """The YAML reader, plus what a routine must be."""

    steps_left: int = MAX_WRITTEN_STEPS  # YAML aliases can nest a list in itself or blow it up
    depth: int = 0
    costs: dict[int, _Cost] = field(default_factory=dict)  # id(model node) -> its cost
    over_limit: bool = False  # one limit message is enough: the rest follow from it
    guessed: dict[int, set[str]] = field(default_factory=dict)  # id(mapping) -> keys suggested
    sides_used: list[yaml.Node] = field(default_factory=list)  # each_side / {other_side}
    where: dict[int, yaml.Node] = field(default_factory=dict)  # id(model node) -> its key
    question_name: str | None = None  # the question's name, even when the question is wrong

    def unknown_key(
        self, node: yaml.Node, key: str, allowed: tuple[str, ...], what: str, cut: str = ""
    ) -> str:
        """Why `key` is wrong here: where it belongs, or the allowed key it was meant to be."""
        key_shown = shown(key, 40)
        homes = [home for home, keys in KEY_HOMES if key in keys]
        if homes:
            return f"`{key_shown}` belongs {_or(homes)}, not in {what}"
        close = difflib.get_close_matches(key.lower(), allowed, n=1, cutoff=0.6)
        if close:
            self.guessed.setdefault(id(node), set()).add(close[0])
            return f"unknown key `{key_shown}` in {what}; did you mean `{close[0]}`?"
        for home, keys in KEY_HOMES:
            elsewhere = difflib.get_close_matches(key.lower(), keys, n=1, cutoff=0.75)
            if elsewhere:
                return (
                    f"unknown key `{key_shown}` in {what}; did you mean `{elsewhere[0]}`? "
                    f"(it belongs {home})"
                )
        return f"unknown key `{key_shown}` in {what}; it takes {_pretty(list(allowed))}{cut}"

    def missing(self, parent: yaml.Node, key: str, message: str) -> None:
        """Report a missing key, unless a misspelt key was already taken for it (root cause)."""
        if key not in self.guessed.get(id(parent), ()):
            self.problem(parent, message)

    def text(
        self,
        node: yaml.Node,
        what: str,
        scope: _Scope | None = None,
        *,
        limit: int = MAX_TEXT,
    ) -> str | None:
        """A text as written, within the length limit, its `{variables}` the ones `scope` has."""
        value = self.text_value(node, what)
        if value is None or not isinstance(node, yaml.ScalarNode) or node.tag == BOOL:
            return value  # a `yes` meant as text is noted, and read as the word
        if len(value) > limit:
            self.problem(
                node,
                f"{what} is {len(value)} characters long; a text is at most {limit} "
                "(split it into several steps)",
            )
            return value[:limit]
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
            if scope.where:
                self.problem(
                    node,
                    f"{what} cannot use `{{{name}}}`: {scope.where} "
                    "(write `{{` and `}}` for a brace)",
                )
                return
            if name not in scope.names and not scope.lenient:
                hint = did_you_mean(name, sorted(scope.names)) or (
                    f"; here you can use {', '.join(f'{{{n}}}' for n in sorted(scope.names))}"
                    if scope.names
                    else ""
                )
                self.problem(node, f"{what} uses an unknown variable `{{{name}}}`{hint}")
            if name == "other_side":
                self.sides_used.append(node)

    # -- the routine ---------------------------------------------------------------------------

    def routine(self, root: yaml.Node) -> Routine | None:
        if not isinstance(root, yaml.MappingNode):
            self.problem(
                root,
                "a routine must be a mapping with `nightvoice: 1`, `title:` and `steps:` "
                f"at the top level, not {kind_of(root)}",
            )
            return None
        entries = self.mapping(root, TOP_KEYS, "the routine")
        if entries is None:
            return None
        version_ok = self.version(root, entries.get("nightvoice"))
        title = self.required_text(root, entries, "title", "`title`", NO_VARIABLES)
        description = self.optional_text(entries, "description", NO_VARIABLES, MAX_LONG_TEXT)
        safety = self.optional_text(entries, "safety", NO_VARIABLES, MAX_LONG_TEXT)
        voice = self.voice_settings(entries)
        chime = self.optional_bool(entries, "chime", default=True)
        log_episode = self.optional_bool(entries, "log_episode", default=False)
        ask = self.question(entries["ask"][1]) if "ask" in entries else None
        names = {"side", "other_side"}
        if self.question_name:
            names.add(self.question_name)
        unknown_name = "ask" in entries and not self.question_name
        scope = _Scope(frozenset(names), lenient=unknown_name)
        steps: tuple[Node, ...] = ()
        if "steps" not in entries:
            self.missing(root, "steps", "the routine has no `steps:` list; add at least one step")
        else:
            steps = self.steps(entries["steps"][1], scope, "`steps`")
            self.check_total(steps)
        if ask is not None and ask.name == "side" and self.sides_used and len(ask.choices) != 2:
            self.problem(
                entries["ask"][1],
                f"`each_side` and `{{other_side}}` swap between two sides, but the `side` "
                f"question has {len(ask.choices)} choices; give it exactly two, "
                "like `{l: left, r: right}`",
            )
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
            locations={
                key: (entries[key][1].start_mark.line + 1, entries[key][1].start_mark.column + 1)
                for key in entries
            },
        )

    def check_total(self, steps: tuple[Node, ...]) -> None:
        """The whole routine within the limits; point at the step that takes it over."""
        total = _Cost()
        for step in steps:
            total = total.plus(self.costs.get(id(step), _Cost()))
            excess = total.excess()
            if excess and not self.over_limit:
                self.over_limit = True
                self.problem(self.where.get(id(step)), f"with this step the routine is {excess}")

    def version(self, root: yaml.Node, entry: tuple[yaml.Node, yaml.Node] | None) -> bool:
        if entry is None:
            self.missing(
                root,
                "nightvoice",
                f"the routine has no format version; add `nightvoice: {FORMAT_VERSION}` "
                "as its first line",
            )
            return False
        node = entry[1]
        value, fix = read_number(node.value) if isinstance(node, yaml.ScalarNode) else (None, None)
        if not isinstance(node, yaml.ScalarNode) or node.tag != INT or value is None:
            written = as_written(node) if isinstance(node, yaml.ScalarNode) else kind_of(node)
            self.problem(
                node,
                f"`nightvoice` is the format version: write {FORMAT_VERSION}, not {written}"
                + (f" ({fix})" if fix else ""),
            )
            return False
        if value != FORMAT_VERSION:
            self.problem(
                node,
                f"unknown format version {show_value(node)}; this nightvoice reads version "
                f"{FORMAT_VERSION} (a newer nightvoice may read this file)",
            )
            return False
        return True

    def required_text(
        self,
        parent: yaml.Node,
        entries: Entries,
        key: str,
        what: str,
        scope: _Scope | None = None,
    ) -> str | None:
        if key not in entries:
            self.missing(parent, key, f"missing {what}")
            return None
        return self.text(entries[key][1], what, scope)

    def optional_text(
        self,
        entries: Entries,
        key: str,
        scope: _Scope | None = None,
        limit: int = MAX_TEXT,
    ) -> str | None:
        if key not in entries:
            return None
        return self.text(entries[key][1], f"`{key}`", scope, limit=limit)

    def optional_bool(self, entries: Entries, key: str, *, default: bool) -> bool:
        if key not in entries:
            return default
        value = self.boolean(entries[key][1], f"`{key}`")
        return default if value is None else value

    def optional_number(
        self,
        entries: Entries,
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

    def voice_settings(self, entries: Entries) -> Voice:
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
                entries["volume"][1],
                "`volume`",
                low=0.0,
                high=1.0,
                low_inclusive=True,
                seconds=False,
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
        before_say = _Scope(frozenset(), where="the question is asked before there is an answer")
        say = self.required_text(
            node, entries, "say", "`ask` `say` (the question spoken)", before_say
        )
        choices: dict[str, str] = {}
        choices_ok = True
        if "choices" not in entries:
            self.missing(node, "choices", "missing `ask` `choices`, like `{l: left, r: right}`")
        else:
            before = len(self.problems)
            choices = self.choices(entries["choices"][1])
            choices_ok = len(self.problems) == before
        default = self.required_text(node, entries, "default", "`ask` `default`")
        if default is not None and choices_ok and choices and default not in choices.values():
            options = ", ".join(f"`{shown(v, 40)}`" for v in choices.values())
            self.problem(entries["default"][1], f"`ask` `default` must be one of {options}")
            default = None
        timeout = self.optional_number(
            entries, "timeout", "`ask` `timeout`", default=6.0, low=1, high=60, low_inclusive=True
        )
        confirm = self.optional_text(entries, "confirm")
        if confirm is not None and name:
            try:
                unknown = [used for used in fields(confirm) if used != name]
            except TemplateError as error:
                self.problem(entries["confirm"][1], f"`ask` `confirm` {error}")
                confirm = None
            else:
                if unknown:
                    self.problem(
                        entries["confirm"][1],
                        f"`ask` `confirm` can only use `{{{name}}}`, not `{{{unknown[0]}}}`",
                    )
                    confirm = None
        if name and say and choices and default and choices_ok:
            if confirm is None:
                confirm = f"{{{name}}}."  # the answer said back: "Left."
            return Question(
                name=name,
                say=say,
                choices=choices,
                default=default,
                timeout=timeout,
                confirm=confirm,
            )
        self.question_name = name  # the texts may still use it: no follow-on messages
        return None

    def choices(self, node: yaml.Node) -> dict[str, str]:
        """Choice key -> value. Every entry counts toward "2 to 9", even a wrong one, so the
        wrong entry is the message and not a follow-on count."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, "`ask` `choices` must map a key to a value, like `l: left`")
            return {}
        choices: dict[str, str] = {}
        before = len(self.problems)
        seen: dict[str, str] = {}  # value -> its key, for duplicates
        entries = 0
        for at, (key_node, value_node) in enumerate(node.value):
            entries += 1
            cut = self.cut_text(node, at) if len(getattr(key_node, "value", "")) != 1 else None
            if cut is not None and cut.certain:  # `{l: left leg, the one with the cramp}`
                self.problem(cut.node, cut.message)
                continue
            if not isinstance(key_node, yaml.ScalarNode) or len(key_node.value) != 1:
                scalar = isinstance(key_node, yaml.ScalarNode)
                written = f", not {as_written(key_node)}" if scalar else ""
                self.problem(
                    key_node, f"each choice key must be a single character, like `l`{written}"
                )
                continue
            key = key_node.value.lower()
            if not key.isprintable() or key.isspace():
                self.problem(
                    key_node, "each choice key must be a key you can press, like `l` or `1`"
                )
                continue
            if key in choices:
                self.problem(key_node, f"choice key `{key}` appears twice")
                continue
            value = self.text(value_node, f"the value for choice `{key}`")
            if value is None:
                continue
            if value.lower() in seen:
                self.problem(
                    value_node,
                    f"choices `{seen[value.lower()]}` and `{key}` both answer "
                    f"`{shown(value, 40)}`; give each choice its own value",
                )
                continue
            seen[value.lower()] = key
            choices[key] = value
        if not 2 <= entries <= 9 and len(self.problems) == before:  # a wrong entry comes first
            self.problem(node, f"`ask` `choices` needs between 2 and 9 choices, not {entries}")
        return choices

    # -- steps -------------------------------------------------------------------------------

    def steps(self, node: yaml.Node, scope: _Scope, what: str) -> tuple[Node, ...]:
        if not isinstance(node, yaml.SequenceNode) or node.tag != SEQ:
            shown = kind_of(node) if node.tag in KNOWN_TAGS else f"a `{node.tag}`-tagged value"
            self.problem(node, f"{what} must be a list, one `- ` line per step, not {shown}")
            return ()
        if not node.value:
            self.problem(node, f"{what} is empty; add at least one step")
            return ()
        built = [self.step(item, scope) for item in node.value]
        return tuple(step for step in built if step is not None)

    def step(self, node: yaml.Node, scope: _Scope) -> Node | None:
        self.steps_left -= 1
        if self.steps_left == 0:
            self.problem(
                node,
                f"the routine has more than {MAX_WRITTEN_STEPS} steps as written "
                "(a YAML alias used many times counts each time)",
            )
        if self.steps_left <= 0:
            return None
        if isinstance(node, yaml.ScalarNode):
            text = self.text(node, "a step", scope)
            if not text:
                return None
            leaf = Step(say=text, line=node.start_mark.line + 1)
            self.costs[id(leaf)] = _Cost(1, 0, _speech_floor(text))
            self.where[id(leaf)] = node
            return leaf
        if not isinstance(node, yaml.MappingNode):
            self.problem(
                node,
                f"a step must be text to say or a mapping like `say: ...`, not {kind_of(node)}",
            )
            return None
        keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
        containers = [k for k in keys if k in CONTAINERS]
        if len(containers) > 1:
            self.problem(node, f"a step can be only one of {_pretty(containers)}")
            return None
        if containers:
            return self.container(node, containers[0], scope)
        for key_node, _ in node.value:
            key = getattr(key_node, "value", None)
            if not isinstance(key, str) or key in LEAF_KEYS:
                continue
            close = difflib.get_close_matches(key.lower(), CONTAINERS, n=1, cutoff=0.7)
            if close:  # a misspelt container: its `steps:` would be a follow-on message
                self.problem(
                    key_node,
                    f"unknown key `{shown(key, 40)}` in a step; did you mean `{close[0]}`?",
                )
                return None
        return self.leaf(node, scope)

    def container(self, node: yaml.Node, kind: str, scope: _Scope) -> Node | None:
        if self.depth >= MAX_NESTING:
            key = next(k for k, _ in node.value if getattr(k, "value", None) == kind)
            self.problem(
                key,
                f"this `{kind}` is nested {self.depth + 1} deep; sections, repeats and "
                f"each_side nest at most {MAX_NESTING} deep",
            )
            self.steps_left = min(self.steps_left, 1)  # an alias loop: stop reading here
            return None
        self.depth += 1
        try:
            built = self._container(node, kind, scope)
        finally:
            self.depth -= 1
        if built is not None and not isinstance(built, Step):
            key, head = next((k, v) for k, v in node.value if getattr(k, "value", None) == kind)
            inner = _Cost()
            for child in built.steps:
                inner = inner.plus(self.costs.get(id(child), _Cost()))
            if isinstance(built, Repeat):
                cost = inner.times(built.times)
            elif isinstance(built, EachSide):
                cost = inner.times(2)
            elif built.say:
                cost = inner.plus(_Cost(1, 0, _speech_floor(built.say)))
            else:
                cost = inner
            self.costs[id(built)] = cost
            self.where[id(built)] = key
            excess = cost.excess()
            if excess and inner.excess() is None and not self.over_limit:
                self.over_limit = True
                shown = f"{kind}: {show_value(head)}" if kind == "repeat" else kind
                self.problem(key, f"this `{shown}` makes the routine {excess}")
        return built

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
            steps = self.steps(
                entries["steps"][1], scope, f"the steps of section `{shown(name or '', 40)}`"
            )
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
        self.sides_used.append(head)
        if flag is False:
            self.problem(head, "`each_side: false` does nothing; remove it or write `true`")
        steps = self.steps(entries["steps"][1], scope, "the steps for each side")
        return EachSide(steps=steps) if flag and steps else None

    def leaf(self, node: yaml.MappingNode, scope: _Scope) -> Step | None:
        allowed = LEAF_KEYS
        before_keys = len(self.problems)
        entries = self.mapping(node, allowed, "a step")
        if entries is None:
            return None
        if len(self.problems) != before_keys:  # a wrong key is the message, not its follow-ons
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
        if "cues" in entries and action not in ("hold", "rest"):
            self.problem(entries["cues"][0], "`cues` only go with `hold:` or `rest:`")
        timed: dict[str, Any] = {}
        if action is None:
            if say is None and title is None and "say" not in entries:
                self.problem(node, "this step says nothing and does nothing; add `say:`")
        else:
            timed = self.action(action, entries[action][1], entries, scope)
        if len(self.problems) != before:
            return None
        step = Step(say=say, title=title, chime=chime, line=node.start_mark.line + 1, **timed)
        self.costs[id(step)] = _leaf_cost(step)
        self.where[id(step)] = node
        return step

    def action(
        self, action: str, value: yaml.Node, entries: Entries, scope: _Scope
    ) -> dict[str, Any]:
        """The Step fields `action` sets (the step is made once, with them: `list` reads
        hundreds of routines, and copying a frozen dataclass is slow)."""
        if action == "pause":
            seconds = self.number(value, "`pause`", low=0, high=MAX_PAUSE)
            return {"pause": seconds or 0.0}
        if action in ("hold", "rest"):
            seconds = self.number(value, f"`{action}`", low=0, high=MAX_HOLD)
            default_release = action == "hold"  # a hold ends with nightvoice's "Release."
            cues = (
                self.cues(entries["cues"][1], default_release, seconds or 0.0, scope)
                if "cues" in entries
                else Cues(release=default_release)
            )
            kind: HoldKind = "hold" if action == "hold" else "rest"
            return {"hold": seconds, "hold_kind": kind, "cues": cues}
        if action == "breathe":
            return {"breathe": self.breathing(value, scope)}
        if action == "wait_for_key":
            flag = self.boolean(value, "`wait_for_key`")
            if flag is False:
                self.problem(value, "`wait_for_key: false` does nothing; remove it")
            return {"wait_for_key": bool(flag)}
        return {"until_eased": self.eased(value, scope)}

    def cues(self, node: yaml.Node, default_release: bool, seconds: float, scope: _Scope) -> Cues:
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
        if 0 < count < MIN_COUNT:
            self.problem(
                entries["count"][1],
                f"`cues` `count` must be 0 (no count) or at least {MIN_COUNT:g} second, "
                f"not {count:g}: closer counts would talk over each other",
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
        release: str | bool = default_release
        if "release" in entries:
            release_node = entries["release"][1]
            if isinstance(release_node, yaml.ScalarNode) and release_node.tag == BOOL:
                release = bool(self.boolean(release_node, "`cues` `release`"))
            else:
                release = self.text(release_node, "`cues` `release`", scope) or False
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
        words: dict[str, str | None] = {"in": None, "hold": None, "out": None}  # nightvoice's
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
        check_in = self.optional_text(entries, "check_in", scope) or None  # None: nightvoice's
        if longest is None:
            return None
        if "every" in entries and every > longest - MIN_CUE_GAP / 2:
            self.problem(
                entries["every"][1],
                f"`until_eased` `every: {every:g}` is not less than `max: {longest:g}`, so no "
                "check-in would ever be said; make `every` smaller than `max`",
            )
            return None
        return UntilEased(max_seconds=longest, every=every, check_in=check_in)


def _speech_floor(text: str) -> float:
    """The least time `text` can take to say: at the fastest rate a routine may set, counting
    words only (low on purpose: the limit never refuses a routine that fits; one long "word"
    is short here, where `planner.estimate_speech_seconds` spells it out)."""
    if not text:
        return 0.0
    return max(1, len(text.split())) * 60.0 / RATE_RANGE[1] * 0.8 + 0.3


def _leaf_cost(step: Step) -> _Cost:
    """One step's share of the limits: its timed length, speech and spoken cues."""
    seconds = _speech_floor(step.say or "") + step.pause
    cues = 0
    if step.hold is not None:
        marks = step.cues
        seconds += step.hold
        cues += int(step.hold // marks.count) if marks.count else 0
        cues += marks.halfway + marks.countdown + (1 if marks.release else 0)
    if step.breathe is not None:
        b = step.breathe
        seconds += (b.breathe_in + b.hold + b.breathe_out) * b.times
        cues += b.times * (3 if b.hold else 2)
    if step.wait_for_key:
        seconds += HANDS_FREE_WAIT
        cues += 1
    if step.until_eased is not None:
        seconds += step.until_eased.max_seconds
        cues += int(step.until_eased.max_seconds // step.until_eased.every)
    return _Cost(1, cues, seconds)


def _count(n: float) -> str:
    return f"{n:,.0f}" if n < 1e15 else "more than a million billion"


def _duration(seconds: float) -> str:
    if seconds >= 1e9:
        return "more than 30 years"
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _pretty(keys: list[str]) -> str:
    return ", ".join(f"`{k}`" for k in keys)
