"""The command line's habits: the names and messages a person would guess."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from nightvoice import __version__
from nightvoice.base import paths
from nightvoice.cli import GUIDES, cli, run
from nightvoice.user.episodes import Episode, append

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def every_command() -> list[tuple[str, click.Command]]:
    """Every command and subcommand by its full name (`config set`)."""
    found = []
    for name, command in cli.commands.items():
        found.append((name, command))
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
    return found


@pytest.mark.parametrize(("name", "command"), every_command())
def test_every_command_has_help_and_a_summary_that_is_never_cut_off(
    name: str, command: click.Command
) -> None:
    assert command.help, f"`nightvoice {name}` has no help text"
    assert command.short_help, f"`nightvoice {name}` has no short_help (click would cut it)"
    parent = ["config"] if " " in name else []
    listing = CliRunner().invoke(cli, [*parent, "--help"], terminal_width=80).output
    line = next(
        line for line in listing.splitlines() if line.split()[:1] == [name.rsplit(maxsplit=1)[-1]]
    )
    assert line.split(None, 1)[1] == command.short_help  # whole, on one line, no "..."
    assert "..." not in listing.split("Commands:")[1]


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_the_readme_command_table_lists_every_command(name: str) -> None:
    rows = [line for line in README.splitlines() if line.startswith("| `nightvoice")]
    assert any(row.startswith(f"| `nightvoice {name}") for row in rows), name


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["help"], "Usage: nightvoice [OPTIONS] [COMMAND]"),
        (["help", "play"], "Usage: nightvoice play [OPTIONS] [ROUTINE]"),
        (["help", "config", "set"], "Usage: nightvoice config set [OPTIONS] KEY VALUE"),
        (["help", "format"], "# The routine format"),
        (["help", "keys"], "Every way it ends"),
        (["help", "audio"], "`nightvoice devices`"),
    ],
)
def test_help_takes_a_command_or_a_guide(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(args) == 0
    assert expected in capsys.readouterr().out


def test_help_lists_the_guides_and_suggests_on_a_typo(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["help"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {topic} " in out for topic in GUIDES)
    assert run(["help", "frmat"]) == 2
    assert "did you mean `format`?" in capsys.readouterr().err
    assert run(["help", "config", "sett"]) == 2
    assert "did you mean `set`?" in capsys.readouterr().err


def test_the_guides_are_the_documents_shipped_with_the_package() -> None:
    for topic, (name, _) in GUIDES.items():
        result = CliRunner().invoke(cli, ["help", topic])
        assert result.output.strip() == (ROOT / "docs" / name).read_text().strip()


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version_by_either_flag(flag: str) -> None:
    assert CliRunner().invoke(cli, [flag]).output.strip() == f"nightvoice, version {__version__}"


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (["play", "calf", "--text"], "did you mean `calf-cramp`?"),
        (["show", "thigh"], "did you mean `thigh-cramp` or `thigh-cramp-front`?"),
        (["show", "bedtime"], "did you mean `bedtime-stretches`?"),
        (["export", "calm", "-o", "x.wav"], "did you mean `calm-breathing`?"),
        (["check", "calf-cramps"], "did you mean `calf-cramp`?"),
        (["config", "set", "volum", "0.5"], "did you mean `volume`?"),
        (["config", "set", "voice", "en-gb-scotlnd"], "did you mean `en-gb-scotland`?"),
    ],
)
def test_an_unknown_name_or_value_suggests_the_one_meant(
    args: list[str], suggestion: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(args) != 0
    err = capsys.readouterr().err
    assert suggestion in err
    assert "Traceback" not in err


def test_check_takes_routine_names_as_show_and_play_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["check", "calf-cramp", "aftercare"]) == 0
    out = capsys.readouterr().out
    assert "calf-cramp.yaml: ok (Calf cramp relief)" in out
    assert "aftercare.yaml: ok" in out


def test_check_finds_your_own_routine_by_name_and_locates_its_problem(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = paths.routines_dir()
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text("nightvoice: 1\ntitle: Mine\nsteps:\n  - hold: -3\n")
    assert run(["check", "mine"]) == 1
    assert capsys.readouterr().err.startswith(f"{folder / 'mine.yaml'}:4:")


@pytest.mark.parametrize("given", ["./foo.yaml", "sub/foo", "/tmp/foo.yaml"])
def test_new_says_it_takes_a_name_not_a_path(
    given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["new", given]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nightvoice: `nightvoice new` takes a NAME, not a path: ")
    assert "`nightvoice new foo` writes " in err
    assert not paths.routines_dir().exists()


def test_new_still_takes_a_name_with_its_yaml_ending(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["new", "foo.yaml"]) == 0
    assert (paths.routines_dir() / "foo.yaml").is_file()


def test_the_starter_points_to_documentation_the_user_has() -> None:
    assert run(["new", "mine"]) == 0
    text = (paths.routines_dir() / "mine.yaml").read_text()
    assert "nightvoice help format" in text
    assert "docs/" not in text


@pytest.mark.parametrize("text", [[""], ["   "], ["", " "], ["\t\n"]])
def test_say_with_nothing_to_say_is_an_error(
    text: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["say", *text]) == 2
    assert "there is nothing to say" in capsys.readouterr().err


def test_log_csv_honours_n(capsys: pytest.CaptureFixture[str]) -> None:
    import datetime

    start = datetime.datetime(2026, 1, 1, 3, 0).astimezone()
    for day in range(5):
        append(Episode(start + datetime.timedelta(days=day), "calf-cramp", 60.0, "yes"))
    assert run(["log", "--csv", "-n", "2"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 3  # the header and the last two
    assert rows[1].startswith("2026-01-04") and rows[2].startswith("2026-01-05")
    assert run(["log", "--csv"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 6


def setup_command() -> str:
    block = README.split("## Set up", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return block.strip()


def test_the_readme_set_up_never_assumes_sudo() -> None:
    """As root in a container there is no sudo: every sudo is `$(command -v sudo)`."""
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for part in re.split(r"&&|\n", block):
            assert not part.strip().startswith("sudo "), part
    setup = (ROOT / ".ci" / "setup").read_text()
    assert 'if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi' in setup
    assert "\nsudo " not in setup


def test_after_the_readme_set_up_nightvoice_is_on_path_for_the_commands_below() -> None:
    """Every later README command is written `nightvoice ...`: the set-up puts it on PATH
    before it first runs it bare."""
    parts = [
        shlex.split(part.replace("$(command -v sudo)", "sudo"))[0:2]
        for part in setup_command().split("&&")
    ]
    words = [" ".join(p) for p in parts]
    on_path = next(
        i for i, w in enumerate(words) if w.startswith("export PATH=") and ".venv/bin" in w
    )
    first_bare = next(i for i, p in enumerate(parts) if p[0] == "nightvoice")
    assert on_path < first_bare
    assert not any(p[0].endswith("/nightvoice") for p in parts)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["calf-cramp"], "To play a routine: `nightvoice play calf-cramp`."),
        (["calf"], "To play a routine: `nightvoice play calf-cramp`."),
        (["lsit"], "Did you mean 'list'?"),
    ],
)
def test_a_routine_typed_as_a_command_says_how_to_play_it(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(args) == 2
    assert expected in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--language", "de", "say", "Hallo"], "put it after the command: nightvoice say "),
        (["--rate", "100", "play", "calf-cramp"], "nightvoice play --rate ..."),
        (["--text", "list"], "`list` takes no --text"),
    ],
)
def test_a_play_option_before_another_command_is_not_silently_ignored(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(args) == 2
    err = capsys.readouterr().err
    assert "before a command is for plain `nightvoice` only" in err and expected in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["config", "set", "language", "english"], "did you mean `en-gb` (english)?"),
        (["config", "set", "language", "german"], "did you mean `de` (german)?"),
        (["export", "calm-breathing", "--language", "german", "-o", "x.wav"], "`de` (german)"),
    ],
)
def test_a_language_by_its_name_suggests_its_code(
    args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [str(tmp_path / a) if a == "x.wav" else a for a in args]
    assert run(args) == 2
    assert expected in capsys.readouterr().err
