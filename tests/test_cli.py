"""The command line as a user meets it: help everywhere, clear errors, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nightvoice import __version__
from nightvoice.cli import cli, run

TRACEBACK = "Traceback (most recent call last)"


def test_every_command_has_help_text() -> None:
    assert cli.help
    for name, command in cli.commands.items():
        assert command.help, f"`nightvoice {name}` has no help text"
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help.split("\n")[0][:30] in " ".join(result.output.split())


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.output.strip() == f"nightvoice, version {__version__}"


def test_check_says_ok_for_a_good_file_and_locates_every_problem_in_a_bad_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("nightvoice: 1\ntitle: Fine\nsteps: [Breathe.]\n", encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("nightvoice: 1\ntitle: T\nsteps:\n  - say: a\n    hodl: 3\n", encoding="utf-8")
    assert run(["check", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: ok (Fine)\n"
    assert run(["check", str(good), str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:5:5: unknown key `hodl` in a step; did you mean `hold`?" in err
    assert "1 of 2 file(s) have problems" in err


def test_check_on_a_folder_is_a_located_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{tmp_path}:1:1: cannot read the file")


def test_an_unknown_routine_suggests_the_close_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["show", "calf-cramps"]) == 2
    assert "did you mean `calf-cramp`?" in capsys.readouterr().err


def test_show_prints_the_routine_with_timings_and_its_safety_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["show", "calf-cramp"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Calf cramp relief\n")
    assert "Total: about " in out
    assert "Safety: " in out and "doctor" in out


def test_list_names_every_built_in_routine(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    expected = ["aftercare", "bedtime-stretches", "calf-cramp", "calm-breathing", "foot-cramp"]
    assert set(expected) <= set(names)


def test_a_bad_option_value_is_a_usage_error_by_day(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Export is day work: a rate out of range is refused before anything is written.
    (Playing passes it over instead: tests/user/test_night.py.)"""
    output = tmp_path / "out.wav"
    assert run(["export", "calf-cramp", "-o", str(output), "--rate", "5"]) == 2
    assert not output.exists()
    assert "5 is not in the range 80<=x<=300" in capsys.readouterr().err


def bare_nightvoice(
    home: Path, *args: str, cwd: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Plain `nightvoice` (the bedside command, or `args`) in a fresh process, no terminal."""
    environment = {**os.environ, "NIGHTVOICE_HOME": str(home), **env}
    return subprocess.run(
        [sys.executable, "-m", "nightvoice", *args],
        env=environment,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_bare_nightvoice_with_a_broken_replacement_routine_plays_the_built_in(
    tmp_path: Path,
) -> None:
    """Never silent at night: one located warning line, then the built-in plays."""
    scripts = tmp_path / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "calf-cramp.yaml").write_text("nightvoice: 1\ntitle: [broken\n", encoding="utf-8")
    # No sound server: hands-free it waits for one, the steps going on meanwhile.
    proc = subprocess.Popen(
        [sys.executable, "-m", "nightvoice"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "NIGHTVOICE_HOME": str(tmp_path),
            "PULSE_SERVER": f"unix:{tmp_path}/no-such-server",
        },
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        warning = proc.stderr.readline()
        lost = proc.stderr.readline()
        first_step = proc.stdout.readline()
    finally:
        proc.terminate()
        _, rest = proc.communicate(timeout=10)
    assert warning.startswith(f"nightvoice: {scripts / 'calf-cramp.yaml'}:2:8: YAML syntax: the `[")
    assert warning.rstrip().endswith("; playing the built-in calf-cramp instead")
    # The built-in, not the copy: hands-free it first says the leg its question takes.
    assert first_step == "  (Left leg.)\n"
    assert lost.startswith("nightvoice: No sound: ") and "trying again" in lost
    assert TRACEBACK not in rest


@pytest.mark.parametrize(
    ("command", "code"),
    [(["show", "calf-cramp"], 2), (["check", "scripts/calf-cramp.yaml"], 1)],
)
def test_by_day_a_broken_replacement_routine_is_reported_not_replaced(
    tmp_path: Path, command: list[str], code: int
) -> None:
    """`show` and `check` still report the problem, located, and show nothing of the built-in
    (a routine that cannot be loaded is 2, as in docs/keys.md; `check` finding problems, 1)."""
    scripts = tmp_path / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "calf-cramp.yaml").write_text("nightvoice: 1\ntitle: [broken\n", encoding="utf-8")
    done = bare_nightvoice(tmp_path, *command, cwd=str(tmp_path))
    assert done.returncode == code, done.stderr
    assert ":2:8: YAML syntax: the `[` opened at 2:8" in done.stderr.splitlines()[0]
    assert "Calf cramp relief" not in done.stdout


HANDS_FREE = """\
nightvoice: 1
title: Hands free
ask: {name: side, say: Which leg?, choices: {l: left, r: right}, default: left, confirm: "{side} leg."}
steps:
  - say: Pull the {side} toes up.
    until_eased: {max: 1.6, every: 1}
"""


def test_hands_free_it_says_the_leg_it_takes_and_asks_for_no_key(tmp_path: Path) -> None:
    """With no keyboard: the leg the question's default takes is said, and nothing on screen
    asks for a key that cannot be pressed."""
    routine = tmp_path / "free.yaml"
    routine.write_text(HANDS_FREE, encoding="utf-8")
    done = bare_nightvoice(
        tmp_path, "play", str(routine), "--text", "--hands-free", "--rate", "300"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ["  (Left leg.)", "  Left leg."]  # shown and said
    assert "  (Hold 1.6 s)" in done.stdout
    assert "Enter" not in done.stdout and "Which leg?" not in done.stdout


def test_a_routine_ending_with_no_sound_server_names_the_fix(tmp_path: Path) -> None:
    """Hands-free, the sound server never came: the routine ends (it kept its time on the
    way), and that is exit code 3 naming the fix, not a success."""
    routine = tmp_path / "short.yaml"
    routine.write_text("nightvoice: 1\ntitle: Short\nsteps:\n  - Sit up.\n", encoding="utf-8")
    done = bare_nightvoice(
        tmp_path, "play", str(routine), PULSE_SERVER=f"unix:{tmp_path}/no-such-server"
    )
    assert done.returncode == 3
    assert done.stderr.startswith("nightvoice: No sound")
    assert "--text" in done.stderr
    assert TRACEBACK not in done.stderr
