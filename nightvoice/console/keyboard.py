"""Can keys be read here? The one answer, for the session and for the fast start.

Its own module, with nothing but `os` and `sys`, because the fast start (nightvoice/startup/)
asks it before its first words, when the terminal module's imports would cost them.
"""

from __future__ import annotations

import os
import sys


def keys_available() -> bool:
    """Keys can be read from stdin: it is a terminal and we are its foreground job.

    A background job (`nightvoice &`) that switched the terminal's mode or read from it would
    be stopped by SIGTTOU/SIGTTIN; it plays hands-free instead. So does a pipe or /dev/null.
    """
    try:
        if sys.stdin is None:
            return False
        fd = sys.stdin.fileno()
        if not os.isatty(fd):
            return False
        if hasattr(os, "tcgetpgrp"):
            return os.tcgetpgrp(fd) == os.getpgrp()
        return True
    except (AttributeError, ValueError, OSError):
        return False
