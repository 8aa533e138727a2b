"""Waits that a signal can always end.

CPython runs a signal's Python handler on the main thread, between bytecodes. The kernel hands
a process's SIGTERM to any of its threads that does not block it: when it lands on a helper
thread (the MPRIS thread in `select`, a reader) while the main thread sits on a lock with no
timeout, the handler waits for that lock, possibly forever, and `systemctl stop` or a closed
terminal hangs (seen: a standby idle between presses). So a wait on the main thread never
blocks longer than SIGNAL_SLICE at a time; waking costs microseconds, and idle stays 0.0 % CPU.

A stop the handler raised where CPython ignores exceptions (a weakref callback) is kept by
`stops.py`; every slice of a wait on the main thread raises it again.

Imported by the fast start (through `sound/aplay.py`): only `threading` and `time` at import.
"""

from __future__ import annotations

import threading
import time

from nightvoice.base.stops import raise_swallowed

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the fast start must not import typing
if TYPE_CHECKING:  # pragma: no cover
    import queue
    from typing import TypeVar

    T = TypeVar("T")

SIGNAL_SLICE = 0.25  # the longest a pending SIGTERM waits for the main thread to notice


def _left(deadline: float | None) -> float:
    raise_swallowed()
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
    from queue import Empty  # loaded by then: the inbox is a queue

    while True:
        left = _left(deadline)
        try:
            if left <= 0:
                return items.get_nowait()
            return items.get(timeout=left)
        except Empty:
            if deadline is not None and time.monotonic() >= deadline:
                return None


def wait_on(condition: threading.Condition) -> None:
    """`condition.wait()` for a caller that checks its predicate again in a loop (as callers of
    a condition must): it may return early, never later than a slice."""
    raise_swallowed()
    condition.wait(SIGNAL_SLICE)
