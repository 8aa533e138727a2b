"""PCM in memory and an audio output the program owns, so speech can be cut at once.

pyttsx3 plays through an `aplay` it cannot stop; here every sound is raw PCM piped into our own
`aplay` child, which we can kill (silence within ~2 ms) and whose exit means "really finished".
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import math
import os
import queue
import signal
import subprocess
import threading
import time
import wave
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nightvoice.core.errors import SpeechUnavailable
from nightvoice.sound.aplay import AplaySound, child_command
from nightvoice.sound.samples import FULL_SCALE, with_lead_in
from nightvoice.sound.samples import bytes_of as _bytes
from nightvoice.sound.samples import samples_of as _samples
from nightvoice.sound.samples import scale_bytes as _scale_bytes

DEFAULT_RATE = 22050  # espeak-ng's native rate: no resampling on the common path


@dataclass(frozen=True)
class Pcm:
    """Signed 16-bit little-endian mono samples at `rate` Hz."""

    samples: bytes
    rate: int

    @property
    def frames(self) -> int:
        return len(self.samples) // 2

    @property
    def seconds(self) -> float:
        return self.frames / self.rate

    def values(self) -> array[int]:
        """The samples as integers (a copy), for analysis."""
        return _samples(self.samples)

    def scaled(self, gain: float) -> Pcm:
        """Volume is applied here, not in the engine, so it can change between sentences."""
        if gain == 1.0:
            return self
        return Pcm(_scale_bytes(self.samples, gain), self.rate)

    def resampled(self, rate: int) -> Pcm:
        """Linear interpolation; only for engines whose native rate differs (SAPI5, NSSS)."""
        if rate == self.rate or not self.samples:
            return Pcm(self.samples, rate)
        src = _samples(self.samples)
        n = max(1, round(len(src) * rate / self.rate))
        step = (len(src) - 1) / max(1, n - 1)
        out = array("h", bytes(2 * n))
        for i in range(n):
            x = i * step
            j = int(x)
            frac = x - j
            nxt = src[j + 1] if j + 1 < len(src) else src[j]
            out[i] = round(src[j] + (nxt - src[j]) * frac)
        return Pcm(_bytes(out), rate)

    @staticmethod
    def concat(parts: Iterable[Pcm], rate: int | None = None) -> Pcm:
        """Join parts end to end (for export); parts at other rates are resampled to `rate`."""
        items = list(parts)
        target = rate if rate is not None else (items[0].rate if items else DEFAULT_RATE)
        return Pcm(b"".join(p.resampled(target).samples for p in items), target)

    @staticmethod
    def silence(seconds: float, rate: int = DEFAULT_RATE) -> Pcm:
        return Pcm(bytes(2 * max(0, round(seconds * rate))), rate)

    def leading_silence_seconds(self, threshold: int = 300) -> float:
        """How long before the first sample louder than `threshold` (espeak starts with ~44 ms)."""
        values = _samples(self.samples)
        for i, v in enumerate(values):
            if abs(v) > threshold:
                return i / self.rate
        return self.seconds

    def trailing_silence_seconds(self, threshold: int = 300) -> float:
        """How long after the last sample louder than `threshold` (espeak ends with ~0.5 s)."""
        values = _samples(self.samples)
        for i in range(len(values) - 1, -1, -1):
            if abs(values[i]) > threshold:
                return (len(values) - 1 - i) / self.rate
        return self.seconds

    def with_lead_in(self, seconds: float, threshold: int = 300) -> Pcm:
        """Exactly `seconds` of silence before the first sound, trimming or padding.

        espeak's own lead-in varies from 0 to ~60 ms, and a new output stream can lose its
        first few ms (up to ~10 ms measured through PulseAudio): a fixed lead-in keeps the
        first word whole without adding more delay than needed.
        """
        return Pcm(with_lead_in(self.samples, self.rate, seconds, threshold), self.rate)


def _chime_pcm(rate: int, seconds: float) -> Pcm:
    # Two soft partials a fifth apart; 20 ms raised-cosine attack, then an exponential decay
    # with a short cosine fade so it ends at true zero. Peak about 30 % of full scale.
    n = round(seconds * rate)
    attack = max(1, round(0.02 * rate))
    tail = max(1, round(0.05 * rate))
    decay_rate = 5.0 / seconds
    out = array("h", bytes(2 * n))
    for i in range(n):
        t = i / rate
        env = math.exp(-decay_rate * max(0.0, t - 0.02))
        if i < attack:
            env *= 0.5 - 0.5 * math.cos(math.pi * i / attack)
        if i >= n - tail:
            env *= 0.5 + 0.5 * math.cos(math.pi * (i - (n - tail)) / tail)
        tone = 0.7 * math.sin(2 * math.pi * 660.0 * t) + 0.3 * math.sin(2 * math.pi * 990.0 * t)
        out[i] = round(0.3 * FULL_SCALE * env * tone)
    return Pcm(_bytes(out), rate)


_chime_cached = functools.lru_cache(maxsize=8)(_chime_pcm)


def chime(rate: int = DEFAULT_RATE, *, seconds: float = 0.6, volume: float = 1.0) -> Pcm:
    """The soft step-change chime, generated in-process (no sound files to ship or lose)."""
    return _chime_cached(rate, seconds).scaled(volume)


def read_wav(path: str | os.PathLike[str]) -> Pcm:
    """Reads 16-bit WAV; stereo is mixed down to mono (engines' files may be either)."""
    with wave.open(str(path), "rb") as f:
        channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
        data = f.readframes(f.getnframes())
    if width != 2:
        raise ValueError(f"{path}: {8 * width}-bit WAV is not supported, expected 16-bit")
    if channels == 1:
        return Pcm(data, rate)
    values = _samples(data)
    mono = array(
        "h", (sum(values[i : i + channels]) // channels for i in range(0, len(values), channels))
    )
    return Pcm(_bytes(mono), rate)


# --- devices -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    name: str  # what --device takes
    description: str


def parse_aplay_list(text: str) -> list[Device]:
    """Parse `aplay -L`: an unindented PCM name, then indented description lines."""
    devices: list[Device] = []
    name: str | None = None
    desc: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[0].isspace():
            if name is not None:
                desc.append(line.strip())
            continue
        if name is not None:
            devices.append(Device(name, ", ".join(desc)))
        name, desc = line.strip(), []
    if name is not None:
        devices.append(Device(name, ", ".join(desc)))
    return devices


def parse_pactl_sinks(text: str) -> list[Device]:
    """Parse `pactl list short sinks`: index, name, driver, sample spec, state (tab-separated)."""
    devices: list[Device] = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) < 2 or not fields[1].strip():
            continue
        extra = " ".join(f.strip() for f in fields[3:4])
        desc = "sound server output" + (f" ({extra})" if extra else "")
        devices.append(Device("pulse:" + fields[1].strip(), desc))
    return devices


def _run_quietly(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout if done.returncode == 0 else ""


def list_devices() -> list[Device]:
    """Outputs `--device` accepts: the default, ALSA PCMs, and sound-server sinks."""
    import shutil

    devices = [Device("default", "the system's default output")]
    if shutil.which("aplay"):
        devices += [
            d for d in parse_aplay_list(_run_quietly(["aplay", "-L"])) if d.name != "default"
        ]
    if shutil.which("pactl"):
        devices += parse_pactl_sinks(_run_quietly(["pactl", "list", "short", "sinks"]))
    return devices


def cannot_play(device: str | None, *, timeout: float = 3.0) -> str | None:
    """Why `device` cannot play now, in aplay's own words, or None when it can.

    It is opened for real and given 20 ms of silence (inaudible), so what `devices` lists and
    `config set device` keeps is what a night will use. A server that does not answer within
    `timeout` counts as not playing.
    """
    done = _try_output(device, timeout)
    if done is None or isinstance(done, str):
        return done
    lines = [line.strip() for line in done.stderr.decode(errors="replace").splitlines()]
    # aplay ends with its own summary ("audio open error: ..."); ALSA's noise comes first.
    return next((line for line in reversed(lines) if line), f"aplay exited {done.returncode}")


def output_problem(device: str | None, *, timeout: float = 3.0) -> str | None:
    """Why `device` cannot play now as the player reports a sound failure (the real cause
    first, then what to do), or None when it can: the test the player makes every second
    while the sound is lost."""
    done = _try_output(device, timeout)
    if done is None:
        return None
    from nightvoice.sound.aplay import failure_message

    stderr = done if isinstance(done, str) else done.stderr.decode(errors="replace")
    return failure_message(device, stderr)


def _try_output(
    device: str | None, timeout: float
) -> subprocess.CompletedProcess[bytes] | str | None:
    """20 ms of silence played on `device`: None if it played, else aplay's result (or why it
    could not even run)."""
    from nightvoice.sound.aplay import device_command

    argv, extra = device_command(device, DEFAULT_RATE)
    try:
        done = subprocess.run(
            argv,
            input=bytes(DEFAULT_RATE // 50 * 2),
            capture_output=True,
            timeout=timeout,
            env={**os.environ, **extra},
            check=False,
        )
    except FileNotFoundError:
        return "the `aplay` program is not installed (Debian/Ubuntu: `sudo apt install alsa-utils`)"
    except subprocess.TimeoutExpired:
        return f"it did not answer within {timeout:g} s"
    except OSError as error:
        return error.strerror or str(error)
    return None if done.returncode == 0 else done


def playable_devices() -> tuple[list[Device], list[Device]]:
    """`list_devices()` split into the outputs that can play now and those that cannot.

    Each is tried at once in its own thread (~50-100 ms each, so the whole list takes about as
    long as the slowest one).
    """
    from concurrent.futures import ThreadPoolExecutor

    found = list_devices()
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(found)))) as pool:
        reasons = list(pool.map(lambda d: cannot_play(d.name), found))
    good = [d for d, reason in zip(found, reasons, strict=True) if reason is None]
    bad = [d for d, reason in zip(found, reasons, strict=True) if reason is not None]
    return good, bad


# --- output --------------------------------------------------------------------------------

NO_APLAY = (
    "No sound: the `aplay` program is not installed.\nOn Debian/Ubuntu install it with "
    "`sudo apt install alsa-utils`, or use --text to follow the steps on screen."
)


_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole process group and reap it (never leave an aplay behind)."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not get ignored
        proc.kill()
        proc.wait()
    with _live_lock:
        _live.discard(proc)


@atexit.register
def _kill_all() -> None:
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        _kill(proc)


def _spawn(device: str | None, rate: int) -> subprocess.Popen[bytes]:
    argv, extra = child_command(device, rate)
    env = {**os.environ, **extra} if extra else None
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group: one killpg silences everything
        )
    except FileNotFoundError:
        raise SpeechUnavailable(NO_APLAY) from None
    except OSError as error:  # no process could be made (too many, no memory): for a moment
        raise SpeechUnavailable(
            f"No sound: aplay could not start ({error.strerror or error}).", lasting=False
        ) from None
    with _live_lock:
        _live.add(proc)
    return proc


STALE_SPARE_SECONDS = 0.2  # a spare failing this soon never played: its connection was stale


class Playback(AplaySound):
    """One sound playing in its own aplay.

    A feeder thread writes the PCM (scaling it chunk by chunk, so a long sentence at a low
    volume starts as fast as a loud one) and play() returns at once. A streamed sound's PCM
    arrives while it plays (`add`, then `finish`): a natural voice's first piece plays while
    the rest of the sentence is rendered.

    An aplay started ahead of time (a spare) holds a connection to the sound server made
    before; if the server restarted since, it fails at its first write (~2 ms). `fresh` then
    gives one new aplay and the sound is played there from its start: a server that is back
    is no outage. Any later failure is reported, as every other one is.
    """

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        device: str | None,
        gain: float = 1.0,
        *,
        on_played: Callable[[], None] | None = None,
        on_free: Callable[[int], None] | None = None,
        fresh: Callable[[], subprocess.Popen[bytes]] | None = None,
        rate: int = DEFAULT_RATE,
    ) -> None:
        super().__init__(device)
        self._proc = proc
        self._proc_lock = threading.Lock()  # the feeder may swap a stale spare for a fresh one
        self._gain = gain
        self._rate = rate
        self._on_played = on_played  # told when the sound has played to its end
        self._on_free = on_free  # told after that, with the rate: the output may start a spare
        self._fresh = fresh
        self._more: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._feed, name="nightvoice-aplay", daemon=True)
        self._thread.start()

    def add(self, pcm: Pcm) -> None:
        """More of a streamed sound (at the rate it started with)."""
        self._more.put(pcm.samples)

    def finish(self) -> None:
        """A streamed sound has no more: aplay drains and exits when it has played it all."""
        self._more.put(None)

    def _write(self, proc: subprocess.Popen[bytes], data: bytes) -> None:
        assert proc.stdin is not None
        chunk = 4096  # small writes: a stop never waits behind a big blocking write
        for start in range(0, len(data), chunk):
            if self._stopped:  # a stop between two chunks
                return
            piece = data[start : start + chunk]
            proc.stdin.write(piece if self._gain == 1.0 else _scale_bytes(piece, self._gain))

    def _play_on(self, proc: subprocess.Popen[bytes], sent: list[bytes]) -> int:
        """Write what was `sent` already, then the rest as it comes; aplay's exit status. The
        rest is added to `sent` only while a fresh aplay may still have to play it all."""
        assert proc.stdin is not None
        assert proc.stderr is not None
        try:
            for data in sent:
                self._write(proc, data)
            while not self._stopped:
                more = self._more.get()
                if more is None:
                    self._more.put(None)  # seen again by a fresh aplay after a stale spare
                    break
                if self._fresh is not None:
                    sent.append(more)
                self._write(proc, more)
            proc.stdin.close()  # EOF: aplay drains and exits when the sound has really ended
        except (BrokenPipeError, ValueError, OSError):
            pass
        with contextlib.suppress(ValueError, OSError):
            self._stderr = proc.stderr.read()
        status = proc.wait()
        with _live_lock:
            _live.discard(proc)
        return status

    def _feed(self) -> None:
        sent: list[bytes] = []
        began = time.monotonic()
        status = self._play_on(self._proc, sent)
        fresh, self._fresh = self._fresh, None
        never_played = time.monotonic() - began < STALE_SPARE_SECONDS
        if status != 0 and not self._stopped and fresh is not None and never_played:
            status = self._replay(fresh, sent, status)
        self._exit_status = status
        played = status == 0 and not self._stopped
        if played and self._on_played is not None:
            self._on_played()
        self._finished.set()
        if played and self._on_free is not None:
            self._on_free(self._rate)

    def _replay(
        self, fresh: Callable[[], subprocess.Popen[bytes]], sent: list[bytes], failed: int
    ) -> int:
        """The sound from its start on a new aplay; its exit status, or the spare's (`failed`)
        when no new one could start or a stop came first."""
        try:
            proc = fresh()
        except SpeechUnavailable:
            return failed
        with self._proc_lock:
            self._proc = proc
            stopped = self._stopped
        if stopped:  # stop() came while the new one started: it reaps the old one only
            _kill(proc)
            return failed
        return self._play_on(proc, sent)

    def stop(self) -> None:
        """Silence at once: SIGKILL to aplay's group (the sound stops within ~2 ms), reaped."""
        with self._proc_lock:
            self._stopped = True
            proc = self._proc
        self._more.put(None)  # a feeder waiting for more of a streamed sound wakes up
        _kill(proc)
        self._thread.join(timeout=5)


class AplayOutput:
    """Plays PCM through one `aplay` child per sound, on the output `--device` names.

    The next sound's aplay (a spare) is started when a sound has played to its end, so a
    sound that begins after a hold or a wait starts at once instead of after aplay's start and
    connection (~10 ms here, tens of ms on a busy machine: enough to push a hold past its
    50 ms). Only then: while a sound plays, a device that takes one stream at a time (an ALSA
    `hw:`) must not see a second one opened.
    """

    def __init__(self, device: str | None = None) -> None:
        self.device = device
        self.heard = False  # a sound has played to its end on this output
        self._spare: subprocess.Popen[bytes] | None = None
        self._spare_rate = 0
        self._closed = False
        self._lock = threading.Lock()

    def use_default(self) -> None:
        """Play on the system's default output from the next sound on (the chosen one cannot
        play: session.Outage decides)."""
        with self._lock:
            self.device, self.heard = None, False
            proc, self._spare = self._spare, None
        if proc is not None:
            _kill(proc)

    def _played(self) -> None:
        self.heard = True

    def prewarm(self, rate: int = DEFAULT_RATE) -> None:
        """Start aplay now, so connecting to the device overlaps what comes before the next
        sound; play() uses it."""
        with self._lock:
            if self._spare is not None or self._closed:
                return
            device = self.device
        try:
            proc = _spawn(device, rate)
        except SpeechUnavailable:
            return  # the sound that needs it will start its own and report
        with self._lock:
            kept = self._spare is None and not self._closed and self.device == device
            if kept:
                self._spare, self._spare_rate = proc, rate
        if not kept:  # closed, or another spare, or another output, meanwhile
            _kill(proc)

    def play(self, pcm: Pcm, *, gain: float = 1.0) -> Playback:
        """Start playing at once and return a handle; failures surface in Playback.wait()."""
        playback = self.play_stream(pcm, gain=gain)
        playback.finish()
        return playback

    def play_stream(self, first: Pcm, *, gain: float = 1.0) -> Playback:
        """Start playing `first` at once; the rest comes with Playback.add, then finish."""
        rate = first.rate
        proc, spare = self._aplay(rate)
        playback = Playback(
            proc,
            self.device,
            gain,
            on_played=self._played,
            on_free=self.prewarm,
            fresh=(lambda: _spawn(self.device, rate)) if spare else None,
            rate=rate,
        )
        playback.add(first)
        return playback

    def _aplay(self, rate: int) -> tuple[subprocess.Popen[bytes], bool]:
        """The spare aplay if it suits, else a new one; and whether it was the spare."""
        with self._lock:
            proc, self._spare = self._spare, None
            if proc is not None and (self._spare_rate != rate or proc.poll() is not None):
                _kill(proc)
                proc = None
        if proc is None:
            return _spawn(self.device, rate), False
        return proc, True

    def close(self) -> None:
        """Drop the spare aplay; start no other."""
        with self._lock:
            self._closed = True
            proc, self._spare = self._spare, None
        if proc is not None:
            _kill(proc)
