"""Settings: where each comes from, validation, and atomic writes that keep the user's lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nightvoice.cli import run
from nightvoice.core.errors import ConfigError
from nightvoice.core.routine import Voice
from nightvoice.user import paths
from nightvoice.user.config import load_config, parse_value, resolve_settings, set_value


def test_sources_are_layered_night_default_routine_config_flag() -> None:
    resolved = resolve_settings(
        Voice(rate=125, language="de"), {"rate": 140, "volume": 0.4}, {"rate": 150}
    )
    assert resolved.settings.rate == 150 and resolved.sources["rate"] == "flag"
    assert resolved.sources["volume"] == "config" and resolved.settings.volume == 0.4
    assert resolved.sources["language"] == "routine"
    assert resolved.sources["voice"] == "night default"
    assert resolved.values["chime"] is True and resolved.sources["device"] == "night default"


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("rate", "80", 80),
        ("rate", "300", 300),
        ("volume", "0", 0.0),
        ("volume", "0.65", 0.65),
        ("chime", "off", False),
        ("chime", "True", True),
        ("device", "pulse:headphones", "pulse:headphones"),
        ("language", "en-gb", "en-gb"),
    ],
)
def test_good_values_parse(key: str, text: str, value: object) -> None:
    assert parse_value(key, text) == value


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("rate", "79", "from 80 to 300"),
        ("rate", "301", "from 80 to 300"),
        ("rate", "fast", "whole number"),
        ("volume", "1.5", "from 0 to 1"),
        ("volume", "-0.1", "from 0 to 1"),
        ("chime", "maybe", "true or false"),
        ("device", "  ", "one line"),
        ("sped", "1", "unknown setting `sped`"),
        ("rat", "100", "did you mean `rate`"),
    ],
)
def test_bad_values_are_refused_with_a_reason(key: str, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_value(key, text)


def test_config_set_keeps_comments_and_other_keys(capsys: pytest.CaptureFixture[str]) -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_text("# my settings\nvolume: 0.5   # quiet for my partner\ndevice: pulse:hp\n")
    assert run(["config", "set", "rate", "120"]) == 0
    assert run(["config", "set", "device", "null"]) == 0  # ALSA's null output always plays
    text = path.read_text()
    assert text.startswith("# my settings\nvolume: 0.5   # quiet for my partner\n")
    assert load_config() == {"volume": 0.5, "device": "null", "rate": 120}
    assert run(["config", "unset", "device"]) == 0
    assert load_config() == {"volume": 0.5, "rate": 120}
    capsys.readouterr()
    assert run(["config"]) == 0
    shown = capsys.readouterr().out
    assert "rate      120" in shown and "(config)" in shown and "(night default)" in shown


def test_a_refused_value_leaves_the_file_untouched(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["config", "set", "volume", "0.3"]) == 0
    before = paths.config_file().read_bytes()
    assert run(["config", "set", "volume", "3"]) == 2
    assert "from 0 to 1" in capsys.readouterr().err
    assert paths.config_file().read_bytes() == before


def test_an_unknown_voice_is_refused_when_the_engine_can_say() -> None:
    """With the real engine (espeak-ng, which `.ci/setup` installs: without it this fails)."""
    from nightvoice.sound.synth import make_synthesizer
    from nightvoice.user.config import check_with_engine

    assert any("en" in voice.languages for voice in make_synthesizer().voices())
    with pytest.raises(ConfigError, match="no voice named"):
        check_with_engine("voice", "no-such-voice-here")
    with pytest.raises(ConfigError, match="no voice speaks"):
        check_with_engine("language", "xx-nowhere")
    assert check_with_engine("language", "en") == ("en", None)


def test_the_write_is_atomic_a_crash_leaves_the_old_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_value("rate", 120)
    before = paths.config_file().read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        set_value("rate", 140)
    assert paths.config_file().read_bytes() == before
    left = [p.name for p in paths.config_dir().iterdir() if not p.name.endswith(".lock")]
    assert left == ["config.yaml"]  # no temp left (the lock file stays, empty)


def test_a_broken_config_is_reported_located_and_never_rewritten() -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_text("rate: 120\nvolume: loud\ncolour: red\n")
    with pytest.raises(ConfigError) as error:
        load_config()
    message = str(error.value)
    assert f"{path}:2:1:" in message and "volume" in message
    assert f"{path}:3:1:" in message and "unknown setting `colour`" in message
    with pytest.raises(ConfigError):
        set_value("rate", 130)
    assert path.read_text() == "rate: 120\nvolume: loud\ncolour: red\n"


def test_config_shows_a_routines_own_settings(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["config", "--routine", "calf-cramp"]) == 0
    shown = capsys.readouterr().out
    assert "rate      125" in shown and "(routine)" in shown


def test_written_config_is_read_back(tmp_path: Path) -> None:
    target = tmp_path / "c.yaml"
    set_value("language", "en-gb", target)
    set_value("chime", False, target)
    assert load_config(target) == {"language": "en-gb", "chime": False}


def test_a_file_line_editing_cannot_change_is_refused_not_rewritten(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_text("# slow for me\n{rate: 120}  # flow style\n")
    assert run(["config", "set", "volume", "0.5"]) == 2
    err = capsys.readouterr().err
    assert "edit it by hand" in err and "volume: 0.5" in err and err.count("\n") == 1
    assert path.read_text() == "# slow for me\n{rate: 120}  # flow style\n"


def test_a_symlinked_config_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "nightvoice.yaml"
    real.parent.mkdir()
    real.write_text("# kept in my dotfiles\nrate: 120\n")
    link = paths.config_file()
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    set_value("volume", 0.4)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "# kept in my dotfiles\nrate: 120\nvolume: 0.4\n"
    assert [p.name for p in real.parent.iterdir()] == ["nightvoice.yaml"]  # no temp left


def test_the_commands_take_their_voice_options_and_rate_range_from_one_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    import click

    from nightvoice import cli
    from nightvoice.core import routine

    def voice_params(command: click.Command) -> dict[str, object]:
        wanted = ("rate", "volume", "voice", "language", "device")
        return {
            p.name: (p.help, getattr(p.type, "min", None), getattr(p.type, "max", None))
            for p in command.params
            if isinstance(p, click.Option) and p.name in wanted
        }

    monkeypatch.setattr(routine, "RATE_RANGE", (90, 250))
    try:
        fresh = importlib.reload(cli)
        commands = [fresh.cli, *(fresh.cli.commands[n] for n in ("play", "say", "export"))]
        options = [voice_params(command) for command in commands]
        assert options[0]["rate"] == ("Words per minute (90-250).", 90, 250)
        export = options.pop()
        assert all(found == options[0] for found in options)
        assert export == {k: v for k, v in options[0].items() if k != "device"}
    finally:
        monkeypatch.undo()
        importlib.reload(cli)
