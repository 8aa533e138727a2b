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


class PlainScreen:
    """No escapes at all: for NO_COLOR, dumb terminals, pipes and logs."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def show_step(self, number: int, total: int, title: str, section: str) -> None:
        where = f"{section}: " if section else ""
        self._line(f"[{number}/{total}] {where}{title}")

    def show_status(self, text: str) -> None:
        if text:
            self._line(f"  ({text})")

    def show_text(self, text: str) -> None:
        self._line(f"  {text}")

    def close(self) -> None:
        self.stream.flush()


class NightScreen:
    """One dim line, redrawn in place: progress, step and a short state."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._step = ""
        self._status = ""
        self.stream.write(HIDE_CURSOR)

    def _draw(self) -> None:
        width = max(20, shutil.get_terminal_size((80, 24)).columns - 1)
        line = self._step + (f"  · {self._status}" if self._status else "")
        if len(line) > width:
            line = line[: width - 1] + "…"
        self.stream.write(f"{CLEAR_LINE}{DIM}{line}{RESET}")
        self.stream.flush()

    def show_step(self, number: int, total: int, title: str, section: str) -> None:
        self._step = f"{progress_mark(number, total)}  {title}"
        self._status = ""
        self._draw()

    def show_status(self, text: str) -> None:
        self._status = text
        self._draw()

    def show_text(self, text: str) -> None:
        self._status = text
        self._draw()

    def close(self) -> None:
        self.stream.write(f"{CLEAR_LINE}{RESET}{SHOW_CURSOR}")
        self.stream.flush()


def choose_screen(stream: TextIO, *, blank: bool) -> BlankScreen | PlainScreen | NightScreen:
    if blank:
        return BlankScreen()
    dumb = os.environ.get("TERM", "") in ("", "dumb")
    if os.environ.get("NO_COLOR") or dumb or not stream.isatty():
        return PlainScreen(stream)
    return NightScreen(stream)
