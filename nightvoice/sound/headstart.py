"""The first words, from a cache, before the rest of the program has even loaded.

Loading click, YAML, the routine and the speech engine takes this machine 100+ ms of Python,
while a bare pyttsx3 one-liner speaks in ~60 ms. So each play session remembers what it said
first and exactly how it sounded (the samples as played, lead-in and volume included), keyed on
everything that decides it: the command line, the working folder, whether keys can be read,
the relevant environment, and the size and change time of the routine file, the config file,
the user's routines folder and espeak-ng's data. The next run with the same key starts playing
those samples in its first few milliseconds, through an `aplay` started with `posix_spawn`
(no subprocess import), and the session adopts that sound as its first utterance when the
player asks for the same sentence; anything else cuts it at once.

The cache is one file in the user's cache folder; deleting it only costs speed. Only stdlib
modules that Python has already loaded at start-up are imported here.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import threading

from nightvoice.sound.aplay import AplaySound

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: this module must not import typing
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence
    from typing import Any

# The play options (see cli.play_options): flags, and options that take a value.
PLAY_FLAGS = frozenset({"--step", "--blank", "--hands-free", "--verbose"})
PLAY_VALUES = frozenset({"--rate", "--volume", "--voice", "--language", "--device"})

FORMAT = 1
FILE_NAME = "first-words.bin"
ENVIRONMENT = (
    "NIGHTVOICE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "HOME",
    "PULSE_SERVER",
    "PULSE_SINK",
)


def plays_sound(args: Sequence[str]) -> bool:
    """Do these arguments (without the program name) mean playing a routine aloud?

    Playing is: no arguments, `play [ROUTINE]`, or only play options. Anything else (help,
    version, another command, --text, an unknown option) is not, and never gets a head start.
    """
    rest = list(args)
    positional_allowed = False
    if rest and rest[0] == "play":
        rest = rest[1:]
        positional_allowed = True
    i = 0
    while i < len(rest):
        arg = rest[i]
        name, equals, _ = arg.partition("=")
        if arg in PLAY_FLAGS:
            i += 1
        elif name in PLAY_VALUES:
            i += 1 if equals else 2
            if i > len(rest):
                return False
        elif positional_allowed and not arg.startswith("-"):
            positional_allowed = False
            i += 1
        else:
            return False
    return True


def cache_file() -> str:
    """Where the record lives, without importing pathlib or platformdirs when avoidable."""
    home = os.environ.get("NIGHTVOICE_HOME")
    if home:
        return os.path.join(os.path.expanduser(home), "cache", FILE_NAME)
    linux = sys.platform.startswith("linux")  # a variable: checked at run time, not by mypy
    if linux:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        return os.path.join(base, "nightvoice", FILE_NAME)
    from nightvoice.user import paths

    return str(paths.cache_dir() / FILE_NAME)


def run_key(args: Sequence[str], interactive: bool) -> tuple[object, ...]:
    """Everything about this run, besides files, that could change what is said first."""
    from nightvoice import __version__

    return (
        FORMAT,
        __version__,
        sys.version,
        tuple(args),
        os.getcwd(),
        interactive,
        tuple(os.environ.get(name) for name in ENVIRONMENT),
    )


def file_stamps(files: Sequence[str]) -> tuple[tuple[str, int, int], ...]:
    """(path, change time, size) of each file or folder; a missing one is (path, -1, -1)."""
    stamps = []
    for path in files:
        try:
            status = os.stat(path)
        except OSError:
            stamps.append((path, -1, -1))
            continue
        stamps.append((path, status.st_mtime_ns, status.st_size))
    return tuple(stamps)


def keys_possible() -> bool:
    """What the session's `keys_available` will say, as far as it depends on stdin."""
    try:
        return os.isatty(sys.stdin.fileno())
    except (AttributeError, OSError, ValueError):
        return False


class Utterance:
    """What was said first: the sentence, its settings, and the samples exactly as played."""

    __slots__ = ("device", "language", "rate", "sample_rate", "samples", "text", "voice", "volume")

    def __init__(
        self,
        *,
        text: str,
        rate: int,
        volume: float,
        language: str,
        voice: str | None,
        device: str | None,
        samples: bytes,
        sample_rate: int,
    ) -> None:
        self.text = text
        self.rate = rate
        self.volume = volume
        self.language = language
        self.voice = voice
        self.device = device
        self.samples = samples
        self.sample_rate = sample_rate

    def matches(
        self, text: str, rate: int, volume: float, language: str, voice: str | None
    ) -> bool:
        return (text, rate, round(volume, 6), language, voice) == (
            self.text,
            self.rate,
            round(self.volume, 6),
            self.language,
            self.voice,
        )

    def as_record(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


_args: list[str] | None = None  # the command line start() was given


def remember(files: Sequence[str], first: Utterance) -> None:
    """Save this run's first words, if this run came through start() (the real command)."""
    if _args is not None:
        save(_args, keys_possible(), files, first)


def save(
    args: Sequence[str],
    interactive: bool,
    files: Sequence[str],
    first: Utterance,
    path: str | None = None,
) -> None:
    """Remember this run's first words for the next run with the same key (never fails)."""
    path = path or cache_file()
    record = {
        "key": run_key(args, interactive),
        "stamps": file_stamps(files),
        "first": first.as_record(),
    }
    try:
        data = marshal.dumps(record)
        # Not on the start-up path: the session has loaded paths (and pathlib) long before.
        from nightvoice.user import paths

        paths.write_atomically(path, data, durable=False)  # a cache: no flush to disk
    except (OSError, ValueError):
        return


def load(args: Sequence[str], interactive: bool, path: str | None = None) -> Utterance | None:
    """The remembered first words if nothing that decides them has changed, else None."""
    path = path or cache_file()
    try:
        with open(path, "rb") as f:
            record = marshal.load(f)
        if record["key"] != run_key(args, interactive):
            return None
        stamps = record["stamps"]
        if file_stamps([stamp[0] for stamp in stamps]) != tuple(tuple(s) for s in stamps):
            return None
        return Utterance(**record["first"])
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        return None


# --- playing it -------------------------------------------------------------------------------


class HeadStart(AplaySound):
    """The first words playing in an `aplay` of our own; the session adopts or cuts it.

    Behaves like `audio.Playback` (`wait`, `stop`, `done`, `stopped`), so the speaker can
    treat it as its first utterance.
    """

    def __init__(self, utterance: Utterance) -> None:
        super().__init__(utterance.device)
        self.utterance = utterance
        self.pid, stdin, self._stderr_fd = _spawn(utterance.device, utterance.sample_rate)
        self._rest = _write_start(stdin, utterance.samples)
        self._thread = threading.Thread(
            target=self._finish, args=(stdin,), name="nightvoice-headstart", daemon=True
        )
        self._thread.start()
        _started.append(self)

    def _finish(self, stdin: int) -> None:
        try:
            view = memoryview(self.utterance.samples)[self._rest :]
            while view and not self._stopped:
                written = os.write(stdin, view[:8192])
                view = view[written:]
        except OSError:
            pass
        finally:
            os.close(stdin)  # EOF: aplay drains and exits when the sound has really ended
        chunks = []
        try:
            while chunk := os.read(self._stderr_fd, 4096):
                chunks.append(chunk)
        except OSError:
            pass
        os.close(self._stderr_fd)
        self._stderr = b"".join(chunks)
        _, status = os.waitpid(self.pid, 0)
        self._exit_status = status
        self._finished.set()

    def stop(self) -> None:
        """Silence at once: SIGKILL to aplay's process group, then reaped."""
        import signal

        self._stopped = True
        if not self._finished.is_set():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        self._thread.join(timeout=5)


def _spawn(device: str | None, rate: int) -> tuple[int, int, int]:
    """aplay reading raw PCM from a pipe, in its own session; (pid, stdin fd, stderr fd)."""
    from nightvoice.sound.aplay import child_command

    argv, extra = child_command(device, rate)
    stdin_r, stdin_w = os.pipe()
    err_r, err_w = os.pipe()
    env = {**os.environ, **extra}
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        pid = os.posix_spawnp(
            argv[0],
            argv,
            env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, stdin_r, 0),
                (os.POSIX_SPAWN_DUP2, devnull, 1),
                (os.POSIX_SPAWN_DUP2, err_w, 2),
                (os.POSIX_SPAWN_CLOSE, stdin_w),
                (os.POSIX_SPAWN_CLOSE, err_r),
            ],
            setsid=True,
        )
    finally:
        os.close(stdin_r)
        os.close(err_w)
        os.close(devnull)
    return pid, stdin_w, err_r


def _write_start(fd: int, samples: bytes) -> int:
    """Write as much as the pipe takes now (made big enough for most sentences)."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, min(len(samples) + 4096, 1 << 20))
    except (ImportError, AttributeError, OSError):
        pass
    os.set_blocking(fd, False)
    try:
        written = os.write(fd, samples)
    except BlockingIOError:
        written = 0
    except OSError:
        written = len(samples)  # aplay already failed: its exit status tells the session
    os.set_blocking(fd, True)
    return written


_started: list[HeadStart] = []


def start(args: Sequence[str]) -> HeadStart | None:
    """Start playing the remembered first words for this command line, if they still hold."""
    global _args  # noqa: PLW0603 - one command line per process
    if not plays_sound(args) or not hasattr(os, "posix_spawnp"):
        return None
    _args = list(args)
    utterance = load(args, keys_possible())
    if utterance is None:
        return None
    try:
        head = HeadStart(utterance)
    except OSError:  # no aplay: the session will say so plainly
        return None
    import atexit

    atexit.register(discard)  # never leave it playing when the program ends early
    return head


def take() -> HeadStart | None:
    """The head start of this process, once (the speaker adopts or cuts it)."""
    return _started.pop() if _started else None


def discard() -> None:
    """Cut a head start nobody adopted (the session ended before speaking)."""
    while _started:
        _started.pop().stop()
