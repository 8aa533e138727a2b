"""nightvoice's performance figures, measured on real audio: `python bench/run.py`.

Starts its own private PulseAudio with a null sink and a timestamping recorder (the same code
the tests use, tests/sink.py), runs the installed `nightvoice` as a user would, and prints each
figure (the median of several runs) beside its anchors and the PRODUCT.md target. `--json FILE`
writes the figures with one key each. Never part of pytest: timings belong here, not in tests.

A figure is judged only on what was measured. A run that fails (nothing heard, a wrong sound,
a crash) fails its figure; it is never dropped to leave a better median. A figure with nothing
measured (every run failed, the natural voice not installed) is NOT MEASURED, never a pass.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.sink import correlation, first_loud, last_loud, loud_stretches  # noqa: E402

# The default routine's first sentence when no keys can be read (no question is asked first).
SENTENCE = "You are all right. This will pass."
THRESHOLD = 300  # |sample| above this is sound (nightvoice's own lead-in rule uses the same)
RATE = 22050  # the null sink's and espeak-ng's rate (tests/sink.py RATE)
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

PASS, FAIL, NOT_MEASURED = "PASS", "FAIL", "NOT MEASURED"
# Exit status, as bits so that both can be told apart in one code (2 is argparse's usage error).
EXIT_MISSED = 1  # a target was missed, or a run failed
EXIT_NOT_MEASURED = 4  # a figure with a target could not be measured at all
EXIT_STATUS = (
    f"exit status: 0 every target met; {EXIT_MISSED} a target missed or a run failed; "
    f"{EXIT_NOT_MEASURED} a figure could not be measured; "
    f"{EXIT_MISSED | EXIT_NOT_MEASURED} both"
)


# --- pure helpers (tested in tests/test_bench.py) -------------------------------------------


def median(values: Sequence[float]) -> float | None:
    """The median, or None when nothing was measured."""
    return statistics.median(values) if values else None


@dataclass
class Runs:
    """One figure's runs: a value each, or why that run failed (kept, never dropped), or why
    the instrument could not tell (the run proves nothing either way)."""

    values: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    untold: list[str] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    def fail(self, why: str) -> None:
        self.failures.append(why)

    def cannot_tell(self, why: str) -> None:
        self.untold.append(why)

    @property
    def median(self) -> float | None:
        return median(self.values)

    @property
    def count(self) -> int:
        return len(self.values) + len(self.failures) + len(self.untold)

    def summary(self) -> str:
        """What went wrong in these runs, for the table ("" when every run measured)."""
        parts = []
        if self.failures:
            parts.append(f"{len(self.failures)} of {self.count} runs failed")
        if self.untold:
            parts.append(f"{len(self.untold)} of {self.count} could not be told")
        return "; ".join(parts)

    def reasons(self, name: str) -> list[str]:
        """One note per failed or untold run."""
        return [f"{name}: run failed: {why}" for why in self.failures] + [
            f"{name}: cannot tell: {why}" for why in self.untold
        ]


def judged(value: float | None, limit: float, *, at_most: bool = True) -> bool | None:
    if value is None:
        return None
    return value <= limit if at_most else value >= limit


@dataclass(frozen=True)
class Figure:
    key: str  # the JSON key
    label: str
    value: float | None
    unit: str
    target: str = ""  # as PRODUCT.md puts it
    limit: float | None = None  # the target as a number; None: no target (an anchor or detail)
    at_most: bool = True
    anchors: str = ""  # what the same run measured for comparison
    failed: int = 0  # runs that failed: the figure fails whatever its median
    why: str = ""  # why nothing was measured

    @property
    def verdict(self) -> str:
        """PASS, FAIL or NOT MEASURED against the target; "" for a figure without one."""
        if self.limit is None:
            return ""
        if self.value is None:
            return NOT_MEASURED
        if self.failed:
            return FAIL
        return PASS if judged(self.value, self.limit, at_most=self.at_most) else FAIL


def figure(
    key: str,
    label: str,
    runs: Runs,
    unit: str,
    *,
    target: str = "",
    limit: float | None = None,
    at_most: bool = True,
    anchors: str = "",
    per: float | None = 1.0,
    why: str = "",
    worst: bool = False,
) -> Figure:
    """A figure from its runs: their median (or the worst value), divided by `per` (an
    anchor's median for a ratio; None when the anchor was not measured); and failed runs."""
    shown = ", ".join(part for part in (anchors, runs.summary()) if part)
    value = runs.median
    if worst and runs.values:
        value = max(runs.values) if at_most else min(runs.values)
    value = None if value is None or not per or why else value / per
    if value is None and not why:
        why = (runs.failures or runs.untold or ["nothing was measured"])[0]
    return Figure(key, label, value, unit, target, limit, at_most, shown, len(runs.failures), why)


def not_measured(key: str, label: str, unit: str, *, target: str, limit: float, why: str) -> Figure:
    return Figure(key, label, None, unit, target, limit, why=why)


def exit_code(figures: Sequence[Figure]) -> int:
    """0 when every target is met; EXIT_MISSED and EXIT_NOT_MEASURED bits otherwise."""
    verdicts = {f.verdict for f in figures}
    return (EXIT_MISSED if FAIL in verdicts else 0) | (
        EXIT_NOT_MEASURED if NOT_MEASURED in verdicts else 0
    )


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit in ("x", "ratio"):
        return f"{value:.2f}{'x' if unit == 'x' else ''}"
    if abs(value) >= 100:
        return f"{value:.0f} {unit}".strip()
    return f"{value:.1f} {unit}".strip()


def format_table(figures: Sequence[Figure]) -> str:
    """Figures as an aligned text table: what, median, anchors, target, verdict."""
    header = ("figure", "median", "anchors (same run)", "target", "")
    rows = [header]
    for f in figures:
        anchors = f.anchors
        if f.value is None:
            anchors = "; ".join(part for part in (f.why, f.anchors) if part)
        rows.append((f.label, format_value(f.value, f.unit), anchors, f.target, f.verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def as_json(figures: Sequence[Figure]) -> dict[str, object]:
    """One key per figure; beside a judged one `_ok` (null: not measured) and `_verdict`."""
    out: dict[str, object] = {}
    for f in figures:
        out[f.key] = None if f.value is None else round(f.value, 3)
        if f.limit is not None:
            out[f"{f.key}_ok"] = None if f.value is None else f.verdict == PASS
            out[f"{f.key}_verdict"] = f.verdict.lower()
        if f.failed:
            out[f"{f.key}_failed_runs"] = f.failed
    return out


def cpu_percent(ticks_before: int, ticks_after: int, seconds: float) -> float:
    """CPU use of one core in percent, from /proc utime+stime ticks over `seconds`."""
    return 100.0 * (ticks_after - ticks_before) / CLK_TCK / seconds


# --- telling a cut from a pause (pure; tested in tests/test_bench.py) -----------------------

BLOCK = 110  # 5 ms: the envelope's step
WINDOW = 441  # 20 ms: each envelope value's span, longer than a pitch period (no ripple)
MATCH = 0.9  # envelope correlation above which a sound is the sentence it is compared with
PROVEN_WITHIN = 0.015  # s: the sentence would have sounded this soon after the heard cut
SHIFT = 30  # blocks (150 ms): how far playing may have drifted from the render by the cut


def envelope(values: Sequence[int]) -> list[float]:
    """Mean absolute amplitude over 20 ms, every 5 ms: a shape that survives espeak-ng's small
    render shifts and being compared a few ms off."""
    sums = [0]
    for value in values:
        sums.append(sums[-1] + abs(value))
    ends = range(0, len(values), BLOCK)
    return [(sums[min(i + WINDOW, len(values))] - sums[i]) / WINDOW for i in ends]


def find_sound(
    heard: Sequence[int], source: Sequence[int], start: int = 0, stop: int | None = None
) -> tuple[int, float] | None:
    """Where `source`'s sound (from its first loud sample) begins in `heard`, searching starts
    in [start, stop): the heard sample where it starts, and how well it matches (envelope
    correlation); None if there is no room for it."""
    onset, end = first_loud(source, THRESHOLD), last_loud(source, THRESHOLD)
    if onset is None or end is None:
        return None
    shape = envelope(source[onset : end + 1])
    stop = len(heard) if stop is None else min(stop, len(heard))
    region = envelope(heard[start : min(len(heard), stop + end + 1 - onset)])
    best: tuple[float, int] | None = None
    for lag in range(0, len(region) - len(shape) + 1):
        match = correlation(region[lag : lag + len(shape)], shape)
        if best is None or match > best[0]:
            best = (match, lag)
    if best is None:
        return None
    match, lag = best
    # Sample-exact: its first loud sample within a block of where its envelope starts.
    near = start + max(0, lag - 1) * BLOCK
    first = first_loud(heard[near : start + (lag + 1) * BLOCK], THRESHOLD)
    return (near + first if first is not None else start + lag * BLOCK), match


@dataclass(frozen=True)
class Cut:
    """What a key did to a sentence, as heard: where its sound ended, where the next began."""

    end: int | None = None  # the cut sentence's last loud sample
    next_onset: int | None = None  # the next words' first loud sample (None: none expected)
    failure: str = ""  # what was heard is not a cut sentence (then the next step's words)
    untold: str = ""  # it was cut, but when cannot be told to within PROVEN_WITHIN

    @property
    def proven(self) -> bool:
        return not (self.failure or self.untold)


def judge_cut(
    heard: array[int], said: array[int], pressed: int, following: array[int] | None = None
) -> Cut:
    """Tell from a recording whether a key cut the sentence `said`, and where.

    `heard` starts before the sentence; `pressed` is the index recorded when the key was
    pressed; `said` and `following` are the sentence and the next words as played (rendered,
    scaled as the player scales them). Proven only if the sound before the key is the
    sentence, it goes silent and stays so until the next words (which must be `following`'s
    own, whole, then silence), and the sentence itself would have gone on sounding right
    where the silence began: a pause between its words is not taken for a cut.
    """
    onset, said_onset = first_loud(heard, THRESHOLD), first_loud(said, THRESHOLD)
    if onset is None or said_onset is None:
        return Cut(failure="nothing was heard")
    if following is not None:
        found = find_sound(heard, following, start=pressed)
        if found is None or found[1] < MATCH:
            return Cut(failure="the next step's words were not heard after the key")
        next_onset = found[0]
        own = loud_stretches(following, gap=0.1, threshold=THRESHOLD)
        length = own[-1][1] - own[0][0]
        after = last_loud(heard[next_onset:], THRESHOLD)
        if after is None or abs(after + 1 - length) > round(0.03 * RATE):
            return Cut(failure="sound went on after the next step's words")
        search_end = next_onset
    else:
        next_onset, search_end = None, len(heard)
        if last_loud(heard[len(heard) - round(0.3 * RATE) :], THRESHOLD) is not None:
            return Cut(failure="the sentence went on after the key")
    last = last_loud(heard[:search_end], THRESHOLD)
    if last is None or last < onset:
        return Cut(failure="nothing was heard before the next words")
    if last < pressed - round(0.02 * RATE):
        return Cut(last, next_onset, failure="the sentence went silent before the key")
    # The sound up to the cut is the sentence: its start, and the 300 ms before the cut, each
    # aligned on its own (a stall while playing may have shifted the rest by some ms).
    spoken = last + 1 - onset
    if spoken > len(said) - said_onset + round(0.2 * RATE):
        return Cut(last, next_onset, failure="the sound before the key is longer than the sentence")
    head = min(spoken, round(0.3 * RATE))
    start = correlation(
        envelope(heard[onset : onset + head]), envelope(said[said_onset : said_onset + head])
    )
    if start < MATCH:
        return Cut(last, next_onset, failure="the sound before the key is not the sentence")
    # Where the cut falls in the sentence: the sentence must have sounded again within
    # PROVEN_WITHIN of it, or the silence may be a pause between its words.
    window = min(spoken, round(0.3 * RATE))
    tail = envelope(heard[last + 1 - window : last + 1])

    def match(lag: int) -> float:
        end = max(window, said_onset + spoken + lag * BLOCK)
        return correlation(tail, envelope(said[end - window : end]))

    best = max(range(-10, 11), key=match)  # renders differ by a few ms: look near first
    if match(best) < MATCH:
        best = max(range(-SHIFT, SHIFT + 1), key=match)
    if match(best) < MATCH:
        return Cut(last, next_onset, failure="the sound just before the cut is not the sentence")
    at = said_onset + spoken + best * BLOCK
    soon = said[at : at + round(PROVEN_WITHIN * RATE) + BLOCK]
    if first_loud(soon, THRESHOLD) is None:
        return Cut(last, next_onset, untold="the sentence was between words where it went silent")
    return Cut(last, next_onset)


def press_points(said: array[int], *, after: float = 1.0, room: float = 0.25) -> list[int]:
    """Places in a sentence to press a key: `after` seconds in, each at the start of at least
    `room` seconds of unbroken sound (no 10 ms of silence), so a cut lands inside a word."""
    start = first_loud(said, THRESHOLD)
    if start is None:
        return []
    return [
        begin + round(0.04 * RATE)
        for begin, end in loud_stretches(said, gap=0.01, threshold=THRESHOLD)
        if begin - start >= after * RATE and end - begin >= room * RATE
    ]


# --- processes ------------------------------------------------------------------------------


def program() -> str:
    """The nightvoice next to this Python (a venv), else the one on PATH."""
    beside = Path(sys.executable).parent / "nightvoice"
    if beside.exists():
        return str(beside)
    found = shutil.which("nightvoice")
    if found is None:
        raise SystemExit("nightvoice is not installed: pip install -e . (see the README)")
    return found


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def aplays_of(server: str) -> list[int]:
    """aplay (and pyttsx3's `sh -c aplay`) processes playing into our private server."""
    from tests.sink import processes_with

    return processes_with(f"PULSE_SERVER={server}", names=("aplay", "sh"))


def kill_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# --- the sound ------------------------------------------------------------------------------


class Ear:
    """The private sound server and its recorder."""

    recorder_rate = 22050  # the null sink's rate (tests/sink.py RATE)

    def __init__(self, server: object, recorder: object) -> None:
        from tests.sink import PulseServer, Recorder

        assert isinstance(server, PulseServer)
        assert isinstance(recorder, Recorder)
        self.server = server
        self.recorder = recorder

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        env = {**self.server.env(), "NIGHTVOICE_HOME": str(home), **extra}
        env.pop("NO_COLOR", None)
        return env

    def first_sound_after(self, mark: int, timeout: float = 5.0) -> float | None:
        """Monotonic time of the first loud sample recorded after `mark`, waiting for it."""
        from tests.sink import first_loud

        # Only the samples not yet looked at: rescanning the whole recording every 2 ms took
        # most of a core after a second, slowing the very program being timed.
        deadline = time.monotonic() + timeout
        scanned = mark
        while time.monotonic() < deadline:
            fresh = self.recorder.samples(scanned)
            index = first_loud(fresh, THRESHOLD)
            if index is not None:
                return self.recorder.time_of(scanned + index)
            scanned += len(fresh)
            time.sleep(0.002)
        return None

    def wait_quiet(self, seconds: float = 0.15, timeout: float = 3.0) -> None:
        from tests.sink import last_loud

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mark = self.recorder.mark()
            time.sleep(seconds)
            if last_loud(self.recorder.samples(mark), THRESHOLD) is None:
                return


@contextmanager
def ear() -> Iterator[Ear]:
    from tests.sink import Recorder, private_server

    with private_server() as server:
        recorder = Recorder(server)
        try:
            yield Ear(server, recorder)
        finally:
            recorder.close()


# --- 1. first sound -------------------------------------------------------------------------


def time_to_first_sound(
    e: Ear,
    argv: list[str],
    env: dict[str, str],
    *,
    shell: bool = False,
    cwd: Path | None = None,
    timeout: float = 5.0,
) -> float | None:
    e.wait_quiet()
    mark = e.recorder.mark()
    started = time.monotonic()
    proc = subprocess.Popen(
        argv if not shell else ["/bin/sh", "-c", argv[0]],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    heard = e.first_sound_after(mark, timeout)
    kill_group(proc, signal.SIGTERM)  # nightvoice unwinds cleanly on SIGTERM
    for pid in aplays_of(e.server.server):  # the anchors' own orphans (pyttsx3's os.system)
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return None if heard is None else (heard - started) * 1000


def wait_for_first_words(home: Path, timeout: float = 60.0) -> bool:
    """Wait for the background render a nightvoice command starts when it ends (firstwords.py):
    the next figure must not share the CPU with it."""
    record = home / "cache" / "first-words.bin"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if record.exists():
            time.sleep(0.1)  # the renderer's exit
            return True
        time.sleep(0.02)
    return False


def wait_for_renders(home: Path, timeout: float = 60.0) -> None:
    """Wait until no background render (firstwords.py) of this home runs any more: a run
    stopped right after its first sound may or may not have started one."""
    from tests.sink import processes_with

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not processes_with(f"NIGHTVOICE_HOME={home}", names=("python", "python3")):
            return
        time.sleep(0.05)


def natural_missing() -> str | None:
    """Why the natural voice cannot be measured here (not installed), or None."""
    from nightvoice.sound.naturalvoices import NATURAL_VOICES, missing

    return missing(NATURAL_VOICES[0])


def compile_package() -> None:
    """Byte-compile nightvoice as `pip install` does for a user: with PYTHONDONTWRITEBYTECODE
    set (as on this machine) an editable checkout would otherwise be compiled on every run."""
    import compileall

    import nightvoice

    compileall.compile_dir(Path(nightvoice.__file__).parent, quiet=1)


def first_sound(e: Ear, runs: int, work: Path) -> tuple[list[Figure], list[str]]:
    notes = []
    nv = program()
    py = sys.executable
    one_liner = f"import pyttsx3; e=pyttsx3.init(); e.say({SENTENCE!r}); e.runAndWait()"
    night_home = work / "night-home"
    evening, bedside = work / "evening", work / "bedside"
    evening.mkdir()
    bedside.mkdir()
    # The usual evening, in another folder: the bedtime routine (stopped once it speaks).
    # Without its first words rendered, a "night" run would be a first-ever run: not measured.
    unready: dict[str, str] = {}
    time_to_first_sound(e, [nv, "play", "bedtime-stretches"], e.env(night_home), cwd=evening)
    if not wait_for_first_words(night_home):
        unready["night"] = "no first words were rendered after `play bedtime-stretches`"
    # The same evening and night with the natural voice chosen in the config (if installed).
    natural_home = work / "natural-night-home"
    problem = natural_missing()
    if problem is None:
        natural_home.mkdir()
        (natural_home / "config.yaml").write_text("voice: joe\n")
        argv = [nv, "play", "bedtime-stretches"]
        time_to_first_sound(e, argv, e.env(natural_home), cwd=evening, timeout=30)
        if not wait_for_first_words(natural_home, timeout=180):
            unready["natural_night"] = "no natural-voice first words after the evening"
    else:
        unready["natural_night"] = problem
    names = ("night", "fresh", "pyttsx3", "espeak", "espeak_aplay", "natural_night")
    results = {name: Runs() for name in names}
    leftovers = 0
    for run in range(runs):
        fresh_home = work / f"fresh-{run}"
        cases: list[tuple[str, list[str], dict[str, str], bool]] = [
            ("night", [nv], e.env(night_home), False),
            ("fresh", [nv], e.env(fresh_home), False),
            ("pyttsx3", [py, "-c", one_liner], e.env(work), False),
            ("espeak", ["espeak-ng", SENTENCE], e.env(work), False),
            (
                "espeak_aplay",
                [f"espeak-ng --stdout {SENTENCE!r} | aplay -q"],
                e.env(work),
                True,
            ),
            ("natural_night", [nv], e.env(natural_home), False),
        ]
        for name, argv, env, shell in cases:
            if name in unready:
                continue
            ms = time_to_first_sound(e, argv, env, shell=shell, cwd=bedside)
            if name in ("night", "fresh"):
                time.sleep(0.05)
                leftovers += len(aplays_of(e.server.server))
            if name == "fresh":
                wait_for_renders(fresh_home)
            if ms is None:
                results[name].fail("nothing was heard within 5 s")
            else:
                results[name].add(ms)
    if leftovers:
        notes.append(f"nightvoice left {leftovers} aplay process(es) behind after SIGTERM")
    for name, runs_ in results.items():
        notes += runs_.reasons(f"first sound ({name})")
    anchor = results["pyttsx3"].median
    espeak, espeak_aplay = results["espeak"].median, results["espeak_aplay"].median
    anchors = (
        f"pyttsx3 {format_value(anchor, 'ms')}, espeak-ng {format_value(espeak, 'ms')}, "
        f"espeak-ng|aplay {format_value(espeak_aplay, 'ms')}"
    )

    def why(name: str) -> str:
        if name in unready:
            return unready[name]
        return "" if anchor else "the pyttsx3 one-liner was never heard"

    figures = [
        figure(
            "first_sound_night_ms",
            "first sound at night: `nightvoice` after `play bedtime-stretches` elsewhere",
            results["night"],
            "ms",
            anchors=anchors,
            why=unready.get("night", ""),
        ),
        figure(
            "first_sound_night_ratio_to_pyttsx3",
            "  ... as a ratio to the pyttsx3 one-liner",
            results["night"],
            "ratio",
            target="<= 1.2",
            limit=1.2,
            per=anchor,
            why=why("night"),
        ),
        figure(
            "first_sound_first_run_ms",
            "first sound, first-ever run (nothing cached)",
            results["fresh"],
            "ms",
            target="<= 150 ms",
            limit=150,
            anchors=anchors,
        ),
        figure(
            "first_sound_first_run_ratio_to_pyttsx3",
            "  ... as a ratio to the pyttsx3 one-liner",
            results["fresh"],
            "ratio",
            target="<= 1.5",
            limit=1.5,
            per=anchor,
            why=why("fresh"),
        ),
        figure(
            "natural_first_sound_night_ms",
            "natural voice (config: voice joe): first sound at night, as above",
            results["natural_night"],
            "ms",
            anchors=anchors,
            why=unready.get("natural_night", ""),
        ),
        figure(
            "natural_first_sound_night_ratio_to_pyttsx3",
            "  ... as a ratio to the pyttsx3 one-liner",
            results["natural_night"],
            "ratio",
            target="<= 1.2",
            limit=1.2,
            per=anchor,
            why=why("natural_night"),
        ),
        figure(
            "first_sound_pyttsx3_ms",
            "first sound, bare pyttsx3 one-liner",
            results["pyttsx3"],
            "ms",
        ),
        figure("first_sound_espeak_ng_ms", "first sound, `espeak-ng S`", results["espeak"], "ms"),
        figure(
            "first_sound_espeak_ng_aplay_ms",
            "first sound, `espeak-ng --stdout S | aplay`",
            results["espeak_aplay"],
            "ms",
        ),
    ]
    return figures, notes


# --- 2. holds, drift, RSS -------------------------------------------------------------------

HOLDS = (3.0, 5.0, 8.0)
HOLDS_ROUTINE = """\
nightvoice: 1
title: Holds
rate: 180
volume: 1.0
chime: false
steps:
  - say: Hold it for three.
    hold: 3
    cues: {release: Release.}
  - say: Now hold it for five.
    hold: 5
    cues: {halfway: true, release: Let go.}
  - say: And hold it for eight.
    hold: 8
    cues: {halfway: true, release: Relax.}
"""


def expected_sounds(plan: Any, synth: Any) -> list[tuple[str, Any]]:
    """The utterances in order, each as the player plays it (lead-in, ramp volume)."""
    from nightvoice.core.plan import Plan
    from nightvoice.core.planner import LEAD_IN_SECONDS, timeline
    from nightvoice.core.player import PlayerOptions
    from nightvoice.sound.synth import EspeakSynthesizer

    assert isinstance(plan, Plan)
    assert isinstance(synth, EspeakSynthesizer)
    options = PlayerOptions()
    out = []
    entries = [x for x in timeline(plan, lambda _t, _language: 1.0) if x.kind in ("say", "cue")]
    for n, entry in enumerate(entries):
        share = 1.0
        if n < options.ramp_sentences:
            share = options.ramp_start + (1 - options.ramp_start) * n / options.ramp_sentences
        pcm = synth.synthesize(entry.text, rate=plan.settings.rate, language="en", voice=None)
        pcm = pcm.with_lead_in(LEAD_IN_SECONDS).scaled(plan.settings.volume * share)
        out.append((entry.text, pcm))
    return out


def holds(e: Ear, runs: int, work: Path) -> tuple[list[Figure], list[str]]:
    from nightvoice.core.loader import parse_routine
    from nightvoice.core.plan import Settings
    from nightvoice.core.planner import compile_plan, timeline, total_seconds
    from nightvoice.sound.synth import EspeakSynthesizer

    notes: list[str] = []
    routine_file = work / "holds.yaml"
    routine_file.write_text(HOLDS_ROUTINE)
    routine = parse_routine(HOLDS_ROUTINE.encode(), str(routine_file))
    plan = compile_plan(routine, Settings(rate=180, volume=1.0))
    synth = EspeakSynthesizer()
    sounds = expected_sounds(plan, synth)
    lengths = {text: pcm.seconds for text, pcm in sounds}
    errors, drifts, rss = Runs(), Runs(), Runs()
    for run in range(runs):
        e.wait_quiet()
        mark = e.recorder.mark()
        proc = subprocess.Popen(
            [program(), "play", str(routine_file), "--hands-free", "--blank"],
            env=e.env(work / f"holds-{run}"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        peak = None
        while proc.poll() is None:
            peak = peak_rss_mb(proc.pid) or peak
            time.sleep(0.25)
        failed = ""
        if proc.returncode != 0:
            failed = f"exit {proc.returncode}"
        time.sleep(0.1)
        heard = e.recorder.samples(mark)
        stretches = loud_stretches(heard, gap=0.1, threshold=THRESHOLD)
        if not failed and len(stretches) != len(sounds):
            failed = f"heard {len(stretches)} sounds, not {len(sounds)}"
        if peak is None:
            rss.fail(failed or "no memory figure was read")
        elif failed:
            rss.fail(failed)
        else:
            rss.add(peak)
        if failed:
            errors.fail(failed)
            drifts.fail(failed)
            continue
        starts, ends = [], []
        for (begin, end), (_text, pcm) in zip(stretches, sounds, strict=True):
            own = loud_stretches(pcm.values(), gap=0.1, threshold=THRESHOLD)
            lead = own[0][0]
            tail = pcm.frames - own[-1][1]
            starts.append(begin - lead)  # where the sound (its lead-in) began
            ends.append(end + tail)  # where it (its trailing silence) ended
        # Each hold: from the end of its sentence to the start of its release line.
        say_index = 0
        for seconds in HOLDS:
            release_index = say_index + (2 if seconds >= 5 else 1)
            measured = (starts[release_index] - ends[say_index]) / e.recorder_rate
            errors.add(abs(measured - seconds) * 1000)
            say_index = release_index + 1
        planned = total_seconds(timeline(plan, lambda text, _language: lengths[text]))
        recorded = (ends[-1] - starts[0]) / e.recorder_rate
        drifts.add(abs(recorded - planned) * 1000)
    notes += errors.reasons("holds")
    figures = [
        figure(
            "hold_error_max_ms",
            "hold error, worst of 3/5/8 s holds",
            errors,
            "ms",
            target="<= 50 ms",
            limit=50,
            anchors=f"median error {format_value(errors.median, 'ms')}",
            worst=True,
        ),
        figure(
            "routine_drift_ms",
            "whole-routine drift vs the timeline",
            drifts,
            "ms",
            target="<= 100 ms",
            limit=100,
        ),
        figure(
            "peak_rss_mb",
            "peak memory while playing (VmHWM)",
            rss,
            "MB",
            target="<= 60 MB",
            limit=60,
            worst=True,
        ),
    ]
    return figures, notes


# --- 3. key to silence, 4. CPU while waiting ------------------------------------------------

LONG_SENTENCE = (
    "This is a long sentence that goes on and on, about the calf and the foot and the knee, "
    "and about sitting up slowly and pulling the toes back toward the knee, and holding it."
)
NEXT_SENTENCE = "Next step."
LONG_ROUTINE = f"""\
nightvoice: 1
title: Keys
chime: false
rate: 130
volume: 1.0
steps:
  - say: {LONG_SENTENCE}
  - say: {NEXT_SENTENCE}
  - rest: 30
"""


def spawn_pty(args: list[str], env: dict[str, str]) -> Any:
    import pexpect

    child = pexpect.spawn(args[0], args[1:], env=env, timeout=10, dimensions=(24, 80))
    # pexpect sleeps 50 ms before every send by default: that would be counted in each
    # key-press figure as if nightvoice had taken it.
    child.delaybeforesend = None
    return child


def as_played(texts: Sequence[str], *, rate: int, volume: float) -> list[array[int]]:
    """The routine's first sentences rendered as the player plays them: its lead-in, and the
    night profile's rising volume (espeak-ng's renders vary by a few ms from run to run: the
    cut is judged on their envelopes)."""
    from nightvoice.core.planner import LEAD_IN_SECONDS
    from nightvoice.core.player import PlayerOptions, night_volume
    from nightvoice.sound.speaker import volume_gain
    from nightvoice.sound.synth import EspeakSynthesizer

    synth = EspeakSynthesizer()
    played = []
    for said, text in enumerate(texts):
        gain = volume_gain(night_volume(volume, said, PlayerOptions()))
        pcm = synth.synthesize(text, rate=rate, language="en", voice=None)
        played.append(pcm.with_lead_in(LEAD_IN_SECONDS).scaled(gain).values())
    return played


def press_inside_a_word(e: Ear, heard_at: float, said: array[int], point: int) -> None:
    """Sleep until `said`'s sample `point` plays, the sentence's first sound being `heard_at`."""
    onset = first_loud(said, THRESHOLD) or 0
    delay = heard_at + (point - onset) / e.recorder_rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def key_to_silence(e: Ear, runs: int, work: Path) -> tuple[list[Figure], list[str]]:
    """Enter in the middle of a word of a long sentence: to the last sound of that sentence
    (proven a cut, not a pause: judge_cut) and to the next step's own first words."""
    notes: list[str] = []
    routine_file = work / "keys.yaml"
    routine_file.write_text(LONG_ROUTINE)
    said, following = as_played([LONG_SENTENCE, NEXT_SENTENCE], rate=130, volume=1.0)
    points = press_points(said)
    to_silence, to_next = Runs(), Runs()
    for run in range(runs if points else 0):
        e.wait_quiet()
        mark = e.recorder.mark()
        child = spawn_pty([program(), "play", str(routine_file)], e.env(work / f"keys-{run}"))
        try:
            heard_at = e.first_sound_after(mark, 8)
            if heard_at is None:
                to_silence.fail("no sound")
                to_next.fail("no sound")
                continue
            press_inside_a_word(e, heard_at, said, points[run % len(points)])
            key_mark = e.recorder.mark()
            pressed = time.monotonic()
            child.send("\r")
            time.sleep(1.5)  # the cut, the next step's short sentence, then its silent rest
            cut = judge_cut(e.recorder.samples(mark), said, key_mark - mark, following)
        finally:
            child.sendcontrol("c")
            child.close(force=True)
        if cut.failure:
            to_silence.fail(cut.failure)
            to_next.fail(cut.failure)
            continue
        assert cut.end is not None
        assert cut.next_onset is not None
        to_next.add((e.recorder.time_of(mark + cut.next_onset) - pressed) * 1000)
        if cut.untold:
            to_silence.cannot_tell(cut.untold)
        else:
            to_silence.add((e.recorder.time_of(mark + cut.end) - pressed) * 1000)
    why = "" if points else "the sentence has no long enough word to press in"
    notes += to_silence.reasons("keys (cut)") + to_next.reasons("keys (next step)")
    notes.append(
        "key figures: the recorder times a sample to about 10 ms (the null sink renders in "
        "blocks, ahead of the clock), so a cut at once can read a few ms below zero"
    )
    return [
        figure(
            "key_to_silence_ms",
            "key press to speech cut (its sound's end)",
            to_silence,
            "ms",
            target="<= 150 ms",
            limit=150,
            why=why,
        ),
        figure(
            "key_to_next_step_ms",
            "key press to the next step's own first words",
            to_next,
            "ms",
            target="<= 150 ms",
            limit=150,
            why=why,
        ),
    ], notes


def media_key_to_silence(e: Ear, runs: int, work: Path) -> tuple[list[Figure], list[str]]:
    """A PlayPause call on a private session bus, as a headset's button sends it, to silence.

    The call is made with jeepney from this process (no client program to start), timed from
    just before it is sent, in the middle of a word; the sentence's last sound after it, proven
    a cut (silence from then on, where the sentence would have gone on), is when it was cut.
    """
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    from tests.private_bus import NAME, PATH, private_bus

    notes: list[str] = []
    routine_file = work / "keys.yaml"
    routine_file.write_text(LONG_ROUTINE)
    (said,) = as_played([LONG_SENTENCE], rate=130, volume=1.0)
    points = press_points(said)
    to_silence, answered = Runs(), Runs()
    player = DBusAddress(PATH, bus_name=NAME, interface="org.mpris.MediaPlayer2.Player")
    with private_bus() as bus, open_dbus_connection(bus.address) as conn:
        for run in range(runs if points else 0):
            e.wait_quiet()
            mark = e.recorder.mark()
            env = e.env(work / f"media-{run}", DBUS_SESSION_BUS_ADDRESS=bus.address)
            child = spawn_pty([program(), "play", str(routine_file)], env)
            try:
                heard_at = e.first_sound_after(mark, 8)
                if heard_at is None:
                    to_silence.fail("no sound")
                    continue
                bus.wait_for_player()
                press_inside_a_word(e, heard_at, said, points[run % len(points)])
                key_mark = e.recorder.mark()
                called = time.monotonic()
                conn.send_and_get_reply(new_method_call(player, "PlayPause"), timeout=2)
                answered.add((time.monotonic() - called) * 1000)
                time.sleep(1.0)
                cut = judge_cut(e.recorder.samples(mark), said, key_mark - mark)
            finally:
                child.sendcontrol("c")
                child.close(force=True)
            if cut.failure:
                to_silence.fail(cut.failure)
            elif cut.untold:
                to_silence.cannot_tell(cut.untold)
            else:
                assert cut.end is not None
                to_silence.add((e.recorder.time_of(mark + cut.end) - called) * 1000)
    notes += to_silence.reasons("media keys")
    return [
        figure(
            "media_key_to_silence_ms",
            "media-key (MPRIS PlayPause) call to speech cut",
            to_silence,
            "ms",
            target="<= 150 ms",
            limit=150,
            anchors=f"call answered in {format_value(answered.median, 'ms')}",
            why="" if points else "the sentence has no long enough word to press in",
        ),
    ], notes


CPU_HOLD = """\
nightvoice: 1
title: CPU
chime: false
steps:
  - say: Hold.
    hold: 10
  - say: Done.
"""
CPU_WAIT = """\
nightvoice: 1
title: CPU
chime: false
steps:
  - say: Wait.
  - say: Done.
"""


def cpu(e: Ear, work: Path) -> tuple[list[Figure], list[str]]:
    notes: list[str] = []
    results = {"hold": Runs(), "wait": Runs()}
    for name, text, extra in (("hold", CPU_HOLD, ["--hands-free"]), ("wait", CPU_WAIT, ["--step"])):
        routine_file = work / f"cpu-{name}.yaml"
        routine_file.write_text(text)
        e.wait_quiet()
        mark = e.recorder.mark()
        child = spawn_pty(
            [program(), "play", str(routine_file), *extra], e.env(work / f"cpu-{name}")
        )
        try:
            if e.first_sound_after(mark, 8) is None:
                results[name].fail("no sound")
                continue
            time.sleep(1.5)  # "Hold." / "Wait." has ended: now it holds, or waits for a key
            pid = child.pid
            before, started = cpu_ticks(pid), time.monotonic()
            time.sleep(7.0)
            if not child.isalive():
                results[name].fail("it ended before the 7 s were over")
                continue
            after, seconds = cpu_ticks(pid), time.monotonic() - started
            results[name].add(cpu_percent(before, after, seconds))
        finally:
            child.sendcontrol("c")
            child.close(force=True)
    for name, runs_ in results.items():
        notes += runs_.reasons(f"cpu {name}")
    return [
        figure(
            "cpu_holding_percent",
            "CPU while holding (7 s of a 10 s hold)",
            results["hold"],
            "%",
            target="<= 1 %",
            limit=1.0,
        ),
        figure(
            "cpu_waiting_percent",
            "CPU while waiting for a key (--step)",
            results["wait"],
            "%",
            target="<= 1 %",
            limit=1.0,
        ),
    ], notes


# --- 5. export, 6. list ---------------------------------------------------------------------


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def export_speed(work: Path, runs: int) -> tuple[list[Figure], list[str]]:
    from nightvoice.sound.audio import read_wav

    first, cached = Runs(), Runs()
    audio = 0.0
    for run in range(max(2, runs // 2)):
        env = {**os.environ, "NIGHTVOICE_HOME": str(work / f"export-home-{run}")}
        out = work / f"calf-{run}.wav"
        argv = [program(), "export", "calf-cramp", "-o", str(out), "--force"]
        try:
            took = timed(argv, env)
            audio = read_wav(out).seconds
            first.add(audio / took)
            cached.add(audio / timed(argv, env))
        except (subprocess.CalledProcessError, OSError, ValueError) as error:
            first.fail(f"export failed: {error}")
            cached.fail(f"export failed: {error}")
    return [
        figure(
            "export_x_realtime",
            "export calf-cramp (no speech cache)",
            first,
            "x",
            target=">= 50x",
            limit=50,
            at_most=False,
            anchors=f"cached {format_value(cached.median, 'x')}; {audio:.0f} s of audio",
        ),
        figure("export_cached_x_realtime", "export calf-cramp (cached)", cached, "x"),
    ], first.reasons("export")


LIST_ROUTINE = """\
nightvoice: 1
title: Routine number {n}
steps:
  - say: Sit up slowly, number {n}.
  - say: Pull your toes toward you.
    hold: 20
    cues: {{halfway: true, release: Let go.}}
"""


def list_time(work: Path, runs: int) -> tuple[list[Figure], list[str]]:
    """`list` of 500 new routines in a fresh home (nothing cached: the first run, which
    estimates the sentences it has not measured and measures them in the background), how long
    until the background has made every length exact, then warm (all from the list cache)."""
    firsts, exact_after, warm = Runs(), Runs(), Runs()
    approximate = 0
    lines: list[bytes] = []
    env = dict(os.environ)
    for run in range(runs):
        home = work / f"list-home-{run}"
        scripts = home / "scripts"
        scripts.mkdir(parents=True)
        for n in range(500):
            (scripts / f"routine-{n:03}.yaml").write_text(LIST_ROUTINE.format(n=n))
        env = {**os.environ, "NIGHTVOICE_HOME": str(home)}
        started = time.perf_counter()
        listed = subprocess.run([program(), "list"], env=env, check=False, capture_output=True)
        took = (time.perf_counter() - started) * 1000
        lines = listed.stdout.splitlines()
        mine = [line for line in lines if line.startswith(b"routine-")]
        if listed.returncode != 0 or len(mine) != 500:
            why = f"exit {listed.returncode}, {len(mine)} of the 500 routines listed"
            firsts.fail(why)
            exact_after.fail(why)
            continue
        firsts.add(took)
        approximate = sum(line.split()[1].startswith(b"~") for line in mine)
        # Each first run starts as a real one does, with no earlier run's measurement going on.
        cache = home / "cache" / "list-cache-v2.json"
        while b'"pending"' in cache.read_bytes() and time.perf_counter() - started < 300:
            time.sleep(0.05)
        if b'"pending"' in cache.read_bytes():
            exact_after.fail("lengths still pending after 300 s")
        else:
            exact_after.add(time.perf_counter() - started)
    for _ in range(runs if firsts.values else 0):
        started = time.perf_counter()
        again = subprocess.run([program(), "list"], env=env, check=False, capture_output=True)
        took = (time.perf_counter() - started) * 1000
        mine = [line for line in again.stdout.splitlines() if line.startswith(b"routine-")]
        if again.returncode != 0 or len(mine) != 500 or any(b"~" in line for line in mine):
            warm.fail(f"exit {again.returncode}, {len(mine)} listed, or lengths still estimated")
        else:
            warm.add(took)
    return [
        figure(
            "list_500_ms",
            "`list` with 500 user routines (warm)",
            warm,
            "ms",
            target="<= 300 ms",
            limit=300,
            anchors=f"first run {format_value(firsts.median, 'ms')}",
            why="" if firsts.values else "no first `list` of the 500 routines worked",
        ),
        figure(
            "list_500_first_run_ms",
            "`list` with 500 user routines (first run)",
            firsts,
            "ms",
            target="<= 300 ms",
            limit=300,
            anchors=f"{approximate} of 500 lengths estimated (~)",
        ),
        figure(
            "list_500_exact_after_s",
            "`list` 500 new routines: all exact (background) after",
            exact_after,
            "s",
        ),
    ], firsts.reasons("list") + exact_after.reasons("list (exact)") + warm.reasons("list (warm)")


# --- 7. the natural voice (joe) ------------------------------------------------------------

NATURAL_ROUTINE = """\
nightvoice: 1
title: Natural
voice: joe
steps:
  - say: Sit up and stretch your legs out in front of you.
    pause: 1
  - say: Pull your toes toward your knee, and hold.
    hold: 4
    cues: {release: Let go.}
  - say: Now breathe slowly, and rest.
"""


def family_peak_rss_mb(pid: int) -> float | None:
    """Peak RSS of a process plus its direct children (the natural voice's synthesis child)."""
    total = peak_rss_mb(pid)
    if total is None:
        return None
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and "aplay" not in status.with_name("comm").read_text():
            total += peak_rss_mb(int(status.parent.name)) or 0.0
    return total


# key, label, unit, target, limit, at most (else at least)
NATURAL_FIGURES = {
    "synthesis": (
        "natural_synthesis_x_realtime",
        "natural voice: synthesis speed (calf-cramp, night rate)",
        "x",
        ">= 5x",
        5.0,
        False,
    ),
    "first": (
        "natural_first_sound_first_run_ms",
        "natural voice: first sound, first-ever run",
        "ms",
        "<= 1000 ms",
        1000.0,
        True,
    ),
    "rss": (
        "natural_peak_rss_mb",
        "natural voice: peak RSS while playing (with its child; calf-cramp's longest)",
        "MB",
        "<= 250 MB",
        250.0,
        True,
    ),
    "export": (
        "natural_export_x_realtime",
        "natural voice: export calf-cramp (no speech cache)",
        "x",
        ">= 5x",
        5.0,
        False,
    ),
}


def natural_figure(name: str, runs: Runs, anchors: str = "") -> Figure:
    key, label, unit, target, limit, at_most = NATURAL_FIGURES[name]
    return figure(
        key, label, runs, unit, target=target, limit=limit, at_most=at_most, anchors=anchors
    )


def natural_voice(e: Ear, runs: int, work: Path) -> tuple[list[Figure], list[str]]:
    from nightvoice.sound.audio import read_wav
    from nightvoice.sound.naturalvoices import NATURAL_VOICES
    from nightvoice.sound.piper_client import PiperSynthesizer

    problem = natural_missing()
    if problem is not None:  # not a pass: each of its figures is NOT MEASURED, and says why
        return [
            not_measured(key, label, unit, target=target, limit=limit, why=problem)
            for key, label, unit, target, limit, _ in NATURAL_FIGURES.values()
        ], []
    notes: list[str] = []
    routine_file = work / "natural.yaml"
    routine_file.write_text(NATURAL_ROUTINE)

    # Synthesis speed, the model already loaded: calf-cramp's sentences at the night rate.
    from nightvoice.sound.export import sentences
    from nightvoice.user.catalog import load_routine, resolve

    plan_texts = sentences(_plan_of(load_routine(resolve("calf-cramp").path)))
    engine = PiperSynthesizer(NATURAL_VOICES[0])
    synthesis, audio = Runs(), 0.0
    try:
        engine.synthesize("Yes.", rate=130, language="en", voice="joe")  # load the model
        started = time.perf_counter()
        for text, _language in plan_texts:
            audio += engine.synthesize(text, rate=130, language="en", voice="joe").seconds
        synthesis.add(audio / (time.perf_counter() - started))
    except Exception as error:  # the voice's own failure is this figure's
        synthesis.fail(f"synthesis failed: {error}")
    finally:
        engine.close()

    # First-ever first sound (nothing cached, the model loaded from cold), and peak RSS while
    # playing (nightvoice plus its synthesis child).
    firsts, rss = Runs(), Runs()
    for run in range(runs):
        env = e.env(work / f"natural-fresh-{run}")
        argv = [program(), "play", str(routine_file), "--hands-free", "--blank"]
        ms = time_to_first_sound(e, argv, env, timeout=30)
        if ms is None:
            firsts.fail("nothing was heard within 30 s")
        else:
            firsts.add(ms)
        wait_for_first_words(work / f"natural-fresh-{run}", timeout=20)
    # Peak memory over the built-in calf-cramp's six longest sentences (the model's working
    # memory grows with what it says at once), sampled until the routine has ended.
    longest = sorted((text for text, _language in plan_texts), key=len)[-6:]
    rss_routine = work / "natural-rss.yaml"
    rss_routine.write_text(
        "nightvoice: 1\ntitle: Longest\nvoice: joe\nsteps:\n"
        + "".join(f"  - say: {json.dumps(text)}\n    pause: 0.5\n" for text in longest)
    )
    e.wait_quiet()
    mark = e.recorder.mark()
    proc = subprocess.Popen(
        [program(), "play", str(rss_routine), "--hands-free", "--blank"],
        env=e.env(work / "natural-rss"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        if e.first_sound_after(mark, 30) is None:
            rss.fail("nothing was heard within 30 s")
        else:
            deadline = time.monotonic() + 60
            highest = 0.0
            while proc.poll() is None and time.monotonic() < deadline:
                highest = max(highest, family_peak_rss_mb(proc.pid) or 0.0)
                time.sleep(0.25)
            if proc.poll() is None:
                rss.fail("the routine had not ended after 60 s")
            elif proc.returncode != 0:
                rss.fail(f"exit {proc.returncode}")
            elif highest:
                rss.add(highest)
            else:
                rss.fail("no memory figure was read")
    finally:
        kill_group(proc, signal.SIGTERM)

    # Export speed, no speech cache.
    exports = Runs()
    for run in range(max(1, runs // 2)):
        env = {**os.environ, "NIGHTVOICE_HOME": str(work / f"natural-export-{run}")}
        out = work / f"natural-calf-{run}.wav"
        argv = [program(), "export", "calf-cramp", "--voice", "joe", "-o", str(out), "--force"]
        try:
            took = timed(argv, env)
            exports.add(read_wav(out).seconds / took)
        except (subprocess.CalledProcessError, OSError, ValueError) as error:
            exports.fail(f"export failed: {error}")

    for home in work.glob("natural-*"):
        wait_for_first_words(home, timeout=10)  # the next step must not share the CPU with it
    measured = {"synthesis": synthesis, "first": firsts, "rss": rss, "export": exports}
    for name, each in measured.items():
        notes += each.reasons(f"natural voice ({name})")
    return [
        natural_figure("synthesis", synthesis, f"{audio:.0f} s of speech"),
        natural_figure("first", firsts),
        natural_figure("rss", rss),
        natural_figure("export", exports),
    ], notes


def _plan_of(routine: Any) -> Any:
    from nightvoice.core.planner import compile_plan
    from nightvoice.user.config import resolve_settings

    return compile_plan(routine, resolve_settings(routine.voice, {}, {}).settings)


# --- 8. standby: a press to first sound, and what waiting costs --------------------------------

STANDBY_IDLE_SECONDS = 60.0  # "0.0 % CPU over a minute of waiting"
STANDBY_CYCLES = 200


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def children_of(pid: int) -> list[int]:
    """Every child process of `pid` (of any of its threads)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


class StandbyPlayer:
    """`nightvoice standby` on a private bus, pressed with bus calls made from this process
    (no client program to start: the press is timed from just before the call is sent)."""

    def __init__(self, e: Ear, home: Path) -> None:
        from jeepney import DBusAddress
        from jeepney.io.blocking import open_dbus_connection

        from tests.private_bus import NAME, PATH, private_bus

        self._bus_context = private_bus()
        self.bus = self._bus_context.__enter__()
        self.conn = open_dbus_connection(self.bus.address)
        self.player = DBusAddress(PATH, bus_name=NAME, interface="org.mpris.MediaPlayer2.Player")
        self.properties = DBusAddress(
            PATH, bus_name=NAME, interface="org.freedesktop.DBus.Properties"
        )
        env = e.env(home, DBUS_SESSION_BUS_ADDRESS=self.bus.address)
        self.process = subprocess.Popen(
            [program(), "standby"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.bus.wait_for_player(timeout=30)
        self.wait_ready()

    def call(self, method: str) -> None:
        from jeepney import new_method_call

        self.conn.send_and_get_reply(new_method_call(self.player, method), timeout=5)

    def title(self) -> str:
        from jeepney import new_method_call

        get = new_method_call(self.properties, "Get", "ss", (self.player.interface, "Metadata"))
        reply = self.conn.send_and_get_reply(get, timeout=5)
        return str(reply.body[0][1].get("xesam:title", ("s", ""))[1])

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """Until it shows "Ready: ..." again (asked every 5 ms: only between measurements)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.title().startswith("Ready:"):
                return True
            time.sleep(0.005)
        return False

    def wait_playing(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.title().startswith("Ready:"):
                return True
            time.sleep(0.005)
        return False

    def close(self) -> None:
        kill_group(self.process, signal.SIGTERM)
        self.conn.close()
        self._bus_context.__exit__(None, None, None)


def standby(e: Ear, runs: int, work: Path) -> tuple[list[Figure], list[str]]:
    """Press (an MPRIS Play call) to first sound, beside plain `nightvoice` at night, the
    pyttsx3 one-liner and `espeak-ng | aplay` measured in the same step; then CPU over a minute
    of waiting, resident memory, and what STANDBY_CYCLES presses and stops leave behind."""
    notes: list[str] = []
    nv, py = program(), sys.executable
    one_liner = f"import pyttsx3; e=pyttsx3.init(); e.say({SENTENCE!r}); e.runAndWait()"
    night_home, bedside = work / "standby-night-home", work / "standby-bedside"
    bedside.mkdir()
    time_to_first_sound(e, [nv, "play", "bedtime-stretches"], e.env(night_home), cwd=bedside)
    if not wait_for_first_words(night_home):
        notes.append("standby: no first words were rendered for plain nightvoice's anchor")
    anchors = {name: Runs() for name in ("night", "pyttsx3", "espeak_aplay")}
    cases: list[tuple[str, list[str], dict[str, str], bool]] = [
        ("night", [nv], e.env(night_home), False),
        ("pyttsx3", [py, "-c", one_liner], e.env(work), False),
        ("espeak_aplay", [f"espeak-ng --stdout {SENTENCE!r} | aplay -q"], e.env(work), True),
    ]
    for _ in range(runs):
        for name, argv, env, shell in cases:
            ms = time_to_first_sound(e, argv, env, shell=shell, cwd=bedside)
            if ms is None:
                anchors[name].fail("nothing was heard within 5 s")
            else:
                anchors[name].add(ms)
    wait_for_renders(night_home)

    pressed, idle_cpu, idle_rss, grown = Runs(), Runs(), Runs(), Runs()
    fds_left, children_left = Runs(), Runs()
    player = StandbyPlayer(e, work / "standby-home")
    try:
        pid = player.process.pid
        for _ in range(runs):
            e.wait_quiet()
            mark = e.recorder.mark()
            started = time.monotonic()
            player.call("Play")
            heard = e.first_sound_after(mark)
            if heard is None:
                pressed.fail("nothing was heard within 5 s of the press")
            else:
                pressed.add((heard - started) * 1000)
            player.call("Stop")
            if not player.wait_ready():
                pressed.fail("not ready again within 10 s of Stop")
        e.wait_quiet()
        # A minute of waiting: the CPU it used, and what it holds.
        before, begun = cpu_ticks(pid), time.monotonic()
        time.sleep(STANDBY_IDLE_SECONDS)
        idle_cpu.add(cpu_percent(before, cpu_ticks(pid), time.monotonic() - begun))
        waiting = rss_mb(pid)
        if waiting is not None:
            idle_rss.add(waiting)
        fds, children = open_fds(pid), children_of(pid)
        if children:
            notes.append(f"standby had {len(children)} child process(es) while waiting")
        # Presses and stops, each waited for: what is left after them.
        cycled = 0
        for cycle in range(STANDBY_CYCLES):
            player.call("Play")
            if not player.wait_playing():
                grown.fail(f"cycle {cycle}: it did not start")
                break
            player.call("Stop")
            if not player.wait_ready():
                grown.fail(f"cycle {cycle}: not ready again")
                break
            cycled += 1
        e.wait_quiet()
        after = rss_mb(pid)
        if after is not None and waiting is not None and cycled == STANDBY_CYCLES:
            grown.add(after - waiting)
            fds_left.add(float(open_fds(pid) - fds))
            children_left.add(float(len(children_of(pid)) - len(children)))
    finally:
        player.close()
    said = ", ".join(
        f"{label} {format_value(anchors[name].median, 'ms')}"
        for name, label in (
            ("night", "plain nightvoice"),
            ("pyttsx3", "pyttsx3"),
            ("espeak_aplay", "espeak-ng|aplay"),
        )
    )
    cycles = f"after {STANDBY_CYCLES} presses and stops"
    return [
        figure(
            "standby_press_to_first_sound_ms",
            "standby: a press (MPRIS Play call) to first sound",
            pressed,
            "ms",
            target="<= 30 ms",
            limit=30,
            anchors=said,
        ),
        figure(
            "standby_idle_cpu_percent",
            f"standby: CPU while waiting ({STANDBY_IDLE_SECONDS:.0f} s)",
            idle_cpu,
            "%",
            target="0.0 %",
            limit=0.049,  # shown as 0.0 %: less than one tick in this minute
        ),
        figure(
            "standby_idle_rss_mb",
            "standby: resident memory while waiting (espeak-ng)",
            idle_rss,
            "MB",
            target="<= 35 MB",
            limit=35,
        ),
        figure(
            "standby_cycles_rss_growth_mb",
            f"standby: memory grown {cycles}",
            grown,
            "MB",
            target="<= 2 MB",
            limit=2,
        ),
        figure(
            "standby_cycles_fds_left",
            f"standby: file descriptors left {cycles}",
            fds_left,
            "",
            target="0",
            limit=0,
        ),
        figure(
            "standby_cycles_children_left",
            f"standby: child processes left {cycles}",
            children_left,
            "",
            target="0",
            limit=0,
        ),
    ], notes


# --- main -----------------------------------------------------------------------------------


STEPS = (
    "first sound",
    "holds",
    "keys",
    "media keys",
    "cpu",
    "export",
    "list",
    "natural voice",
    "standby",
)


def step_failed(name: str, error: BaseException) -> Figure:
    """A step that broke off measured none of its figures: that is not a pass either."""
    key = name.replace(" ", "_") + "_step"
    return Figure(key, f"{name}: every figure", None, "", "measured", 0.0, why=f"{error!r}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0], epilog=EXIT_STATUS)
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median; 5)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=STEPS,
        metavar="STEP",
        help=f"measure only this step (repeatable): {', '.join(STEPS)}",
    )
    args = parser.parse_args(argv)
    runs = max(1, args.runs)
    figures: list[Figure] = []
    notes: list[str] = []
    compile_package()
    with (
        tempfile.TemporaryDirectory(
            prefix="nv-bench-",
            ignore_cleanup_errors=True,  # a late background render's files
        ) as folder,
        ear() as e,
    ):
        work = Path(folder)
        steps: dict[str, Callable[[], tuple[list[Figure], list[str]]]] = {
            "first sound": lambda: first_sound(e, runs, work),
            "holds": lambda: holds(e, max(1, min(runs, 2)), work),
            "keys": lambda: key_to_silence(e, runs, work),
            "media keys": lambda: media_key_to_silence(e, runs, work),
            "cpu": lambda: cpu(e, work),
            "export": lambda: export_speed(work, runs),
            "list": lambda: list_time(work, runs),
            "natural voice": lambda: natural_voice(e, runs, work),
            "standby": lambda: standby(e, runs, work),
        }
        for name, step in steps.items():
            if args.only and name not in args.only:
                continue
            print(f"measuring {name}...", file=sys.stderr, flush=True)
            started = time.monotonic()
            try:
                found, said = step()
            except Exception as error:  # one broken step: the others are still measured
                found, said = [step_failed(name, error)], [f"{name}: broke off: {error!r}"]
            figures += found
            notes += said
            print(f"  {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    print(format_table(figures))
    # Other programs on these 2 cores slow every figure: say how busy the machine was.
    loads = ", ".join(f"{load:.1f}" for load in os.getloadavg())
    notes.append(f"load average (1, 5, 15 min) at the end: {loads}")
    for note in notes:
        print(f"note: {note}")
    if args.json:
        args.json.write_text(json.dumps(as_json(figures), indent=2) + "\n")
        print(f"wrote {args.json}")
    code = exit_code(figures)
    counts = {v: sum(f.verdict == v for f in figures) for v in (PASS, FAIL, NOT_MEASURED)}
    print(
        f"{counts[PASS]} passed, {counts[FAIL]} failed, {counts[NOT_MEASURED]} not measured "
        f"(exit {code}; {EXIT_STATUS})"
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
