"""The one lock that says "a routine is playing": newer stops older, and the reminder waits.

Two sessions at once would talk over each other (a second `nightvoice` from another terminal, a
launcher pressed twice, standby's press while the bedtime routine plays). The one started last is
the one the person wants now, so it wins: `take_over` finds the playing process in `playing.lock`
(in the cache folder, exclusively `flock`ed by whoever plays, its PID written inside), sends it
STOP_SIGNAL (SIGUSR1), which ends its routine cleanly with one line, and waits for the lock (the
kernel drops it when that process lets go or ends, however it ends, even SIGKILL) before it makes
a sound. It never waits long and never fails: a holder that does not let go within
TAKE_OVER_SECONDS is ignored, and where locking is impossible (no fcntl, a read-only folder) it
plays as always. `someone_playing` asks without taking anything: the bedtime reminder stays
quiet while a routine plays.

Standard library only, and nothing `os` has not loaded but `fcntl`, `signal` and `time`: the bare
command takes over before its first words (nightvoice/startup/).
"""

from __future__ import annotations

import os

from nightvoice.base import paths
from nightvoice.base.locks import HeldLock

LOCK_NAME = "playing.lock"
TAKE_OVER_SECONDS = 3.0


def stop_signal() -> int:
    """What a playing process is told to stop with (0 where there is no SIGUSR1)."""
    import signal

    return getattr(signal, "SIGUSR1", 0)


def lock_file() -> str:
    """`playing.lock` in the cache folder (created)."""
    return paths.cache_file(LOCK_NAME)


class Playing(HeldLock):
    """This process holds the lock: it plays, and a newer one can stop it. `release` lets go."""

    def __enter__(self) -> Playing:
        return self


def take_over() -> Playing:
    """Become the one playing process, after telling the one before (if any) to stop."""
    try:
        import fcntl
    except ImportError:  # Windows: nothing to lock with
        return Playing(None)
    try:
        fd = os.open(lock_file(), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return Playing(None)
    if not _take(fd, fcntl):
        os.close(fd)
        return Playing(None)
    playing = Playing(fd)
    playing.write(f"{os.getpid()}\n".encode())
    return playing


def _take(fd: int, fcntl: object) -> bool:
    """The lock, after telling whoever holds it to stop; False if they never let go."""
    import time

    lock = fcntl.flock  # type: ignore[attr-defined]
    exclusive = fcntl.LOCK_EX | fcntl.LOCK_NB  # type: ignore[attr-defined]
    told: set[int] = set()
    give_up = time.monotonic() + TAKE_OVER_SECONDS
    signum = stop_signal()
    while True:
        try:
            lock(fd, exclusive)
            return True
        except BlockingIOError:
            pass
        except OSError:
            return False
        holder = _holder(fd)
        if holder is not None and holder not in told and holder != os.getpid() and signum:
            try:  # noqa: SIM105 - see above
                os.kill(holder, signum)
            except OSError:
                pass
            told.add(holder)
        if time.monotonic() > give_up:
            return False
        time.sleep(0.01)  # only while taking over: the other one is already stopping


def _holder(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def player() -> int | None:
    """The PID of the process playing now (as written in the lock), or None when nobody plays."""
    if not someone_playing():
        return None
    try:
        fd = os.open(lock_file(), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return _holder(fd)
    finally:
        os.close(fd)


def someone_playing() -> bool:
    """True while any nightvoice process (another, or this one) holds the lock."""
    try:
        import fcntl
    except ImportError:
        return False
    try:
        fd = os.open(lock_file(), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # a shared lock taken only to ask is dropped at once
    return False
