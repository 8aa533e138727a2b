"""The optional extras (`natural`, `report`): the one way every message says how to get one."""

from __future__ import annotations


def install_command(extra: str) -> str:
    """The command that installs `extra` into the Python running nightvoice, alike for every
    extra; it works however nightvoice was installed (from a package or a source folder: pip
    keeps that nightvoice and adds only the extra's packages)."""
    import shlex
    import sys

    return f"{shlex.quote(sys.executable)} -m pip install 'nightvoice[{extra}]'"
