"""Shared fixtures: every test gets its own user folder, never the real home."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightvoice.user.catalog import builtin_dir
from tests.extras import natural_voice, report_extra

__all__ = ["natural_voice", "report_extra"]  # fixtures: a missing extra fails, never skips


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "nightvoice-home"
    monkeypatch.setenv("NIGHTVOICE_HOME", str(home))
    return home


@pytest.fixture
def builtin_routines() -> list[Path]:
    return sorted(builtin_dir().glob("*.yaml"))


@pytest.fixture(autouse=True)
def list_measurements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`list` starts its background measurement (listlengths.start): recorded here, never run
    as a real process; a test runs the measurement itself with `listlengths.measure()`."""
    started: list[str] = []
    monkeypatch.setattr("nightvoice.user.listlengths.start", lambda: started.append("measure"))
    return started
