"""Entry point for `nightvoice` and `python -m nightvoice`."""

from __future__ import annotations

import sys


def main() -> None:
    from nightvoice.cli import run

    sys.exit(run())


if __name__ == "__main__":
    main()
