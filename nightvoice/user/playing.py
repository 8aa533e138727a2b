"""Is a routine playing right now? A shared lock on a file, held for as long as one plays.

Every session holds a shared `flock` on `playing.lock` in the cache folder while it plays; the
bedtime reminder asks for the lock exclusively without waiting, and gets it only when nothing
is playing. The kernel drops a lock when its process ends, however it ends (even SIGKILL), so a
crashed session can never silence the reminder for good. Where locking is not possible (no
fcntl, a read-only folder) sessions play as always and the reminder assumes none is playing:
this can never stop or delay the voice at night.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from nightvoice.user import paths

LOCK_NAME = "playing.lock"


def _open() -> int | None:
    try:
        folder = paths.cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        return os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return None


@contextlib.contextmanager
def marked() -> Iterator[None]:
    """Mark this process as playing until the block ends (never waits, never fails)."""
    try:
        import fcntl
    except ImportError:  # Windows: nothing to mark with
        yield
        return
    fd = _open()
    if fd is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)  # releases the lock


def someone_playing() -> bool:
    """True while any nightvoice session (in any process) is playing a routine."""
    try:
        import fcntl
    except ImportError:
        return False
    fd = _open()
    if fd is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False
