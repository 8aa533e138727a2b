"""Start loading the natural voice before click and YAML are imported, on a cheap guess.

A natural voice's child takes ~0.7 s to load its model (sound/piper_client.py), and on a first
run, with nothing rendered yet, that load is the wait before the first words. The settings that
name the voice are known only once click, the config and the routine are loaded (~0.25 s
later), so `start_if_named` reads the same three places as plain text first, in the order the
settings take them (a `--voice` flag over config.yaml's `voice:` over the routine's `voice:`),
and starts the child if they name a natural voice.

It is only a guess, and may be wrong (a flow mapping, an anchor, a config the loader refuses):
the EarlyStart hands the child to the engine only if the real settings name the same voice, and
ends it otherwise. A wrong guess costs a little CPU, never a wrong voice.
"""

from __future__ import annotations

import os
import re

from nightvoice.startup.commandline import speaks, split

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    import subprocess
    from collections.abc import Sequence

    from nightvoice.sound.naturalvoices import NaturalVoice

# A top-level `voice: NAME` line, plain or quoted, with an optional comment.
_VOICE_LINE = re.compile(
    r"""^voice[ \t]*:[ \t]*(?P<q>["']?)(?P<name>[^\s"'#]+)(?P=q)[ \t]*(?:\#.*)?$""",
    re.MULTILINE,
)


def start_if_named(
    argv: Sequence[str],
) -> tuple[NaturalVoice, subprocess.Popen[bytes]] | None:
    """Start the natural voice `argv` will most likely play with; None for espeak-ng."""
    try:
        name = guess(argv)
    except Exception:  # a guess must never stop the command: the real settings decide
        return None
    if name is None:
        return None
    from nightvoice.sound import naturalvoices

    voice = naturalvoices.natural_voice(name)
    if voice is None or naturalvoices.missing(voice) is not None:
        return None
    try:
        return voice, naturalvoices.spawn_worker(voice)
    except OSError:
        return None  # the engine made later tries again, and reports it


def guess(argv: Sequence[str]) -> str | None:
    """The voice setting `argv` plays with, read cheaply: None if it says none or no speech."""
    words, options = split(argv)
    if not speaks(words, options):
        return None
    if "--voice" in options:
        return options["--voice"]
    from nightvoice.base import paths

    configured = _voice_line(os.path.join(paths.folder("config"), "config.yaml"))
    command = words[0] if words else None
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


def _voice_line(path: object) -> str | None:
    from nightvoice.base.reading import read_input

    try:
        text = read_input(str(path), limit=256 * 1024).decode("utf-8", errors="replace")
    except OSError:
        return None
    found = _VOICE_LINE.search(text)
    return found["name"] if found else None
