"""Keys from a real terminal: cbreak mode, a reader thread, and a terminal always restored.

Raw terminal handling lives only here. The reader turns bytes into key names and posts
them on the player's inbox; decoding is a pure function so it is tested without a terminal.
"""

from __future__ import annotations

import os
import selectors
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType
from typing import TYPE_CHECKING, Any

from nightvoice.base import stops

if TYPE_CHECKING:  # the ports are loaded when keys are read: `list` and `check` need not
    from nightvoice.core.ports import Event

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
_DISABLED = b"\x00"  # _POSIX_VDISABLE on Linux and the BSDs: the character does nothing
SHOW_CURSOR = b"\x1b[?25h"  # as the night screen writes them (screen.py): a suspended
HIDE_CURSOR = b"\x1b[?25l"  # program gives the shell its cursor back
SINGLE = {b" ": "space", b"\r": "enter", b"\n": "enter", b"\x7f": "backspace", b"\x08": "backspace"}


# An arrow key is three bytes; over ssh they can arrive in two reads. A lone ESC means quit,
# so a chunk ending mid-sequence (or on an ESC) waits this long for the rest before it is
# decoded: Esc is Esc only with nothing after it, and ESC x together is Alt+x, never a quit.
ESCAPE_WAIT = 0.05


def unfinished_escape(data: bytes) -> bool:
    """Does the chunk end inside an escape sequence (or on the ESC that may start one)?"""
    start = data.rfind(b"\x1b")
    if start < 0:
        return False
    tail = data[start + 1 :]
    if not tail:
        return True
    if tail[:1] not in (b"[", b"O"):
        return False
    body = tail[1:]
    if tail[:1] == b"O":
        return not body
    body = body[1:] if body[:1] == b"[" else body  # the Linux console's ESC [ [ A..E
    return all(0x20 <= byte <= 0x3F for byte in body)  # no final byte yet


def selector_ready(fd: int, timeout: float) -> bool:
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        return bool(selector.select(timeout))


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
                if data[i + 1 : i + 2] == b"\x1b":  # Esc, Esc
                    keys.append("esc")
                    i += 1
                    continue
                if data[i + 1 : i + 2] not in (b"[", b"O"):
                    # Alt+key arrives as ESC then the key, together: harmless, never a quit.
                    keys.append("unknown")
                    i += 1 + _utf8_length(data[i + 1])
                    continue
                # An unknown sequence (F-keys, Home...): skip to its final byte, do nothing.
                j = i + 2
                if data[i + 1 : i + 3] == b"[[":  # the Linux console's F1-F5: ESC [ [ A..E
                    j += 1
                while j < len(data) and not (0x40 <= data[j] <= 0x7E):
                    j += 1
                keys.append("unknown")
                i = j + 1
            continue
        if data.startswith(b"\r\n", i):  # one Enter from a terminal that sends CR LF
            keys.append("enter")
            i += 2
            continue
        if data[i : i + 1] in SINGLE:
            keys.append(SINGLE[data[i : i + 1]])
            i += 1
            continue
        # UTF-8 text: one character at a time.
        length = _utf8_length(data[i])
        keys.append(data[i : i + length].decode("utf-8", errors="replace"))
        i += length
    return keys


def _utf8_length(lead: int) -> int:
    """How many bytes the UTF-8 character starting with `lead` takes (1 for a stray byte)."""
    if lead >= 0xF0:
        return 4
    if lead >= 0xE0:
        return 3
    if lead >= 0xC0:
        return 2
    return 1


class KeyReader:
    """Reads keys on a thread while the terminal is in cbreak mode (no echo, no line buffer).

    Ctrl-C still raises KeyboardInterrupt (ISIG stays on); Ctrl-\\ is turned into a plain
    (harmless) key, and so are Ctrl-S and Ctrl-Q (flow control off: Ctrl-S would freeze the
    screen, and with it every key). Ctrl-Z suspends as usual, but first gives the shell its
    terminal back as it was; `fg` puts it in key mode again, keys live. The terminal is
    restored on exit, and restoring never fails (a terminal that was closed needs nothing).
    """

    def __init__(self, post: Callable[[Event], None], fd: int) -> None:
        self._post = post
        self._fd = fd
        self._saved: list[Any] | None = None
        self._keys_mode: list[Any] | None = None
        self._previous_tstp: Any = None
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._read, name="nightvoice-keys", daemon=True)

    def __enter__(self) -> KeyReader:
        import termios
        import tty

        self._saved = termios.tcgetattr(self._fd)
        try:
            tty.setcbreak(self._fd, termios.TCSANOW)
            mode = termios.tcgetattr(self._fd)
            mode[0] &= ~(termios.IXON | termios.IXOFF)  # Ctrl-S / Ctrl-Q are keys, not brakes
            chars = mode[6]
            for name in ("VDSUSP", "VQUIT"):
                index = getattr(termios, name, None)
                if index is not None and index < len(chars):
                    chars[index] = _DISABLED
            termios.tcsetattr(self._fd, termios.TCSANOW, mode)
            self._keys_mode = mode
            self._catch_suspend()
            self._thread.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _catch_suspend(self) -> None:
        if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGTSTP"):
            self._previous_tstp = signal.signal(signal.SIGTSTP, self._suspend)

    def _suspend(self, signum: int, frame: FrameType | None) -> None:
        """Ctrl-Z or `kill -TSTP`: the shell's terminal back, stop; on `fg`, keys again."""
        import termios

        saved, mode = self._saved, self._keys_mode
        if saved is None or mode is None:
            return
        with suppress(termios.error, OSError):
            termios.tcsetattr(self._fd, termios.TCSANOW, saved)
        with suppress(OSError):
            os.write(self._fd, SHOW_CURSOR)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        try:
            os.kill(os.getpid(), signal.SIGTSTP)  # stops here until SIGCONT (`fg`, `bg`)
        finally:
            signal.signal(signal.SIGTSTP, self._suspend)
        if self._saved is None:
            return  # closed meanwhile
        with suppress(termios.error, OSError):
            termios.tcsetattr(self._fd, termios.TCSANOW, mode)
        with suppress(OSError):
            os.write(self._fd, HIDE_CURSOR)

    def close(self) -> None:
        import termios

        saved, self._saved = self._saved, None
        if saved is not None:
            # TCSANOW, not TCSADRAIN: a terminal stopped by flow control (Ctrl-S) or closed
            # must not hang the exit; nothing we print depends on the mode.
            with suppress(termios.error, OSError):
                termios.tcsetattr(self._fd, termios.TCSANOW, saved)
        if self._previous_tstp is not None:
            with suppress(ValueError, OSError):
                signal.signal(signal.SIGTSTP, self._previous_tstp)
            self._previous_tstp = None
        with suppress(OSError):
            os.write(self._wake_w, b"x")
        if self._thread.is_alive():
            self._thread.join(timeout=1.0)
        if not self._thread.is_alive():
            for fd in (self._wake_r, self._wake_w):
                with suppress(OSError):
                    os.close(fd)
            self._wake_r = self._wake_w = -1

    def _read(self) -> None:
        from nightvoice.core.ports import KeyPressed

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
                at = time.monotonic()  # the player's clock: tells typed-ahead keys apart
                while unfinished_escape(data) and selector_ready(self._fd, ESCAPE_WAIT):
                    try:
                        more = os.read(self._fd, 64)
                    except OSError:
                        break
                    if not more:
                        break
                    data += more
                for key in decode_keys(data):
                    self._post(KeyPressed(key, at=at))


class Terminated(BaseException):
    """SIGTERM, SIGHUP (or SIGUSR1: a newer session plays) arrived: unwind so every
    `finally` restores and stops.

    A BaseException, as KeyboardInterrupt is: an `except Exception` that guards a guess or a
    driver (and may be on the stack when the signal lands) must not swallow the stop."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by signal {signum}")


class Signals:
    """SIGTERM and SIGHUP become `Terminated`; `held()` keeps clean-up from being interrupted."""

    def __init__(self) -> None:
        self.pending: int | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        """While cleaning up, SIGINT, SIGTERM and SIGHUP are noted instead of raised.

        A second Ctrl-C (or the terminal closing) while the terminal is being restored and the
        audio stopped must not cut the clean-up short. The first signal noted is raised after.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def note(signum: int, frame: FrameType | None) -> None:
            if self.pending is None:
                self.pending = signum

        previous = {signum: signal.signal(signum, note) for signum in _held_signals()}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        # Raised once: a process that goes on (standby, between presses) holds again later.
        pending, self.pending = self.pending, None
        if pending == signal.SIGINT:
            raise KeyboardInterrupt
        if pending is not None:
            raise Terminated(pending)


def _stop_signals() -> list[int]:
    """Signals that end the program by unwinding (so the terminal and the sound are restored):
    SIGTERM, SIGHUP (the terminal closed), SIGQUIT (its default would dump core instead) and
    SIGUSR1 (a newer nightvoice started playing and asks this one to stop: onevoice.py)."""
    names = ("SIGHUP", "SIGQUIT", "SIGUSR1")
    optional = [getattr(signal, name) for name in names if hasattr(signal, name)]
    return [signal.SIGTERM, *optional]


def _held_signals() -> list[int]:
    return [signal.SIGINT, *_stop_signals()]


@contextmanager
def exits_cleanly() -> Iterator[Signals]:
    """Turn SIGTERM and SIGHUP (terminal closed) into an exception that unwinds cleanly."""

    def raise_terminated(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    previous = {}
    stops.keep_swallowed_stops()  # a stop raised where CPython ignores it is not lost
    if threading.current_thread() is threading.main_thread():
        for signum in _stop_signals():
            previous[signum] = signal.signal(signum, raise_terminated)
    try:
        yield Signals()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
