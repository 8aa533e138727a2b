"""Settings: where each comes from, validation, and atomic writes that keep the user's lines."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from nightvoice.base import paths
from nightvoice.cli import run
from nightvoice.core.errors import ConfigError
from nightvoice.core.routine import Voice
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
    from nightvoice.sound.synth import platform_synthesizer
    from nightvoice.user.config import check_with_engine

    assert any("en" in voice.languages for voice in platform_synthesizer().voices())
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
    assert f"{path}:2:9: `volume` must be a number" in message
    assert f"{path}:3:1:" in message and "unknown setting `colour`" in message
    with pytest.raises(ConfigError):
        set_value("rate", 130)
    assert path.read_text() == "rate: 120\nvolume: loud\ncolour: red\n"


def test_config_shows_a_routines_own_settings(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["config", "--routine", "calf-cramp"]) == 0
    shown = capsys.readouterr().out
    assert "rate      125" in shown and "(routine)" in shown


def test_config_names_its_file_the_same_way_before_and_after_it_exists(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = paths.config_file()
    assert run(["config"]) == 0
    before = capsys.readouterr().out.splitlines()[0]
    assert before == f"config file: {path} (not written yet: `config set` makes it)"
    assert run(["config", "set", "rate", "120"]) == 0
    assert capsys.readouterr().out == f"rate = 120 (in {path})\n"
    assert run(["config"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"config file: {path}"


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
        return {p.name: p for p in command.params if p.name in wanted}

    def helps(params: dict[str, Any]) -> dict[str, str]:
        return {name: param.help for name, param in params.items()}

    monkeypatch.setattr(routine, "RATE_RANGE", (90, 250))
    try:
        fresh = importlib.reload(cli)
        playing = [fresh.cli, *(fresh.cli.commands[n] for n in ("play", "say", "standby"))]
        options = [voice_params(command) for command in playing]
        assert options[0]["rate"].help == "Words per minute (90-250)."
        assert all(helps(found) == helps(options[0]) for found in options)
        # Export (day work) refuses out of the same range; playing passes it over (night.py).
        export = voice_params(fresh.cli.commands["export"])
        assert (export["rate"].type.min, export["rate"].type.max) == (90, 250)
        assert helps(export) == {k: v for k, v in helps(options[0]).items() if k != "device"}
    finally:
        monkeypatch.undo()
        importlib.reload(cli)


# -- config.yaml is read as strictly as a routine ------------------------------------------------
RATE = "`rate` (words per minute) must be a whole number, at least 80 and at most 300, not"
VOLUME = "`volume` must be a number, at least 0 and at most 1, not"
REFUSED = [
    ("rate: 1:45", f"1:7: {RATE} `1:45`; YAML 1.1 reads `1:45` as minutes:seconds (105); "
     "write the seconds as one number: 105"),
    ("rate: 0120", f"1:7: {RATE} `0120`; YAML 1.1 reads a leading 0 as octal; write 120"),
    ("rate: 0x78", f"1:7: {RATE} `0x78`; write it as a plain decimal number: 120"),
    ('rate: "120"', '1:7: `rate` (words per minute) is `"120"`, which is text in quotes; write 120'),
    ("rate: 1e2", "1:7: `rate` (words per minute) is `1e2`, which is text to YAML"),
    ("rate: 120.5", f"1:7: {RATE} `120.5`"),
    ("rate: .inf", f"1:7: {RATE} `.inf`; write a plain number"),
    ("volume: 0,5", f"1:9: {VOLUME} `0,5`; write the decimal point as a dot: 0.5"),
    ("volume: yes", f"1:9: {VOLUME} `yes` (YAML reads it as true/false)"),
    ("volume: ~", "1:9: `volume` has no value"),
    ("voice: no", '1:8: `voice` is `no`, which YAML reads as true or false; write it in quotes: "no"'),
    ("language: off", '1:11: `language` is `off`, which YAML reads as true or false'),
    ("voice: null", '1:8: `voice` is `null`, which YAML reads as nothing; write it in quotes'),
    ("voice: [en, de]", "1:8: `voice` must be text, not a list"),
    ("voice: !!binary aGk=", "1:8: `voice` has the YAML tag `!!binary`"),
    ('voice: "en\\e"', "1:8: `voice` has a control character (U+001B)"),
    ('chime: "no"', '1:8: `chime` must be true or false, not `"no"`; write no without quotes'),
    ("chime: maybe", "1:8: `chime` must be true or false, not `maybe`"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "expected"), REFUSED)
def test_config_yaml_refuses_what_a_routine_refuses_with_the_same_words(
    line: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same `key: value` line, first in a routine and in config.yaml: the same place, the
    same message (config adds how `config set` fixes it)."""
    routine = tmp_path / "r.yaml"
    routine.write_text(f"{line}\nnightvoice: 1\ntitle: T\nsteps: [a]\n")
    assert run(["check", str(routine)]) == 1
    in_routine = capsys.readouterr().err.splitlines()[0].removeprefix(f"{routine}:")
    config = paths.config_file()
    config.parent.mkdir(parents=True)
    config.write_text(f"{line}\n")
    assert run(["config"]) == 2
    in_config = capsys.readouterr().err.splitlines()[0].removeprefix(f"nightvoice: {config}:")
    assert in_routine.startswith(expected), in_routine
    key = line.split(":", maxsplit=1)[0]
    assert in_config == f"{in_routine} (`nightvoice config set {key} VALUE` checks and writes it)"


STRUCTURE = [
    ("rate: 120\nrate: 130\n", "2:1: `rate` appears twice in config.yaml (first on line 1); "
     "`nightvoice config unset rate` removes both"),
    ("- rate: 120\n", "1:1: config.yaml must be a mapping of `key: value` lines, not a list"),
    ("rat: 120\n", "1:1: unknown setting `rat`; did you mean `rate`? (known: language, voice, "
     "rate, volume, device, chime; `nightvoice config unset rat` removes it)"),
    ("voice: [en\n", "1:8: YAML syntax: the `[` opened at 1:8 is never closed; add `]` after "
     "its last item"),
    ("voice: 'en\n", "1:8: YAML syntax: the `'` opened at 1:8 is never closed"),
    ("rate: 120\n  volume: 0.5\n", "2:9: YAML syntax: "),
    ("{language: en, gb}\n", "1:12: the text of `language` is cut in two at the comma (`gb` "
     'became a key of its own): inside `{...}` a comma ends an entry; put the whole text in '
     'quotes: language: "en, gb"'),
    (b"rate: 12\xe9\n", "1:9: the file is not UTF-8 (byte 0xe9)"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), STRUCTURE)
def test_a_config_that_is_not_key_value_lines_is_located_like_a_routine(
    text: str | bytes, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = paths.config_file()
    config.parent.mkdir(parents=True)
    config.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert run(["config"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"nightvoice: {config}:{expected}"), err


def test_every_problem_in_config_yaml_is_reported_at_once_in_file_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = paths.config_file()
    config.parent.mkdir(parents=True)
    config.write_text("volume: 0,5\nrate: 1:45\ncolour: red\nchime: on\nvoice: no\n")
    assert run(["config"]) == 2
    err = capsys.readouterr().err.removeprefix("nightvoice: ")
    found = [line.split(": ")[0] for line in err.splitlines()]
    assert found == [f"{config}:{at}" for at in ("1:9", "2:7", "3:1", "5:8")]


def test_every_yaml_test_suite_document_as_config_yaml_is_located_never_a_crash() -> None:
    """Invalid YAML, and valid YAML that is no config: a located line per problem."""
    import re

    from tests.core.test_loader import CORPUS

    located = re.compile(r"^.+:\d+:\d+: \S")
    files = sorted(CORPUS.glob("*/*.yaml"))
    assert len(files) > 300
    unlocated = []
    for path in files:
        try:
            load_config(path)
        except ConfigError as error:
            unlocated += [line for line in str(error).splitlines() if not located.match(line)]
    assert unlocated == []
