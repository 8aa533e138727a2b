"""Low-light screens: one dim line for the current step, a plain line log, or nothing.

Nothing bright, nothing flashing, no walls of text; NO_COLOR and dumb terminals get plain
text. The cursor is hidden while the night line is drawn and always shown again on close.
"""

from __future__ import annotations

import os
import shutil
from typing import TextIO

DIM = "\x1b[2m\x1b[38;5;240m"  # dim dark grey: readable up close, no glow across a room
RESET = "\x1b[0m"
CLEAR_LINE = "\r\x1b[2K"
HIDE_CURSOR = "\x1b[?25l"
SHOW_CURSOR = "\x1b[?25h"
PROGRESS_MARKS = 10


def one_line(text: str) -> str:
    """Text safe for one screen line: whitespace runs become one space, control characters
    (an escape sequence in a routine's text could switch on a bright background) are dropped."""
    text = "".join(" " if ch.isspace() else ch for ch in text if ch.isprintable() or ch.isspace())
    return " ".join(text.split())


def progress_mark(number: int, total: int) -> str:
    """A small bar like `●●●○○○○○○○ 3/10`: how far along, at a glance."""
    filled = round(PROGRESS_MARKS * number / total) if total else 0
    return "●" * filled + "○" * (PROGRESS_MARKS - filled) + f" {number}/{total}"


class BlankScreen:
    """--blank: nothing at all on screen."""

    def show_step(self, number: int, total: int, title: str, section: str) -> None:
        pass

    def show_status(self, text: str) -> None:
        pass

    def show_text(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class _Output:
    """Writes that never fail the player: a closed terminal or pipe just stops the output."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._gone = False

    def _write(self, text: str) -> None:
        if self._gone:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # EIO after a hang-up, EPIPE, a closed stream
            self._gone = True


class PlainScreen(_Output):
    """No escapes at all: for NO_COLOR, dumb terminals, pipes and logs."""

    def _line(self, text: str) -> None:
        self._write(text + "\n")

    def show_step(self, number: int, total: int, title: str, section: str) -> None:
        where = f"{section}: " if section else ""
        self._line(one_line(f"[{number}/{total}] {where}{title}"))

    def show_status(self, text: str) -> None:
        if text:
            self._line(f"  ({one_line(text)})")

    def show_text(self, text: str) -> None:
        self._line(f"  {one_line(text)}")

    def close(self) -> None:
        self._write("")


class NightScreen(_Output):
    """One dim line, redrawn in place: progress, step and a short state."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._step = ""
        self._status = ""
        self._write(HIDE_CURSOR)

    def _width(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = shutil.get_terminal_size((80, 24)).columns
        # One column spare: writing the last column would wrap, and a wrapped line cannot be
        # redrawn in place (the screen would scroll a line each time).
        return max(20, columns - 1)

    def _draw(self) -> None:
        width = self._width()
        line = self._step + (f"  · {self._status}" if self._status else "")
        if len(line) > width:
            line = line[: width - 1] + "…"
        self._write(f"{CLEAR_LINE}{DIM}{line}{RESET}")

    def show_step(self, number: int, total: int, title: str, section: str) -> None:
        self._step = f"{progress_mark(number, total)}  {one_line(title)}"
        self._status = ""
        self._draw()

    def show_status(self, text: str) -> None:
        self._status = one_line(text)
        self._draw()

    def show_text(self, text: str) -> None:
        self._status = one_line(text)
        self._draw()

    def close(self) -> None:
        self._write(f"{CLEAR_LINE}{RESET}{SHOW_CURSOR}")


def choose_screen(stream: TextIO, *, blank: bool) -> BlankScreen | PlainScreen | NightScreen:
    if blank:
        return BlankScreen()
    dumb = os.environ.get("TERM", "") in ("", "dumb")
    if os.environ.get("NO_COLOR") or dumb or not stream.isatty():
        return PlainScreen(stream)
    return NightScreen(stream)
