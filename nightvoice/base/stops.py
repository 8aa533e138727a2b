"""Stops (Ctrl-C, SIGTERM's exception) that Python swallowed, kept until a wait can raise them.

A signal's Python handler runs on the main thread between two bytecodes, wherever it is; when
that is inside a weakref callback, a `__del__` or a garbage-collector callback, CPython reports
the exception as "Exception ignored in ..." and goes on, and the stop is lost: a standby went
on waiting after `systemctl stop`; a plain `nightvoice` given Ctrl-C could play on. The hook
keeps such a stop, and `waiting.py` raises it again on the main thread's next wait slice.

Installed first thing by `__main__` (so it must stay as cheap as `threading`), and again by
`exits_cleanly` for a caller that did not start there.
"""

from __future__ import annotations

import sys
import threading

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the fast start must not import typing
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

_rescued: list[BaseException] = []


def _is_stop(error: BaseException | None) -> bool:
    """KeyboardInterrupt, and `terminal.Terminated` (a BaseException for that reason): what a
    signal raises to end the program. SystemExit is never raised by a signal handler here."""
    return isinstance(error, BaseException) and not isinstance(error, (Exception, SystemExit))


def _interrupted_thread_start(report: Any) -> bool:
    """A stop that lands while the main thread is inside `Thread.start` (every sound starts a
    small thread) makes `start` forget the thread, and the thread, starting a moment later,
    finds itself forgotten: CPython reports a KeyError from `_bootstrap_inner`. Nothing is lost
    (the program is ending, as the signal asked)."""
    error = report.exc_value
    last = report.exc_traceback
    while last is not None and last.tb_next is not None:
        last = last.tb_next
    return (
        isinstance(error, KeyError)
        and isinstance(error.args[0] if error.args else None, threading.Thread)
        and last is not None
        and last.tb_frame.f_code.co_name == "_bootstrap_inner"
    )


def keep_swallowed_stops() -> None:
    """Route what CPython reports as "Exception ignored in ..." that a stop caused: a swallowed
    stop is kept for the next wait, a thread start it cut is dropped; every other report goes
    to the hook installed before."""
    if getattr(sys.unraisablehook, "nightvoice", False):
        return
    before = sys.unraisablehook

    def hook(report: Any) -> None:
        if _is_stop(report.exc_value):
            _rescued.append(report.exc_value)
        elif not _interrupted_thread_start(report):
            before(report)

    hook.nightvoice = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def raise_swallowed() -> None:
    """Raise a swallowed stop, on the main thread: the one its signal was meant for. Once: the
    others asked for the same thing."""
    if _rescued and threading.current_thread() is threading.main_thread():
        stop = _rescued[0]
        _rescued.clear()
        raise stop.with_traceback(None)
