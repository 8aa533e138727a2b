"""The command line as the fast start reads it, before click is imported.

Just enough to guess what a command will do: its words (the command, a routine) and its options.
A copy of what click knows, kept for speed (importing click costs the first words ~25 ms), so
tests/startup/test_commandline.py holds WITH_VALUE and SILENT to click's own options: a new
option that takes a value cannot be misread here as a routine's name.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: nothing heavy before the first words
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence

# Options of `nightvoice`, `play`, `say` and `export` that take a value (the value is not a
# command or a routine).
WITH_VALUE = frozenset(
    ("--rate", "--volume", "--voice", "--language", "--device", "-o", "--output")
)
# The commands that speak (with the bare command, which is no command at all).
SPEAKING = ("play", "say", "export")
# Options after which nothing will be spoken.
SILENT = frozenset(("--text", "--help", "-h", "--version", "-V"))


def split(argv: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The words (command, routine) and the options of a command line, as click reads them."""
    words: list[str] = []
    options: dict[str, str] = {}
    args = iter(argv)
    for arg in args:
        if arg == "--":
            words.extend(args)
            break
        if arg.startswith("--") and "=" in arg:
            key, value = arg.split("=", 1)
            options[key] = value
        elif arg in WITH_VALUE:
            options[arg] = next(args, "")
        elif arg.startswith("-") and arg != "-":
            options[arg] = ""
        else:
            words.append(arg)
    return words, options


def speaks(words: Sequence[str], options: dict[str, str]) -> bool:
    """Will this command line speak (as far as a cheap look can tell)?"""
    command = words[0] if words else None
    return command in (None, *SPEAKING) and not SILENT & options.keys()
