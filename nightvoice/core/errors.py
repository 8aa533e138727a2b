"""Domain errors: the CLI turns each into a message and an exit code, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One located problem in a user's file; line and column are 1-based as editors count."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{shown(self.path)}:{self.line}:{self.column}: {self.message}"


def shown(text: str, limit: int = 0) -> str:
    """A person's text as they typed it, for a message: `nachlässt`, not `nachl\\xe4sst`.

    Only what cannot be printed is escaped (`\\n`, `\\x1b`, `\\u202e`), so a file or an argument can
    never move the cursor, recolour or reorder the terminal it is shown on. A `limit` cuts it
    to that many characters, ending in `...`.
    """
    if not text.isprintable():
        text = "".join(c if c.isprintable() else _escaped(c) for c in text)
    if limit and len(text) > limit:
        return text[: limit - 3] + "..."
    return text


def _escaped(character: str) -> str:
    named = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(character)
    if named:
        return named
    code = ord(character)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


class NightvoiceError(Exception):
    """Base for errors the user can act on; the message is what they read."""

    exit_code = 1


class RoutineError(NightvoiceError):
    """A routine file has one or more problems, all reported at once."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class RoutineNotFound(NightvoiceError):
    exit_code = 2


class SpeechUnavailable(NightvoiceError):
    """No speech engine or no audio device; the message names the fix.

    `lasting`: waiting cannot help (no `aplay`, no engine, no voice data), as opposed to a
    moment without sound (a sound server restarting, a busy device), which is waited for.
    """

    exit_code = 3

    def __init__(self, message: str = "", *, lasting: bool = True) -> None:
        super().__init__(message)
        self.lasting = lasting

    @property
    def cause(self) -> str:
        """What went wrong, without the fix: the message's first line or sentence."""
        first = str(self).splitlines()[0] if str(self) else "no sound"
        return first.split(". ")[0].rstrip(".")


class ConfigError(NightvoiceError):
    exit_code = 2
