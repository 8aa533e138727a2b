"""Start loading the natural voice before click and YAML are imported, on a cheap guess.

A natural voice's child takes ~0.7 s to load its model (natural.py), and on a first run, with
nothing rendered yet, that load is the wait before the first words. The settings that name
the voice are known only once click, the config and the routine are loaded (~0.25 s later), so
`start_if_named` reads the same three places as plain text first, in the order the settings
take them (a `--voice` flag over config.yaml's `voice:` over the routine's `voice:`), and
starts the child if they name a natural voice.

It is only a guess, and may be wrong (a flow mapping, an anchor, a config the loader refuses):
the engine made for the real settings adopts the child if they name the same voice, and kills
it otherwise (`natural.discard_early`). A wrong guess costs a little CPU, never a wrong voice.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

# A top-level `voice: NAME` line, plain or quoted, with an optional comment.
_VOICE_LINE = re.compile(
    r"""^voice[ \t]*:[ \t]*(?P<q>["']?)(?P<name>[^\s"'#]+)(?P=q)[ \t]*(?:\#.*)?$""",
    re.MULTILINE,
)
# Options of `nightvoice`, `play`, `say` and `export` that take a value (the value is not a
# command or a routine).
_WITH_VALUE = frozenset(
    ("--rate", "--volume", "--voice", "--language", "--device", "-o", "--output")
)
_SPEAKING = ("play", "say", "export")
_SILENT = frozenset(("--text", "--help", "-h", "--version", "-V"))  # nothing will be spoken


def start_if_named(argv: Sequence[str]) -> None:
    """Start the natural voice `argv` will most likely play with; nothing for espeak-ng."""
    try:
        name = guess(argv)
    except Exception:  # a guess must never stop the command: the real settings decide
        return
    if name is None:
        return
    from nightvoice.sound import naturalvoices

    voice = naturalvoices.natural_voice(name)
    if voice is not None:
        naturalvoices.start_early(voice)


def guess(argv: Sequence[str]) -> str | None:
    """The voice setting `argv` plays with, read cheaply: None if it says none or no speech."""
    words, options = _split(argv)
    command = words[0] if words else None
    if command not in (None, *_SPEAKING) or _SILENT & options.keys():
        return None
    if "--voice" in options:
        return options["--voice"]
    from nightvoice.user import paths

    configured = _voice_line(paths.config_file())
    if configured is not None or command == "say":
        return configured
    target = words[1] if len(words) > 1 else None
    if target is not None and (target.endswith((".yaml", ".yml")) or "/" in target):
        return _voice_line(os.path.expanduser(target))  # a file, as catalog.resolve reads it
    from nightvoice.user import catalog  # ~40 ms of imports: only for a routine's name

    try:
        path = catalog.resolve(target).path
    except Exception:  # no such routine: the command says so, not the guess
        return None
    return _voice_line(path)


def _split(argv: Sequence[str]) -> tuple[list[str], dict[str, str]]:
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
        elif arg in _WITH_VALUE:
            options[arg] = next(args, "")
        elif arg.startswith("-") and arg != "-":
            options[arg] = ""
        else:
            words.append(arg)
    return words, options


def _voice_line(path: object) -> str | None:
    from nightvoice.user.paths import read_input

    try:
        text = read_input(str(path), limit=256 * 1024).decode("utf-8", errors="replace")
    except OSError:
        return None
    found = _VOICE_LINE.search(text)
    return found["name"] if found else None
