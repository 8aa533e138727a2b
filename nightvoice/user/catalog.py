"""Find routines by name: the built-in ones shipped in the package and the user's own."""

from __future__ import annotations

import contextlib
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from nightvoice.base import paths, reading, writing
from nightvoice.base.sharing import map_shared
from nightvoice.core.errors import Problem, RoutineError, RoutineNotFound, shown

if TYPE_CHECKING:
    from nightvoice.core.plan import Plan
    from nightvoice.core.routine import Routine
    from nightvoice.sound.lengths import SpeechLengths

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
    """name -> file of the routines in `folder` (`.yaml` before `.yml`, hidden files not);
    by plain names, not Paths: sorting 500 Paths costs `list` milliseconds."""
    try:
        names = os.listdir(folder)
    except OSError:
        return {}
    found: dict[str, Path] = {}
    for name in sorted(names, key=os.path.normcase):
        stem, dot, suffix = name.rpartition(".")
        if dot and f".{suffix}" in SUFFIXES and not name.startswith("."):
            found.setdefault(stem, folder / name)
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
        data = reading.read_input(path)
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
            f"`{shown(name)}` is not a routine name: use letters, digits, `-` and `_` "
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
            raise RoutineNotFound(f"no routine file at {shown(target)}")
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

LIST_CACHE = "list-cache-v2.json"  # v2: each entry says whether its length is exact
# `list` measures new sentences itself (~5 ms each, after ~60 ms loading the engine) only when
# there are at most this many, within this time; more (a first `list` of hundreds of routines)
# are estimated, shown as approximate, and measured in the background (user/listlengths.py).
LIST_MEASURES = 8
LIST_MEASURE_SECONDS = 0.15
PASSES = 3  # the background measurement goes round again if another `list` wrote meanwhile

EXACT = "exact"  # every sentence at its real length: the export's total
PENDING = "pending"  # some estimated; the background measurement will make it exact
ESTIMATED = "estimated"  # some estimated for good: no engine here to measure them
LENGTHS = (EXACT, PENDING, ESTIMATED)


@dataclass(frozen=True)
class Listing:
    """One line of `nightvoice list`: a routine's title and length, or its first problem."""

    ref: RoutineRef
    title: str = ""
    seconds: float = 0.0
    problem: str | None = None  # the first located problem of a broken routine
    more_problems: int = 0
    length: str = EXACT  # how `seconds` was found: EXACT, PENDING or ESTIMATED

    @property
    def approximate(self) -> bool:
        """The length is an estimate (`list` shows it as `~5:20`)."""
        return self.length != EXACT


Summary = tuple[str, "Plan | None", str | None, int]  # title, plan; or first problem, more


def _summarise(path: Path, config: dict[str, Any]) -> Summary:
    """Title and plan as `show` makes them (the config's settings applied), or the first
    problem and how many more there are."""
    from nightvoice.core.planner import compile_plan
    from nightvoice.user.config import resolve_settings
    from nightvoice.user.languages import phrase_book

    try:
        routine = load_routine(path)
    except RoutineError as error:
        return "", None, str(error.problems[0]), len(error.problems) - 1
    settings = resolve_settings(routine.voice, config, {}).settings
    plan = compile_plan(routine, settings, chime=config.get("chime"), phrases=phrase_book(settings))
    return routine.title, plan, None, 0


def _summarise_safely(path: Path, config: dict[str, Any]) -> Summary | str:
    """`_summarise`, or the one-line problem of a failure no check foresaw."""
    try:
        return _summarise(path, config)
    except Exception as error:
        return _unexpected(path, error)


def _length(plan: Plan, lengths: SpeechLengths) -> tuple[float, bool]:
    """The plan's total with its sentences' real lengths, and whether any was estimated."""
    from nightvoice.core.planner import timeline, total_seconds

    before = lengths.estimated
    total = total_seconds(timeline(plan, lengths.for_settings(plan.settings, wait=False)))
    return total, lengths.estimated > before


def _unexpected(path: Path, error: Exception) -> str:
    """A one-line problem for a failure no check foresaw (a bug, not the user's fault)."""
    reason = " ".join(str(error).split()) or type(error).__name__
    return f"{path}:1:1: cannot be read ({type(error).__name__}: {reason})"


def list_routines(use_cache: bool = True, config: dict[str, Any] | None = None) -> list[Listing]:
    """Every routine with its title and length; a broken one with its first problem.

    Lengths are as `show` gives them: the config file's settings (rate, chime...) apply, so
    `config` is the loaded config (by default it is loaded, a broken one warned about and
    ignored, as when playing). Parsing hundreds of YAML files is slow, so summaries are kept in
    the cache folder, keyed by the nightvoice version, the config's values and each file's
    path, modification time and size: a file that changes (or a new config or nightvoice) is
    read again. The cache is only an accelerator: if it cannot be read or written, everything
    still lists. One file failing in any way is listed as BROKEN and never stops the others.

    Sentences whose real length is not known yet are measured only if there are a few
    (LIST_MEASURES); otherwise their routines get an estimate, marked PENDING, for
    `measure_pending` (run in the background) to make exact.
    """
    return _list(use_cache, config, measure=LIST_MEASURES, seconds=LIST_MEASURE_SECONDS)[0]


def measure_pending(config: dict[str, Any] | None = None) -> int:
    """Measure every sentence the listed routines need and make their PENDING lengths exact
    (slow: for the background). Goes round again while another `list` wrote PENDING entries
    meanwhile. How many routines were summarised again."""
    done = 0
    for _ in range(PASSES):
        found = _list(True, config, measure=None, seconds=None, remeasure=True)[1]
        done += found
        if not found:
            break
    return done


def _read_cache(path: Path, config: dict[str, Any]) -> dict[str, list[object]]:
    import json

    from nightvoice import __version__

    try:
        data = json.loads(reading.read_input(path, limit=64 * 1024 * 1024))
        if (
            data.get("version") == __version__
            and data.get("config") == config
            and data.get("languages", []) == _catalog_stamps()  # the phrases, unchanged
            and isinstance(data.get("entries"), dict)
        ):
            entries: dict[str, list[object]] = data["entries"]
            return entries
    except (OSError, ValueError, AttributeError):
        pass
    return {}


def _list(
    use_cache: bool,
    config: dict[str, Any] | None,
    *,
    measure: int | None,
    seconds: float | None,
    remeasure: bool = False,
) -> tuple[list[Listing], int]:
    """The listings, measuring at most `measure` new sentences within `seconds` (None: all),
    and how many routines were summarised (not taken from the cache); `remeasure` summarises
    PENDING ones again."""
    if config is None:
        from nightvoice.user.config import load_config_or_defaults

        config = load_config_or_defaults()
    cache_path = paths.cache_dir() / LIST_CACHE
    cached = _read_cache(cache_path, config) if use_cache else {}
    fresh: dict[str, list[object]] = {}
    listings: list[Listing] = []
    planned: list[tuple[int, str, list[object], Plan]] = []  # to lay out: index, key, entry
    # Each routine's file status, and its listing when known without reading the file (from
    # the cache, or unreadable); the files to read are then shared with a second core.
    found: list[tuple[RoutineRef, os.stat_result | None, Listing | None]] = []
    for ref in all_routines():
        try:
            status = ref.path.stat()
        except OSError as error:
            unreadable = Listing(ref, problem=f"{ref.path}:1:1: cannot read it: {error}")
            found.append((ref, None, unreadable))
            continue
        known = _from_entry(ref, cached.get(str(ref.path)), status.st_mtime_ns, status.st_size)
        if known is not None and remeasure and known.length == PENDING:
            known = None
        found.append((ref, status, known))
    to_read = [ref.path for ref, _, listing in found if listing is None]
    summaries = iter(map_shared(functools.partial(_summarise_safely, config=config), to_read))
    for ref, stat, listing in found:
        key = str(ref.path)
        if listing is not None:
            if stat is not None:  # from the cache
                fresh[key] = cached[key]
            listings.append(listing)
            continue
        assert stat is not None
        summary = next(summaries)
        if isinstance(summary, str):  # never cached: a fixed nightvoice must read it again
            listings.append(Listing(ref, problem=summary))
            continue
        title, plan, problem, more = summary
        entry = [stat.st_mtime_ns, stat.st_size, title, 0.0, problem, more, EXACT]
        if plan is not None:
            planned.append((len(listings), key, entry, plan))
        else:
            fresh[key] = entry
        listings.append(_listing(ref, entry))
    if planned:
        _lay_out(planned, measure, seconds)
        for index, key, entry, _plan in planned:
            fresh[key] = entry
            listings[index] = _listing(listings[index].ref, entry)
    if use_cache and fresh != cached:
        import json

        from nightvoice import __version__

        payload = json.dumps(
            {
                "version": __version__,
                "config": config,
                "languages": _catalog_stamps(),
                "entries": fresh,
            },
            ensure_ascii=False,
        )
        with contextlib.suppress(OSError):  # a read-only cache folder only costs speed
            writing.write_atomically(cache_path, payload.encode("utf-8"), durable=False)
    return listings, len(planned)


def _catalog_stamps() -> list[list[object]]:
    """The user's phrase catalogs as they are now: a routine's length depends on them (its
    cues' words), so the list cache is stale when one changes. Nothing is imported for it."""
    folder = paths.languages_dir()
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".po"))
    except OSError:
        return []
    return [list(stamp) for stamp in reading.file_stamps([str(folder / n) for n in names])]


def _lay_out(
    planned: list[tuple[int, str, list[object], Plan]], measure: int | None, seconds: float | None
) -> None:
    """Fill each planned entry's length, measuring missing sentences as `_list` allows."""
    from nightvoice.sound.lengths import SpeechLengths

    lengths = SpeechLengths()
    guessed = []
    for _index, _key, entry, plan in planned:
        entry[3], estimated = _length(plan, lengths)
        if estimated:
            guessed.append((entry, plan))
    if guessed and lengths.measure_missing(at_most=measure, seconds=seconds):
        guessed = [(entry, plan) for entry, plan in guessed if _relaid(entry, plan, lengths)]
    for entry, _plan in guessed:
        entry[6] = ESTIMATED if lengths.failed else PENDING
    lengths.save()
    lengths.close()


def _relaid(entry: list[object], plan: Plan, lengths: SpeechLengths) -> bool:
    """Lay the plan out again with what was measured since; whether any is still estimated."""
    entry[3], estimated = _length(plan, lengths)
    return estimated


def _listing(ref: RoutineRef, entry: list[object]) -> Listing:
    listing = _from_entry(ref, entry, entry[0], entry[1])  # type: ignore[arg-type]
    assert listing is not None
    return listing


def _from_entry(ref: RoutineRef, entry: object, mtime_ns: int, size: int) -> Listing | None:
    """A cache entry as a Listing, or None when it is stale or not what we wrote."""
    if not isinstance(entry, list) or len(entry) != 7 or entry[:2] != [mtime_ns, size]:
        return None
    title, seconds, problem, more, length = entry[2:]
    if not (
        isinstance(title, str)
        and isinstance(seconds, (int, float))
        and (problem is None or isinstance(problem, str))
        and isinstance(more, int)
        and length in LENGTHS
    ):
        return None
    return Listing(ref, title, float(seconds), problem, more, length)
