"""`standby --install | --off | --status`: the unit carries every word exactly, systemd accepts
it, and without systemd the lines printed instead run exactly what the service would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nightvoice.cli import run
from nightvoice.standby import service
from nightvoice.user import units
from tests.user.test_units import HOSTILE, cron_command, printed, printer, read_service

_ = printer  # a fixture used by name below

ODD = 'my "calf" 100% $HOME \\ it\'s'  # a folder name with what every reader treats specially


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private XDG_CONFIG_HOME: the unit lands in it, never in the real home."""
    folder = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    return folder


@pytest.fixture
def fake_systemd(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(units, "systemd_user_available", lambda: True)
    monkeypatch.setattr(units, "systemctl", lambda *args: calls.append(args))
    monkeypatch.setattr(
        units, "systemctl_says", lambda *args: {"is-enabled": "enabled"}.get(args[0], "active")
    )
    monkeypatch.setattr(service, "lingering", lambda: False)
    return calls


@pytest.fixture
def no_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(units, "systemd_user_available", lambda: False)


@pytest.fixture
def odd_routine(tmp_path: Path) -> Path:
    """A routine of the user's, by path, in a folder whose name needs quoting everywhere."""
    folder = tmp_path / ODD
    folder.mkdir()
    path = folder / "mine.yaml"
    path.write_text("nightvoice: 1\ntitle: Mine\nsteps:\n  - Sit up.\n")
    return path


def options(routine: Path, device: str) -> list[str]:
    return ["--routine", str(routine), "--button", device, "--grab", "--rate", "110"]


@pytest.mark.parametrize("word", HOSTILE)
def test_the_service_runs_exactly_the_standby_command(
    word: str, odd_routine: Path, printer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read back by systemd's rules, ExecStart runs this Python with every option as one word
    (a routine's path, a device's path), and Environment gives it the user's folder."""
    monkeypatch.setenv("NIGHTVOICE_HOME", word)
    device = f"/dev/input/by-id/usb-{word}-event-kbd"
    argv, environment = read_service(service.service_text(options(odd_routine, device)))
    assert argv[0] == str(printer)
    done = subprocess.run(argv, env=environment, capture_output=True, timeout=30, check=True)
    assert printed(done.stdout) == (
        word,
        ["-m", "nightvoice", "standby", *options(odd_routine, device)],
    )


def test_the_unit_starts_with_the_session_restarts_on_failure_and_passes_verify(
    tmp_path: Path, xdg: Path, odd_routine: Path, fake_systemd: list[tuple[str, ...]]
) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("no systemd-analyze: run `sudo .ci/setup` (it installs systemd)", False)
    device = tmp_path / "usb-Foot 100% pedal-event-kbd"
    os.mkfifo(device)
    assert (
        run(["standby", "--install", "--routine", str(odd_routine), "--button", str(device)]) == 0
    )
    unit = xdg / "systemd/user/nightvoice-standby.service"
    text = unit.read_text()
    for line in ("WantedBy=default.target", "Restart=on-failure", "Type=simple"):
        assert line in text.splitlines()
    assert fake_systemd == [("daemon-reload",), ("enable", "--now", "nightvoice-standby.service")]
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    done = subprocess.run(
        [analyze, "--user", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_LEVEL": "notice"},
        check=False,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_install_shows_status_and_off_removes_it(
    xdg: Path, fake_systemd: list[tuple[str, ...]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["standby", "--install"]) == 0
    out = capsys.readouterr().out
    unit = xdg / "systemd/user/nightvoice-standby.service"
    assert "Standby is installed" in out and str(unit) in out
    assert "loginctl enable-linger" in out  # not lingering: a bedside box needs it
    assert run(["standby", "--status"]) == 0
    out = capsys.readouterr().out
    assert "No standby is running." in out
    assert f"Service: {unit} (enabled, active)." in out
    fake_systemd.clear()
    assert run(["standby", "--off"]) == 0
    assert capsys.readouterr().out == "Standby service removed.\n"
    assert fake_systemd == [("disable", "--now", "nightvoice-standby.service"), ("daemon-reload",)]
    assert not unit.exists()
    assert run(["standby", "--off"]) == 0
    assert capsys.readouterr().out == "No standby service was installed.\n"
    assert run(["standby", "--status"]) == 0
    assert "Service: not installed" in capsys.readouterr().out


@pytest.mark.usefixtures("xdg", "no_systemd")
def test_without_systemd_it_prints_what_to_run_and_those_lines_run_exactly(
    odd_routine: Path,
    printer: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NIGHTVOICE_HOME", ODD)
    assert run(["standby", "--install", "--routine", str(odd_routine)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "There is no systemd user session here, so nothing was installed."
    assert not units.units_dir().exists()
    (shell,) = [line for line in out if line.endswith(" &")]
    (cron,) = [line for line in out if line.startswith("@reboot ")]
    expected = (ODD, ["-m", "nightvoice", "standby", "--routine", str(odd_routine)])
    for line in (shell.removesuffix(" &"), cron_command(cron, fields=1)):
        done = subprocess.run(
            ["/bin/sh", "-c", line],
            env={"PATH": os.environ["PATH"]},
            capture_output=True,
            timeout=30,
            check=True,
        )
        assert printed(done.stdout) == expected, line


def test_a_relative_routine_file_is_made_absolute_for_the_service(
    tmp_path: Path, xdg: Path, fake_systemd: list[tuple[str, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "r.yaml").write_text("nightvoice: 1\ntitle: R\nsteps:\n  - Sit up.\n")
    monkeypatch.chdir(tmp_path)
    assert run(["standby", "--install", "--routine", "r.yaml"]) == 0
    argv, _ = read_service((xdg / "systemd/user/nightvoice-standby.service").read_text())
    assert argv[-2:] == ["--routine", str(tmp_path / "r.yaml")]


def test_a_routine_that_cannot_play_is_said_at_install_and_nothing_is_written(
    tmp_path: Path,
    xdg: Path,
    fake_systemd: list[tuple[str, ...]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("nightvoice: 1\ntitle: Broken\nsteps:\n  - hold: -3\n")
    assert run(["standby", "--install", "--routine", str(broken)]) == 2
    assert capsys.readouterr().err.startswith(f"{broken}:4:")
    assert run(["standby", "--install", "--routine", "calf-cramps"]) == 2
    assert "did you mean `calf-cramp`?" in capsys.readouterr().err
    assert not units.units_dir().exists() and fake_systemd == []


def test_a_word_no_unit_can_carry_is_refused_in_one_line(
    tmp_path: Path,
    xdg: Path,
    fake_systemd: list[tuple[str, ...]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    device = tmp_path / "two\nlines"
    os.mkfifo(device)
    assert run(["standby", "--install", "--button", str(device)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nightvoice: cannot schedule") and err.count("\n") == 1
    assert not units.units_dir().exists() and fake_systemd == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--off", "--routine", "calf-cramp"], "--off takes no other options"),
        (["--status", "--grab"], "--status takes no other options"),
        (["--install", "--off"], "give one of --install, --off and --status"),
    ],
)
def test_options_that_do_not_go_together_are_a_usage_error(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["standby", *args]) == 2
    assert message in capsys.readouterr().err


def test_the_program_is_the_python_nightvoice_is_installed_in() -> None:
    argv, _ = read_service(service.service_text([]))
    assert argv == [sys.executable, "-m", "nightvoice", "standby"]
