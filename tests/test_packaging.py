"""The wheel a user installs carries every built-in routine, the schema, the guides and the
phrase template, all loadable, and says the version nightvoice itself says."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import nightvoice
from nightvoice.core.loader import parse_routine

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(folder),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = folder.glob("nightvoice-*.whl")
    return built


def test_the_wheel_ships_every_built_in_routine_and_the_schema(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped = {
            n.removeprefix("nightvoice/scripts/")
            for n in names
            if n.startswith("nightvoice/scripts/")
        }
        assert shipped == {p.name for p in (ROOT / "scripts").glob("*.yaml")}
        assert "nightvoice/schema/routine-v1.schema.json" in names
        # The template translators start from, and no catalog nobody reviewed (only English).
        languages = {n for n in names if n.startswith("nightvoice/languages/")}
        assert languages == {"nightvoice/languages/nightvoice.pot"}
        guides = ("routine-format.md", "keys.md", "audio.md", "languages.md")
        for guide in guides:  # `nightvoice help format`...
            shipped_guide = archive.read(f"nightvoice/guides/{guide}").decode()
            assert shipped_guide == (ROOT / "docs" / guide).read_text(encoding="utf-8")
        for name in sorted(shipped):
            routine = parse_routine(archive.read(f"nightvoice/scripts/{name}"), name)
            assert routine.title


def test_the_version_is_written_once_and_the_wheel_and_the_changelog_agree(wheel: Path) -> None:
    """`nightvoice --version`, the package metadata pip shows and the changelog's newest
    section are one number, written only in nightvoice/__init__.py."""
    version = nightvoice.__version__
    assert wheel.name.startswith(f"nightvoice-{version}-")
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"nightvoice-{version}.dist-info/METADATA").decode()
    assert f"\nVersion: {version}\n" in metadata
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r"(?m)^version\s*=", pyproject) is None  # no second copy to fall behind
    assert 'dynamic = ["version"]' in pyproject
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    newest = re.search(r"(?m)^## \[([^\]]+)\]", changelog)
    assert newest is not None and newest[1] == version
