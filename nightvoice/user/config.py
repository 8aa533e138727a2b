"""Settings: built-in night defaults < the routine < the user's config file < flags.

The config file is `config.yaml` in the user's config folder: plain `key: value` lines.
`set_value` edits it line by line (comments and other keys stay as they are) and replaces the
file atomically, so it is never half-written.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from nightvoice.base import paths, reading, writing
from nightvoice.core.errors import ConfigError, Problem
from nightvoice.core.plan import Settings
from nightvoice.core.routine import RATE_RANGE, Routine, Voice

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
            f"unknown setting `{key}`{did_you_mean(key, KEYS)} (known: {', '.join(KEYS)})"
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
        raise ConfigError(f"{message}, not {text!r}")
    return value


# --- reading ---------------------------------------------------------------------------------


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"{re.escape(key)}\s*:", line):
            return number
    return 1


def _read(path: Path) -> tuple[str, dict[Any, Any]] | None:
    """The config file's text and its YAML mapping, unchecked; None when there is no file."""
    try:
        text = reading.read_input(path).decode("utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError(f"{path}:1:1: cannot read the config file: {reason}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}:1:1: cannot read the config file: {error}") from None
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = Problem(str(path), line, column, f"YAML syntax: {error.problem}")
        raise ConfigError(str(problem)) from None
    if data is None:
        return text, {}
    if not isinstance(data, dict):
        raise ConfigError(str(Problem(str(path), 1, 1, "the config must be `key: value` lines")))
    return text, data


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The user's config.yaml, validated; a missing file is an empty config."""
    path = path or paths.config_file()
    read = _read(path)
    if read is None:
        return {}
    return _checked(path, *read)


def _checked(
    path: Path, text: str, data: dict[Any, Any], skip: str | None = None
) -> dict[str, Any]:
    """`data` if every setting in it is right (ConfigError naming each one that is not);
    `skip` is left out, being the one about to be replaced."""
    problems = []
    for key, value in data.items():
        if key == skip:
            continue
        if key not in KEYS:
            from nightvoice.core.suggest import did_you_mean

            message = (
                f"unknown setting `{key}`{did_you_mean(str(key), KEYS)} (known: {', '.join(KEYS)}; "
                f"`nightvoice config unset {key}` removes it)"
            )
        else:
            check = CHECKS[key](value) if value is not None else None
            if check is None:
                continue
            message = f"{check} (`nightvoice config set {key} VALUE` checks and writes it)"
        problems.append(str(Problem(str(path), _line_of(text, str(key)), 1, message)))
    if problems:
        raise ConfigError("\n".join(problems))
    return {key: value for key, value in data.items() if value is not None and key != skip}


def load_config_or_defaults(err: TextIO | None = None) -> dict[str, Any]:
    """The config for playing: a broken or unreadable one is a one-line warning, and the night
    defaults apply, so a typo in config.yaml can never stop the voice at 3 a.m.

    (`nightvoice config` and `config set` use `load_config`, which reports every problem.)
    """
    try:
        return load_config()
    except ConfigError as error:
        first, *rest = str(error).splitlines() or [""]
        more = f" (+{len(rest)} more)" if rest else ""
        print(
            f"nightvoice: warning: config ignored, using the defaults: {first}{more}",
            file=err or sys.stderr,
        )
        return {}


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
        return value, f"note: no speech engine to check the {key} {value!r} against; kept as given"
    if key == "voice":
        return catalog.resolve(str(value)).name, None
    wanted = str(value).lower().replace("_", "-")
    languages = {lang.lower() for v in catalog.voices for lang in v.languages}
    if wanted in languages or any(lang.startswith(wanted + "-") for lang in languages):
        return value, None
    raise ConfigError(
        f"no voice speaks the language {value!r}{catalog.language_hint(str(value))} "
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
            notes.append(f"{path}: {note}")
    return problems, notes


def _check_device(device: str) -> str | None:
    """ConfigError unless `device` opens and plays; a note when there is no `aplay` to ask."""
    import shutil

    from nightvoice.sound.audio import cannot_play, list_devices

    if not shutil.which("aplay"):
        return f"note: no `aplay` here to check the device {device!r} against; kept as given"
    reason = cannot_play(device)
    if reason is None:
        return None
    from nightvoice.core.suggest import did_you_mean

    names = [d.name for d in list_devices()]
    raise ConfigError(
        f"the device {device!r} cannot play: {reason}{did_you_mean(device, names)} "
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
    import yaml

    body = line.rstrip("\r\n")
    for match in re.finditer(r"[ \t]+#", body):
        try:
            if isinstance(yaml.safe_load(body[: match.start()]), dict):
                return body[match.start() :]
        except yaml.YAMLError:
            continue
    return ""


def _with_comment(line: str, comment: str) -> str:
    """`line` (one `key: value` line) with the old line's inline comment kept after it."""
    if not comment or "\n" in line.rstrip("\n"):
        return line
    return line.rstrip("\n") + comment + "\n"


def _edited(text: str, key: str, line: str | None) -> str:
    """`text` with the top-level `key:` line (and any indented lines under it) replaced by
    `line` (or removed when None); appended at the end if it was not there."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    found = False
    skipping = False
    for current in lines:
        if skipping and (current[:1] in (" ", "\t")):
            continue
        skipping = False
        if not found and re.match(rf"{re.escape(key)}\s*:", current):
            found = skipping = True
            if line is not None:
                out.append(_with_comment(line, _comment_of(current)))
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
    # The setting being set may be the broken one: that is how its message says to fix it.
    current = _checked(path, *read, skip=key) if read is not None else {}
    text = read[0] if read is not None else NEW_FILE
    wanted = dict(current)
    wanted[key] = value
    _rewrite(path, text, key, _line_for(key, value), wanted, drop_empty=True)


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
    text, data = read if read is not None else ("", {})
    if key not in data:
        if key in KEYS:
            return False
        from nightvoice.core.suggest import did_you_mean

        names = [str(name) for name in data]
        raise ConfigError(f"`{key}` is not in {path}{did_you_mean(key, names or KEYS)}")
    _rewrite(path, text, key, None, {k: v for k, v in data.items() if k != key})
    return True


NEW_FILE = "# nightvoice settings (`nightvoice config` shows them and where each comes from)\n"


def _rewrite(
    path: Path,
    text: str,
    key: str,
    line: str | None,
    wanted: dict[Any, Any],
    *,
    drop_empty: bool = False,
) -> None:
    """Write `text` with `key`'s line edited, if that gives exactly `wanted` (else refuse)."""
    import yaml

    new_text = _edited(text, key, line)
    try:
        parsed = yaml.safe_load(new_text) or {}
    except yaml.YAMLError:
        parsed = None
    if isinstance(parsed, dict) and drop_empty:
        parsed = {k: v for k, v in parsed.items() if v is not None}
    if parsed != wanted:
        # Line editing did not give the intended result (flow style, anchors, a key written
        # twice...): rewriting the file from the settings would lose the user's comments and
        # layout, so leave it to them.
        change = f"set `{line.strip()}`" if line is not None else f"remove the `{key}` line"
        raise ConfigError(
            f"{path}: cannot change `{key}` without rewriting the file's own layout "
            f"(only plain `key: value` lines are edited); the file is unchanged: "
            f"edit it by hand and {change}"
        )
    writing.write_atomically(path, new_text.encode("utf-8"))
