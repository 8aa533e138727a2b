"""One voice at a time: a new session tells the one already playing to stop, then plays.

Two sessions at once would talk over each other (a second `nightvoice` from another terminal,
a launcher pressed twice, the bedtime routine still running). The one started last is the one
the person wants now, so it wins: it finds the playing session's process in `voice.lock` (in
the cache folder, exclusively `flock`ed by the session that plays), sends it SIGUSR1, which
ends it cleanly with one line ("another nightvoice started"), and waits for its lock (the
kernel drops it when that process ends, however it ends) before it makes a sound. It never
waits long and never fails: a session that does not let go within TAKE_OVER_SECONDS is
ignored, and where locking is not possible (no fcntl, a read-only folder) it plays as always.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator

LOCK_NAME = "voice.lock"
TAKE_OVER_SECONDS = 3.0
STOP_SIGNAL: int = getattr(signal, "SIGUSR1", 0)  # what the playing session is told with


@contextlib.contextmanager
def only_voice() -> Iterator[None]:
    """Be the one playing session until the block ends; stop the one before, if any."""
    try:
        import fcntl
    except ImportError:  # Windows: nothing to lock with
        yield
        return
    if _HELD:  # the bare command took over before its head start; play_routine nests
        yield
        return
    try:
        fd = os.open(lock_file(), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        yield
        return
    _HELD.append(fd)
    try:
        if _take(fd, fcntl):
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        _HELD.remove(fd)
        os.close(fd)  # releases the lock


_HELD: list[int] = []  # the lock's descriptor while this process holds it


def lock_file() -> str:
    """Beside the head start's record in the cache folder (no pathlib: the bare command takes
    over before its first words, and every millisecond there counts)."""
    from nightvoice.sound.headstart import record_file

    folder = os.path.dirname(record_file())
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, LOCK_NAME)


def _take(fd: int, fcntl: object) -> bool:
    """The lock, after telling whoever holds it to stop; False if they never let go."""
    lock = fcntl.flock  # type: ignore[attr-defined]
    exclusive = fcntl.LOCK_EX | fcntl.LOCK_NB  # type: ignore[attr-defined]
    told: set[int] = set()
    give_up = time.monotonic() + TAKE_OVER_SECONDS
    while True:
        try:
            lock(fd, exclusive)
            return True
        except BlockingIOError:
            pass
        except OSError:
            return False
        holder = _holder(fd)
        if holder is not None and holder not in told and holder != os.getpid() and STOP_SIGNAL:
            with contextlib.suppress(OSError):
                os.kill(holder, STOP_SIGNAL)
            told.add(holder)
        if time.monotonic() > give_up:
            return False
        time.sleep(0.01)  # only while taking over: the other session is already stopping


def _holder(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
