"""Entry point for `nightvoice` and `python -m nightvoice`.

Nothing is imported above `main` but what Python has loaded already (not even `__future__`,
which is a real import): a Ctrl-C before `main`'s guard is in place prints a traceback.
"""

import os
import sys

INTERRUPTED = 130  # as boundary.INTERRUPTED; Ctrl-C can come before the boundary is imported


def main() -> None:
    try:
        sys.exit(_run())
    except KeyboardInterrupt:  # Ctrl-C while Python imports click or YAML: no traceback
        sys.exit(INTERRUPTED)
    except RuntimeError as error:
        # Python wraps a Ctrl-C that lands while a class is being made (a module's import,
        # e.g. ipaddress under pathlib) in "RuntimeError: Error calling __set_name__".
        from nightvoice.boundary import interrupted

        if interrupted(error):
            sys.exit(INTERRUPTED)
        raise


def _run() -> int:
    _open_standard_streams()
    from nightvoice.base.stops import keep_swallowed_stops

    keep_swallowed_stops()  # a Ctrl-C that CPython swallows (in a weakref callback) still stops
    args = sys.argv[1:]
    # What must start before anything else is imported (the playing lock, the first words, a
    # natural voice loading): see nightvoice/startup/. It is handed on, never picked up later.
    from nightvoice import startup

    early = startup.begin(args)
    try:
        if not args:
            # The bedside command itself, straight to playing: parsing nothing needs no click,
            # and not loading it brings a first-ever run's first words ~30 ms sooner.
            from nightvoice.boundary import guarded
            from nightvoice.session import PlayRequest, play_exit_code

            code = guarded(lambda: play_exit_code(PlayRequest(), early=early))
        else:
            from nightvoice.cli import run

            code = run(early=early)
    finally:
        early.close()
    if args[:1] != ["standby"]:  # a standby's end (SIGTERM) starts nothing in the background
        startup.after_command()
    # The command is done. Python's teardown would then run the cyclic garbage collector over
    # every object still alive, two or three times (~50 ms of a first `list`, ~1/6 of it);
    # frozen, they are skipped, and still freed as the modules are cleared.
    import gc

    gc.freeze()
    return code


def _closed_output() -> object:
    """Made only when needed: a class statement in the module's body would run before
    `main`'s guard, where a Ctrl-C would print a traceback."""

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

    return _ClosedOutput()


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
            sys.stdout = _closed_output()
        else:
            setattr(sys, name, open(fd, "r" if fd == 0 else "w", closefd=False))  # noqa: SIM115


if __name__ == "__main__":
    main()
