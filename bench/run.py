"""nightvoice's performance figures, measured on real audio: `python bench/run.py`.

Starts its own private PulseAudio with a null sink and a timestamping recorder (the same code
the tests use, tests/sink.py), runs the installed `nightvoice` as a user would, and prints each
figure (the median of several runs) beside its anchors and the PRODUCT.md target. `--json FILE`
writes the figures with one key each. Never part of pytest: timings belong here, not in tests.
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The default routine's first sentence when no keys can be read (no question is asked first).
SENTENCE = "You are all right. This will pass."
THRESHOLD = 300  # |sample| above this is sound (nightvoice's own lead-in rule uses the same)
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# --- pure helpers (tested in tests/test_bench.py) -------------------------------------------


def median(values: Sequence[float]) -> float | None:
    """The median, or None when nothing was measured."""
    return statistics.median(values) if values else None


@dataclass(frozen=True)
class Figure:
    key: str  # the JSON key
    label: str
    value: float | None
    unit: str
    target: str = ""  # as PRODUCT.md puts it
    ok: bool | None = None  # None: no target (an anchor or a detail)
    anchors: str = ""  # what the same run measured for comparison


def judged(value: float | None, limit: float, *, at_most: bool = True) -> bool | None:
    if value is None:
        return None
    return value <= limit if at_most else value >= limit


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit in ("x", "ratio"):
        return f"{value:.2f}{'x' if unit == 'x' else ''}"
    if abs(value) >= 100:
        return f"{value:.0f} {unit}".strip()
    return f"{value:.1f} {unit}".strip()


def format_table(figures: Sequence[Figure]) -> str:
    """Figures as an aligned text table: what, median, anchors, target, pass/fail."""
    header = ("figure", "median", "anchors (same run)", "target", "")
    rows = [header]
    for f in figures:
        verdict = {True: "PASS", False: "FAIL", None: ""}[f.ok]
        rows.append((f.label, format_value(f.value, f.unit), f.anchors, f.target, verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def as_json(figures: Sequence[Figure]) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in figures:
        out[f.key] = None if f.value is None else round(f.value, 3)
        if f.ok is not None:
            out[f"{f.key}_ok"] = f.ok
    return out


def cpu_percent(ticks_before: int, ticks_after: int, seconds: float) -> float:
    """CPU use of one core in percent, from /proc utime+stime ticks over `seconds`."""
    return 100.0 * (ticks_after - ticks_before) / CLK_TCK / seconds


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


def natural_installed() -> bool:
    from nightvoice.sound.naturalvoices import NATURAL_VOICES, missing

    return missing(NATURAL_VOICES[0]) is None


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
    time_to_first_sound(e, [nv, "play", "bedtime-stretches"], e.env(night_home), cwd=evening)
    if not wait_for_first_words(night_home):
        notes.append("no first words were rendered after `play bedtime-stretches`")
    # The same evening and night with the natural voice chosen in the config (if installed).
    natural_home = work / "natural-night-home"
    natural = natural_installed()
    if natural:
        natural_home.mkdir()
        (natural_home / "config.yaml").write_text("voice: joe\n")
        argv = [nv, "play", "bedtime-stretches"]
        time_to_first_sound(e, argv, e.env(natural_home), cwd=evening, timeout=30)
        if not wait_for_first_words(natural_home, timeout=180):
            notes.append("no natural-voice first words were rendered after the evening")
    results: dict[str, list[float]] = {k: [] for k in ("night", "fresh", "pyttsx3", "espeak")}
    results["espeak_aplay"] = []
    results["natural_night"] = []
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
        ]
        if natural:
            cases.append(("natural_night", [nv], e.env(natural_home), False))
        for name, argv, env, shell in cases:
            ms = time_to_first_sound(e, argv, env, shell=shell, cwd=bedside)
            if name in ("night", "fresh"):
                time.sleep(0.05)
                leftovers += len(aplays_of(e.server.server))
            if name == "fresh":
                wait_for_renders(fresh_home)
            if ms is not None:
                results[name].append(ms)
    if leftovers:
        notes.append(f"nightvoice left {leftovers} aplay process(es) behind after SIGTERM")
    night, fresh = median(results["night"]), median(results["fresh"])
    anchor = median(results["pyttsx3"])
    espeak, espeak_aplay = median(results["espeak"]), median(results["espeak_aplay"])
    anchors = (
        f"pyttsx3 {format_value(anchor, 'ms')}, espeak-ng {format_value(espeak, 'ms')}, "
        f"espeak-ng|aplay {format_value(espeak_aplay, 'ms')}"
    )
    ratio = None if night is None or not anchor else night / anchor
    fresh_ratio = None if fresh is None or not anchor else fresh / anchor
    natural_night = median(results["natural_night"])
    natural_ratio = None if natural_night is None or not anchor else natural_night / anchor
    figures = [
        Figure(
            "first_sound_night_ms",
            "first sound at night: `nightvoice` after `play bedtime-stretches` elsewhere",
            night,
            "ms",
            "",
            None,
            anchors,
        ),
        Figure(
            "first_sound_night_ratio_to_pyttsx3",
            "  ... as a ratio to the pyttsx3 one-liner",
            ratio,
            "ratio",
            "<= 1.2",
            judged(ratio, 1.2),
        ),
        Figure(
            "first_sound_first_run_ms",
            "first sound, first-ever run (nothing cached)",
            fresh,
            "ms",
            "<= 150 ms",
            judged(fresh, 150),
            anchors,
        ),
        Figure(
            "first_sound_first_run_ratio_to_pyttsx3",
            "  ... as a ratio to the pyttsx3 one-liner",
            fresh_ratio,
            "ratio",
            "<= 1.5",
            judged(fresh_ratio, 1.5),
        ),
        Figure(
            "natural_first_sound_night_ms",
            "natural voice (config: voice joe): first sound at night, as above",
            natural_night,
            "ms",
            "",
            None,
            anchors if natural else "natural voice not installed",
        ),
        Figure(
            "natural_first_sound_night_ratio_to_pyttsx3",
            "  ... as a ratio to the pyttsx3 one-liner",
            natural_ratio,
            "ratio",
            "<= 1.2",
            judged(natural_ratio, 1.2),
        ),
        Figure("first_sound_pyttsx3_ms", "first sound, bare pyttsx3 one-liner", anchor, "ms"),
        Figure("first_sound_espeak_ng_ms", "first sound, `espeak-ng S`", espeak, "ms"),
        Figure(
            "first_sound_espeak_ng_aplay_ms",
            "first sound, `espeak-ng --stdout S | aplay`",
            espeak_aplay,
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
    from tests.sink import loud_stretches

    notes: list[str] = []
    routine_file = work / "holds.yaml"
    routine_file.write_text(HOLDS_ROUTINE)
    routine = parse_routine(HOLDS_ROUTINE.encode(), str(routine_file))
    plan = compile_plan(routine, Settings(rate=180, volume=1.0))
    synth = EspeakSynthesizer()
    sounds = expected_sounds(plan, synth)
    lengths = {text: pcm.seconds for text, pcm in sounds}
    errors: list[float] = []
    drifts: list[float] = []
    rss: list[float] = []
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
        if proc.returncode != 0:
            notes.append(f"holds run {run}: exit {proc.returncode}")
            continue
        time.sleep(0.1)
        if peak is not None:
            rss.append(peak)
        heard = e.recorder.samples(mark)
        stretches = loud_stretches(heard, gap=0.1, threshold=THRESHOLD)
        if len(stretches) != len(sounds):
            notes.append(f"holds run {run}: heard {len(stretches)} sounds, not {len(sounds)}")
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
            errors.append(abs(measured - seconds) * 1000)
            say_index = release_index + 1
        planned = total_seconds(timeline(plan, lambda text, _language: lengths[text]))
        recorded = (ends[-1] - starts[0]) / e.recorder_rate
        drifts.append((recorded - planned) * 1000)
    max_error = max(errors) if errors else None
    drift = median([abs(d) for d in drifts])
    figures = [
        Figure(
            "hold_error_max_ms",
            "hold error, worst of 3/5/8 s holds",
            max_error,
            "ms",
            "<= 50 ms",
            judged(max_error, 50),
            f"median error {format_value(median(errors), 'ms')}",
        ),
        Figure(
            "routine_drift_ms",
            "whole-routine drift vs the timeline",
            drift,
            "ms",
            "<= 100 ms",
            judged(drift, 100),
        ),
        Figure(
            "peak_rss_mb",
            "peak memory while playing (VmHWM)",
            max(rss) if rss else None,
            "MB",
            "<= 60 MB",
            judged(max(rss) if rss else None, 60),
        ),
    ]
    return figures, notes


# --- 3. key to silence, 4. CPU while waiting ------------------------------------------------

LONG_ROUTINE = """\
nightvoice: 1
title: Keys
chime: false
rate: 130
volume: 1.0
steps:
  - say: >-
      This is a long sentence that goes on and on, about the calf and the foot and the knee,
      and about sitting up slowly and pulling the toes back toward the knee, and holding it.
  - say: Next step.
  - rest: 30
"""


def spawn_pty(args: list[str], env: dict[str, str]) -> Any:
    import pexpect

    child = pexpect.spawn(args[0], args[1:], env=env, timeout=10, dimensions=(24, 80))
    # pexpect sleeps 50 ms before every send by default: that would be counted in each
    # key-press figure as if nightvoice had taken it.
    child.delaybeforesend = None
    return child


def key_to_silence(e: Ear, runs: int, work: Path) -> tuple[list[Figure], list[str]]:
    from tests.sink import first_loud, last_loud

    notes: list[str] = []
    routine_file = work / "keys.yaml"
    routine_file.write_text(LONG_ROUTINE)
    rate = e.recorder_rate
    to_silence: list[float] = []
    to_next: list[float] = []
    for run in range(runs):
        e.wait_quiet()
        mark = e.recorder.mark()
        child = spawn_pty([program(), "play", str(routine_file)], e.env(work / f"keys-{run}"))
        try:
            if e.first_sound_after(mark, 8) is None:
                notes.append(f"keys run {run}: no sound")
                continue
            time.sleep(1.0 + 0.13 * run)  # somewhere in the middle of the sentence
            key_mark = e.recorder.mark()
            pressed = time.monotonic()
            child.send("\r")
            time.sleep(1.0)
            heard = e.recorder.samples(key_mark)
            # The cut: the first silence of >= 20 ms after the key (the next sentence has a
            # 25 ms lead-in, and starts in a new aplay), then the next sentence's onset.
            gap = round(0.02 * rate)
            quiet = 0
            cut = None
            for i, v in enumerate(heard):
                if abs(v) > THRESHOLD:
                    if cut is not None and quiet >= gap:
                        break
                    quiet = 0
                    cut = None
                else:
                    if cut is None:
                        cut = i
                    quiet += 1
            else:
                i = len(heard)
            if cut is None or i >= len(heard):
                notes.append(f"keys run {run}: no cut and next sentence found")
                continue
            last = last_loud(heard[:cut], THRESHOLD)
            end = key_mark + (last if last is not None else 0)
            onset = first_loud(heard[i:], THRESHOLD)
            to_silence.append((e.recorder.time_of(end) - pressed) * 1000)
            if onset is not None:
                to_next.append((e.recorder.time_of(key_mark + i + onset) - pressed) * 1000)
        finally:
            child.sendcontrol("c")
            child.close(force=True)
    silence, start = median(to_silence), median(to_next)
    return [
        Figure(
            "key_to_silence_ms",
            "key press to speech cut",
            silence,
            "ms",
            "<= 150 ms",
            judged(silence, 150),
        ),
        Figure(
            "key_to_next_step_ms",
            "key press to the next step's first sound",
            start,
            "ms",
            "<= 150 ms",
            judged(start, 150),
        ),
    ], notes


def speaking_now(e: Ear, timeout: float = 2.0) -> bool:
    """Wait until the last 10 ms recorded are loud: a call between two words cuts nothing."""
    window = round(0.01 * e.recorder_rate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        recent = e.recorder.samples(max(0, e.recorder.mark() - window))
        if len(recent) >= window and max(abs(v) for v in recent) > THRESHOLD:
            return True
        time.sleep(0.001)
    return False


def media_key_to_silence(e: Ear, runs: int, work: Path) -> tuple[list[Figure], list[str]]:
    """A PlayPause call on a private session bus, as a headset's button sends it, to silence.

    The call is made with jeepney from this process (no client program to start), timed from
    just before it is sent; the last loud sample after it is when the speech was cut.
    """
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    from tests.private_bus import NAME, PATH, private_bus
    from tests.sink import last_loud

    notes: list[str] = []
    routine_file = work / "keys.yaml"
    routine_file.write_text(LONG_ROUTINE)
    to_silence: list[float] = []
    answered: list[float] = []
    player = DBusAddress(PATH, bus_name=NAME, interface="org.mpris.MediaPlayer2.Player")
    with private_bus() as bus, open_dbus_connection(bus.address) as conn:
        for run in range(runs):
            e.wait_quiet()
            mark = e.recorder.mark()
            env = e.env(work / f"media-{run}", DBUS_SESSION_BUS_ADDRESS=bus.address)
            child = spawn_pty([program(), "play", str(routine_file)], env)
            try:
                if e.first_sound_after(mark, 8) is None:
                    notes.append(f"media keys run {run}: no sound")
                    continue
                bus.wait_for_player()
                time.sleep(1.0 + 0.13 * run)  # somewhere in the middle of the sentence
                if not speaking_now(e):
                    notes.append(f"media keys run {run}: no speech to cut")
                    continue
                key_mark = e.recorder.mark()
                called = time.monotonic()
                conn.send_and_get_reply(new_method_call(player, "PlayPause"), timeout=2)
                answered.append((time.monotonic() - called) * 1000)
                time.sleep(1.0)
                last = last_loud(e.recorder.samples(key_mark), THRESHOLD)
                if last is None:
                    # Cut before the recorder's next chunk (~10 ms): left out, which only
                    # makes the median slower.
                    notes.append(f"media keys run {run}: silent from the first chunk after it")
                    continue
                to_silence.append((e.recorder.time_of(key_mark + last) - called) * 1000)
            finally:
                child.sendcontrol("c")
                child.close(force=True)
    silence, reply = median(to_silence), median(answered)
    return [
        Figure(
            "media_key_to_silence_ms",
            "media-key (MPRIS PlayPause) call to speech cut",
            silence,
            "ms",
            "<= 150 ms",
            judged(silence, 150),
            f"call answered in {format_value(reply, 'ms')}",
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
    results: dict[str, float | None] = {"hold": None, "wait": None}
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
                notes.append(f"cpu {name}: no sound")
                continue
            time.sleep(1.5)  # "Hold." / "Wait." has ended: now it holds, or waits for a key
            pid = child.pid
            before, started = cpu_ticks(pid), time.monotonic()
            time.sleep(7.0)
            after, seconds = cpu_ticks(pid), time.monotonic() - started
            results[name] = cpu_percent(before, after, seconds)
        finally:
            child.sendcontrol("c")
            child.close(force=True)
    return [
        Figure(
            "cpu_holding_percent",
            "CPU while holding (7 s of a 10 s hold)",
            results["hold"],
            "%",
            "<= 1 %",
            judged(results["hold"], 1.0),
        ),
        Figure(
            "cpu_waiting_percent",
            "CPU while waiting for a key (--step)",
            results["wait"],
            "%",
            "<= 1 %",
            judged(results["wait"], 1.0),
        ),
    ], notes


# --- 5. export, 6. list ---------------------------------------------------------------------


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def export_speed(work: Path, runs: int) -> tuple[list[Figure], list[str]]:
    from nightvoice.sound.audio import read_wav

    env = {**os.environ, "NIGHTVOICE_HOME": str(work / "export-home")}
    first: list[float] = []
    cached: list[float] = []
    audio = 0.0
    for run in range(max(2, runs // 2)):
        env["NIGHTVOICE_HOME"] = str(work / f"export-home-{run}")
        out = work / f"calf-{run}.wav"
        took = timed([program(), "export", "calf-cramp", "-o", str(out), "--force"], env)
        audio = read_wav(out).seconds
        first.append(audio / took)
        cached.append(
            audio / timed([program(), "export", "calf-cramp", "-o", str(out), "--force"], env)
        )
    speed = median(first)
    return [
        Figure(
            "export_x_realtime",
            "export calf-cramp (no speech cache)",
            speed,
            "x",
            ">= 50x",
            judged(speed, 50, at_most=False),
            f"cached {format_value(median(cached), 'x')}; {audio:.0f} s of audio",
        ),
        Figure("export_cached_x_realtime", "export calf-cramp (cached)", median(cached), "x"),
    ], []


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
    firsts: list[float] = []
    exact_after: list[float] = []
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
        listed = subprocess.run([program(), "list"], env=env, check=True, capture_output=True)
        firsts.append((time.perf_counter() - started) * 1000)
        lines = listed.stdout.splitlines()
        approximate = sum(line.split()[1].startswith(b"~") for line in lines)
        # Each first run starts as a real one does, with no earlier run's measurement going on.
        cache = home / "cache" / "list-cache-v2.json"
        while b'"pending"' in cache.read_bytes() and time.perf_counter() - started < 300:
            time.sleep(0.05)
        exact_after.append(time.perf_counter() - started)
    warm = [timed([program(), "list"], env) * 1000 for _ in range(runs)]
    value, first = median(warm), median(firsts)
    return [
        Figure(
            "list_500_ms",
            "`list` with 500 user routines (warm)",
            value,
            "ms",
            "<= 300 ms",
            judged(value, 300),
            f"first run {first:.0f} ms",
        ),
        Figure(
            "list_500_first_run_ms",
            "`list` with 500 user routines (first run)",
            first,
            "ms",
            "<= 300 ms",
            judged(first, 300),
            f"{approximate} of {len(lines)} lengths estimated (~)",
        ),
        Figure(
            "list_500_exact_after_s",
            "`list` 500 new routines: all exact (background) after",
            median(exact_after),
            "s",
        ),
    ], []


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


def natural_voice(e: Ear, runs: int, work: Path) -> tuple[list[Figure], list[str]]:
    from nightvoice.sound.audio import read_wav
    from nightvoice.sound.naturalvoices import NATURAL_VOICES, missing
    from nightvoice.sound.piper_client import PiperSynthesizer

    problem = missing(NATURAL_VOICES[0])
    if problem is not None:
        return [], [f"natural voice not measured: {problem}"]
    notes: list[str] = []
    routine_file = work / "natural.yaml"
    routine_file.write_text(NATURAL_ROUTINE)

    # Synthesis speed, the model already loaded: calf-cramp's sentences at the night rate.
    from nightvoice.sound.export import sentences
    from nightvoice.user.catalog import load_routine, resolve

    plan_texts = sentences(_plan_of(load_routine(resolve("calf-cramp").path)))
    engine = PiperSynthesizer(NATURAL_VOICES[0])
    try:
        engine.synthesize("Yes.", rate=130, language="en", voice="joe")  # load the model
        started, audio = time.perf_counter(), 0.0
        for text, _language in plan_texts:
            audio += engine.synthesize(text, rate=130, language="en", voice="joe").seconds
        synth_speed = audio / (time.perf_counter() - started)
    finally:
        engine.close()

    # First-ever first sound (nothing cached, the model loaded from cold), and peak RSS while
    # playing (nightvoice plus its synthesis child).
    firsts: list[float] = []
    rss: list[float] = []
    for run in range(runs):
        env = e.env(work / f"natural-fresh-{run}")
        argv = [program(), "play", str(routine_file), "--hands-free", "--blank"]
        ms = time_to_first_sound(e, argv, env, timeout=30)
        if ms is None:
            notes.append(f"natural run {run}: no sound")
        else:
            firsts.append(ms)
        wait_for_first_words(work / f"natural-fresh-{run}", timeout=20)
    # Peak memory over the built-in calf-cramp's six longest sentences (the model's working
    # memory grows with what it says at once), sampled until the routine has ended.
    longest = sorted(plan_texts, key=len)[-6:]
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
        if e.first_sound_after(mark, 30) is not None:
            deadline = time.monotonic() + 60
            highest = 0.0
            while proc.poll() is None and time.monotonic() < deadline:
                highest = max(highest, family_peak_rss_mb(proc.pid) or 0.0)
                time.sleep(0.25)
            if highest:
                rss.append(highest)
    finally:
        kill_group(proc, signal.SIGTERM)

    # Export speed, no speech cache.
    exports: list[float] = []
    for run in range(max(1, runs // 2)):
        env = {**os.environ, "NIGHTVOICE_HOME": str(work / f"natural-export-{run}")}
        out = work / f"natural-calf-{run}.wav"
        argv = [program(), "export", "calf-cramp", "--voice", "joe", "-o", str(out), "--force"]
        took = timed(argv, env)
        exports.append(read_wav(out).seconds / took)

    for home in work.glob("natural-*"):
        wait_for_first_words(home, timeout=10)  # the next step must not share the CPU with it
    first, peak_rss, export = median(firsts), median(rss), median(exports)
    return [
        Figure(
            "natural_synthesis_x_realtime",
            "natural voice: synthesis speed (calf-cramp, night rate)",
            synth_speed,
            "x",
            ">= 5x",
            judged(synth_speed, 5, at_most=False),
            f"{audio:.0f} s of speech",
        ),
        Figure(
            "natural_first_sound_first_run_ms",
            "natural voice: first sound, first-ever run",
            first,
            "ms",
            "<= 1000 ms",
            judged(first, 1000),
        ),
        Figure(
            "natural_peak_rss_mb",
            "natural voice: peak RSS while playing (with its child; calf-cramp's longest)",
            peak_rss,
            "MB",
            "<= 250 MB",
            judged(peak_rss, 250),
        ),
        Figure(
            "natural_export_x_realtime",
            "natural voice: export calf-cramp (no speech cache)",
            export,
            "x",
            ">= 5x",
            judged(export, 5, at_most=False),
        ),
    ], notes


def _plan_of(routine: Any) -> Any:
    from nightvoice.core.planner import compile_plan
    from nightvoice.user.config import resolve_settings

    return compile_plan(routine, resolve_settings(routine.voice, {}, {}).settings)


# --- main -----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median; 5)")
    parser.add_argument(
        "--only", action="append", default=[], help="measure only this step (repeatable)"
    )
    args = parser.parse_args(argv)
    runs = max(1, args.runs)
    figures: list[Figure] = []
    notes: list[str] = []
    steps: list[tuple[str, Callable[[], tuple[list[Figure], list[str]]]]] = []
    compile_package()
    with (
        tempfile.TemporaryDirectory(
            prefix="nv-bench-",
            ignore_cleanup_errors=True,  # a late background render's files
        ) as folder,
        ear() as e,
    ):
        work = Path(folder)
        steps = [
            ("first sound", lambda: first_sound(e, runs, work)),
            ("holds", lambda: holds(e, max(1, min(runs, 2)), work)),
            ("keys", lambda: key_to_silence(e, runs, work)),
            ("media keys", lambda: media_key_to_silence(e, runs, work)),
            ("cpu", lambda: cpu(e, work)),
            ("export", lambda: export_speed(work, runs)),
            ("list", lambda: list_time(work, runs)),
            ("natural voice", lambda: natural_voice(e, runs, work)),
        ]
        for name, step in steps:
            if args.only and name not in args.only:
                continue
            print(f"measuring {name}...", file=sys.stderr, flush=True)
            started = time.monotonic()
            found, said = step()
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
    return 0 if all(f.ok is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
