"""Entry point for `nightvoice` and `python -m nightvoice`."""

from __future__ import annotations

import os
import sys

INTERRUPTED = 130  # as boundary.INTERRUPTED; Ctrl-C can come before the boundary is imported


def main() -> None:
    try:
        sys.exit(_run())
    except KeyboardInterrupt:  # Ctrl-C while Python imports click or YAML: no traceback
        sys.exit(INTERRUPTED)


def _run() -> int:
    _open_standard_streams()
    # Before click and YAML are imported (~100 ms of Python here): when this run plays aloud
    # and is the same command as last time, its first words start playing right now.
    from nightvoice.sound import headstart

    args = sys.argv[1:]
    headstart.start(args)
    if not args:
        # The bedside command itself: straight to playing. Parsing nothing needs no click,
        # and not loading it brings the first words of a first-ever run ~30 ms sooner.
        from nightvoice.boundary import guarded
        from nightvoice.session import PlayRequest, play_exit_code

        return guarded(lambda: play_exit_code(PlayRequest()))
    from nightvoice.cli import run

    return run()


class _ClosedOutput:
    """Stands in for a stdout that was closed when nightvoice started (`nightvoice list >&-`):
    writing to it fails as writing to a closed descriptor does, so the boundary says so in one
    line, instead of the output vanishing with success."""

    encoding = "utf-8"
    errors = "strict"
    failed = False

    def write(self, text: str) -> int:
        self.failed = True
        raise OSError(9, "standard output is closed")  # EBADF

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1


def _open_standard_streams() -> None:
    """Give a closed stdin, stdout or stderr the null device, before anything opens a file or
    starts a process: otherwise the next file opened would become fd 1 (and a sound process
    would inherit it as its output). A closed stdout still reports its writes as failing."""
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
        if name == "stdout":
            sys.stdout = _ClosedOutput()
        else:
            setattr(sys, name, open(fd, "r" if fd == 0 else "w", closefd=False))  # noqa: SIM115


if __name__ == "__main__":
    main()
