"""`nightvoice new`: a valid, commented starter that never overwrites; and the whole journey."""

from __future__ import annotations

import os
import queue
import stat
import sys
from pathlib import Path

import pytest

from nightvoice.base import paths
from nightvoice.cli import run
from nightvoice.core.loader import parse_routine
from nightvoice.core.plan import Chime, Hold, HoldUntilEased, Say, WaitForKey
from nightvoice.core.planner import compile_plan, total_seconds
from nightvoice.core.ports import Event
from nightvoice.core.routine import Breathing, EachSide, Repeat, Section, Step
from nightvoice.sound.audio import read_wav
from nightvoice.sound.synth import EspeakSynthesizer
from nightvoice.user.catalog import load_routine
from nightvoice.user.config import resolve_settings
from nightvoice.user.starter import TEMPLATE, create, starter_text
from tests.sound.test_export import (
    assert_sentences_as_played,
    expected_timeline,
    quiet_gaps,
    window,
)


def new(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(["new", *args])
    out, err = capsys.readouterr()
    return code, out, err


def walk(nodes: tuple[object, ...]) -> list[object]:
    found: list[object] = []
    for node in nodes:
        found.append(node)
        if isinstance(node, (Section, Repeat, EachSide)):
            found += walk(node.steps)
    return found


def test_the_starter_is_valid_and_shows_every_step_kind(tmp_path: Path) -> None:
    routine = parse_routine(starter_text("my-routine", tmp_path / "x.yaml").encode(), "starter")
    nodes = walk(routine.steps)
    steps = [n for n in nodes if isinstance(n, Step)]
    assert routine.ask is not None and routine.ask.name == "side"
    assert {type(n) for n in nodes} >= {Step, Section, Repeat, EachSide}
    assert any(s.say and not (s.pause or s.hold or s.wait_for_key) for s in steps)  # say
    assert any(s.pause for s in steps)
    assert any(s.hold is not None and s.hold_kind == "hold" and s.cues.halfway for s in steps)
    assert any(s.hold is not None and s.hold_kind == "rest" for s in steps)
    assert any(isinstance(s.breathe, Breathing) for s in steps)
    assert any(s.wait_for_key for s in steps)
    assert any(s.until_eased is not None for s in steps)
    assert TEMPLATE.count("\n#") + TEMPLATE.count("  #") > 15  # it explains itself


def test_new_prints_the_path_of_a_valid_file_in_the_user_folder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = new(capsys, "evening")
    path = paths.routines_dir() / "evening.yaml"
    assert (code, out.strip()) == (0, str(path))
    assert load_routine(path).title == "Evening"
    assert stat.S_IMODE(path.stat().st_mode) & 0o044  # readable like any file, not 0600


def test_new_twice_leaves_the_first_file_byte_for_byte(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert new(capsys, "mine")[0] == 0
    path = paths.routines_dir() / "mine.yaml"
    path.write_text(path.read_text() + "# my own edits\n")
    before = path.read_bytes()
    code, out, err = new(capsys, "mine")
    assert code != 0
    assert "already exists" in err and "--force" in err and out == ""
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["mine.yaml"]


def test_force_keeps_a_backup_then_writes(capsys: pytest.CaptureFixture[str]) -> None:
    assert new(capsys, "mine")[0] == 0
    path = paths.routines_dir() / "mine.yaml"
    path.write_text("my precious words\n")
    code, _, err = new(capsys, "mine", "--force")
    assert code == 0
    backups = list(path.parent.glob("mine.yaml.bak-*"))
    assert len(backups) == 1 and backups[0].read_text() == "my precious words\n"
    assert "kept the previous file" in err
    assert load_routine(path).title == "Mine"
    assert new(capsys, "mine", "--force")[0] == 0  # a second backup gets its own name
    assert len(list(path.parent.glob("mine.yaml.bak-*"))) == 2


def test_a_built_in_name_needs_shadow_and_then_starts_from_the_built_in(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = new(capsys, "calf-cramp")
    assert code == 2 and "--shadow" in err
    assert not paths.routines_dir().exists() or not list(paths.routines_dir().iterdir())
    code, out, _ = new(capsys, "calf-cramp", "--shadow")
    assert code == 0
    assert load_routine(Path(out.strip())).title == "Calf cramp relief"
    assert run(["list"]) == 0
    assert "calf-cramp" in (listing := capsys.readouterr().out)
    assert "replaces the built-in" in listing


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden", "x\\y", ""])
def test_names_cannot_escape_the_folder(name: str, tmp_path: Path) -> None:
    from nightvoice.core.errors import RoutineNotFound

    with pytest.raises(RoutineNotFound):
        create(name)
    assert not list(tmp_path.rglob("*.yaml"))


def test_edit_opens_the_editor_then_checks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\necho "titel: oops" >> "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    code, _, err = new(capsys, "edited", "--edit")
    assert code == 2
    assert "edited.yaml:" in err and "titel" in err


# --- the whole journey: new -> check -> list -> play --text -> export -> verify -------------


class FastTime:
    """Clock and inbox for an in-process `play`: holds pass in no time, speech events are real."""

    def __init__(self) -> None:
        self.time = 0.0
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()

    def now(self) -> float:
        return self.time

    def post(self, event: Event) -> None:
        self.events.put(event)

    def wait(self, deadline: float | None) -> Event | None:
        try:
            if deadline is None:
                return self.events.get(timeout=5.0)
            return self.events.get_nowait()  # nothing now: jump to the deadline at once
        except queue.Empty:
            if deadline is None:
                raise AssertionError("the player would wait forever") from None
            self.time = max(self.time, deadline)
            return None


def test_new_check_list_play_export(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # new
    code, out, _ = new(capsys, "journey")
    assert code == 0
    path = Path(out.strip())
    first = path.read_bytes()

    # check
    assert run(["check", str(path)]) == 0
    assert "ok (Journey)" in capsys.readouterr().out

    # list, with a broken neighbour that must not stop it
    (path.parent / "broken.yaml").write_text("nightvoice: 1\ntitle: Broken\nsteps: [{hold: -1}]\n")
    assert run(["list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert any(line.startswith("journey") and "Journey" in line for line in listing)
    assert any(line.startswith("broken") and "BROKEN" in line and ":3:" in line for line in listing)
    assert any(line.startswith("calf-cramp") for line in listing)

    # play --text --hands-free, stdin not a terminal; time runs fast, text shows every step
    world = FastTime()
    monkeypatch.setattr("nightvoice.session.MonotonicClock", lambda: world)
    monkeypatch.setattr("nightvoice.session.QueueInbox", lambda: world)
    monkeypatch.setattr("nightvoice.core.planner.estimate_speech_seconds", lambda text, rate: 0.001)
    monkeypatch.setattr("nightvoice.sound.speaker.CHIME_SECONDS", 0.001)
    with open(os.devnull) as not_a_terminal:
        monkeypatch.setattr(sys, "stdin", not_a_terminal)
        assert run(["play", "journey", "--text", "--hands-free"]) == 0
    shown = capsys.readouterr().out
    routine = load_routine(path)
    plan = compile_plan(routine, resolve_settings(routine.voice, {}, {}).settings)
    for step in plan.steps:
        for action in step.actions:
            if isinstance(action, Say):
                assert action.text in shown
    assert world.time > 60  # every hold, rest and breath was waited out (in virtual time)

    # export, and the WAV's own length agrees with the plan's timeline
    wav = tmp_path / "journey.wav"
    assert run(["export", "journey", "-o", str(wav)]) == 0
    assert "journey.wav" in capsys.readouterr().out
    pcm = read_wav(wav)
    kinds = {type(a) for s in plan.steps for a in s.actions}
    assert {Say, Chime, Hold, WaitForKey, HoldUntilEased} <= kinds
    entries = expected_timeline(plan, EspeakSynthesizer())
    assert abs(pcm.seconds - total_seconds(entries)) <= 0.050
    assert assert_sentences_as_played(pcm.samples, plan, EspeakSynthesizer()) > 5
    values = pcm.values()
    for start, end in quiet_gaps(entries):
        assert max(abs(v) for v in window(values, start, end)) <= 8

    # and `new` again leaves the file exactly as it was
    assert new(capsys, "journey")[0] != 0
    assert path.read_bytes() == first
