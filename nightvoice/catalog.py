"""Find routines by name: the built-in ones shipped in the package and the user's own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from nightvoice import paths
from nightvoice.errors import RoutineNotFound

DEFAULT_ROUTINE = "calf-cramp"
SUFFIXES = (".yaml", ".yml")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")

Origin = Literal["built-in", "user"]


@dataclass(frozen=True)
class RoutineRef:
    name: str
    path: Path
    origin: Origin
    shadows_builtin: bool = False


def builtin_dir() -> Path:
    """The routines shipped inside the package (a source checkout keeps them at the top)."""
    packaged = Path(__file__).resolve().parent / "scripts"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "scripts"


def _routines_in(folder: Path) -> dict[str, Path]:
    try:
        entries = list(folder.iterdir())
    except OSError:
        return {}
    found: dict[str, Path] = {}
    for path in sorted(entries):
        if path.suffix in SUFFIXES and not path.name.startswith("."):
            found.setdefault(path.stem, path)
    return found


def all_routines() -> list[RoutineRef]:
    """Built-ins and user routines by name; a user routine of a built-in's name replaces it."""
    builtins = _routines_in(builtin_dir())
    users = _routines_in(paths.routines_dir())
    refs = {name: RoutineRef(name, path, "built-in") for name, path in builtins.items()}
    for name, path in users.items():
        refs[name] = RoutineRef(name, path, "user", shadows_builtin=name in builtins)
    return sorted(refs.values(), key=lambda ref: (ref.origin != "built-in", ref.name))


def check_name(name: str) -> str:
    """A routine name is one plain word: it can never reach outside its folder."""
    if not NAME.match(name) or ".." in name:
        raise RoutineNotFound(
            f"`{name}` is not a routine name: use letters, digits, `-` and `_` "
            "(or give a file path ending in .yaml)"
        )
    return name


def resolve(target: str | None) -> RoutineRef:
    """A routine by name (user's first, then built-in) or by file path."""
    target = target or DEFAULT_ROUTINE
    as_path = Path(target).expanduser()
    looks_like_path = target.endswith(SUFFIXES) or "/" in target or "\\" in target
    if looks_like_path:
        if not as_path.is_file():
            raise RoutineNotFound(f"no routine file at {target}")
        return RoutineRef(as_path.stem, as_path, "user")
    name = check_name(target.removesuffix(".yaml"))
    users = _routines_in(paths.routines_dir())
    builtins = _routines_in(builtin_dir())
    if name in users:
        return RoutineRef(name, users[name], "user", shadows_builtin=name in builtins)
    if name in builtins:
        return RoutineRef(name, builtins[name], "built-in")
    known = sorted({*users, *builtins})
    from nightvoice.loader import did_you_mean

    raise RoutineNotFound(
        f"no routine named `{name}`{did_you_mean(name, known)} "
        f"(`nightvoice list` shows them all: {', '.join(known)})"
    )
