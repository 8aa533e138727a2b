"""`nightvoice remind`: unit files and crontab lines that carry any text exactly, run for real."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nightvoice.base import paths, playing
from nightvoice.cli import run
from nightvoice.user import remind, units
from tests.audio_server import PulseServer, Recorder, pulse_server, recorder
from tests.renders import assert_said_once, rendered_fresh
from tests.user.test_units import HOSTILE, cron_command, printed, printer, read_service

_ = (pulse_server, recorder, printer)  # fixtures used by name below

SPOKEN = 'Drink 100% "now" $HOME \\% it\'s'  # short: spoken for real, at the fastest rate
FOLDER = 'nv home %h $USER "q" \\ it\'s'  # the user's folder override, with the same trouble


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private XDG_CONFIG_HOME: unit files land in it, never in the real home."""
    folder = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    return folder


@pytest.fixture
def odd_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / FOLDER
    monkeypatch.setenv("NIGHTVOICE_HOME", str(home))
    return home


@pytest.fixture
def no_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(units, "systemd_user_available", lambda: False)


@pytest.fixture
def fake_systemd(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """A systemd user session that records what systemctl was asked to do."""
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(units, "systemd_user_available", lambda: True)
    monkeypatch.setattr(units, "systemctl", lambda *args: calls.append(args))
    return calls


FIRE = ["-m", "nightvoice", "remind", "--fire", "--say"]


# --- the lines carry every text exactly ------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_the_service_runs_exactly_the_command_with_the_text(
    text: str, odd_home: Path, xdg: Path, printer: Path
) -> None:
    """Read back by systemd's rules, ExecStart runs the program with the text as one word,
    and Environment gives it the user's folder: both exactly as written."""
    argv, environment = read_service(remind.service_text(remind.Reminder(22, 30, text)))
    assert argv[0] == str(printer)
    done = subprocess.run(argv, env=environment, capture_output=True, timeout=30, check=True)
    assert printed(done.stdout) == (str(odd_home), [*FIRE, text])


@pytest.mark.parametrize("text", HOSTILE)
def test_the_crontab_line_runs_exactly_the_command_with_the_text(
    text: str, odd_home: Path, printer: Path
) -> None:
    """Through cron's `%` rule and then a real sh, the line runs the program with the text as
    one word and the user's folder."""
    line = remind.cron_line(remind.Reminder(22, 30, text, "cron"))
    assert line.startswith("30 22 * * * ") and "\n" not in line
    done = subprocess.run(
        ["/bin/sh", "-c", cron_command(line)],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        timeout=30,
        check=True,
    )
    assert printed(done.stdout) == (str(odd_home), [*FIRE, text])


def test_the_units_pass_systemd_analyze_verify(
    tmp_path: Path, odd_home: Path, xdg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """systemd itself accepts both files (quoting, specifiers, the program exists)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("no systemd-analyze: run `sudo .ci/setup` (it installs systemd)", False)
    for text in [None, *HOSTILE]:
        service, timer = remind.write_units(remind.Reminder(7, 5, text))
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        done = subprocess.run(
            [analyze, "--user", "verify", str(service), str(timer)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_LEVEL": "notice"},
            check=False,
        )
        assert (done.returncode, done.stdout + done.stderr) == (0, ""), text
    assert "OnCalendar=*-*-* 07:05:00" in timer.read_text()


@pytest.mark.parametrize(
    "text",
    ["two\nlines", "carriage\rreturn", "a\ttab", "\x1b[31mred", "nul\x00", "sep\u2028x"],
)
def test_text_no_quoting_can_carry_is_refused_and_nothing_is_written(
    text: str, xdg: Path, capsys: pytest.CaptureFixture[str], fake_systemd: list[tuple[str, ...]]
) -> None:
    assert run(["remind", "22:30", "--say", text]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nightvoice: --say text must be one line") and err.count("\n") == 1
    assert not remind.state_file().exists() and not units.units_dir().exists()
    assert fake_systemd == []


@pytest.mark.parametrize("text", ["", "   ", "x" * (remind.MAX_TEXT + 1)])
def test_empty_or_long_text_is_refused(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["remind", "22:30", "--say", text]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("when", ["24:00", "22:60", "2230", "22:3", "10pm", "", "22:30:00"])
def test_a_time_that_is_not_hh_mm_is_one_clear_line(
    when: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["remind", when]) == 2
    err = capsys.readouterr().err
    assert "HH:MM on a 24-hour clock" in err and err.count("\n") == 1
    assert not remind.state_file().exists()


# --- setting, showing, removing --------------------------------------------------------------


def test_with_systemd_the_timer_is_installed_shown_and_removed_cleanly(
    xdg: Path, fake_systemd: list[tuple[str, ...]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Unit files in the user's own folder, enabled; `remind` shows them; --off undoes all."""
    assert run(["remind", "22:30"]) == 0
    out = capsys.readouterr().out
    service, timer = (
        xdg / "systemd/user/nightvoice-remind.service",
        xdg / "systemd/user/nightvoice-remind.timer",
    )
    assert "set for 22:30 every day: it plays bedtime-stretches" in out and str(timer) in out
    assert fake_systemd == [("daemon-reload",), ("enable", "--now", "nightvoice-remind.timer")]
    assert "--say" not in service.read_text()
    assert run(["remind", "21:05", "--say", "Stretch & drink."]) == 0  # replaces it
    assert "OnCalendar=*-*-* 21:05:00" in timer.read_text()
    capsys.readouterr()
    assert run(["remind"]) == 0
    shown = capsys.readouterr().out
    assert 'at 21:05 every day: it says "Stretch & drink."' in shown
    assert re.search(r"Next: \w{3} \d{4}-\d\d-\d\d 21:05 ", shown)
    fake_systemd.clear()
    assert run(["remind", "--off"]) == 0
    assert "removed" in capsys.readouterr().out
    assert fake_systemd == [("disable", "--now", "nightvoice-remind.timer"), ("daemon-reload",)]
    assert not service.exists() and not timer.exists() and not remind.state_file().exists()
    assert run(["remind", "--off"]) == 0
    assert capsys.readouterr().out == "No bedtime reminder was set.\n"
    assert run(["remind"]) == 0
    assert "No bedtime reminder is set" in capsys.readouterr().out


def only(monkeypatch: pytest.MonkeyPatch, *commands: str) -> None:
    """As if only `commands` were installed (`crontab`, `apt-get`...)."""
    monkeypatch.setattr(
        remind.shutil, "which", lambda name: f"/usr/bin/{name}" if name in commands else None
    )


def test_without_systemd_it_says_so_and_prints_the_crontab_line(
    xdg: Path, no_systemd: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    only(monkeypatch, "crontab")
    assert run(["remind", "6:45", "--say", "Up 50% slower"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("There is no systemd user session here, so nothing was installed.")
    # One line to add; the comment is not counted as a second one.
    assert (
        "Add this line to your crontab (run `crontab -e`); the comment above it is optional:" in out
    )
    (line,) = [row for row in out.splitlines() if row.startswith("45 6 * * * ")]
    assert "Up 50'\\%' slower" in line
    assert not units.units_dir().exists()
    assert run(["remind"]) == 0
    assert line in capsys.readouterr().out
    assert run(["remind", "--off"]) == 0
    out = capsys.readouterr().out
    assert "remove its line from your crontab" in out and line in out


@pytest.mark.parametrize(
    ("installed", "install"),
    [(("apt-get",), "`sudo apt-get install cron`"), ((), "your system's cron package")],
)
@pytest.mark.usefixtures("xdg", "no_systemd")
def test_where_there_is_no_crontab_it_says_what_to_install(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    installed: tuple[str, ...],
    install: str,
) -> None:
    only(monkeypatch, *installed)
    assert run(["remind", "22:30"]) == 0
    out = capsys.readouterr().out
    assert (
        "Add this line to your crontab (there is no `crontab` command here: install "
        f"{install}, then run `crontab -e`); the comment above it is optional:"
    ) in out
    assert run(["remind", "--off"]) == 0
    assert capsys.readouterr().out == "Bedtime reminder removed.\n"  # nothing to take out


def test_a_crontab_line_cron_would_cut_short_is_refused(
    xdg: Path, no_systemd: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """300 `%` fit the text limit but not cron's line once each is quoted as `\\%`."""
    assert run(["remind", "22:30", "--say", "%" * remind.MAX_TEXT]) == 2
    err = capsys.readouterr().err
    assert "cron reads at most 999" in err and err.count("\n") == 1
    assert not remind.state_file().exists()


def test_the_next_time_is_today_or_tomorrow() -> None:
    import datetime

    now = datetime.datetime(2026, 3, 1, 22, 0).astimezone()
    reminder = remind.Reminder(22, 30)
    assert remind.next_fire(reminder, now).replace(tzinfo=None) == datetime.datetime(
        2026, 3, 1, 22, 30
    )
    later = datetime.datetime(2026, 3, 1, 22, 30).astimezone()
    assert remind.next_fire(reminder, later).replace(tzinfo=None) == datetime.datetime(
        2026, 3, 2, 22, 30
    )


# --- going off, for real ---------------------------------------------------------------------

BEDTIME = """\
nightvoice: 1
title: Bedtime (the test's own)
chime: false
log_episode: true
steps:
  - Stretch now.
"""


def run_for_real(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=False
    )


FAST = 300  # the user's rate: the reminder must speak with the user's settings


def fast(home: Path) -> None:
    """The user's setting for a quick voice (which the reminder must respect)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(f"rate: {FAST}\n")


def said(rec: Recorder, start: int, text: str, volume: float) -> None:
    """The recording from `start` holds `text` once, as espeak-ng says it at the user's rate
    and `volume`: the very words, not just any sound."""
    rec.wait_for_silence(start, 0.2)  # the recorder has the sound's end too
    assert_said_once(rec.samples(start), rendered_fresh(text, rate=FAST)[text].scaled(volume))


@pytest.mark.real_audio
def test_what_the_timer_runs_speaks_the_text_for_real(
    odd_home: Path, xdg: Path, pulse_server: PulseServer, recorder: Recorder
) -> None:
    """The service's ExecStart and Environment, read by systemd's rules, run and speak."""
    text = SPOKEN
    fast(odd_home)
    argv, environment = read_service(remind.service_text(remind.Reminder(22, 30, text)))
    start = recorder.mark()
    done = run_for_real(argv, environment)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"reminder: {text}\n"
    said(recorder, start, text, volume=0.6)  # the night's default volume, no rising start
    assert not paths.log_file().exists()


@pytest.mark.real_audio
def test_the_crontab_line_speaks_the_text_for_real(
    odd_home: Path, pulse_server: PulseServer, recorder: Recorder
) -> None:
    """The crontab line, through cron's rule and a real sh, runs and speaks."""
    text = SPOKEN
    fast(odd_home)
    line = remind.cron_line(remind.Reminder(22, 30, text, "cron"))
    start = recorder.mark()
    done = subprocess.run(
        ["/bin/sh", "-c", cron_command(line)],
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/")},  # cron's own
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"reminder: {text}\n"
    said(recorder, start, text, volume=0.6)


@pytest.mark.real_audio
def test_the_routine_plays_with_the_users_settings_and_logs_nothing(
    odd_home: Path, pulse_server: PulseServer, recorder: Recorder
) -> None:
    """The bedtime routine (here the user's own copy) plays hands-free: no question, no log;
    the user's config is used (a device that is not there is named, and left for the
    default output)."""
    (odd_home / "scripts").mkdir(parents=True)
    (odd_home / "scripts" / "bedtime-stretches.yaml").write_text(BEDTIME)
    argv, environment = read_service(remind.service_text(remind.Reminder(22, 30)))
    paths.config_file().write_text("device: nv-no-such-device\n")
    done = run_for_real(argv, environment)
    assert done.returncode == 0, done.stderr
    assert f"{paths.config_file()}:1:9: the output `nv-no-such-device` cannot play" in done.stderr
    fast(odd_home)
    start = recorder.mark()
    done = run_for_real(argv, environment)
    assert done.returncode == 0, done.stderr
    said(recorder, start, "Stretch now.", volume=0.3)  # the user's copy: its first sentence,
    assert "Did it help" not in done.stdout  # at half the night volume (the rising start)
    assert not paths.log_file().exists()


def test_it_stays_quiet_while_a_routine_plays(tmp_path: Path, private_home: Path) -> None:
    """A night session holds the playing lock; the reminder then says why and plays nothing."""
    routine = tmp_path / "long.yaml"
    routine.write_text("nightvoice: 1\ntitle: Long\nsteps:\n  - say: Hold.\n    hold: 60\n")
    env = {**os.environ, "NIGHTVOICE_HOME": str(private_home)}
    session = subprocess.Popen(
        [sys.executable, "-m", "nightvoice", "play", str(routine), "--text", "--hands-free"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not playing.someone_playing():
            assert session.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        done = run_for_real(
            [sys.executable, "-m", "nightvoice", "remind", "--fire", "--say", "Hello"], env
        )
        assert done.returncode == 0 and done.stdout == ""
        assert "a routine is playing; the bedtime reminder stays quiet" in done.stderr
    finally:
        session.kill()
        session.wait()
    assert not playing.someone_playing()  # the lock goes with the process, even on SIGKILL
