"""Shared fixtures: every test gets its own user folder, never the real home."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightvoice.user.catalog import builtin_dir


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "nightvoice-home"
    monkeypatch.setenv("NIGHTVOICE_HOME", str(home))
    return home


@pytest.fixture
def builtin_routines() -> list[Path]:
    return sorted(builtin_dir().glob("*.yaml"))
