"""The one place errors become messages and exit codes; tracebacks are left for real bugs.

It needs no click, so the bare bedside `nightvoice` can play without loading the CLI at all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from nightvoice.console.terminal import Terminated
from nightvoice.core.errors import NightvoiceError, RoutineError

INTERRUPTED = 130  # the shell's code for Ctrl-C


def guarded(action: Callable[[], int]) -> int:
    """Run `action` and return its exit code, or the code of the error it ended with."""
    try:
        return action()
    except RoutineError as error:
        print(error, file=sys.stderr)
        return error.exit_code
    except NightvoiceError as error:
        print(f"nightvoice: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return INTERRUPTED
    except Terminated as stop:
        return 128 + stop.signum
