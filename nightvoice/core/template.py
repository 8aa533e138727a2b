"""Routine texts with `{variables}`: one strict reading, shared by the loader and the planner.

Only plain `{name}` fields and `{{`/`}}` for braces: no `!r` conversions, `:spec` formats,
attributes or indexes, which `str.format` would otherwise honour or crash on at play time.
"""

from __future__ import annotations

import string


class TemplateError(ValueError):
    """The text is not a valid template; the message says how to fix it."""


_FORMATTER = string.Formatter()


def _plain(text: str) -> bool:
    """No braces at all: nothing to parse (most texts; `list` reads thousands)."""
    return "{" not in text and "}" not in text


def fields(text: str) -> list[str]:
    """The variable names a text uses, in order; TemplateError if it is not a plain template."""
    if _plain(text):
        return []
    try:
        parts = list(_FORMATTER.parse(text))
    except ValueError:
        raise TemplateError("has an unmatched `{` or `}`; write `{{` or `}}` for a brace") from None
    names = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise TemplateError(
                f"has `{{{shown}}}`; a variable is a plain word in braces, like `{{side}}`"
            )
        names.append(name)
    return names


def fill(text: str, values: dict[str, str]) -> str:
    """The text with each `{name}` replaced; the loader has checked every name exists."""
    if _plain(text):
        return text
    return "".join(
        literal + (values[name] if name is not None else "")
        for literal, name, _, _ in _FORMATTER.parse(text)
    )
