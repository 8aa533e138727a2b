"""The wheel a user installs carries every built-in routine, the schema, the guides and the
phrase template, all loadable."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from nightvoice.core.loader import parse_routine

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_every_built_in_routine_and_the_schema(tmp_path: Path) -> None:
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
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("nightvoice-*.whl")
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
