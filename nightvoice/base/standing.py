"""The one lock that says "a standby is waiting": one per user, and what it waits with.

Two standbys would both start a routine at one press, and two routines talk over each other
(base/playing.py would then stop one of them, but only after both had started to speak). So
`nightvoice standby` first takes `standby.lock` in the cache folder (exclusively `flock`ed, its
PID and a line saying what it listens to written inside); a second one finds it held and says
so. The kernel drops the lock when the standby ends, however it ends. `running` reads who holds
it, for `standby --status`. Where locking is impossible (no fcntl, a read-only folder) a standby
runs all the same: uniqueness is a courtesy, never a reason to stay silent.

Standard library only: base/ imports nothing else of nightvoice but the folders.
"""

from __future__ import annotations

import os

from nightvoice.base import paths
from nightvoice.base.locks import HeldLock

LOCK_NAME = "standby.lock"
DESCRIPTION_LIMIT = 4000  # bytes of the description kept in the lock file


def lock_file() -> str:
    """`standby.lock` in the cache folder (created)."""
    return paths.cache_file(LOCK_NAME)


class Standing(HeldLock):
    """This process is the user's standby until `release` (or its end)."""

    def describe(self, description: str) -> None:
        """Say what this standby waits with (read back by `running`); never fails."""
        self.write(f"{os.getpid()}\n{description}\n".encode()[:DESCRIPTION_LIMIT])

    def __enter__(self) -> Standing:
        return self


def claim() -> Standing | int:
    """Become the user's standby; or the PID of the one already standing by (0 if unknown)."""
    try:
        import fcntl
    except ImportError:  # Windows: nothing to lock with
        return Standing(None)
    try:
        fd = os.open(lock_file(), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return Standing(None)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read(fd)
        os.close(fd)
        return holder[0] if holder is not None else 0
    except OSError:
        os.close(fd)
        return Standing(None)
    standing = Standing(fd)
    standing.describe("")
    return standing


def running() -> tuple[int, str] | None:
    """The standby waiting now (its PID and description), or None when there is none."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fd = os.open(lock_file(), os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(fd) or (0, "")
        except OSError:
            return None
        return None  # nobody holds it (the shared lock taken only to ask goes with the fd)
    finally:
        os.close(fd)


def _read(fd: int) -> tuple[int, str] | None:
    try:
        text = os.pread(fd, DESCRIPTION_LIMIT, 0).decode("utf-8", errors="replace")
    except OSError:
        return None
    first, _, rest = text.partition("\n")
    if not first.strip().isdigit():
        return None
    return int(first), rest.strip()
