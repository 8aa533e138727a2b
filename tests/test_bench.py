"""bench/run.py stays importable and its pure helpers stay right (the bench itself is never
run by pytest: timings belong in the bench, not in tests)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nightvoice_bench", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["nightvoice_bench"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_median_of_runs_and_of_nothing(bench: ModuleType) -> None:
    assert bench.median([3.0, 1.0, 2.0]) == 2.0
    assert bench.median([1.0, 2.0]) == 1.5
    assert bench.median([]) is None


def test_targets_are_judged_both_ways(bench: ModuleType) -> None:
    assert bench.judged(150.0, 150) is True
    assert bench.judged(151.0, 150) is False
    assert bench.judged(49.0, 50, at_most=False) is False
    assert bench.judged(None, 50) is None


def test_cpu_percent_from_ticks(bench: ModuleType) -> None:
    ticks = bench.CLK_TCK
    assert bench.cpu_percent(100, 100 + ticks, 10.0) == pytest.approx(10.0)


def test_the_table_and_the_json_have_every_figure(bench: ModuleType) -> None:
    figures = [
        bench.Figure(
            "first_sound_ms", "first sound", 46.8, "ms", "<= 150 ms", True, "pyttsx3 60 ms"
        ),
        bench.Figure("drift_ms", "drift", 138.0, "ms", "<= 100 ms", False),
        bench.Figure("export_x_realtime", "export", 487.0, "x", ">= 50x", True),
        bench.Figure("anchor_ms", "anchor", None, "ms"),
    ]
    table = bench.format_table(figures).splitlines()
    assert table[0].split() == ["figure", "median", "anchors", "(same", "run)", "target"]
    assert "46.8 ms" in table[2]
    assert "pyttsx3 60 ms" in table[2]
    assert table[2].endswith("PASS")
    assert "138 ms" in table[3]
    assert table[3].endswith("FAIL")
    assert "487.00x" in table[4]
    assert "n/a" in table[5]
    assert bench.as_json(figures) == {
        "first_sound_ms": 46.8,
        "first_sound_ms_ok": True,
        "drift_ms": 138.0,
        "drift_ms_ok": False,
        "export_x_realtime": 487.0,
        "export_x_realtime_ok": True,
        "anchor_ms": None,
    }
