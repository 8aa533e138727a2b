"""The folders: one override, XDG on Linux; the fast start's text form agrees with platformdirs."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from nightvoice.base import paths


def test_nightvoice_home_puts_everything_in_one_folder(private_home: Path) -> None:
    """The override every test uses (conftest.py): config and data in it, caches below it."""
    assert paths.config_dir() == private_home
    assert paths.data_dir() == private_home
    assert paths.cache_dir() == private_home / "cache"
    assert paths.routines_dir() == private_home / "scripts"
    assert paths.config_file() == private_home / "config.yaml"
    assert paths.log_file() == private_home / "episodes.csv"


@pytest.mark.parametrize("kind", ["config", "data", "cache"])
@pytest.mark.parametrize(
    "value", [None, "", "  ", "ABSOLUTE", "ABSOLUTE/", "relative/folder", "~/tilde", " ABSOLUTE"]
)
def test_the_fast_folders_are_the_ones_platformdirs_gives(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str, value: str | None
) -> None:
    """The fast start reads its record and the config from `fast_folder` (no platformdirs, no
    pathlib): for every form of the XDG variables it is where platformdirs says, so the night's
    first words and the settings are looked for where the rest of nightvoice keeps them."""
    variable = {"config": "XDG_CONFIG_HOME", "data": "XDG_DATA_HOME", "cache": "XDG_CACHE_HOME"}
    monkeypatch.delenv("NIGHTVOICE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if value is None:
        monkeypatch.delenv(variable[kind], raising=False)
    else:
        monkeypatch.setenv(variable[kind], value.replace("ABSOLUTE", str(tmp_path / "xdg")))
    expected = getattr(platformdirs, f"user_{kind}_dir")("nightvoice")
    assert paths.fast_folder(kind) == expected
    assert paths.folder(kind) == expected


def test_the_home_override_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NIGHTVOICE_HOME", "~/nv")
    assert paths.folder("config") == str(tmp_path / "nv")
    assert paths.folder("cache") == str(tmp_path / "nv" / "cache")
