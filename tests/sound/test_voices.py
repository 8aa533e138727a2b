"""Voice names: what `voices` shows is what `--voice`, `config set voice` and `voice:` accept."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightvoice.base import paths
from nightvoice.cli import run
from nightvoice.core.errors import ConfigError
from nightvoice.sound.voices import VoiceCatalog, VoiceInfo

CATALOG = VoiceCatalog.from_engine(
    [
        VoiceInfo("English (Scotland)", ("en-gb-scotland", "en"), identifier="gmw/en-GB-scotland"),
        VoiceInfo("English (America)", ("en-us", "en"), identifier="gmw/en-US"),
        VoiceInfo("English", ("en",), identifier="gmw/en"),
    ],
    ["f3", "Mr serious", "Alex"],
)


@pytest.mark.parametrize(
    ("typed", "name", "target"),
    [
        ("en-gb-scotland", "en-gb-scotland", "gmw/en-GB-scotland"),
        ("English (Scotland)", "en-gb-scotland", "gmw/en-GB-scotland"),
        ("gmw/en-GB-scotland", "en-gb-scotland", "gmw/en-GB-scotland"),
        ("EN_US", "en-us", "gmw/en-US"),
        ("en+f3", "en+f3", "gmw/en+f3"),
        ("en-gb-scotland+alex", "en-gb-scotland+alex", "gmw/en-GB-scotland+Alex"),
        ("en+mr-serious", "en+mr-serious", "gmw/en+Mr serious"),
    ],
)
def test_every_name_a_voice_is_known_by_resolves_to_its_one_short_name(
    typed: str, name: str, target: str
) -> None:
    resolved = CATALOG.resolve(typed)
    assert (resolved.name, resolved.target) == (name, target)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("en-gb-scotlnd", "no voice named `en-gb-scotlnd`; did you mean `en-gb-scotland`?"),
        ("en+f33", "no voice variant `f33`; did you mean `f3`?"),
        ("en+nosuch", "no voice variant `nosuch`"),
    ],
)
def test_an_unknown_voice_or_variant_is_refused_with_a_suggestion(typed: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("?", r"\?").replace("+", r"\+")):
        CATALOG.resolve(typed)


def voices_listed(capsys: pytest.CaptureFixture[str]) -> tuple[list[str], list[str]]:
    assert run(["voices"]) == 0
    out = capsys.readouterr().out
    table, _, variants = out.partition("\nVariants:")
    lines = table.splitlines()
    return lines, [v.strip() for v in variants.split(":", 1)[1].replace("\n", " ").split(",")]


def test_voices_prints_a_header_then_one_name_per_voice_with_its_engine(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines, variants = voices_listed(capsys)
    assert lines[0].split() == ["VOICE", "LANGUAGES", "ENGINE", "DESCRIPTION"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert "English (Scotland)" in rows["en-gb-scotland"]
    assert "espeak-ng" in rows["en-gb-scotland"]
    assert "f3" in variants and "klatt" in variants


def routine_with_voice(tmp_path: Path, voice: str) -> Path:
    path = tmp_path / "voiced.yaml"
    path.write_text(f"nightvoice: 1\ntitle: Voiced\nvoice: '{voice}'\nsteps: [Hello.]\n")
    return path


@pytest.mark.parametrize("pick", ["first", "en-gb-scotland", "last", "en+f3", "variant"])
def test_a_name_voices_shows_works_in_all_three_places(
    pick: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--voice (export), `config set voice` and a routine's `voice:` take the same names."""
    lines, variants = voices_listed(capsys)
    names = [line.split()[0] for line in lines[1:] if "espeak-ng" in line.split()]
    voice = {
        "first": names[0],
        "last": names[-1],
        "variant": f"en-gb-scotland+{variants[-1]}",
    }.get(pick, pick)
    out = tmp_path / "out.wav"
    assert run(["export", str(routine_with_voice(tmp_path, "en")), "-o", str(out)]) == 0
    assert run(["export", "calm-breathing", "--voice", voice, "-o", str(out), "--force"]) == 0
    assert run(["export", str(routine_with_voice(tmp_path, voice)), "-o", str(out), "--force"]) == 0
    assert run(["config", "set", "voice", voice]) == 0
    assert f"voice: {voice}" in paths.config_file().read_text()
    capsys.readouterr()


def test_config_set_voice_saves_the_name_voices_shows(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["config", "set", "voice", "English (Scotland)"]) == 0
    assert "voice: en-gb-scotland\n" in paths.config_file().read_text()


@pytest.mark.parametrize("voice", ["en+nosuch", "en-gb-scotlnd"])
def test_a_voice_voices_does_not_show_is_refused_in_all_three_places(
    voice: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.wav"
    assert run(["export", "calm-breathing", "--voice", voice, "-o", str(out)]) == 2
    assert "`nightvoice voices`" in capsys.readouterr().err
    assert run(["export", str(routine_with_voice(tmp_path, voice)), "-o", str(out)]) == 2
    assert "`nightvoice voices`" in capsys.readouterr().err
    assert run(["config", "set", "voice", voice]) == 2
    assert "`nightvoice voices`" in capsys.readouterr().err
    assert not out.exists()
