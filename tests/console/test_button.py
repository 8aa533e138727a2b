"""The bedside button: kernel `input_event` records in, the terminal's keys and commands out.

The reader is fed real records through a FIFO (a program writing to the device node, as far as
the reader can tell): presses, releases, auto-repeats and sync events, split mid-record, a device
unplugged (its writer gone) and plugged in again, and paths that are no input device at all.
"""

from __future__ import annotations

import os
import queue
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from nightvoice.console import button
from nightvoice.console.button import (
    EVIOCGRAB,
    RECORD,
    ButtonError,
    ButtonReader,
    check_device,
    event_for,
    presses,
)
from nightvoice.core.keys import Command
from nightvoice.core.ports import Event, KeyPressed, RemoteCommand

EV_SYN, EV_KEY, EV_MSC = 0, 1, 4
KEY_ENTER, KEY_Q, KEY_Y, KEY_SPACE, KEY_KP5, KEY_PAGEDOWN = 28, 16, 21, 57, 76, 109
KEY_PLAYPAUSE, KEY_LEFTSHIFT, BTN_0, KEY_F13 = 164, 42, 0x100, 183


def record(kind: int, code: int, value: int, sec: int = 1_700_000_000) -> bytes:
    """One `struct input_event` as the kernel writes it: timeval, type, code, value."""
    return struct.pack("@llHHi", sec, 250_000, kind, code, value)


def press(code: int) -> bytes:
    """A key going down and up, as a keyboard reports it (scan code, key, sync, each time)."""
    return b"".join(
        [
            record(EV_MSC, 4, 0x7001E),
            record(EV_KEY, code, 1),
            record(EV_SYN, 0, 0),
            record(EV_KEY, code, 0),
            record(EV_SYN, 0, 0),
        ]
    )


def test_the_record_is_the_kernels_struct_input_event() -> None:
    """Two native longs of timeval, then u16 type, u16 code, s32 value: 24 bytes on 64-bit."""
    assert RECORD.size == 2 * struct.calcsize("@l") + 8
    # _IOW('E', 0x90, int) from linux/input.h and asm-generic/ioctl.h.
    assert (1 << 30) | (struct.calcsize("i") << 16) | (ord("E") << 8) | 0x90 == EVIOCGRAB


def test_only_presses_count_and_a_record_cut_in_two_waits_for_its_rest() -> None:
    data = press(KEY_ENTER) + record(EV_KEY, KEY_ENTER, 2) + press(KEY_Q)  # 2: auto-repeat
    codes, rest = presses(data[:30])
    assert (codes, rest) == ([], data[RECORD.size : 30])
    codes, rest = presses(rest + data[30:])
    assert (codes, rest) == ([KEY_ENTER, KEY_Q], b"")


@pytest.mark.parametrize(
    ("code", "event"),
    [
        (KEY_ENTER, KeyPressed("enter")),
        (KEY_SPACE, KeyPressed("space")),
        (KEY_Q, KeyPressed("q")),  # quits, as at the terminal
        (KEY_Y, KeyPressed("y")),  # answers "did it help?"
        (38, KeyPressed("l")),  # answers "which leg?"
        (10, KeyPressed("9")),  # quieter
        (KEY_KP5, KeyPressed("5")),  # a numpad's digits are digits
        (96, KeyPressed("enter")),  # the numpad's Enter
        (1, KeyPressed("esc")),
        (KEY_PAGEDOWN, KeyPressed("right")),  # a presenter remote's next
        (104, KeyPressed("left")),  # ... and previous
        (115, KeyPressed("0")),  # volume up: louder
        (KEY_PLAYPAUSE, RemoteCommand(Command.PAUSE)),  # as a desktop's media key
        (163, RemoteCommand(Command.NEXT)),
        (166, RemoteCommand(Command.QUIT)),
        (BTN_0, RemoteCommand(Command.PAUSE)),  # a lone button: the headset's one button
        (KEY_F13, RemoteCommand(Command.PAUSE)),  # a pedal's odd code: the same
        (KEY_LEFTSHIFT, None),  # a modifier alone means nothing
    ],
)
def test_each_key_means_what_it_means_at_the_terminal_or_is_the_one_button(
    code: int, event: Event | None
) -> None:
    assert event_for(code) == event


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "usb-Button-event-kbd"
    os.mkfifo(path)
    return path


class Posted:
    """What the reader posted, waited for with a timeout (never a sleep)."""

    def __init__(self) -> None:
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self.notes: list[str] = []
        self.noted = threading.Condition()

    def post(self, event: Event) -> None:
        self.events.put(event)

    def note(self, line: str) -> None:
        with self.noted:
            self.notes.append(line)
            self.noted.notify_all()

    def next(self) -> Event:
        return self.events.get(timeout=5)

    def wait_note(self, part: str) -> str:
        with self.noted:
            assert self.noted.wait_for(lambda: any(part in n for n in self.notes), timeout=5), (
                self.notes
            )
            return next(n for n in self.notes if part in n)


@pytest.fixture
def posted() -> Posted:
    return Posted()


@pytest.fixture
def reader(fifo: Path, posted: Posted) -> Iterator[ButtonReader]:
    with ButtonReader(str(fifo), posted.post, note=posted.note, retry=0.05) as started:
        yield started


def test_presses_arrive_as_keys_and_a_bouncing_switch_is_one_press(
    fifo: Path, reader: ButtonReader, posted: Posted
) -> None:
    with open(fifo, "wb", buffering=0) as device:
        device.write(press(KEY_ENTER))
        assert posted.next() == KeyPressed("enter")
        device.write(press(KEY_Q) + press(KEY_Q))  # contacts bouncing: one press
        device.write(press(BTN_0))
        assert posted.next() == KeyPressed("q")
        assert posted.next() == RemoteCommand(Command.PAUSE)
    assert posted.events.empty()


def test_a_device_unplugged_and_plugged_in_again_is_read_again(
    fifo: Path, reader: ButtonReader, posted: Posted
) -> None:
    with open(fifo, "wb", buffering=0) as device:
        device.write(press(KEY_ENTER))
        assert posted.next() == KeyPressed("enter")
        fifo.unlink()  # unplugged: the node goes, and reading it ends
    posted.wait_note("went away")
    posted.wait_note("is not there; waiting for it to be plugged in")
    os.mkfifo(fifo)
    with open(fifo, "wb", buffering=0) as device:  # opens once the reader is back on it
        device.write(press(KEY_SPACE))
        assert posted.next() == KeyPressed("space")


def test_no_grab_unless_asked_and_grab_asks_the_kernel(
    fifo: Path, posted: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --grab the device is only read (the main keyboard keeps typing); with it, the
    reader asks EVIOCGRAB on its descriptor (a FIFO cannot be grabbed: said in one line)."""
    import fcntl

    asked: list[tuple[int, int]] = []
    real = fcntl.ioctl

    def ioctl(fd: int, request: int, arg: int = 0) -> object:
        asked.append((request, arg))
        return real(fd, request, arg)

    monkeypatch.setattr(fcntl, "ioctl", ioctl)
    with ButtonReader(str(fifo), posted.post, note=posted.note) as plain:
        with open(fifo, "wb", buffering=0) as device:
            device.write(press(KEY_ENTER))
            assert posted.next() == KeyPressed("enter")
        plain.close()
    assert asked == []
    with ButtonReader(str(fifo), posted.post, note=posted.note, grab=True, retry=0.05):
        line = posted.wait_note("cannot grab")
    assert (EVIOCGRAB, 1) in asked
    assert line.startswith(f"cannot grab {fifo}: ")


def test_what_is_no_input_device_is_refused_in_one_line(tmp_path: Path) -> None:
    regular = tmp_path / "presses.bin"
    regular.write_bytes(press(KEY_ENTER))
    for path in (regular, tmp_path, Path("/dev/zero")):
        with pytest.raises(ButtonError) as refused:
            check_device(str(path))
        assert "is not an input device" in str(refused.value)
        assert "\n" not in str(refused.value)
    check_device(str(tmp_path / "not-plugged-in-yet"))  # may come later: fine


def test_a_device_it_may_not_read_is_said_with_the_fix(
    fifo: Path, posted: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: str) -> int:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(button, "_open_device", refuse)
    with ButtonReader(str(fifo), posted.post, note=posted.note, retry=0.05):
        line = posted.wait_note("permission denied")
    assert "input` group" in line and "\n" not in line
    assert posted.notes.count(line) == 1  # said once, not at every retry
