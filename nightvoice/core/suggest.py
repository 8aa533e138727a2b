"""Did-you-mean for names a person types: routine names, voices, settings, option values."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_names(word: str, choices: Iterable[str], most: int = 3) -> list[str]:
    """The choices `word` most likely meant: up to `most` that it begins (`calf` ->
    `calf-cramp`), else the closest spelling (`calf-crmap` -> `calf-cramp`)."""
    unique = list(dict.fromkeys(choices))
    lowered = word.lower()
    if lowered:
        starting = [c for c in unique if c.lower().startswith(lowered) and c.lower() != lowered]
        if starting:
            return sorted(starting, key=len)[:most]
    by_case = {c.lower(): c for c in unique}
    # A misspelling has one best guess; a second, looser one is more noise than help.
    return [by_case[c] for c in difflib.get_close_matches(lowered, list(by_case), 1, 0.6)]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean `x`?` (or `x` or `y`) to end a message with, or "" when nothing fits."""
    close = close_names(word, choices)
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"`{name}`" for name in close) + "?"
