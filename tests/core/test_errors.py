"""Messages: a person's text is shown as they typed it, and can never drive the terminal."""

from __future__ import annotations

import pytest

from nightvoice.core.errors import Problem, shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wenn es nachlässt.", "wenn es nachlässt."),  # as typed: not nachl\xe4sst
        ("Grüße, λ 😀", "Grüße, λ 😀"),
        ("C:\\Users\\me", "C:\\Users\\me"),  # a backslash is printable: left as it is
        ("a\nb\tc\rd", "a\\nb\\tc\\rd"),
        ("\x1b[2J\x07\x00", "\\x1b[2J\\x07\\x00"),  # clear screen, bell, NUL
        ("\x85\xa0", "\\x85\\xa0"),  # next line, no-break space: invisible, so shown
        ("\u202eevil\u200b", "\\u202eevil\\u200b"),  # bidi override, zero width space
        ("\U000e0001", "\\U000e0001"),  # a tag character
    ],
)
def test_only_what_cannot_be_printed_is_escaped(text: str, expected: str) -> None:
    assert shown(text) == expected


def test_a_long_text_is_cut_to_the_limit_with_dots() -> None:
    assert shown("a" * 50, 40) == "a" * 37 + "..."
    assert shown("a" * 40, 40) == "a" * 40


def test_a_problems_path_is_shown_as_typed_too() -> None:
    problem = Problem("grüße\x1b[2J.yaml", 3, 9, "`hold` must be a number")
    assert str(problem) == "grüße\\x1b[2J.yaml:3:9: `hold` must be a number"
