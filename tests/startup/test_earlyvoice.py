"""The natural voice's early start: what the cheap guess reads, and that the engine adopts a
child started on a right guess and kills one started on a wrong one."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nightvoice.base import paths
from nightvoice.sound import naturalvoices
from nightvoice.sound.engines import make_synthesizer
from nightvoice.sound.naturalvoices import NATURAL_VOICES
from nightvoice.startup import EarlyStart, earlyvoice

JOE = NATURAL_VOICES[0]


def routine(folder: Path, voice_line: str) -> Path:
    path = folder / "mine.yaml"
    path.write_text(
        f"nightvoice: 1\ntitle: Mine\n{voice_line}\nsteps:\n  - say: Hello.\n", encoding="utf-8"
    )
    return path


def config(text: str) -> None:
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("argv", "voice"),
    [
        (["--voice", "joe"], "joe"),
        (["play", "calf-cramp", "--voice", "joe"], "joe"),
        (["play", "--voice=joe", "calf-cramp"], "joe"),
        (["say", "--voice", "JOE", "Hello"], "JOE"),
        (["export", "calf-cramp", "-o", "-", "--voice", "en_US-joe-medium"], "en_US-joe-medium"),
    ],
)
def test_a_voice_flag_is_read_wherever_it_stands(argv: list[str], voice: str) -> None:
    """As typed: the natural voice is found by any of its names (natural_voice)."""
    assert earlyvoice.guess(argv) == voice


@pytest.mark.parametrize(
    "voice_line", ["voice: joe", "voice: 'joe'", 'voice: "joe"  # the natural one', "voice:joe"]
)
def test_the_routine_voice_line_is_read_plain_or_quoted(tmp_path: Path, voice_line: str) -> None:
    path = routine(tmp_path, voice_line)
    assert earlyvoice.guess(["play", str(path)]) == "joe"
    assert earlyvoice.guess(["export", str(path), "-o", "x.wav"]) == "joe"


def test_a_user_routine_by_name_and_the_default_routine_are_read(tmp_path: Path) -> None:
    paths.routines_dir().mkdir(parents=True)
    routine(paths.routines_dir(), "voice: joe").rename(paths.routines_dir() / "night.yaml")
    assert earlyvoice.guess(["play", "night"]) == "joe"
    assert earlyvoice.guess([]) is None  # the built-in calf-cramp names no voice
    (paths.routines_dir() / "night.yaml").rename(paths.routines_dir() / "calf-cramp.yaml")
    assert earlyvoice.guess([]) == "joe"  # the user's own calf-cramp plays for plain nightvoice


def test_the_order_is_the_settings_order_flags_then_config_then_routine(tmp_path: Path) -> None:
    path = str(routine(tmp_path, "voice: joe"))
    config("rate: 120\nvoice: en-gb  # mine\n")
    assert earlyvoice.guess(["play", path]) == "en-gb"  # config over routine
    assert earlyvoice.guess(["play", path, "--voice", "joe"]) == "joe"  # flag over config
    config("voice: joe\n")
    assert earlyvoice.guess(["play", "calf-cramp", "--voice", "en-us"]) == "en-us"
    assert earlyvoice.guess(["say", "Hi"]) == "joe"


@pytest.mark.parametrize(
    "argv",
    [
        ["list"],
        ["show", "calf-cramp"],
        ["voices"],
        ["play", "x.yaml", "--text"],
        ["play", "--voice", "joe", "--help"],
        ["say", "-h"],
        ["--version", "--voice", "joe"],
        ["-V"],
    ],
)
def test_no_guess_where_nothing_will_be_spoken(argv: list[str]) -> None:
    """Not even the natural voice the config names: these commands say nothing."""
    config("voice: joe\n")
    assert earlyvoice.guess(argv) is None


@pytest.mark.parametrize("argv", [["play", "no-such-routine"], ["play", "/no/such/file.yaml"]])
def test_no_guess_from_a_routine_that_is_not_there(argv: list[str]) -> None:
    assert earlyvoice.guess(argv) is None
    assert earlyvoice.guess([*argv, "--voice", "joe"]) == "joe"  # the flag is still read


def test_a_broken_file_or_a_crash_in_the_guess_never_stops_the_command(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stand_in_children: list[subprocess.Popen[bytes]],
) -> None:
    """A folder where the routine should be, or the guess itself raising: the command goes
    on with no child started (the real settings decide the voice later)."""
    folder = tmp_path / "routine.yaml"
    folder.mkdir()  # not a file
    earlyvoice.start_if_named(["play", str(folder)])
    with monkeypatch.context() as broken:
        broken.setattr(earlyvoice, "guess", lambda argv: 1 / 0)
        earlyvoice.start_if_named(["play", "calf-cramp", "--voice", "joe"])  # raises nothing
    assert stand_in_children == []
    earlyvoice.start_if_named(["play", "calf-cramp", "--voice", "joe"])  # and it still works
    assert len(stand_in_children) == 1


@pytest.fixture
def stand_in_children(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[subprocess.Popen[bytes]]]:
    """The voice child replaced by a process that waits on its stdin like the real one."""
    started: list[subprocess.Popen[bytes]] = []

    def spawn(voice: naturalvoices.NaturalVoice) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdin.read()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        started.append(child)
        return child

    monkeypatch.setattr(naturalvoices, "spawn_worker", spawn)
    monkeypatch.setattr(naturalvoices, "missing", lambda voice: None)
    yield started
    for child in started:
        if child.poll() is None:
            child.kill()
            child.wait()


def early_for(argv: list[str]) -> EarlyStart:
    """What the fast start hands over for a command line with arguments."""
    early = EarlyStart()
    early.natural = earlyvoice.start_if_named(argv)
    return early


def test_the_engine_adopts_a_child_started_on_a_right_guess(
    stand_in_children: list[subprocess.Popen[bytes]],
) -> None:
    early = early_for(["play", "calf-cramp", "--voice", "joe"])
    assert len(stand_in_children) == 1
    engines = make_synthesizer("joe", started=early.take_natural(JOE))
    try:
        engine = engines._natural["joe"]
        assert engine._process is stand_in_children[0]  # the same child: no second load
        assert len(stand_in_children) == 1 and stand_in_children[0].poll() is None
    finally:
        engines.close()
        early.close()
    assert stand_in_children[0].wait(5) is not None


def test_a_child_started_on_a_wrong_guess_is_killed_when_the_settings_are_known(
    stand_in_children: list[subprocess.Popen[bytes]],
) -> None:
    early = early_for(["--voice", "joe"])
    (child,) = stand_in_children
    assert early.take_natural(None) is None  # the settings named espeak-ng's en-gb after all
    assert child.wait(5) is not None
    assert early.take_natural(JOE) is None  # handed out once: nothing is left to adopt


def test_a_child_no_engine_took_is_killed_when_the_command_ends(
    stand_in_children: list[subprocess.Popen[bytes]],
) -> None:
    early = early_for(["say", "Hi", "--voice", "joe"])
    (child,) = stand_in_children
    early.close()  # what __main__ does when the command ends, however it ends
    assert child.wait(5) is not None


def test_a_child_handed_to_an_engine_that_never_used_it_ends_with_the_engine(
    stand_in_children: list[subprocess.Popen[bytes]],
) -> None:
    early = early_for(["say", "Hi", "--voice", "joe"])
    (child,) = stand_in_children
    engines = make_synthesizer("joe", started=early.take_natural(JOE))
    engines.close()  # closed before it spoke (a routine that quit at once)
    assert child.wait(5) is not None


def test_a_child_that_died_early_is_not_adopted(
    stand_in_children: list[subprocess.Popen[bytes]],
) -> None:
    early = early_for(["--voice", "joe"])
    (child,) = stand_in_children
    child.kill()
    child.wait()
    assert early.take_natural(JOE) is None
