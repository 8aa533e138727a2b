"""Background jobs a command leaves behind: the first-words render and `list`'s measurement.

Each runs as `python -m MODULE`, detached (its own session, /dev/null for its streams): it
never delays the command that started it, never writes on its screen, and outlives it. Once
running it asks for idle CPU only. Standard library only (`os`, `sys`): `headstart.py`, on the
night's path, starts one.
"""

from __future__ import annotations

import os
import sys


def start(module: str) -> None:
    """Start `python -m module` detached; nothing if processes cannot be started so here."""
    if not hasattr(os, "posix_spawn"):
        return
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
    except OSError:
        return
    try:
        os.posix_spawn(
            sys.executable,
            [sys.executable, "-m", module],
            os.environ,
            file_actions=[(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)],
            setsid=True,
        )
    except OSError:
        pass
    finally:
        os.close(devnull)


def as_idle() -> None:
    """From now on this process competes with nothing for the CPU."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # Linux: only idle time
    except (AttributeError, OSError):
        try:  # noqa: SIM105 - contextlib is not loaded on the head start's path
            os.nice(10)
        except (AttributeError, OSError):
            pass
