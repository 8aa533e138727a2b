"""The real clock and event inbox: a monotonic clock and a blocking queue (no polling, but a
wait wakes each base.waiting.SIGNAL_SLICE so a SIGTERM is always handled)."""

from __future__ import annotations

import queue
import time

from nightvoice.base.waiting import get_until
from nightvoice.core.ports import Event


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()


class QueueInbox:
    """Keys, finished speech and failures from any thread, waited on with a deadline."""

    def __init__(self) -> None:
        self._events: queue.SimpleQueue[Event] = queue.SimpleQueue()

    def post(self, event: Event) -> None:
        self._events.put(event)

    def wait(self, deadline: float | None) -> Event | None:
        return get_until(self._events, deadline)
