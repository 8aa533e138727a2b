"""Low-light screens: one dim line for the current step, a plain line log, or nothing.

Nothing bright, nothing flashing, no walls of text; NO_COLOR and dumb terminals get plain
text. The cursor is hidden while the night line is drawn and always shown again on close.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import textwrap
import threading
import unicodedata
from typing import TextIO

from nightvoice.core.phrases import ENGLISH, SECONDS_LEFT, PhraseBook

DIM = "\x1b[2m\x1b[38;5;240m"  # dim dark grey: readable up close, no glow across a room
RESET = "\x1b[0m"
CLEAR_LINE = "\r\x1b[2K"
CLEAR_BELOW = "\r\x1b[J"  # from the cursor to the end of the screen
HIDE_CURSOR = "\x1b[?25l"
SHOW_CURSOR = "\x1b[?25h"
PROGRESS_MARKS = 10


def one_line(text: str) -> str:
    """Text safe for one screen line: whitespace runs become one space, control characters
    (an escape sequence in a routine's text could switch on a bright background) are dropped."""
    text = "".join(" " if ch.isspace() else ch for ch in text if ch.isprintable() or ch.isspace())
    return " ".join(text.split())


STAND_INS = str.maketrans({"●": "#", "○": "-", "·": "-", "…": "..."})


def encodable(text: str, encoding: str | None) -> str:
    """`text` as the terminal's encoding can show it: the marks get ASCII stand-ins and any
    other character a `?` (a routine's text in a script the locale lacks)."""
    encoding = encoding or "ascii"
    return text.translate(STAND_INS).encode(encoding, "replace").decode(encoding)


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

    def show_time_left(self, seconds: int | None) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class _Output:
    """Writes that never fail the player: a closed terminal or pipe just stops the output."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._gone = False

    def _write(self, text: str, *, even_if_gone: bool = False) -> None:
        if self._gone and not even_if_gone:
            return
        try:
            try:
                self.stream.write(text)
            except UnicodeEncodeError:  # a Latin-1 or ASCII terminal: plain stand-ins
                self.stream.write(encodable(text, getattr(self.stream, "encoding", None)))
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

    def show_time_left(self, seconds: int | None) -> None:
        pass  # a line a second would bury the steps in a log

    def note(self, text: str) -> None:
        self._line(one_line(text))

    def close(self) -> None:
        self._write("")


class NightScreen(_Output):
    """One dim line, redrawn in place: progress, the step's title and its state.

    When the line is too narrow, the state ("Paused", "Press Enter") wins, then the title,
    then the progress mark. It never wraps, and a resize (SIGWINCH) redraws it at the new
    width. In --text mode each sentence is printed whole, wrapped and dim, above the line.
    """

    def __init__(self, stream: TextIO, phrases: PhraseBook = ENGLISH) -> None:
        super().__init__(stream)
        self._phrases = phrases  # "12 s left" in the routine's language
        self._number = 0
        self._total = 0
        self._title = ""
        self._status = ""
        self._time_left: int | None = None
        self._drawn = 0  # columns the line on screen takes
        self._drawing = False
        self._redraw_pending = False
        self._previous_winch: object = None
        self._write(HIDE_CURSOR)
        self._watch_resizes()

    def _watch_resizes(self) -> None:
        if not hasattr(signal, "SIGWINCH"):
            return
        if threading.current_thread() is not threading.main_thread():
            return
        try:
            self._previous_winch = signal.signal(signal.SIGWINCH, self._resized)
        except (ValueError, OSError):  # pragma: no cover - not the main interpreter
            self._previous_winch = None

    def _resized(self, signum: int, frame: object) -> None:
        # Runs on the main thread between two bytecodes, possibly in the middle of a draw:
        # then the draw that is under way draws once more when it is done.
        if self._drawing:
            self._redraw_pending = True
            return
        self._draw(resized=True)

    def _width(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = shutil.get_terminal_size((80, 24)).columns
        # One column spare: writing the last column would wrap, and a wrapped line cannot be
        # redrawn in place (the screen would scroll a line each time).
        return max(10, columns - 1)

    def line(self, width: int) -> str:
        """The line's text for `width` columns, most important first."""
        status = self._status
        if self._time_left is not None:
            left = self._phrases.text(SECONDS_LEFT, seconds=str(self._time_left))
            status = f"{status} · {left}" if status else left
        status = cut(status, width)
        room = width - (columns(status) + 4 if status else 0)  # "  · " before the state
        left = ""
        if self._total:
            title = one_line(self._title)
            short = f"{self._number}/{self._total}"
            for mark in (progress_mark(self._number, self._total), short):
                candidate = f"{mark}  {title}" if title else mark
                if columns(candidate) <= room:
                    left = candidate
                    break
            else:
                if title and room >= columns(short) + 2 + 4:
                    left = f"{short}  {cut(title, room - columns(short) - 2)}"
                elif room >= columns(short):
                    left = short
        if left and status:
            return f"{left}  · {status}"
        return left or status

    def _draw(self, *, resized: bool = False) -> None:
        self._drawing = True
        try:
            while True:
                self._redraw_pending = False
                width = self._width()
                line = self.line(width)
                # A terminal that reflows its lines on a resize (most do) has wrapped the old,
                # wider line onto several rows: clear them all, so no fragment is left.
                rows = -(-self._drawn // (width + 1)) if self._drawn else 1
                up = f"\x1b[{rows - 1}A" if resized and rows > 1 else ""
                self._write(f"{CLEAR_LINE}{up}{CLEAR_BELOW if up else ''}{DIM}{line}{RESET}")
                self._drawn = columns(line)
                if not self._redraw_pending:
                    return
                resized = True
        finally:
            self._drawing = False

    def show_step(self, number: int, total: int, title: str, section: str) -> None:
        self._number, self._total, self._title = number, total, title
        self._status = ""
        self._time_left = None
        self._draw()

    def show_status(self, text: str) -> None:
        self._status = one_line(text)
        self._time_left = None
        self._draw()

    def show_time_left(self, seconds: int | None) -> None:
        self._time_left = seconds
        self._draw()

    def show_text(self, text: str) -> None:
        """--text: the whole sentence, wrapped and dim, above the night line."""
        width = self._width()
        wrapped = textwrap.wrap(one_line(text), width=width) or [""]
        self._write(f"{CLEAR_LINE}{DIM}" + "\n".join(wrapped) + f"{RESET}\n")
        self._drawn = 0
        self._draw()

    def note(self, text: str) -> None:
        """A message of its own (the sound failed...): one line above the night line."""
        self._write(f"{CLEAR_LINE}{RESET}{one_line(text)}\n")
        self._drawn = 0
        self._draw()

    def close(self) -> None:
        if self._previous_winch is not None:
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(signal.SIGWINCH, self._previous_winch)  # type: ignore[arg-type]
            self._previous_winch = None
        # Even after a failed write: the cursor must come back if the terminal is there at all.
        self._write(f"{CLEAR_LINE}{RESET}{SHOW_CURSOR}", even_if_gone=True)


def columns(text: str) -> int:
    """How many terminal columns `text` takes: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def cut(text: str, width: int) -> str:
    """`text` in at most `width` columns, ending in "…" if it was cut."""
    if columns(text) <= width:
        return text
    out = ""
    for ch in text:
        if columns(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def choose_screen(
    stream: TextIO, *, blank: bool, phrases: PhraseBook = ENGLISH
) -> BlankScreen | PlainScreen | NightScreen:
    if blank:
        return BlankScreen()
    dumb = os.environ.get("TERM", "") in ("", "dumb")
    if os.environ.get("NO_COLOR") or dumb or not stream.isatty():
        return PlainScreen(stream)
    return NightScreen(stream, phrases)
