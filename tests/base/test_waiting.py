"""Waits that a signal can always end, even when the kernel hands it to another thread."""

from __future__ import annotations

import queue
import signal
import sys
import threading
import time

import pytest

from nightvoice.base import waiting
from nightvoice.console.realtime import QueueInbox


class Ended(Exception):
    pass


def _raise_ended(signum: int, frame: object) -> None:
    raise Ended


def signal_on_a_helper_thread_while_main_waits_in(function_name: str) -> None:
    """A helper thread that, once the main thread is inside `function_name`, sends SIGUSR2 to
    itself: the kernel delivers it there, as it may a SIGTERM sent to the process."""
    main = threading.main_thread().ident
    assert main is not None

    def helper() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            frame = sys._current_frames().get(main)
            names = set()
            while frame is not None:
                names.add(frame.f_code.co_name)
                frame = frame.f_back
            if function_name in names:
                break
        signal.pthread_kill(threading.get_ident(), signal.SIGUSR2)

    threading.Thread(target=helper, daemon=True).start()


@pytest.fixture
def sigusr2_ends() -> object:
    previous = signal.signal(signal.SIGUSR2, _raise_ended)
    yield
    signal.signal(signal.SIGUSR2, previous)


def test_an_endless_wait_is_ended_by_a_signal_that_lands_on_another_thread(
    sigusr2_ends: object,
) -> None:
    """The standby's idle wait: a SIGTERM taken by the MPRIS thread once left it waiting for
    ever. Now it is handled within a slice (a wait with no timeout would hang this test, so
    the inbox is fed after 5 s as a safety net, and that is a failure)."""
    inbox = QueueInbox()
    signal_on_a_helper_thread_while_main_waits_in("get_until")
    net = threading.Timer(5, lambda: inbox.post("too late"))  # type: ignore[arg-type]
    net.start()
    started = time.monotonic()
    try:
        with pytest.raises(Ended):
            inbox.wait(None)
    finally:
        net.cancel()
    assert time.monotonic() - started < waiting.SIGNAL_SLICE + 1.0


def test_an_event_wait_is_ended_by_a_signal_that_lands_on_another_thread(
    sigusr2_ends: object,
) -> None:
    never = threading.Event()
    started = time.monotonic()
    signal_on_a_helper_thread_while_main_waits_in("wait_for_event")
    net = threading.Timer(5, never.set)
    net.start()
    try:
        with pytest.raises(Ended):
            waiting.wait_for_event(never)
    finally:
        net.cancel()
    assert time.monotonic() - started < waiting.SIGNAL_SLICE + 1.0


def test_get_until_gives_what_comes_and_none_once_the_deadline_passes() -> None:
    items: queue.SimpleQueue[str] = queue.SimpleQueue()
    items.put("a")
    assert waiting.get_until(items, None) == "a"
    assert waiting.get_until(items, time.monotonic() - 1) is None
    assert waiting.get_until(items, time.monotonic() + 0.05) is None
    items.put("b")
    assert waiting.get_until(items, time.monotonic() - 1) == "b"  # already there: given


def test_wait_for_event_keeps_its_timeout() -> None:
    event = threading.Event()
    started = time.monotonic()
    assert waiting.wait_for_event(event, 0.05) is False
    assert 0.05 <= time.monotonic() - started < waiting.SIGNAL_SLICE
    event.set()
    assert waiting.wait_for_event(event, 0) is True
