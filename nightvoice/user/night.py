"""What a night's play uses: the routine, the config and the settings, chosen never to silence it.

The session, the first-words renderer (startup/firstwords.py) and standby all start here, so
what the fast start expects plain `nightvoice` to say is what the session says.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, TextIO

from nightvoice.core.errors import RoutineError
from nightvoice.core.phrases import ENGLISH, PhraseBook
from nightvoice.core.plan import Settings
from nightvoice.core.routine import Routine
from nightvoice.user import catalog
from nightvoice.user.catalog import load_routine
from nightvoice.user.config import load_config_or_defaults, resolve_settings
from nightvoice.user.languages import phrase_book


@dataclass(frozen=True)
class Prepared:
    """A request resolved: the routine and the settings it plays with."""

    ref: catalog.RoutineRef
    routine: Routine
    config: dict[str, Any]
    settings: Settings
    device: str | None
    phrases: PhraseBook = ENGLISH  # nightvoice's own words in the routine's language


def prepare(
    target: str | None = None,
    flags: dict[str, Any] | None = None,
    device: str | None = None,
    err: TextIO | None = None,
) -> Prepared:
    """The routine (a name or file; None: the default), its settings (routine < config <
    flags) and phrases; a broken config, phrase catalog or copy of a built-in warns on `err`
    and never stops it."""
    ref, routine = load_for_the_night(target, err)
    config = load_config_or_defaults(err)
    settings = resolve_settings(routine.voice, config, flags or {}).settings

    def warn(message: str) -> None:
        print(f"nightvoice: {message}", file=err or sys.stderr)

    phrases = phrase_book(settings, warn)
    return Prepared(ref, routine, config, settings, device or config.get("device"), phrases)


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
