"""The `chime` setting in config.yaml applies to play, show and export; the routine's own
`chime:` decides when the config says nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nightvoice.cli import run
from nightvoice.core.loader import parse_routine
from nightvoice.core.plan import Chime, Plan, Settings
from nightvoice.core.planner import CHIME_SECONDS, compile_plan
from nightvoice.session import PlayRequest, play_routine
from nightvoice.sound.audio import read_wav

ROUTINE = """\
nightvoice: 1
title: Quiet
chime: {routine}
steps:
  - Sit up.
  - Breathe.
  - say: Quietly now.
    chime: false
"""


def chimes(plan: Plan) -> list[int]:
    return [s.number for s in plan.steps if any(isinstance(a, Chime) for a in s.actions)]


@pytest.mark.parametrize(
    ("routine", "setting", "expected"),
    [
        ("true", None, [2]),  # the routine's own chime (a step may still opt out)
        ("false", None, []),
        ("true", False, []),  # config off: no chime at all
        ("false", True, [2]),  # config on: chiming is the default; the step's opt-out holds
    ],
)
def test_the_config_chime_setting_overrides_the_routine_default(
    routine: str, setting: bool | None, expected: list[int]
) -> None:
    loaded = parse_routine(ROUTINE.format(routine=routine).encode(), "c.yaml")
    assert chimes(compile_plan(loaded, Settings(), chime=setting)) == expected


def write(home: Path, name: str, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / name
    path.write_text(text, encoding="utf-8")
    return path


def test_play_uses_the_config_chime_setting(
    private_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    routine = write(tmp_path, "c.yaml", ROUTINE.format(routine="true"))
    plans: list[Plan] = []

    def compiled(*args: Any, **kwargs: Any) -> Plan:
        plan = compile_plan(*args, **kwargs)
        plans.append(plan)
        return plan

    monkeypatch.setattr("nightvoice.core.player.compile_plan", compiled)
    monkeypatch.setattr("nightvoice.sound.speaker.CHIME_SECONDS", 0.001)
    monkeypatch.setattr("nightvoice.core.planner.estimate_speech_seconds", lambda _t, _r: 0.001)
    request = PlayRequest(target=str(routine), text_only=True, hands_free=True, blank=True)
    assert play_routine(request).completed
    write(private_home, "config.yaml", "chime: false\n")
    assert play_routine(request).completed
    assert [chimes(plan) for plan in plans] == [[2], []]


def test_show_and_export_use_the_config_chime_setting(
    private_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    routine = write(tmp_path, "c.yaml", ROUTINE.format(routine="true"))
    assert run(["show", str(routine)]) == 0
    assert "♪" in capsys.readouterr().out
    with_chime = tmp_path / "on.wav"
    assert run(["export", str(routine), "-o", str(with_chime)]) == 0
    capsys.readouterr()

    write(private_home, "config.yaml", "chime: false\n")
    assert run(["show", str(routine)]) == 0
    assert "♪" not in capsys.readouterr().out
    without = tmp_path / "off.wav"
    assert run(["export", str(routine), "-o", str(without)]) == 0
    difference = read_wav(with_chime).seconds - read_wav(without).seconds
    assert difference == pytest.approx(CHIME_SECONDS, abs=0.002)
