"""The `aplay` command line for a `--device` value.

Its own module, free of heavy imports, because the head start (headstart.py) spawns `aplay`
before anything else is loaded.
"""

from __future__ import annotations

import os
import threading

from nightvoice.base.waiting import wait_for_event

PERIOD_MICROSECONDS = 10_000


class AplaySound:
    """A sound playing in an aplay child: is it done or stopped, and waiting for its end.

    Shared by `audio.Playback` and `headstart.HeadStart`, which start aplay differently (the
    head start before `subprocess` is even imported). A subclass's reader thread sets
    `_exit_status` and `_stderr`, then `_finished`.
    """

    def __init__(self, device: str | None) -> None:
        self._device = device
        self._stopped = False
        self._stderr = b""
        self._exit_status: int | None = None
        self._finished = threading.Event()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def stopped(self) -> bool:
        return self._stopped

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the sound ends; True if it ended, False on timeout.

        Raises SpeechUnavailable if aplay failed (no device, no sound server). A stopped
        sound is not a failure.
        """
        if not wait_for_event(self._finished, timeout):
            return False
        if self._exit_status != 0 and not self._stopped:
            from nightvoice.core.errors import SpeechUnavailable

            stderr = self._stderr.decode(errors="replace")
            raise SpeechUnavailable(failure_message(self._device, stderr), lasting=False)
        return True


def device_command(device: str | None, rate: int) -> tuple[list[str], dict[str, str]]:
    """The aplay argv and extra environment for a `--device` value.

    None or "default": the system default; "pulse:SINK": that PulseAudio/PipeWire sink;
    anything else: an ALSA PCM name.
    """
    # 10 ms periods: aplay pads its last period with silence and exits only after playing
    # it, so its default (~50 ms here) made every sentence "end", and a hold start, that late.
    argv = ["aplay", "-q", "-t", "raw", "-f", "S16_LE", "-r", str(rate), "-c", "1"]
    argv.append(f"--period-time={PERIOD_MICROSECONDS}")
    env: dict[str, str] = {}
    if device and device != "default":
        if device.startswith("pulse:"):
            sink = device[len("pulse:") :]
            argv += ["-D", "pulse"]
            if sink:
                env["PULSE_SINK"] = sink
        else:
            argv += ["-D", device]
    argv.append("-")
    return argv, env


def child_command(device: str | None, rate: int) -> tuple[list[str], dict[str, str]]:
    """`device_command`, run so that aplay dies with us, however we die.

    Every aplay child is started through this. util-linux's `setpriv --pdeathsig KILL` sets
    the kernel's parent-death signal and then becomes aplay (the same process, the same PID):
    if nightvoice is killed (SIGKILL, a signal before its handlers are set, a crash), the
    kernel kills aplay at once instead of leaving it to speak what is left in its pipe. The
    "parent" is the spawning *thread*: spawn aplay only from threads that live as long as
    the sound (the main thread does). Without setpriv (not Linux) aplay runs bare; the
    `atexit` and signal clean-up still stop it on every catchable exit.
    """
    argv, env = device_command(device, rate)
    setpriv = _which("setpriv")
    # Only when aplay is there too: a missing aplay must stay a FileNotFoundError, not a
    # setpriv that starts and then fails.
    if setpriv and _which("aplay"):
        argv = [setpriv, "--pdeathsig", "KILL", "--", *argv]
    return argv, env


_FOUND: dict[tuple[str, str], str] = {}


def _which(name: str) -> str:
    """The path of `name` on PATH, or "" (plain os calls: the head start imports nothing)."""
    path = os.environ.get("PATH", os.defpath)
    key = (name, path)
    if key not in _FOUND:
        found = ""
        for folder in path.split(os.pathsep):
            candidate = os.path.join(folder or ".", name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                found = candidate
                break
        _FOUND[key] = found
    return _FOUND[key]


# What aplay and ALSA print, most telling first: a missing card also prints "Unknown PCM
# default" after it, and a sound server's refusal comes with a generic open error.
_CAUSES: tuple[tuple[str, str], ...] = (
    (r"cannot find card|no soundcards found", "no sound card"),
    (r"Cannot get card index for (\S+)", "no sound card {0}"),
    (r"PulseAudio: Unable to connect: (.+)", "no sound server ({0})"),
    (r"Unknown PCM (\S+)", "Unknown PCM {0}"),
    (r"audio open error: (.+)", "cannot open the audio device: {0}"),
)
_ALSA_PREFIX = r"^(?:ALSA lib [^)]*\)\s*|aplay: [\w:]*\d+:\s*)"


def failure_cause(stderr: str) -> str:
    """The real cause in a few words ("Unknown PCM bogus", "no sound card") from aplay's
    several lines of ALSA noise."""
    import re  # only on a failure: the head start imports this module before anything else

    lines = [re.sub(_ALSA_PREFIX, "", line).strip() for line in stderr.splitlines()]
    lines = [line for line in lines if line]
    for pattern, words in _CAUSES:
        for line in lines:
            found = re.search(pattern, line)
            if found:
                return words.format(*(group.strip() for group in found.groups()))
    if not lines:
        return "aplay failed"
    return lines[-1] if len(lines[-1]) <= 120 else lines[-1][:117] + "..."


def failure_message(device: str | None, stderr: str) -> str:
    """Two lines at most: the cause first, then what to do."""
    cause = failure_cause(stderr)
    if device and device != "default" and device not in cause:
        cause += f" (--device {device})"
    return (
        f"No sound: {cause}.\n"
        "Pick another output with --device (`nightvoice devices` lists them), start a sound "
        "server (`pulseaudio --start`), or use --text to follow the steps on screen."
    )
