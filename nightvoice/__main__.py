"""Entry point for `nightvoice` and `python -m nightvoice`."""

from __future__ import annotations

import sys


def main() -> None:
    # Before click and YAML are imported (~100 ms of Python here): when this run plays aloud
    # and is the same command as last time, its first words start playing right now.
    from nightvoice import headstart

    headstart.start(sys.argv[1:])
    from nightvoice.cli import run

    sys.exit(run())


if __name__ == "__main__":
    main()
