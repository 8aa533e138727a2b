"""What each key does: a pure map from key names to player commands (the spoken help is
core/phrases.py's HELP, in the routine's language)."""

from __future__ import annotations

from enum import Enum


class Command(Enum):
    NEXT = "next step"
    BACK = "previous step"
    REPEAT = "repeat this step"
    PAUSE = "pause or resume"
    SLOWER = "slower"
    FASTER = "faster"
    QUIETER = "quieter"
    LOUDER = "louder"
    HELP = "say the keys"
    QUIT = "quit"
    # Two commands no key gives: a media player's idempotent Play and Pause (MPRIS), which
    # a desktop or a headset sends when it believes the player paused or playing.
    PLAY = "go on (nothing if already playing)"
    PAUSE_ONLY = "pause (nothing if already paused)"


# Media-player habits (mpv): a half-asleep hand finds Space, Enter and the arrows.
KEYMAP: dict[str, Command] = {
    "space": Command.PAUSE,
    "enter": Command.NEXT,
    "right": Command.NEXT,
    "left": Command.BACK,
    "backspace": Command.BACK,
    "r": Command.REPEAT,
    "9": Command.QUIETER,
    "0": Command.LOUDER,
    "[": Command.SLOWER,
    "]": Command.FASTER,
    "h": Command.HELP,
    "?": Command.HELP,
    "q": Command.QUIT,
    "esc": Command.QUIT,
}


def command_for(key: str) -> Command | None:
    """The command for a key name; None for any other key, which must do nothing harmful."""
    return KEYMAP.get(key if len(key) > 1 else key.lower())
