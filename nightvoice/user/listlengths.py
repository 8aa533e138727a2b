"""Measure in the background the sentences `list` could only estimate.

`nightvoice list` never waits for more than a few sentences to be synthesised: a first listing
of hundreds of new routines shows their lengths as estimates (`~5:20`) and starts this, as
`python -m nightvoice.user.listlengths`, when it ends. It synthesises each missing sentence once
(into the speech cache `export` uses too) and rewrites those routines' cached lengths as exact,
so the next `list` shows the export's totals straight from the cache.

It is detached (its own session, no terminal: it never delays the command, never writes on its
screen, and outlives it), runs at idle priority, and never twice at once: a second one finds
the lock taken and ends at once. With nothing pending it only reads the list cache.
"""

from __future__ import annotations

import contextlib
import os

LOCK = "list-lengths.lock"


def start() -> None:
    """Start the measurement in the background, unless one is running (it goes round again
    for what this `list` wrote) or processes cannot be started so here."""
    if running():
        return
    from nightvoice.base import jobs

    jobs.start("nightvoice.user.listlengths")


def running() -> bool:
    """Whether a measurement holds the lock now (a cheap check: no process is started)."""
    import fcntl

    from nightvoice.base import paths

    try:
        lock = os.open(paths.cache_dir() / LOCK, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False  # never made: none ever ran
    try:
        fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(lock)
    return False


def measure() -> bool:
    """Make every PENDING length in the list cache exact, unless another measurement is
    running (then False at once: it does the work)."""
    import fcntl

    from nightvoice.base import paths
    from nightvoice.user import catalog

    folder = paths.cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # one is running: it goes round again for what we would have done
        catalog.measure_pending()
        return True
    finally:
        os.close(lock)  # and with it the lock


def main() -> None:
    """In the background: never compete with anything for the CPU."""
    from nightvoice.base import jobs

    jobs.as_idle()
    with contextlib.suppress(Exception):  # nobody to tell: the next `list` starts it again
        measure()


if __name__ == "__main__":
    main()
