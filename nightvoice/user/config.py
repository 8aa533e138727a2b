"""Settings: built-in night defaults < the routine < the user's config file < flags.

The config file is `config.yaml` in the user's config folder: plain `key: value` lines, read
by the same reader as a routine (`core/reader.py`), so a setting gets the same `file:line:col`
messages and the same refusals (`rate: 1:45` is refused, not read as 105).
`set_value` edits it line by line (comments and other keys stay as they are) and replaces the
file atomically, so it is never half-written.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from nightvoice.base import paths, reading, writing
from nightvoice.core.errors import ConfigError, Problem, shown
from nightvoice.core.plan import Settings
from nightvoice.core.routine import RATE_RANGE, Routine, Voice

if TYPE_CHECKING:
    import yaml

    from nightvoice.core.reader import YamlReader

# The night profile: slow and low, so it soothes rather than startles.
NIGHT_DEFAULTS: dict[str, Any] = {"language": "en", "voice": None, "rate": 130, "volume": 0.6}
# Settings only the config file and flags give (a routine has its own `chime`).
OUTPUT_DEFAULTS: dict[str, Any] = {"device": None, "chime": True}
KEYS = ("language", "voice", "rate", "volume", "device", "chime")
TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")


@dataclass(frozen=True)
class Resolved:
    settings: Settings
    sources: dict[str, str]  # setting -> where its value came from
    values: dict[str, Any] = field(default_factory=dict)  # every setting in KEYS


# --- values ----------------------------------------------------------------------------------


def _check_rate(value: Any) -> str | None:
    low, high = RATE_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"`rate` must be a whole number of words a minute from {low} to {high}"
    return None


def _check_volume(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        return "`volume` must be a number from 0 to 1, such as 0.6"
    return None


def _check_text(key: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            return f"`{key}` must be one line of text"
        return None

    return check


def _check_chime(value: Any) -> str | None:
    return None if isinstance(value, bool) else "`chime` must be true or false"


CHECKS: dict[str, Callable[[Any], str | None]] = {
    "rate": _check_rate,
    "volume": _check_volume,
    "language": _check_text("language"),
    "voice": _check_text("voice"),
    "device": _check_text("device"),
    "chime": _check_chime,
}


def parse_value(key: str, text: str) -> Any:
    """A value typed on the command line, as the config file will hold it (or ConfigError)."""
    if key not in KEYS:
        from nightvoice.core.suggest import did_you_mean

        raise ConfigError(
            f"unknown setting `{shown(key)}`{did_you_mean(key, KEYS)} (known: {', '.join(KEYS)})"
        )
    value: Any = text.strip()
    if key == "rate":
        with contextlib.suppress(ValueError):
            value = int(value)
    elif key == "volume":
        with contextlib.suppress(ValueError):
            value = float(value)
    elif key == "chime":
        lowered = value.lower()
        value = True if lowered in TRUE_WORDS else False if lowered in FALSE_WORDS else value
    message = CHECKS[key](value)
    if message:
        raise ConfigError(f"{message}, not `{shown(text)}`")
    return value


# --- reading ---------------------------------------------------------------------------------


@dataclass
class _File:
    """config.yaml as read: its text, its top-level mapping (located nodes), and the reader
    that read it, which collects the problems."""

    text: str
    root: yaml.MappingNode | None  # None for a file of only comments
    reader: YamlReader


def _read(path: Path) -> _File | None:
    """The config file read as YAML but not yet checked; None when there is no file.

    ConfigError when it cannot be read at all (not a file, not UTF-8, not YAML, not a
    mapping): then there is nothing to check or to edit line by line.
    """
    try:
        data = reading.read_input(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError(
            f"{shown(str(path))}:1:1: cannot read the config file: {reason}"
        ) from None
    return _parse(str(path), data)


def _parse(source: str, data: bytes) -> _File:
    # YAML is imported only once there is a file: a night with no config.yaml never waits on it.
    import yaml

    from nightvoice.core.reader import MAP, YamlReader

    reader = YamlReader(source)
    text = reader.decode(data)
    root = reader.compose(text) if text is not None else None
    if root is not None and (not isinstance(root, yaml.MappingNode) or root.tag != MAP):
        reader.mapping(root, None, "config.yaml")  # says what it is instead
    if reader.problems:
        raise ConfigError("\n".join(str(p) for p in reader.sorted_problems()))
    return _File(text or "", root if isinstance(root, yaml.MappingNode) else None, reader)


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The user's config.yaml, validated; a missing file is an empty config."""
    path = path or paths.config_file()
    read = _read(path)
    if read is None:
        return {}
    return _checked(read)


@dataclass(frozen=True)
class ConfigLayer:
    """config.yaml as playing reads it: never refused whole. The settings that are right,
    where each was written, and each one that is not (`file:line:col: why`), for the night's
    one rule (user/night.py) to pass over; `others` are problems of no one setting (an unknown
    key, a file that cannot be read at all)."""

    values: dict[str, Any] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)
    wrong: dict[str, str] = field(default_factory=dict)
    others: tuple[str, ...] = ()


def load_config_layer(path: Path | None = None) -> ConfigLayer:
    """config.yaml for playing: every setting that is right is kept, each wrong one noted."""
    path = path or paths.config_file()
    try:
        read = _read(path)
    except ConfigError as error:  # not a file, not UTF-8, not YAML, not `key: value` lines
        return ConfigLayer(others=tuple(str(error).splitlines()))
    if read is None:
        return ConfigLayer()
    values, where, wrong, others = _settings_of(read)
    return ConfigLayer(values, where, wrong, tuple(others))


def _checked(read: _File, skip: str | None = None) -> dict[str, Any]:
    """The settings, if every one is right (else ConfigError naming each that is not, at its
    `file:line:col`); `skip` is left out, being the one about to be replaced."""
    values, _, _, _ = _settings_of(read, skip)
    if read.reader.problems:
        raise ConfigError("\n".join(str(p) for p in read.reader.sorted_problems()))
    return values


def _settings_of(
    read: _File, skip: str | None = None
) -> tuple[dict[str, Any], dict[str, str], dict[str, str], list[str]]:
    """The settings that are right, where each was written (`file:line:col`), the located
    problem of each setting that is not, and the problems of no one setting.

    Values are read as strictly as a routine's (`rate: 1:45` is refused with the same hint);
    a key with nothing after its `:` is not set.
    """
    import yaml

    from nightvoice.core.reader import MERGE, NULL
    from nightvoice.core.suggest import did_you_mean

    reader, root = read.reader, read.root
    if root is None:
        return {}, {}, {}, []
    values: dict[str, Any] = {}
    where: dict[str, str] = {}
    wrong: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for at, (key_node, value_node) in enumerate(root.value):
        key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
        if key_node.tag == MERGE:
            reader.problem(
                key_node, "nightvoice does not read YAML merge keys (`<<`); write the keys out"
            )
            continue
        if not key:
            reader.problem(key_node, "keys in config.yaml are setting names, one per line")
            continue
        if key == skip:
            continue
        name = shown(key, 40)
        if key in first_line:
            reader.problem(
                key_node,
                f"`{name}` appears twice in config.yaml (first on line {first_line[key]}); "
                f"`nightvoice config unset {name}` removes both",
            )
            continue
        first_line[key] = key_node.start_mark.line + 1
        if key not in KEYS:
            cut = reader.cut_text(root, at)
            if cut is not None and cut.certain:  # `{voice: English, Scotland}`
                reader.problem(cut.node, cut.message)
                continue
            reader.problem(
                key_node,
                f"unknown setting `{name}`{did_you_mean(key, KEYS)} (known: {', '.join(KEYS)}; "
                f"`nightvoice config unset {name}` removes it)"
                + (f" ({cut.message})" if cut is not None else ""),
            )
            continue
        if value_node.tag == NULL and value_node.value == "":
            continue  # `rate:` with nothing after it: not set
        before = len(reader.problems)
        value = _setting(reader, key, value_node)
        fix = f" (`nightvoice config set {key} VALUE` checks and writes it)"
        for number in range(before, len(reader.problems)):
            problem = reader.problems[number]
            reader.problems[number] = replace(problem, message=problem.message + fix)
        if len(reader.problems) > before:
            wrong[key] = str(reader.problems[before])
        elif value is not None:
            values[key] = value
            mark = value_node.start_mark
            where[key] = f"{shown(reader.source)}:{mark.line + 1}:{mark.column + 1}"
    noted = set(wrong.values())
    others = [str(p) for p in reader.sorted_problems() if str(p) not in noted]
    return values, where, wrong, others


def _setting(reader: YamlReader, key: str, node: yaml.Node) -> Any:
    """One setting's value read from its node, or None with the problem noted: the same
    reading and the same words as the same key in a routine."""
    if key == "rate":
        low, high = RATE_RANGE
        what = "`rate` (words per minute)"
        rate = reader.number(node, what, low=low, high=high, low_inclusive=True, integer=True)
        return None if rate is None else int(rate)
    if key == "volume":
        return reader.number(node, "`volume`", low=0.0, high=1.0, low_inclusive=True, seconds=False)
    if key == "chime":
        return reader.boolean(node, "`chime`")
    text = reader.text_value(node, f"`{key}`")
    if text is not None and "\n" in text:
        reader.problem(node, f"`{key}` must be one line of text")
        return None
    return text


def load_config_or_defaults(err: TextIO | None = None) -> dict[str, Any]:
    """The config for `list`, `show`, `export` and `devices`: every setting that is right; each
    one that is not is a one-line warning (and left out, so the routine's or the night default
    applies), so a typo in config.yaml never stops a command. Playing goes through the night's
    one rule instead (user/night.py), which also says what it used instead.

    (`nightvoice config` and `config set` use `load_config`, which reports every problem.)
    """
    layer = load_config_layer()
    for problem in (*layer.wrong.values(), *layer.others):
        print(f"nightvoice: warning: {problem} (left out)", file=err or sys.stderr)
    return layer.values


def resolve_settings(routine: Voice, config: dict[str, Any], flags: dict[str, Any]) -> Resolved:
    values = {**NIGHT_DEFAULTS, **OUTPUT_DEFAULTS}
    sources = {key: "night default" for key in values}
    layers = (
        ("routine", {k: getattr(routine, k) for k in ("language", "voice", "rate", "volume")}),
        ("config", config),
        ("flag", flags),
    )
    for origin, layer in layers:
        for key in values:
            if layer.get(key) is not None:
                values[key] = layer[key]
                sources[key] = origin
    settings = Settings(
        language=str(values["language"]),
        voice=values["voice"],
        rate=int(values["rate"]),
        volume=float(values["volume"]),
    )
    return Resolved(settings, sources, values)


# --- writing ---------------------------------------------------------------------------------


def check_with_engine(key: str, value: Any) -> tuple[Any, str | None]:
    """Check a voice, language or device against this machine: ConfigError if it is wrong.

    Returns the value to save (a voice by the one name `nightvoice voices` shows, whichever
    name it was given by) and a note when the machine cannot be asked (no espeak-ng, no
    `aplay`): the value is then kept as given, as it may be right where it is used.
    """
    if key == "device":
        return value, _check_device(str(value))
    if key not in ("voice", "language"):
        return value, None
    from nightvoice.core.errors import SpeechUnavailable
    from nightvoice.sound.engines import make_synthesizer
    from nightvoice.sound.naturalvoices import missing, natural_voice

    natural = natural_voice(str(value)) if key == "voice" else None
    if natural is not None:
        problem = missing(natural)
        if problem is not None:
            raise ConfigError(problem)
        return natural.name, None
    try:
        catalog = make_synthesizer().catalog()
    except SpeechUnavailable:
        return value, (
            f"note: no speech engine to check the {key} `{shown(str(value))}` against; "
            "kept as given"
        )
    if key == "voice":
        return catalog.resolve(str(value)).name, None
    wanted = str(value).lower().replace("_", "-")
    languages = {lang.lower() for v in catalog.voices for lang in v.languages}
    if wanted in languages or any(lang.startswith(wanted + "-") for lang in languages):
        return value, None
    raise ConfigError(
        f"no voice speaks the language `{shown(str(value))}`{catalog.language_hint(str(value))} "
        "(`nightvoice voices` lists the voices and their languages)"
    )


def voice_problems(routine: Routine, path: str) -> tuple[list[str], list[str]]:
    """The routine's `language:` and `voice:` checked against the installed engine, located:
    the problems, and notes where the engine cannot be asked (`check` prints both).

    A name espeak-ng lacks would pass the loader and fail at the first word of the night.
    """
    problems: list[str] = []
    notes: list[str] = []
    for key in ("language", "voice"):
        value = getattr(routine.voice, key)
        if value is None:
            continue
        try:
            _, note = check_with_engine(key, value)
        except ConfigError as error:
            line, column = routine.locations.get(key, (1, 1))
            problems.append(str(Problem(path, line, column, str(error))))
            continue
        if note:
            notes.append(f"{shown(path)}: {note}")
    return problems, notes


def _check_device(device: str) -> str | None:
    """ConfigError unless `device` opens and plays; a note when there is no `aplay` to ask."""
    import shutil

    from nightvoice.sound.audio import cannot_play, list_devices

    if not shutil.which("aplay"):
        return f"note: no `aplay` here to check the device `{shown(device)}` against; kept as given"
    reason = cannot_play(device)
    if reason is None:
        return None
    from nightvoice.core.suggest import did_you_mean

    names = [d.name for d in list_devices()]
    raise ConfigError(
        f"the device `{shown(device)}` cannot play: {reason}{did_you_mean(device, names)} "
        "(`nightvoice devices` lists the outputs that can; the setting is unchanged)"
    )


def _line_for(key: str, value: Any) -> str:
    import yaml

    return yaml.safe_dump({key: value}, allow_unicode=True, default_flow_style=False)


def _comment_of(line: str) -> str:
    """The inline comment ending a `key: value` line, with the spaces before it ("" if none).

    A `#` after a space starts a comment only outside quotes: the first such place where the
    part before it is a whole YAML line is where the comment starts.
    """
    body = line.rstrip("\r\n")
    for match in re.finditer(r"[ \t]+#", body):
        if _as_written(body[: match.start()]):
            return body[match.start() :]
    return ""


def _with_comment(line: str, comment: str) -> str:
    """`line` (one `key: value` line) with the old line's inline comment kept after it."""
    if not comment or "\n" in line.rstrip("\n"):
        return line
    return line.rstrip("\n") + comment + "\n"


def _edited(text: str, key: str, line: str | None) -> str:
    """`text` with the top-level `key:` line (and any indented lines under it) replaced by
    `line` (or removed when None), and any later `key:` lines removed (a key written twice);
    appended at the end if it was not there."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    found = False
    skipping = False
    for current in lines:
        if skipping and (current[:1] in (" ", "\t")):
            continue
        skipping = False
        if re.match(rf"{re.escape(key)}\s*:", current):
            skipping = True
            if line is not None and not found:
                out.append(_with_comment(line, _comment_of(current)))
            found = True
            continue
        out.append(current)
    if not found and line is not None:
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out.append(line)
    return "".join(out)


def set_value(key: str, value: Any, path: Path | None = None) -> Path:
    """Set one setting in the config file, keeping its other lines; None removes the key.

    A config file that is already broken is refused (its problems are reported) rather than
    rewritten: the user's file is theirs to fix. Removing is the exception: any key can be
    removed (an unknown one, a bad value) as long as the file is YAML, since that is how a
    broken setting is fixed.
    """
    path = path or paths.config_file()
    if value is None:
        unset_value(key, path)
        return path
    with writing.locked(path):  # a second `config set` at the same time waits its turn
        _set_locked(path, key, value)
    return path


def _set_locked(path: Path, key: str, value: Any) -> None:
    read = _read(path)
    if read is not None:  # the setting being set may be the broken one: its message says so
        _checked(read, skip=key)
    _rewrite(path, read.text if read is not None else NEW_FILE, key, _line_for(key, value))


def unset_value(key: str, path: Path | None = None) -> bool:
    """Remove `key` from the config file; False if it was not there (a known setting).

    Any key can be removed, even one nightvoice does not know (a typo like `rate2`) or one
    with a bad value, as long as the file is YAML: that is how a broken setting is fixed.
    """
    path = path or paths.config_file()
    with writing.locked(path):
        return _unset_locked(path, key)


def _unset_locked(path: Path, key: str) -> bool:
    read = _read(path)
    names = [str(k.value) for k, _ in read.root.value] if read is not None and read.root else []
    if key not in names:
        if key in KEYS:
            return False
        from nightvoice.core.suggest import did_you_mean

        raise ConfigError(
            f"`{shown(key)}` is not in {shown(str(path))}{did_you_mean(key, names or KEYS)}"
        )
    assert read is not None  # it has the key
    _rewrite(path, read.text, key, None)
    return True


NEW_FILE = "# nightvoice settings (`nightvoice config` shows them and where each comes from)\n"


def _rewrite(path: Path, text: str, key: str, line: str | None) -> None:
    """Write `text` with `key`'s line edited, if that changes nothing else (else refuse)."""
    new_text = _edited(text, key, line)
    before, after = _as_written(text), _as_written(new_text)
    added = (_as_written(line) or []) if line is not None else []
    wanted = None if before is None else [entry for entry in before if entry[0] != key] + added
    if after is None or wanted is None or sorted(after) != sorted(wanted):
        # Line editing did not give the intended result (flow style, anchors...): rewriting
        # the file from the settings would lose the user's comments and layout, so leave it
        # to them.
        change = f"set `{line.strip()}`" if line is not None else f"remove the `{key}` line"
        raise ConfigError(
            f"{shown(str(path))}: cannot change `{shown(key)}` without rewriting the file's "
            "own layout (only plain `key: value` lines are edited); the file is unchanged: "
            f"edit it by hand and {change}"
        )
    writing.write_atomically(path, new_text.encode("utf-8"))


def _as_written(text: str) -> list[tuple[str, str]] | None:
    """Each top-level `key: value` of `text` as written (the value's own text), to see what
    an edit changed; None unless it is a YAML mapping (or only comments)."""
    try:
        read = _parse("config.yaml", text.encode("utf-8"))
    except ConfigError:
        return None
    pairs = read.root.value if read.root is not None else []
    return [(str(k.value), read.text[v.start_mark.index : v.end_mark.index]) for k, v in pairs]
