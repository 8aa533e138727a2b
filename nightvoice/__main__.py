"""Entry point for `nightvoice` and `python -m nightvoice`."""

from __future__ import annotations

import sys


def main() -> None:
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

        sys.exit(guarded(lambda: play_exit_code(PlayRequest())))
    from nightvoice.cli import run

    sys.exit(run())


if __name__ == "__main__":
    main()
