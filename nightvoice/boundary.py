"""The one place errors become messages and exit codes; tracebacks are left for real bugs.

It needs no click, so the bare bedside `nightvoice` can play without loading the CLI at all.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
from collections.abc import Callable
from typing import Any, TextIO

from nightvoice.base.stops import raise_swallowed
from nightvoice.console.terminal import Terminated
from nightvoice.core.errors import NightvoiceError, RoutineError, shown

INTERRUPTED = 130  # the shell's code for Ctrl-C
FAILED = 1  # a file, folder or the output could not be used (a full disk, a read-only home)


def guarded(action: Callable[[], int]) -> int:
    """Run `action` and return its exit code, or the code of the error it ended with.

    Machine faults (`OSError`: a full disk, a read-only or missing home, a closed or full
    stdout, a reader that went away) are one line too: they are the machine's, not a bug.
    """
    watched = _WatchedOutput.install()
    try:
        code = action()
        raise_swallowed()  # a Ctrl-C CPython swallowed where no wait came after: still honoured
        if sys.stdout is not None:
            sys.stdout.flush()  # a full disk under `> file` shows here, not at exit
        return code
    except RoutineError as error:
        say(str(error))
        return error.exit_code
    except NightvoiceError as error:
        say(f"nightvoice: {error}")
        return error.exit_code
    except KeyboardInterrupt:
        return INTERRUPTED
    except RuntimeError as error:  # a Ctrl-C during a lazy import can come wrapped in one
        if interrupted(error):
            return INTERRUPTED
        raise
    except Terminated as stop:
        if stop.signum == getattr(signal, "SIGUSR1", None):  # onevoice.py: a newer one plays
            print("nightvoice: stopped: another nightvoice started playing", file=sys.stderr)
            return 0
        return 128 + stop.signum
    except OSError as error:
        return machine_fault(error, output_failed=watched is not None and watched.failed)
    finally:
        if watched is not None and sys.stdout is watched:
            sys.stdout = watched.stream


def say(message: str) -> None:
    """One message on stderr; a stderr that cannot take it is no reason for a traceback."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        print(message, file=sys.stderr, flush=True)


def machine_fault(error: OSError, *, output_failed: bool = False) -> int:
    """Report an OSError in one line and return FAILED.

    When stdout itself is the trouble, whatever is still buffered is dropped (stdout is pointed
    at the null device), so the interpreter's own flush at exit cannot print a traceback; a
    reader that went away (`| head -0`) is no error worth a message.
    """
    if output_failed or isinstance(error, BrokenPipeError):
        _discard_output()
        if error.errno != errno.EPIPE:
            say(f"nightvoice: cannot write the output: {error.strerror or error}")
        return FAILED
    say(f"nightvoice: {describe(error)}")
    return FAILED


def describe(error: OSError) -> str:
    """`PATH: reason`, as the system names it (`/home/x/.config: Read-only file system`)."""
    reason = error.strerror or str(error)
    if error.filename is None:
        return reason
    where = shown(os.fsdecode(error.filename))
    if error.filename2 is not None:
        where += f" -> {shown(os.fsdecode(error.filename2))}"
    return f"{where}: {reason}"


class _WatchedOutput:
    """sys.stdout, noting whether a write to it failed: then an OSError is the output's
    (`> /dev/full`, a closed stdout), not a file's, and is reported as such."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.failed = bool(getattr(stream, "failed", False))

    @classmethod
    def install(cls) -> _WatchedOutput | None:
        if sys.stdout is None or isinstance(sys.stdout, cls):
            return None
        watched = cls(sys.stdout)
        sys.stdout = watched
        return watched

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except OSError:
            self.failed = True
            raise

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError:
            self.failed = True
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _discard_output() -> None:
    stream = sys.stdout
    if isinstance(stream, _WatchedOutput):
        stream = stream.stream
    try:
        fd = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):
        return
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


def interrupted(error: BaseException) -> bool:
    """Was this error caused by a Ctrl-C (anywhere in its chain of causes)?"""
    seen: BaseException | None = error
    for _ in range(20):
        if seen is None:
            return False
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
