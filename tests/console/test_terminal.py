"""Terminal input: the byte-to-key table, the key reader on a real pty, and signal handling."""

from __future__ import annotations

import contextlib
import os
import pty
import signal
import termios
import threading
import time
from collections.abc import Iterator

import pytest

from nightvoice.console.keyboard import keys_available
from nightvoice.console.terminal import (
    KeyReader,
    Signals,
    Terminated,
    decode_keys,
    exits_cleanly,
    unfinished_escape,
)
from nightvoice.core.keys import Command, command_for
from nightvoice.core.ports import Event, KeyPressed


@pytest.mark.parametrize(
    ("data", "keys"),
    [
        (b" ", ["space"]),
        (b"\r", ["enter"]),
        (b"\n", ["enter"]),
        (b"\r\n", ["enter"]),  # one Enter from a terminal that sends CR LF
        (b"\x1b[C", ["right"]),
        (b"\x1b[D", ["left"]),
        (b"\x1b[A", ["up"]),
        (b"\x1b[B", ["down"]),
        (b"\x1bOC", ["right"]),  # SS3 form (application cursor keys)
        (b"\x1bOD", ["left"]),
        (b"\x1bOA", ["up"]),
        (b"\x1bOB", ["down"]),
        (b"\x7f", ["backspace"]),
        (b"\x08", ["backspace"]),
        (b"\x1b", ["esc"]),
        (b"\x1b[15~", ["unknown"]),  # F5
        (b"\x1bOP", ["unknown"]),  # F1 (SS3)
        (b"\x1b[[A", ["unknown"]),  # F1 on the Linux console
        (b"\x1b[1;5C", ["unknown"]),  # Ctrl-Right
        (b"\x1b[200~", ["unknown"]),  # start of a bracketed paste
        (b"q", ["q"]),
        (b"Q", ["Q"]),
        (b"9", ["9"]),
        (b"[", ["["]),
        (b"]", ["]"]),
        (b"?", ["?"]),
        ("é".encode(), ["é"]),
        ("ß€".encode(), ["ß", "€"]),
        ("😀".encode(), ["😀"]),
        (b"\xff", ["\ufffd"]),  # not UTF-8: one harmless replacement character
        (b"\x1a", ["\x1a"]),  # Ctrl-Z as a plain key while playing
        (b"r\r \x1b[Dq", ["r", "enter", "space", "left", "q"]),  # several keys in one read
        (b"\x1b[15~\x1b[C", ["unknown", "right"]),  # an unknown sequence eats only itself
        (b"\x1bq", ["unknown"]),  # Alt+q: harmless, never a quit
        (b"\x1bx\x1b\r", ["unknown", "unknown"]),  # Alt+x, Alt+Enter
        ("\x1bé".encode(), ["unknown"]),  # Alt+é
        (b"\x1b\x1b", ["esc", "esc"]),
        (b"", []),
    ],
)
def test_decode_keys(data: bytes, keys: list[str]) -> None:
    assert decode_keys(data) == keys


@pytest.mark.parametrize(
    ("key", "command"),
    [
        ("space", Command.PAUSE),
        ("enter", Command.NEXT),
        ("right", Command.NEXT),
        ("left", Command.BACK),
        ("backspace", Command.BACK),
        ("r", Command.REPEAT),
        ("R", Command.REPEAT),
        ("9", Command.QUIETER),
        ("0", Command.LOUDER),
        ("[", Command.SLOWER),
        ("]", Command.FASTER),
        ("h", Command.HELP),
        ("?", Command.HELP),
        ("q", Command.QUIT),
        ("Q", Command.QUIT),
        ("esc", Command.QUIT),
        ("unknown", None),
        ("up", None),
        ("x", None),
        ("é", None),
        ("\x1a", None),
    ],
)
def test_each_decoded_key_maps_to_its_command_and_any_other_does_nothing(
    key: str, command: Command | None
) -> None:
    assert command_for(key) is command


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """A real pseudo-terminal: (master, slave)."""
    master, slave = pty.openpty()
    try:
        yield master, slave
    finally:
        for fd in (master, slave):
            with contextlib.suppress(OSError):
                os.close(fd)


def test_the_reader_posts_keys_and_restores_the_terminal_exactly(
    terminal: tuple[int, int],
) -> None:
    master, slave = terminal
    before = termios.tcgetattr(slave)
    got: list[Event] = []
    arrived = threading.Event()

    def post(event: Event) -> None:
        got.append(event)
        if len(got) == 3:
            arrived.set()

    with KeyReader(post, slave):
        during = termios.tcgetattr(slave)
        assert not during[3] & termios.ECHO
        assert not during[3] & termios.ICANON
        assert during[3] & termios.ISIG  # Ctrl-C still interrupts
        assert during[6][termios.VSUSP] != b"\x00"  # Ctrl-Z suspends (handled: test_terminal_exits)
        assert during[6][termios.VQUIT] == b"\x00"  # Ctrl-\ cannot dump core in key mode
        assert not during[0] & termios.IXON  # Ctrl-S cannot freeze the screen and the keys
        os.write(master, b"\x1b[Cq ")
        assert arrived.wait(5)
    assert got == [KeyPressed("right"), KeyPressed("q"), KeyPressed("space")]
    assert termios.tcgetattr(slave) == before


def test_closing_twice_and_closing_a_hung_up_terminal_never_fails(
    terminal: tuple[int, int],
) -> None:
    """The terminal goes away under the reader: no key comes of it, its thread ends, and
    closing (twice) raises nothing."""
    master, slave = terminal
    got: list[Event] = []
    reader = KeyReader(got.append, slave)
    reader.__enter__()
    assert reader._thread.is_alive()
    os.close(master)  # the terminal goes away
    reader.close()
    reader.close()
    assert not reader._thread.is_alive()
    assert got == []  # a hang-up is no key press


def test_sigterm_and_sighup_unwind_as_terminated() -> None:
    for signum in (signal.SIGTERM, signal.SIGHUP):
        with pytest.raises(Terminated) as stop, exits_cleanly():
            os.kill(os.getpid(), signum)  # the handler runs before the next line
        assert stop.value.signum == signum
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # the handlers are back


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_stop_swallowed_where_python_ignores_exceptions_ends_the_next_wait(signum: int) -> None:
    """Seen in standby: SIGTERM's handler ran inside a weakref callback, CPython printed
    "Exception ignored in" and went on, and the process waited for presses for ever."""
    import gc
    import queue
    import weakref

    from nightvoice.base import stops, waiting

    class Thing:
        pass

    def swallow_a_stop_then_wait() -> None:
        thing = Thing()
        weakref.finalize(thing, os.kill, os.getpid(), signum)  # a weakref callback
        del thing
        gc.collect()  # the callback ran, the stop it raised was ignored: we are still here
        waiting.get_until(queue.SimpleQueue(), time.monotonic() + 2)

    started = time.monotonic()
    with exits_cleanly(), pytest.raises((Terminated, KeyboardInterrupt)) as stop:
        swallow_a_stop_then_wait()
    assert time.monotonic() - started <= waiting.SIGNAL_SLICE + 0.1
    assert getattr(stop.value, "signum", signal.SIGINT) == signum
    stops.raise_swallowed()  # raised once: nothing is left to end a later wait


def test_signals_during_clean_up_wait_until_it_is_done() -> None:
    steps: list[str] = []

    def clean_up(signals: Signals) -> None:
        with signals.held():
            os.kill(os.getpid(), signal.SIGTERM)
            steps.append("restored the terminal")  # still ran: the signal was only noted
            os.kill(os.getpid(), signal.SIGINT)  # a second one is not raised either
            steps.append("stopped the audio")

    with exits_cleanly() as signals, pytest.raises(Terminated):
        clean_up(signals)
    assert steps == ["restored the terminal", "stopped the audio"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_signal_noted_during_clean_up_is_raised_once() -> None:
    """A process that goes on after a clean-up (standby, between presses) holds signals again
    later: the one already raised is not raised a second time."""
    with exits_cleanly() as signals:
        with pytest.raises(Terminated) as stop, signals.held():
            os.kill(os.getpid(), signal.SIGUSR1)  # a newer nightvoice, while cleaning up
        assert stop.value.signum == signal.SIGUSR1
        with signals.held():
            pass  # the next clean-up: nothing to raise
        assert signals.pending is None


def test_no_keys_without_a_foreground_terminal_on_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    with open(os.devnull) as devnull:
        monkeypatch.setattr("sys.stdin", devnull)
        assert not keys_available()
    monkeypatch.setattr("sys.stdin", None)
    assert not keys_available()


@pytest.mark.parametrize(
    ("chunk", "unfinished"),
    [
        (b"\x1b", True),
        (b"\x1b[", True),
        (b"\x1bO", True),
        (b"\x1b[1;5", True),
        (b"\x1b[[", True),
        (b"\x1b[C", False),
        (b"\x1bOC", False),
        (b"\x1b[15~", False),
        (b"r", False),
        (b"\x1b[Cx", False),
        (b"x\x1b", True),
    ],
)
def test_a_chunk_ending_inside_an_escape_sequence_is_unfinished(
    chunk: bytes, unfinished: bool
) -> None:
    """A split arrow key must not be read as a lone Esc, which quits."""
    assert unfinished_escape(chunk) is unfinished


def test_an_arrow_key_split_across_two_reads_is_still_one_arrow() -> None:
    """As over a slow ssh link: ESC first, then `[C` a moment later."""
    import queue

    primary, secondary = pty.openpty()
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    try:
        with KeyReader(events.put, secondary):
            os.write(primary, b"\x1b")
            # Let the reader take the ESC alone, as a slow link delivers it (well inside the
            # 50 ms it waits for the rest); without that wait this would read as Esc: quit.
            time.sleep(0.005)
            os.write(primary, b"[C")
            first = events.get(timeout=2)
            os.write(primary, b"q")
            second = events.get(timeout=2)
        assert first == KeyPressed("right")
        assert second == KeyPressed("q")
    finally:
        os.close(primary)
        os.close(secondary)
