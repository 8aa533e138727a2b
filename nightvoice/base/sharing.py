"""A batch of work shared with a forked child, so that a second core does half of it.

`list` reads every routine that changed, hundreds on a first run: with two cores the child
works through the second half while this process does the first. Only where that is safe and
pays: `fork` exists, no other thread runs here (a fork copies only the calling thread: a lock
another one held would stay locked in the child), a second CPU is there, and the batch is big
enough to be worth the fork (~3 ms).

The first item is worked on here before the fork, so what the work loads on first use (its
imports, its caches) is loaded once, for both. The child pickles its results back through a
pipe and ends with `os._exit` (no atexit handler, no flush of buffers it inherited); if it
fails in any way, this process does its half too. The results are the same either way, in
order.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import NoReturn, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

LEAST = 64  # items: fewer are done here alone, quicker than forking


def map_shared(
    work: Callable[[Item], Result], items: Sequence[Item], least: int = LEAST
) -> list[Result]:
    """`[work(item) for item in items]`, the second half done by a forked child meanwhile
    when it can help (see the module's docstring)."""
    if len(items) < max(least, 2) or not _can_fork():
        return [work(item) for item in items]
    results = [work(items[0])]
    half = (len(items) + 1) // 2
    try:
        reader, writer = os.pipe()
    except OSError:
        return results + [work(item) for item in items[1:]]
    import signal

    # No signal lands between the fork and the child's handlers being reset: one raised into
    # the child's copy of this code would run the rest of the command there too.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    try:
        child = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(reader)
        os.close(writer)
        return results + [work(item) for item in items[1:]]
    if child == 0:
        _work_and_exit(work, items[half:], reader, writer, mask)
    done = False
    try:
        os.close(writer)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a stop meanwhile is raised here
        results += [work(item) for item in items[1:half]]
        theirs: list[Result] | None = _results(reader, child, len(items) - half)
        done = True
    finally:
        os.close(reader)
        if not done:  # this side failed (a stop, a bug): the child's work is not wanted
            _end(child)
    if theirs is None:
        theirs = [work(item) for item in items[half:]]
    return results + theirs


def _can_fork() -> bool:
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return False
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return cpus > 1


def _work_and_exit(
    work: Callable[[Item], Result],
    items: Sequence[Item],
    reader: int,
    writer: int,
    mask: Iterable[int],
) -> NoReturn:
    """In the child: the results, pickled into `writer`; exit status 0 only if all were sent.
    A signal ends it as the system does (Ctrl-C, SIGTERM...), never as an exception."""
    status = 1
    try:
        import pickle
        import signal

        for signum in signal.valid_signals():
            if callable(signal.getsignal(signum)):
                signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(reader)

        data = memoryview(pickle.dumps([work(item) for item in items], pickle.HIGHEST_PROTOCOL))
        while data:
            data = data[os.write(writer, data) :]
        status = 0
    except BaseException:  # a stop or a failure: the parent does this half itself
        pass
    finally:
        os._exit(status)


def _results(reader: int, child: int, count: int) -> list[Result] | None:
    """What the child sent, once it has ended well; None if it did not."""
    chunks = []
    while chunk := os.read(reader, 1 << 16):
        chunks.append(chunk)
    try:
        _, status = os.waitpid(child, 0)
    except ChildProcessError:
        return None
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return None
    import pickle

    try:
        results = pickle.loads(b"".join(chunks))
    except Exception:
        return None
    return results if isinstance(results, list) and len(results) == count else None


def _end(child: int) -> None:
    import signal

    try:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    except OSError:
        pass
