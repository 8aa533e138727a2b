"""Keys from a bedside input device: a USB button, a foot pedal, a presenter remote, a numpad.

Linux hands every input device's events to readers of `/dev/input/eventN` (stable names under
`/dev/input/by-id/`) as the kernel's `struct input_event` records: a timestamp (two C longs),
then a 16-bit type, a 16-bit code and a 32-bit value. Only key presses matter here (type EV_KEY,
value 1; 0 is the release and 2 the auto-repeat of a held key, both ignored), so this reads the
documented record format itself rather than depending on python-evdev: a C extension to build on
a Raspberry Pi for ten lines of struct unpacking, and one that refuses anything but a real
device, where the tests feed real records through a FIFO.

A press becomes what the same key means at the terminal (`KeyPressed`, keys.py's map applies);
the keys a terminal never sends get a meaning of their own (media keys as the desktop's media
keys, PageDown/PageUp as a presenter's next/previous, volume keys as 0 and 9), and any other key
(a lone button's BTN_0, F13, a pedal's code) is the one button of a headset: Play/Pause. The
reader runs on its own thread, blocked in `select` (no CPU while nothing is pressed); when the
device goes away (unplugged) it opens it again as soon as it is back, and it grabs it (EVIOCGRAB:
no other program sees its keys) only when asked to.
"""

from __future__ import annotations

import errno
import os
import selectors
import stat
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from nightvoice.core.errors import NightvoiceError
from nightvoice.core.keys import Command
from nightvoice.core.ports import Event, KeyPressed, RemoteCommand

# struct input_event: struct timeval (two native longs), __u16 type, __u16 code, __s32 value.
RECORD = struct.Struct("@llHHi")
EV_KEY = 1
PRESS = 1
INPUT_MAJOR = 13  # the character-device major number of every Linux input device
EVIOCGRAB = 0x40044590  # _IOW('E', 0x90, int): only this reader sees the device's events
RETRY_SECONDS = 1.0  # how often a missing (unplugged) device is looked for
BOUNCE_SECONDS = 0.05  # a switch's contacts bouncing: the same key again this soon is one press

# linux/input-event-codes.h: the keys that mean what they mean at the terminal.
_LETTERS = "qwertyuiop" + "asdfghjkl" + "zxcvbnm"
_LETTER_CODES = [*range(16, 26), *range(30, 39), *range(44, 51)]
TERMINAL_KEYS: dict[int, str] = {
    **dict(zip(_LETTER_CODES, _LETTERS, strict=True)),
    **{code: str(code - 1) for code in range(2, 11)},  # KEY_1 .. KEY_9
    11: "0",
    1: "esc",
    14: "backspace",
    28: "enter",
    57: "space",
    26: "[",
    27: "]",
    103: "up",
    105: "left",
    106: "right",
    108: "down",
    # The numeric keypad: its digits and Enter, as the terminal receives them.
    **dict(zip((71, 72, 73, 75, 76, 77, 79, 80, 81, 82), "7894561230", strict=True)),
    96: "enter",  # KEY_KPENTER
}
# Keys no terminal sends, with the meaning a person would expect of them.
EXTRA_KEYS: dict[int, str | Command] = {
    109: "right",  # KEY_PAGEDOWN: a presenter's "next"
    104: "left",  # KEY_PAGEUP: a presenter's "previous"
    115: "0",  # KEY_VOLUMEUP: louder
    114: "9",  # KEY_VOLUMEDOWN: quieter
    78: "0",  # KEY_KPPLUS: louder
    74: "9",  # KEY_KPMINUS: quieter
    164: Command.PAUSE,  # KEY_PLAYPAUSE
    200: Command.PLAY,  # KEY_PLAYCD
    207: Command.PLAY,  # KEY_PLAY
    201: Command.PAUSE_ONLY,  # KEY_PAUSECD
    163: Command.NEXT,  # KEY_NEXTSONG
    165: Command.BACK,  # KEY_PREVIOUSSONG
    166: Command.QUIT,  # KEY_STOPCD
    128: Command.QUIT,  # KEY_STOP
}
# Modifiers and locks change other keys; pressed alone they mean nothing.
IGNORED = frozenset({29, 42, 54, 56, 58, 69, 70, 97, 100, 125, 126})


def event_for(code: int) -> Event | None:
    """What a press of key `code` means: a terminal key, a command, or the one button."""
    if code in IGNORED:
        return None
    key = TERMINAL_KEYS.get(code)
    if key is not None:
        return KeyPressed(key, at=time.monotonic())
    extra = EXTRA_KEYS.get(code)
    if isinstance(extra, str):
        return KeyPressed(extra, at=time.monotonic())
    if extra is not None:
        return RemoteCommand(extra)
    return RemoteCommand(Command.PAUSE)  # a lone button: pause, go on, go on at a wait


def presses(data: bytes) -> tuple[list[int], bytes]:
    """The key codes pressed in whole records of `data`, and the part of a record left over."""
    whole = len(data) - len(data) % RECORD.size
    codes = [
        code
        for _sec, _usec, kind, code, value in RECORD.iter_unpack(data[:whole])
        if kind == EV_KEY and value == PRESS
    ]
    return codes, data[whole:]


class ButtonError(NightvoiceError):
    """The device can never be read as a button (not an input device); the message says why."""

    exit_code = 2


def check_device(path: str) -> None:
    """Refuse what is no input device (a regular file would be read as presses, over and over;
    /dev/zero would never end); a missing path is fine: it may be plugged in later."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as error:
        raise ButtonError(f"{path}: {error.strerror}") from None
    if stat.S_ISCHR(found.st_mode) and os.major(found.st_rdev) == INPUT_MAJOR:
        return
    if stat.S_ISFIFO(found.st_mode):  # records written by another program (or a test)
        return
    raise ButtonError(
        f"{path} is not an input device: give one under /dev/input/by-id/ "
        "(`ls /dev/input/by-id/` lists them; `nightvoice help bedside` has more)"
    )


@dataclass
class _Wait:
    """Why the reader is not reading, said once per kind of trouble."""

    said: str = ""


class ButtonReader:
    """Reads presses from an input device on its own thread and posts them; `close` ends it.

    `note` is told, in one line, when the device is read, goes away or cannot be opened.
    """

    def __init__(
        self,
        path: str,
        post: Callable[[Event], None],
        *,
        grab: bool = False,
        note: Callable[[str], None] = lambda _line: None,
        retry: float = RETRY_SECONDS,
    ) -> None:
        check_device(path)
        self.path = path
        self._post = post
        self._grab = grab
        self._note = note
        self._retry = retry
        self._closed = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._last: tuple[int, float] | None = None
        self.opened = threading.Event()  # set each time the device is open for reading
        self._thread = threading.Thread(target=self._run, name="nightvoice-button", daemon=True)

    def start(self) -> ButtonReader:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closed.set()
        try:  # noqa: SIM105 - the pipe may be closed already
            os.write(self._wake_w, b"x")
        except OSError:
            pass
        if self._thread.is_alive():
            self._thread.join(timeout=1.0)
        if not self._thread.is_alive():
            for fd in (self._wake_r, self._wake_w):
                try:  # noqa: SIM105
                    os.close(fd)
                except OSError:
                    pass
            self._wake_r = self._wake_w = -1

    def __enter__(self) -> ButtonReader:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        waiting = _Wait()
        while not self._closed.is_set():
            fd = self._open(waiting)
            if fd is None:
                self._closed.wait(self._retry)
                continue
            try:
                self.opened.set()
                self._read(fd)
            finally:
                self.opened.clear()
                os.close(fd)  # a grab ends with the descriptor
            if not self._closed.is_set():
                waiting.said = ""
                self._note(f"bedside button {self.path} went away; waiting for it to come back")

    def _open(self, waiting: _Wait) -> int | None:
        """The device, open for reading (and grabbed if asked); None while it cannot be."""
        try:
            check_device(self.path)
            fd = _open_device(self.path)
        except ButtonError as error:
            self._say_once(waiting, str(error))
            return None
        except OSError as error:
            self._say_once(waiting, _why_not(self.path, error))
            return None
        if self._grab:
            try:
                import fcntl

                fcntl.ioctl(fd, EVIOCGRAB, 1)
            except OSError as error:
                os.close(fd)
                self._say_once(waiting, f"cannot grab {self.path}: {error.strerror}")
                return None
        self._note(f"bedside button: reading {self.path}" + (" (grabbed)" if self._grab else ""))
        return fd

    def _say_once(self, waiting: _Wait, line: str) -> None:
        if waiting.said != line:
            waiting.said = line
            self._note(line)

    def _read(self, fd: int) -> None:
        """Post presses until the device goes away (EOF, ENODEV) or the reader is closed."""
        rest = b""
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                ready = [key.fd for key, _ in selector.select()]
                if self._wake_r in ready:
                    return
                try:
                    data = os.read(fd, RECORD.size * 64)
                except BlockingIOError:
                    continue
                except OSError:
                    return  # ENODEV: unplugged
                if not data:
                    return  # a FIFO's writer closed it
                codes, rest = presses(rest + data)
                for code in codes:
                    self._press(code)

    def _press(self, code: int) -> None:
        now = time.monotonic()
        last, self._last = self._last, (code, now)
        if last is not None and last[0] == code and now - last[1] < BOUNCE_SECONDS:
            return
        event = event_for(code)
        if event is not None:
            self._post(event)


def _open_device(path: str) -> int:
    """Non-blocking: a FIFO opens with no writer yet, and `select` says when there is data."""
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)


def _why_not(path: str, error: OSError) -> str:
    """One line on why the device cannot be opened now, with what to do."""
    if error.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return f"bedside button {path} is not there; waiting for it to be plugged in"
    if error.errno == errno.EACCES:
        return (
            f"cannot read {path}: permission denied; add yourself to the `input` group "
            "(`sudo adduser $USER input`, then log in again) or see `nightvoice help bedside`"
        )
    return f"cannot read {path}: {error.strerror}"
