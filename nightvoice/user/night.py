"""What a night plays: the routine and its settings, chosen so that they never silence it.

The session, the first-words renderer (startup/firstwords.py), `say` and standby all start
here, so what the fast start expects plain `nightvoice` to say is what the session says.

One rule for every setting, at play time only: each is taken from the first place that gives
one that can be used (flags, then config.yaml, then the routine, then the night default). A
value that cannot be used there (out of range, not a setting's kind, or a voice or language the
engine lacks) is passed over, and one line says where it was, why, and what is used instead.
A setting is a preference; the night is not the moment to enforce it. `check`, `config set`
and `voices` still refuse such a value (user/config.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from nightvoice.core.errors import RoutineError, shown
from nightvoice.core.phrases import ENGLISH, PhraseBook
from nightvoice.core.plan import Settings
from nightvoice.core.routine import Routine
from nightvoice.user import catalog
from nightvoice.user.catalog import load_routine
from nightvoice.user.config import (
    CHECKS,
    KEYS,
    NIGHT_DEFAULTS,
    OUTPUT_DEFAULTS,
    ConfigLayer,
    load_config_layer,
)
from nightvoice.user.languages import phrase_book

# Why a `voice` or `language` cannot be spoken here, or None (sound.engines.Engines.cannot_use).
Usable = Callable[[str, Any], str | None]
ROUTINE_KEYS = ("language", "voice", "rate", "volume")  # what a routine may set itself


@dataclass(frozen=True)
class Prepared:
    """A request resolved: the routine and the settings it plays with."""

    ref: catalog.RoutineRef
    routine: Routine
    config: dict[str, Any]  # every setting in config.KEYS as chosen (None: not set)
    settings: Settings
    device: str | None
    phrases: PhraseBook = ENGLISH  # nightvoice's own words in the routine's language
    origins: dict[str, str] = field(default_factory=dict)  # key: where its value was written


def prepare(
    target: str | None = None,
    flags: dict[str, Any] | None = None,
    device: str | None = None,
    err: TextIO | None = None,
    *,
    usable: Usable | None = None,
) -> Prepared:
    """The routine (a name or file; None: the default), its settings by the one rule, and
    nightvoice's own words in its language; a broken config, phrase catalog or copy of a
    built-in warns on `err` and never stops it. `usable` asks the engine about voices and
    languages (without it only their form is checked)."""
    ref, routine = load_for_the_night(target, err)
    given = dict(flags or {})
    if device is not None:
        given["device"] = device
    origins: dict[str, str] = {}
    chosen = choose(routine, load_config_layer(), given, usable=usable, err=err, origins=origins)
    settings = Settings(
        language=str(chosen["language"]),
        voice=chosen["voice"],
        rate=int(chosen["rate"]),
        volume=float(chosen["volume"]),
    )

    def warn(message: str) -> None:
        print(f"nightvoice: {message}", file=err or sys.stderr)

    phrases = phrase_book(settings, warn)
    return Prepared(ref, routine, chosen, settings, chosen["device"], phrases, origins)


def choose(
    routine: Routine | None,
    config: ConfigLayer,
    flags: dict[str, Any],
    *,
    usable: Usable | None = None,
    err: TextIO | None = None,
    origins: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Every setting in config.KEYS by the one rule: the first usable value of the flags,
    config.yaml, the routine and the night default; one line for each value passed over.
    `origins` is given where each chosen value was written (`--device`, `FILE:LINE:COL`;
    nothing for a night default), for a later line about it (session.Outage)."""
    out = err or sys.stderr
    for other in config.others:  # an unknown key, an unreadable file: nothing to replace
        print(f"nightvoice: warning: {other} (left out)", file=out)
    # `chime` not set means the routine's own `chime:` decides (compile_plan), so not True.
    defaults = {**NIGHT_DEFAULTS, **OUTPUT_DEFAULTS, "chime": None}
    chosen: dict[str, Any] = {}
    for key in KEYS:
        passed_over: list[str] = []
        origin, value = "the night default", defaults[key]
        for place, where, candidate, wrong in _candidates(key, routine, config, flags):
            problem = wrong if wrong is not None else _problem(key, candidate, usable)
            if problem is None:
                origin, value = place, candidate
                if origins is not None:
                    origins[key] = where
                break
            passed_over.append(f"{where}: {problem}" if where else problem)
        chosen[key] = value
        for line in passed_over:
            print(f"nightvoice: {line}; {_instead(key, value, origin, chosen)}", file=out)
    return chosen


def _candidates(
    key: str, routine: Routine | None, config: ConfigLayer, flags: dict[str, Any]
) -> list[tuple[str, str, Any, str | None]]:
    """(origin, where it was written, value, a problem already found) for each place that
    gives `key`, first first."""
    found: list[tuple[str, str, Any, str | None]] = []
    if flags.get(key) is not None:
        found.append(("the flag", f"--{key}", flags[key], None))
    if key in config.wrong:
        found.append(("config.yaml", "", None, config.wrong[key]))  # already located
    elif config.values.get(key) is not None:
        found.append(
            ("config.yaml", config.where.get(key, "config.yaml"), config.values[key], None)
        )
    if routine is not None and key in ROUTINE_KEYS:
        value = getattr(routine.voice, key)
        if value is not None:
            line, column = routine.locations.get(key, (1, 1))
            found.append(("the routine", f"{shown(routine.source)}:{line}:{column}", value, None))
    return found


def _problem(key: str, value: Any, usable: Usable | None) -> str | None:
    """Why `value` cannot be used for `key` now (its form; for a voice or language, the
    engine); None if it can. An engine that cannot be asked counts as saying yes."""
    problem = CHECKS[key](value)
    if problem is not None or usable is None or key not in ("voice", "language"):
        return problem
    from nightvoice.core.errors import SpeechUnavailable

    try:
        return usable(key, value)
    except SpeechUnavailable:
        return None  # no engine here at all: that is the sound's failure to report, not this


def _instead(key: str, value: Any, origin: str, chosen: dict[str, Any]) -> str:
    """What is used instead, in words: `using 130 words a minute (the night default) instead`."""
    if key == "voice" and value is None:
        language = shown(str(chosen.get("language", NIGHT_DEFAULTS["language"])))
        return f"speaking with the language's own voice (`{language}`) instead"
    if key == "device" and value is None:
        return "playing on the system's default output instead"
    if key == "chime" and value is None:
        return "the routine's own chime setting applies instead"
    words = {
        "rate": f"{value} words a minute",
        "volume": f"volume {value}",
        "chime": "chime true" if value else "chime false",
    }.get(key, f"`{shown(str(value))}`")
    verb = "speaking with" if key in ("voice", "language") else "using"
    return f"{verb} {words} ({origin}) instead"


def load_for_the_night(
    target: str | None, err: TextIO | None = None
) -> tuple[catalog.RoutineRef, Routine]:
    """The routine to play. The user's own copy of a built-in that has a problem never
    silences the night: one warning line, and the built-in plays. Any other routine with a
    problem was asked for by name or path: its problems are the answer (exit code 2)."""
    ref = catalog.resolve(target)
    try:
        return ref, load_routine(ref.path)
    except RoutineError as error:
        original = catalog.builtin(ref.name) if ref.shadows_builtin else None
        if original is None:
            raise
        more = len(error.problems) - 1
        print(
            f"nightvoice: {error.problems[0]}"
            + (f" (+{more} more)" if more > 0 else "")
            + f"; playing the built-in {ref.name} instead",
            file=err or sys.stderr,
        )
        return original, load_routine(original.path)
