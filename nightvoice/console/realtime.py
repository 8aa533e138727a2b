"""The real clock and event inbox: a monotonic clock and a blocking queue (no polling)."""

from __future__ import annotations

import queue
import time

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
        if deadline is None:
            return self._events.get()
        timeout = deadline - time.monotonic()
        try:
            if timeout <= 0:
                return self._events.get_nowait()
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return None
