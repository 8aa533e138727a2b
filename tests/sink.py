"""A private PulseAudio with a null sink, and a recorder of what it plays (real audio, no card).

No pytest here: the tests (through the fixtures in `tests/audio_server.py`) and the benchmark
(`bench/run.py`) both use it. Recipe and pitfalls: shared AUDIO-NOTES.md.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

SINK = "nv"
RATE = 22050
SILENCE = 200  # |sample| at or below this counts as silence (espeak speech peaks ~10 000)


@dataclass(frozen=True)
class PulseServer:
    directory: Path
    server: str  # the PULSE_SERVER value clients use
    sink: str
    pid: int

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PULSE_SERVER": self.server,
            "HOME": str(self.directory),
            "XDG_RUNTIME_DIR": str(self.directory),
        }

    def pactl(self, *args: str) -> None:
        subprocess.run(["pactl", *args], env=self.env(), check=True, capture_output=True)


def _start_pulse(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    socket = directory / "native"
    env = {**os.environ, "HOME": str(directory), "XDG_RUNTIME_DIR": str(directory)}
    proc = subprocess.Popen(
        [
            "pulseaudio",
            "-n",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--use-pid-file=no",
            "--disable-shm=yes",
            "--log-target=stderr",
            "--log-level=error",
            "-L",
            f"module-native-protocol-unix socket={socket} auth-anonymous=1",
            "-L",
            f"module-null-sink sink_name={SINK} rate={RATE} channels=1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = f"unix:{socket}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pulseaudio exited with {proc.returncode}")
        probe = subprocess.run(
            ["pactl", "list", "short", "sinks"],
            env={**env, "PULSE_SERVER": server},
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and SINK in probe.stdout:
            return proc, server
        time.sleep(0.02)
    raise RuntimeError("pulseaudio did not come up within 10 s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


TOOLS = ("pulseaudio", "pactl", "parec")
MISSING_TOOLS = (
    "the real-audio tests and the bench need {missing} (Debian/Ubuntu packages pulseaudio and "
    "pulseaudio-utils): run `sudo .ci/setup`, which installs them"
)


def missing_tools() -> list[str]:
    """The sound-server programs that are not on PATH (empty when all are there)."""
    return [tool for tool in TOOLS if shutil.which(tool) is None]


@contextlib.contextmanager
def private_server() -> Iterator[PulseServer]:
    """A private sound server with a null sink; PULSE_SERVER points at it while inside.

    Clients started in this process and its children (aplay, nightvoice) play into it.
    Raises RuntimeError naming `.ci/setup` when the programs are missing.
    """
    missing = missing_tools()
    if missing:
        raise RuntimeError(MISSING_TOOLS.format(missing=", ".join(missing)))
    directory = Path(tempfile.mkdtemp(prefix="nv-pulse-"))
    proc, server = _start_pulse(directory)
    saved = {k: os.environ.get(k) for k in ("PULSE_SERVER", "PULSE_SINK")}
    try:
        os.environ["PULSE_SERVER"] = server
        os.environ.pop("PULSE_SINK", None)
        yield PulseServer(directory, server, SINK, proc.pid)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _stop(proc)
        shutil.rmtree(directory, ignore_errors=True)


class Restarting:
    """A sound server that can go away and come back, as a client sees it: PULSE_SERVER
    points at a link to the running server's socket. `stop` kills the server (every client
    loses its connection, as in a crash) and removes the link (a new client finds nothing, as
    while a server restarts); `start` brings up a new server and links it only once a
    recorder listens to it, so the recording cannot miss the first sound after it is back.
    """

    def __init__(self) -> None:
        missing = missing_tools()
        if missing:
            raise RuntimeError(MISSING_TOOLS.format(missing=", ".join(missing)))
        self.directory = Path(tempfile.mkdtemp(prefix="nv-restart-"))
        self.link = self.directory / "server"
        self.server = f"unix:{self.link}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._count = 0
        self.recorders: list[Recorder] = []

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PULSE_SERVER": self.server,
            "HOME": str(self.directory),
            "XDG_RUNTIME_DIR": str(self.directory),
        }

    def start(self) -> Recorder:
        """A new server and its recorder; clients reach it from now on. The recorder."""
        self._count += 1
        folder = self.directory / f"run{self._count}"
        folder.mkdir()
        self._proc, direct = _start_pulse(folder)
        recorder = Recorder(PulseServer(folder, direct, SINK, self._proc.pid))
        self.recorders.append(recorder)
        os.symlink(folder / "native", self.link)
        return recorder

    def stop(self) -> None:
        """Gone: clients lose their connection and find no server."""
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        if self._proc is not None:
            _stop(self._proc)
            self._proc = None

    def close(self) -> None:
        self.stop()
        for recorder in self.recorders:
            recorder.close()
        shutil.rmtree(self.directory, ignore_errors=True)


class Recorder:
    """Records the sink's monitor; every chunk is stamped with its arrival time.

    Sample offsets are not wall time (the stream starts whenever), so timing questions are
    answered from arrival stamps: `arrival_of(index)` is when the chunk holding a sample came in.
    """

    def __init__(self, server: PulseServer) -> None:
        self._server = server
        self._data = bytearray()
        self._stamps: list[tuple[int, float]] = []  # (end sample index, monotonic arrival)
        self._lock = threading.Lock()
        self._first = threading.Event()
        self._proc = subprocess.Popen(
            [
                "parec",
                "-d",
                f"{server.sink}.monitor",
                "--raw",
                "--format=s16le",
                f"--rate={RATE}",
                "--channels=1",
                "--latency-msec=10",
            ],
            env=server.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        # An idle null sink only starts a new recorder after 1-2 s; a suspend toggle kicks it.
        server.pactl("suspend-sink", server.sink, "1")
        server.pactl("suspend-sink", server.sink, "0")
        if not self._first.wait(10):
            self.close()
            raise RuntimeError("the recorder got no data within 10 s")

    def _read(self) -> None:
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            now = time.monotonic()
            if not chunk:
                break
            with self._lock:
                self._data += chunk
                self._stamps.append((len(self._data) // 2, now))
            self._first.set()

    def mark(self) -> int:
        """The sample index recorded so far: slice later recordings from here."""
        with self._lock:
            return len(self._data) // 2

    def samples(self, start: int = 0) -> array[int]:
        with self._lock:
            whole = len(self._data) - len(self._data) % 2
            out = array("h", bytes(self._data[2 * start : whole]))
        return out

    def arrival_of(self, index: int) -> float:
        """Monotonic time the chunk containing sample `index` arrived (<= ~10 ms after play)."""
        with self._lock:
            for end, stamp in self._stamps:
                if end > index:
                    return stamp
        raise IndexError(index)

    def time_of(self, index: int) -> float:
        """When sample `index` played, in monotonic time: its chunk's arrival, less the
        samples after it in that chunk (the null sink runs in real time)."""
        with self._lock:
            for end, stamp in self._stamps:
                if end > index:
                    return stamp - (end - 1 - index) / RATE
        raise IndexError(index)

    def wait_for_samples(self, start: int, seconds: float, timeout: float = 15.0) -> int:
        """Wait until `seconds` have been recorded since the first sound after `start`."""
        deadline = time.monotonic() + timeout
        needed = round(seconds * RATE)
        while time.monotonic() < deadline:
            values = self.samples(start)
            onset = first_loud(values)
            if onset is not None and len(values) - onset >= needed:
                return start + onset
            time.sleep(0.005)
        raise TimeoutError("no sound was recorded")

    def wait_for_silence(self, start: int, seconds: float, timeout: float = 15.0) -> int:
        """Wait until the last `seconds` from `start` on are silent after some sound; the end."""
        deadline = time.monotonic() + timeout
        needed = round(seconds * RATE)
        while time.monotonic() < deadline:
            values = self.samples(start)
            last = last_loud(values)
            if last is not None and len(values) - last > needed:
                return start + last + 1
            time.sleep(0.02)
        raise TimeoutError("no sound followed by silence was recorded")

    def close(self) -> None:
        _stop(self._proc)
        self._thread.join(timeout=5)


def last_loud(values: array[int], threshold: int = SILENCE) -> int | None:
    for i in range(len(values) - 1, -1, -1):
        if abs(values[i]) > threshold:
            return i
    return None


def first_loud(values: array[int], threshold: int = SILENCE) -> int | None:
    for i, v in enumerate(values):
        if abs(v) > threshold:
            return i
    return None


def loud_stretches(
    values: array[int], *, gap: float = 0.15, threshold: int = SILENCE
) -> list[tuple[int, int]]:
    """(start, end) of sounds separated by at least `gap` seconds of silence."""
    stretches: list[tuple[int, int]] = []
    gap_n = round(gap * RATE)
    start = last = None
    for i, v in enumerate(values):
        if abs(v) > threshold:
            if start is None or last is None:
                start = i
            elif i - last > gap_n:
                stretches.append((start, last + 1))
                start = i
            last = i
    if start is not None and last is not None:
        stretches.append((start, last + 1))
    return stretches


def goertzel(values: array[int] | list[int], freq: float, rate: int = RATE) -> float:
    """Normalised magnitude of one frequency: ~amplitude/2 of a sine at `freq`."""
    n = len(values)
    if n == 0:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for v in values:
        s0 = v + coeff * s1 - s2
        s2, s1 = s1, s0
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return math.sqrt(max(power, 0.0)) / n


def locate(heard: array[int], source: array[int]) -> int:
    """Where `source` sample 0 sits in `heard`, found by an exact match of a block from its middle.

    The sink passes samples through bit-exactly (same rate, 100 % volume), except that the
    monitor misses the first ~2-4 ms of each new stream; so align on the middle, not the start.
    """
    at = len(source) // 2
    key = source[at : at + 64].tobytes()
    found = heard.tobytes().find(key)
    while found != -1 and found % 2:
        found = heard.tobytes().find(key, found + 1)
    if found == -1:
        raise AssertionError("the source sound is not in the recording")
    return found // 2 - at


def correlation(a: Sequence[float], b: Sequence[float]) -> float:
    n = min(len(a), len(b))
    if n == 0:
        return 0.0
    ma, mb = sum(a[:n]) / n, sum(b[:n]) / n
    cov = sum((a[i] - ma) * (b[i] - mb) for i in range(n))
    va = sum((a[i] - ma) ** 2 for i in range(n))
    vb = sum((b[i] - mb) ** 2 for i in range(n))
    return cov / math.sqrt(va * vb) if va and vb else 0.0


def rms(values: array[int] | list[int]) -> float:
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0


def processes_with(variable: str, names: Sequence[str] = ("aplay",)) -> list[int]:
    """PIDs of processes named one of `names` whose environment holds `variable` (NAME=value).

    Finds the aplay children a run of nightvoice left behind: they inherit its environment.
    """
    wanted = variable.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() not in names:
                continue
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found
