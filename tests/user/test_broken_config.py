"""A broken config.yaml never stops the voice: playing warns in one line and uses the night
defaults; `config` and `config set` still report it, and `config unset` can remove any key."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightvoice.base import paths
from nightvoice.cli import run
from nightvoice.user.config import load_config

ROUTINE = "nightvoice: 1\ntitle: Quick\nsteps:\n  - Sit up.\n  - Breathe.\n"
BROKEN = "# mine\nrate: 120\nrate2: 100   # a typo\n"


@pytest.fixture
def quick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A short routine, paced instantly in --text mode."""
    monkeypatch.setattr("nightvoice.sound.speaker.CHIME_SECONDS", 0.001)
    monkeypatch.setattr("nightvoice.core.planner.estimate_speech_seconds", lambda _t, _r: 0.001)
    path = tmp_path / "quick.yaml"
    path.write_text(ROUTINE, encoding="utf-8")
    return path


def broken_config() -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BROKEN, encoding="utf-8")
    return path


def test_playing_with_a_broken_config_warns_in_one_line_and_plays(
    quick: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = broken_config()
    assert run(["play", str(quick), "--text", "--hands-free"]) == 0
    out, err = capsys.readouterr()
    assert "Breathe." in out
    assert err.count("\n") == 1 and "warning" in err and f"{config}:3:1:" in err
    assert config.read_text() == BROKEN  # never rewritten


def test_a_nightvoice_home_that_is_a_file_still_plays(
    quick: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "not-a-folder"
    home.write_text("")
    monkeypatch.setenv("NIGHTVOICE_HOME", str(home))
    assert run(["play", str(quick), "--text", "--hands-free"]) == 0
    out, err = capsys.readouterr()
    assert "Breathe." in out and "Traceback" not in err
    assert err.count("\n") == 1 and f"{home}/config.yaml:1:1: cannot read" in err


def test_export_with_a_broken_config_warns_and_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken_config()
    out = tmp_path / "calm.wav"
    assert run(["export", "calm-breathing", "-o", str(out)]) == 0
    assert "warning" in capsys.readouterr().err and out.stat().st_size > 0


def test_config_and_config_set_still_report_a_broken_config(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = broken_config()
    assert run(["config"]) == 2
    assert f"{config}:3:1: unknown setting `rate2`" in capsys.readouterr().err
    assert run(["config", "set", "rate", "140"]) == 2
    assert "config unset rate2" in capsys.readouterr().err
    assert config.read_text() == BROKEN


def test_config_unset_removes_any_key_even_an_unknown_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = broken_config()
    config.write_text(BROKEN + "volume: loud\n")
    assert run(["config", "unset", "rate2"]) == 0
    assert run(["config", "unset", "volume"]) == 0  # a bad value can be removed too
    assert config.read_text() == "# mine\nrate: 120\n"
    assert load_config() == {"rate": 120}
    assert run(["config", "unset", "volume"]) == 0
    assert "was not set" in capsys.readouterr().out
    assert run(["config", "unset", "colour"]) == 2  # not there, and not a setting: a typo
    assert "`colour` is not in" in capsys.readouterr().err


def test_a_yaml_1_1_surprise_in_config_is_a_one_line_warning_not_105_words_a_minute(
    quick: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rate: 1:45` was read as 105 words a minute; now it warns, located, and plays at the
    night rate, as a routine's `rate: 1:45` is refused."""
    from nightvoice.user.config import load_config_or_defaults

    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("rate: 1:45  # slow\nvoice: no\n", encoding="utf-8")
    assert run(["play", str(quick), "--text", "--hands-free"]) == 0
    out, err = capsys.readouterr()
    assert "Breathe." in out
    rate, voice = sorted(err.splitlines())  # one line for each setting passed over
    assert rate.startswith(f"nightvoice: {config}:1:7: `rate`")
    assert "YAML 1.1 reads `1:45` as minutes:seconds (105)" in rate
    assert rate.endswith("using 130 words a minute (the night default) instead")
    assert voice.startswith(f"nightvoice: {config}:2:8: `voice`")
    assert voice.endswith("speaking with the language's own voice (`en`) instead")
    assert load_config_or_defaults() == {}
