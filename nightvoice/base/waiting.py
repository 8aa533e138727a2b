"""Waits that a signal can always end.

CPython runs a signal's Python handler on the main thread, between bytecodes. The kernel hands
a process's SIGTERM to any of its threads that does not block it: when it lands on a helper
thread (the MPRIS thread in `select`, a reader) while the main thread sits on a lock with no
timeout, the handler waits for that lock, possibly forever, and `systemctl stop` or a closed
terminal hangs (seen: a standby idle between presses). So a wait on the main thread never
blocks longer than SIGNAL_SLICE at a time; waking costs microseconds, and idle stays 0.0 % CPU.

The handler's exception can also land where Python ignores exceptions: a weakref callback, a
`__del__`, a garbage-collector callback run between two bytecodes. CPython reports it as
"Exception ignored in ..." and goes on, and the stop is lost (seen: a standby that went on
waiting after SIGTERM). The stop's owner hands such a swallowed stop to `rescue()`; every slice
of a wait on the main thread raises it again, so it ends the wait within SIGNAL_SLICE.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import TypeVar

SIGNAL_SLICE = 0.25  # the longest a pending SIGTERM waits for the main thread to notice
T = TypeVar("T")

_rescued: list[BaseException] = []  # stops swallowed where Python ignores exceptions


def rescue(stop: BaseException) -> None:
    """Keep a stop (SIGTERM's exception, a Ctrl-C) that Python swallowed, for the main thread's
    next wait slice to raise again."""
    _rescued.append(stop)


def raise_rescued() -> None:
    """Raise a swallowed stop on the main thread: the one thread its signal was meant for."""
    if _rescued and threading.current_thread() is threading.main_thread():
        stop = _rescued.pop(0)
        _rescued.clear()  # one stop is enough: the rest asked for the same thing
        raise stop.with_traceback(None)


def _left(deadline: float | None) -> float:
    raise_rescued()
    if deadline is None:
        return SIGNAL_SLICE
    return min(SIGNAL_SLICE, deadline - time.monotonic())


def wait_for_event(event: threading.Event, timeout: float | None = None) -> bool:
    """`event.wait(timeout)`, in slices: True once it is set, False when the time is up."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = _left(deadline)
        if left <= 0:
            return event.is_set()
        if event.wait(left):
            return True


def get_until(items: queue.SimpleQueue[T], deadline: float | None) -> T | None:
    """The next item, or None once `deadline` (time.monotonic) passes; None: wait for ever."""
    while True:
        left = _left(deadline)
        try:
            if left <= 0:
                return items.get_nowait()
            return items.get(timeout=left)
        except queue.Empty:
            if deadline is not None and time.monotonic() >= deadline:
                return None


def wait_on(condition: threading.Condition) -> None:
    """`condition.wait()` for a caller that checks its predicate again in a loop (as callers of
    a condition must): it may return early, never later than a slice."""
    raise_rescued()
    condition.wait(SIGNAL_SLICE)
