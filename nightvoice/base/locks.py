"""A lock file this process holds: the descriptor an exclusive `flock` is on (base/playing.py,
base/standing.py). The kernel drops the lock with the descriptor, however the process ends.

Standard library only, and nothing `os` has not loaded: the bare command takes the playing lock
before its first words (nightvoice/startup/), so no contextlib here either.
"""

from __future__ import annotations

import os


class HeldLock:
    """The lock until `release` (or the process's end); None where locking is impossible (no
    fcntl, a read-only folder): the caller goes on all the same."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def write(self, data: bytes) -> None:
        """Replace what the lock file says (who holds it, and why); never fails."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, data, 0)
        except OSError:
            pass

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:  # noqa: SIM105 - contextlib is not loaded on the fast start's path
                os.close(fd)  # the kernel drops the lock with the descriptor
            except OSError:
                pass

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
