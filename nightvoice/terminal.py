"""Keys from a real terminal: cbreak mode, a reader thread, and a terminal always restored.

Raw terminal handling lives only here. The reader turns bytes into key names and posts
them on the player's inbox; decoding is a pure function so it is tested without a terminal.
"""

from __future__ import annotations

import os
import selectors
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType
from typing import Any

from nightvoice.ports import Event, KeyPressed

SEQUENCES = {
    b"\x1b[A": "up",
    b"\x1b[B": "down",
    b"\x1b[C": "right",
    b"\x1b[D": "left",
    b"\x1bOA": "up",
    b"\x1bOB": "down",
    b"\x1bOC": "right",
    b"\x1bOD": "left",
}
SINGLE = {b" ": "space", b"\r": "enter", b"\n": "enter", b"\x7f": "backspace", b"\x08": "backspace"}


def decode_keys(data: bytes) -> list[str]:
    """Key names in a chunk of terminal input; unknown escape sequences become `unknown`."""
    keys: list[str] = []
    i = 0
    while i < len(data):
        if data[i : i + 1] == b"\x1b":
            if i + 1 == len(data):
                keys.append("esc")
                i += 1
                continue
            for sequence, name in SEQUENCES.items():
                if data.startswith(sequence, i):
                    keys.append(name)
                    i += len(sequence)
                    break
            else:
                # An unknown sequence (F-keys, Home...): skip to its final byte, do nothing.
                j = i + 2
                while j < len(data) and not (0x40 <= data[j] <= 0x7E):
                    j += 1
                keys.append("unknown" if data[i + 1 : i + 2] in (b"[", b"O") else "esc")
                i = j + 1 if data[i + 1 : i + 2] in (b"[", b"O") else i + 1
            continue
        if data[i : i + 1] in SINGLE:
            keys.append(SINGLE[data[i : i + 1]])
            i += 1
            continue
        # UTF-8 text: one character at a time.
        length = 1
        lead = data[i]
        if lead >= 0xF0:
            length = 4
        elif lead >= 0xE0:
            length = 3
        elif lead >= 0xC0:
            length = 2
        keys.append(data[i : i + length].decode("utf-8", errors="replace"))
        i += length
    return keys


class KeyReader:
    """Reads keys on a thread while the terminal is in cbreak mode (no echo, no line buffer).

    Ctrl-C still raises KeyboardInterrupt (ISIG stays on); the terminal is restored on exit.
    """

    def __init__(self, post: Callable[[Event], None], fd: int) -> None:
        self._post = post
        self._fd = fd
        self._saved: list[Any] | None = None
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._read, name="nightvoice-keys", daemon=True)

    def __enter__(self) -> KeyReader:
        import termios
        import tty

        self._saved = termios.tcgetattr(self._fd)
        tty.setcbreak(self._fd, termios.TCSANOW)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        import termios

        if self._saved is not None:
            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
            self._saved = None
        with suppress(OSError):
            os.write(self._wake_w, b"x")
        self._thread.join(timeout=1.0)

    def _read(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._fd, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                ready = [key.fd for key, _ in selector.select()]
                if self._wake_r in ready:
                    return
                try:
                    data = os.read(self._fd, 64)
                except OSError:
                    return
                if not data:  # the terminal went away
                    return
                for key in decode_keys(data):
                    self._post(KeyPressed(key))


class Terminated(Exception):
    """SIGTERM or SIGHUP arrived: unwind so every `finally` restores and stops."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by signal {signum}")


@contextmanager
def exits_cleanly() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP (terminal closed) into an exception that unwinds cleanly."""

    def raise_terminated(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    wanted = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in wanted:
            previous[signum] = signal.signal(signum, raise_terminated)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False
