"""`config set` as the README promises: your comments stay, and what it keeps really works."""

from __future__ import annotations

import pytest

from nightvoice.base import paths
from nightvoice.cli import run
from nightvoice.user.config import load_config


def write_config(text: str) -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize(
    ("before", "key", "value", "after"),
    [
        ("rate: 120  # mine\n", "rate", "140", "rate: 140  # mine\n"),
        ("chime: true # soft one\n", "chime", "no", "chime: false # soft one\n"),
        ("voice: en # my voice\n", "voice", "en-us", "voice: en-us # my voice\n"),
        ("volume: 0.5 #x # y\n", "volume", "0.4", "volume: 0.4 #x # y\n"),
        ('device: "a # b"  # note\n', "device", "null", "device: 'null'  # note\n"),
        # `120#x` is one string (no space before the #): the broken value goes whole, as
        # setting a broken key does (it is the one being fixed), and there is no comment.
        ("rate: 120#not a comment\n", "rate", "140", "rate: 140\n"),
    ],
)
def test_config_set_keeps_the_inline_comment_of_the_line_it_changes(
    before: str, key: str, value: str, after: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config("# my settings\n" + before + "language: en  # keep me too\n")
    code = run(["config", "set", key, value])
    text = paths.config_file().read_text()
    assert code == 0, capsys.readouterr().err
    assert text == "# my settings\n" + after + "language: en  # keep me too\n"


def test_config_set_fixes_the_broken_setting_its_message_points_at(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_config("volume: loud  # oops\nrate: 120\n")
    assert run(["config"]) == 2
    assert "`nightvoice config set volume VALUE` checks and writes it" in capsys.readouterr().err
    assert run(["config", "set", "volume", "0.4"]) == 0
    assert load_config() == {"volume": 0.4, "rate": 120}
    assert paths.config_file().read_text() == "volume: 0.4  # oops\nrate: 120\n"


def test_config_set_still_refuses_while_another_setting_is_broken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_config("volume: loud\n")
    assert run(["config", "set", "rate", "120"]) == 2
    assert "`volume` must be a number" in capsys.readouterr().err
    assert paths.config_file().read_text() == "volume: loud\n"


@pytest.mark.parametrize("device", ["no-such-pcm", "pulse:no-such-sink", "lavrate"])
def test_config_set_device_refuses_an_output_that_cannot_play(
    device: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["config", "set", "device", device]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"nightvoice: the device `{device}` cannot play: ")
    assert "`nightvoice devices`" in err and len(err.splitlines()) == 1
    assert not paths.config_file().exists()


def test_config_set_device_suggests_the_output_meant(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["config", "set", "device", "nul"]) == 2
    assert "did you mean `null`?" in capsys.readouterr().err


def test_config_set_device_keeps_an_output_that_plays(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["config", "set", "device", "null"]) == 0
    assert load_config() == {"device": "null"}


def test_config_set_fixes_a_yaml_1_1_surprise_keeping_the_comment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_config("rate: 1:45  # fast\nvolume: 0.5\n")
    assert run(["config", "set", "volume", "0.4"]) == 2  # the file's own rate is wrong first
    err = capsys.readouterr().err
    assert f"{paths.config_file()}:1:7: `rate` (words per minute)" in err
    assert "YAML 1.1 reads `1:45` as minutes:seconds (105)" in err
    assert paths.config_file().read_text() == "rate: 1:45  # fast\nvolume: 0.5\n"
    assert run(["config", "set", "rate", "105"]) == 0
    assert paths.config_file().read_text() == "rate: 105  # fast\nvolume: 0.5\n"
    assert load_config() == {"rate": 105, "volume": 0.5}


def test_config_unset_removes_a_key_written_twice(capsys: pytest.CaptureFixture[str]) -> None:
    write_config("rate: 120\nvolume: 0.5  # quiet\nrate: 130\n")
    assert run(["config"]) == 2
    assert "`nightvoice config unset rate` removes both" in capsys.readouterr().err
    assert run(["config", "unset", "rate"]) == 0
    assert paths.config_file().read_text() == "volume: 0.5  # quiet\n"


@pytest.mark.parametrize("text", ["yes", "null", "1:45", "010", "on", "~", "Drücke, Enter"])
def test_a_value_yaml_1_1_would_misread_is_written_so_it_reads_back_as_typed(text: str) -> None:
    from nightvoice.user.config import set_value

    set_value("device", text)
    assert load_config() == {"device": text}
