"""Find routines by name: the built-in ones shipped in the package and the user's own."""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from nightvoice.core.errors import Problem, RoutineError, RoutineNotFound
from nightvoice.core.routine import Routine
from nightvoice.user import paths

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
    packaged = Path(__file__).resolve().parents[1] / "scripts"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "scripts"


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


def _routine_file(folder: Path, name: str) -> Path | None:
    """`name`.yaml (or .yml) in `folder`, as `_routines_in` would pick it, or None."""
    for suffix in SUFFIXES:
        path = folder / f"{name}{suffix}"
        try:
            if path.is_file():
                return path
        except OSError:  # an unreadable folder has no routines, as when listing
            return None
    return None


def load_routine(path: str | Path) -> Routine:
    """Read one routine file (a regular file of sane size only) and validate it.

    RoutineError with every problem found, each as `file:line:col: message`.
    """
    from nightvoice.core.loader import parse_routine

    try:
        data = paths.read_input(path)
    except OSError as error:
        reason = error.strerror or str(error)
        raise RoutineError([Problem(str(path), 1, 1, f"cannot read the file: {reason}")]) from None
    return parse_routine(data, str(path))


def builtin(name: str) -> RoutineRef | None:
    """The built-in routine of this name, even where the user's own replaces it."""
    path = _routine_file(builtin_dir(), name)
    return RoutineRef(name, path, "built-in") if path is not None else None


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
        if not os.path.lexists(as_path):  # anything else there: load_routine says what it is
            raise RoutineNotFound(f"no routine file at {target}")
        return RoutineRef(as_path.stem, as_path, "user")
    name = check_name(target)
    # Straight to the file: listing whole folders (hundreds of routines) costs the night's
    # start-up; only the not-found message below lists them, for its suggestions.
    builtin = _routine_file(builtin_dir(), name)
    user = _routine_file(paths.routines_dir(), name)
    if user is not None:
        return RoutineRef(name, user, "user", shadows_builtin=builtin is not None)
    if builtin is not None:
        return RoutineRef(name, builtin, "built-in")
    known = sorted({*_routines_in(paths.routines_dir()), *_routines_in(builtin_dir())})
    from nightvoice.core.suggest import did_you_mean

    raise RoutineNotFound(
        f"no routine named `{name}`{did_you_mean(name, known)} "
        f"(`nightvoice list` shows them all: {', '.join(known)})"
    )


# --- listing, with a small cache -------------------------------------------------------------

LIST_CACHE = "list-cache-v1.json"


@dataclass(frozen=True)
class Listing:
    """One line of `nightvoice list`: a routine's title and length, or its first problem."""

    ref: RoutineRef
    title: str = ""
    seconds: float = 0.0
    problem: str | None = None  # the first located problem of a broken routine
    more_problems: int = 0


def _summarise(
    path: Path, config: dict[str, Any], lengths: Any = None
) -> tuple[str, float, str | None, int]:
    """Title and length as `show` gives them (the config's settings applied, sentences at
    their real lengths from `lengths`, a SpeechLengths), or the first problem."""
    from nightvoice.core.describe import estimated_timeline
    from nightvoice.core.planner import compile_plan, timeline, total_seconds
    from nightvoice.user.config import resolve_settings

    try:
        routine = load_routine(path)
    except RoutineError as error:
        return "", 0.0, str(error.problems[0]), len(error.problems) - 1
    settings = resolve_settings(routine.voice, config, {}).settings
    plan = compile_plan(routine, settings, chime=config.get("chime"))
    if lengths is None:
        return routine.title, total_seconds(estimated_timeline(plan)), None, 0
    return routine.title, total_seconds(timeline(plan, lengths.for_settings(settings))), None, 0


def _unexpected(path: Path, error: Exception) -> str:
    """A one-line problem for a failure no check foresaw (a bug, not the user's fault)."""
    reason = " ".join(str(error).split()) or type(error).__name__
    return f"{path}:1:1: cannot be read ({type(error).__name__}: {reason})"


def list_routines(use_cache: bool = True, config: dict[str, Any] | None = None) -> list[Listing]:
    """Every routine with its title and estimated length; a broken one with its first problem.

    Lengths are as `show` gives them: the config file's settings (rate, chime...) apply, so
    `config` is the loaded config (by default it is loaded, a broken one warned about and
    ignored, as when playing). Parsing hundreds of YAML files is slow, so summaries are kept in
    the cache folder, keyed by the nightvoice version, the config's values and each file's
    path, modification time and size: a file that changes (or a new config or nightvoice) is
    read again. The cache is only an accelerator: if it cannot be read or written, everything
    still lists. One file failing in any way is listed as BROKEN and never stops the others.
    """
    import json

    from nightvoice import __version__

    if config is None:
        from nightvoice.user.config import load_config_or_defaults

        config = load_config_or_defaults()
    cache_path = paths.cache_dir() / LIST_CACHE
    cached: dict[str, list[object]] = {}
    if use_cache:
        try:
            data = json.loads(paths.read_input(cache_path, limit=64 * 1024 * 1024))
            if (
                data.get("version") == __version__
                and data.get("config") == config
                and isinstance(data.get("entries"), dict)
            ):
                cached = data["entries"]
        except (OSError, ValueError, AttributeError):
            cached = {}
    fresh: dict[str, list[object]] = {}
    listings = []
    lengths: Any = None  # real sentence lengths, loaded only when a summary must be made
    for ref in all_routines():
        try:
            stat = ref.path.stat()
        except OSError as error:
            listings.append(Listing(ref, problem=f"{ref.path}:1:1: cannot read it: {error}"))
            continue
        key = str(ref.path)
        entry = cached.get(key)
        listing = _from_entry(ref, entry, stat.st_mtime_ns, stat.st_size)
        if entry is None or listing is None:
            if lengths is None:
                from nightvoice.sound.export import SpeechLengths

                lengths = SpeechLengths()
            try:
                entry = [stat.st_mtime_ns, stat.st_size, *_summarise(ref.path, config, lengths)]
            except Exception as error:  # never cached: a fixed nightvoice must read it again
                listings.append(Listing(ref, problem=_unexpected(ref.path, error)))
                continue
            listing = _from_entry(ref, entry, stat.st_mtime_ns, stat.st_size)
            assert listing is not None
        fresh[key] = entry
        listings.append(listing)
    if lengths is not None:
        lengths.save()
    if use_cache and fresh != cached:
        payload = json.dumps(
            {"version": __version__, "config": config, "entries": fresh}, ensure_ascii=False
        )
        with contextlib.suppress(OSError):  # a read-only cache folder only costs speed
            paths.write_atomically(cache_path, payload.encode("utf-8"))
    return listings


def _from_entry(ref: RoutineRef, entry: object, mtime_ns: int, size: int) -> Listing | None:
    """A cache entry as a Listing, or None when it is stale or not what we wrote."""
    if not isinstance(entry, list) or len(entry) != 6 or entry[:2] != [mtime_ns, size]:
        return None
    title, seconds, problem, more = entry[2:]
    if not (
        isinstance(title, str)
        and isinstance(seconds, (int, float))
        and (problem is None or isinstance(problem, str))
        and isinstance(more, int)
    ):
        return None
    return Listing(ref, title, float(seconds), problem, more)
