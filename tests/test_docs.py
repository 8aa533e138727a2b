"""What the documents promise is what the code does (settings order, exit codes, `safety`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightvoice.base import paths
from nightvoice.cli import run
from nightvoice.core.routine import Voice
from nightvoice.user.config import resolve_settings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def paragraph(text: str, start: str) -> str:
    at = text.index(start)
    return " ".join(text[at : text.find("\n\n", at)].split())


def test_the_format_guide_layers_settings_as_the_code_does() -> None:
    layers = paragraph((DOCS / "routine-format.md").read_text(), "Voice settings are layered")
    order = [layers.index(word) for word in ("night defaults", "routine", "config", "flags")]
    assert order == sorted(order)
    resolved = resolve_settings(Voice(rate=120), {"rate": 140}, {})
    assert (resolved.settings.rate, resolved.sources["rate"]) == (140, "config")
    assert "from config" not in (DOCS / "routine-format.md").read_text()


def test_safety_is_shown_by_show_not_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = next(
        line
        for line in (DOCS / "routine-format.md").read_text().splitlines()
        if line.startswith("| `safety`")
    )
    assert "`show`" in row and "`list`" not in row
    folder = paths.routines_dir()
    folder.mkdir(parents=True)
    (folder / "safe.yaml").write_text(
        "nightvoice: 1\ntitle: Safe\nsafety: Never to pain.\nsteps:\n  - Sit up.\n"
    )
    assert run(["show", "safe"]) == 0
    assert "Never to pain." in capsys.readouterr().out
    assert run(["list"]) == 0
    assert "Never to pain." not in capsys.readouterr().out


def test_the_exit_codes_for_a_broken_routine_are_as_documented(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = next(
        line for line in (DOCS / "keys.md").read_text().splitlines() if "has problems" in line
    )
    assert "| 2 |" in row and "exits 1" in row
    broken = tmp_path / "broken.yaml"
    broken.write_text("nightvoice: 1\ntitle: Broken\nsteps:\n  - hold: -3\n")
    assert run(["play", str(broken), "--text", "--hands-free"]) == 2
    assert run(["check", str(broken)]) == 1
    assert f"{broken}:4:" in capsys.readouterr().err


def yaml_examples() -> list[tuple[str, str]]:
    """Every YAML example in the README and the format guide, as a whole routine: a step
    list's items and an `ask:` get the few lines around them that a routine needs."""
    import re
    import textwrap

    head = "nightvoice: 1\ntitle: Example\n"
    found = []
    for document in (DOCS.parent / "README.md", DOCS / "routine-format.md"):
        for number, block in enumerate(
            re.findall(r"```yaml\n(.*?)```", document.read_text(), re.S)
        ):
            if "nightvoice:" in block:
                routine = block
            elif block.startswith("- "):
                routine = head + "steps:\n" + textwrap.indent(block, "  ")
            else:
                routine = head + block + "steps:\n  - The {side} leg.\n"
            found.append((f"{document.name}#{number}", routine))
    return found


@pytest.mark.parametrize(("where", "routine"), yaml_examples(), ids=lambda v: v[:24])
def test_every_yaml_example_in_the_docs_is_a_routine_check_accepts(
    where: str, routine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An example a person copies must work as written (texts in `{...}` quoted, ...)."""
    path = tmp_path / "example.yaml"
    path.write_text(routine, encoding="utf-8")
    assert run(["check", str(path)]) == 0, capsys.readouterr().err


def test_the_docs_have_yaml_examples_to_check() -> None:
    assert len(yaml_examples()) >= 10


def test_the_readme_says_where_it_lists_the_keys_that_a_second_play_stops_the_first() -> None:
    """Right there, not only in docs/keys.md: starting another routine ends the one playing
    (base/playing.py's take_over, tested in tests/base/test_playing.py)."""
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    keys = paragraph(readme, "Keys while it plays")
    assert "`q` or Esc quits" in keys
    assert "starting another (`nightvoice` or `play` in a second terminal" in keys
    assert "stops the one playing first" in keys


def test_the_languages_guide_names_every_phrase_kind_the_catalog_holds() -> None:
    """docs/languages.md says what a catalog translates: each kind of phrase is named there."""
    guide = " ".join((DOCS / "languages.md").read_text(encoding="utf-8").split())
    for words in (
        "Halfway.",
        "3. 2. 1.",
        "Release.",
        "counted breathing",
        "check-ins",
        "spoken key help",
        "Quieter.",
        "No key pressed.",
        "did it help?",
        "Take your time.",
        "Press Enter to go on",
        "12 s left",
    ):
        assert words in guide, words
