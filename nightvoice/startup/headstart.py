"""The default routine's first words, playing before the rest of the program has even loaded.

Loading click, YAML, the routine and the speech engine takes this machine 100+ ms of Python,
while a bare pyttsx3 one-liner speaks in ~70 ms. So the cache folder keeps one record of what
plain `nightvoice` says first, exactly as it sounds (the samples as played: lead-in, volume and
engine applied), once for a run at a terminal (the routine may ask a question first) and once
for a hands-free run. Any nightvoice command checks the record when it ends and, if it is
missing or stale, starts a quiet background process that renders it again (firstwords.py): so
after `nightvoice play bedtime-stretches` in the evening, from any folder, plain `nightvoice` at
3 a.m. starts playing its first words within its first few milliseconds, through an `aplay`
started with `posix_spawn` (no subprocess import).

The record is only used while nothing that decides those words has changed: it lists every
file that does (the default routine and the user's routines that could replace it, the config
file, the engine's data and library) with its change time and size, and the environment that
decides where those files are. The session still checks the sentence, its voice settings, the
engine and the output when it starts speaking, and adopts the sound as its first utterance
only if they are exactly what it was about to say; anything else cuts it at once.

Only stdlib modules that Python has already loaded at start-up, and `threading`, are imported
before the first words play (not even `contextlib`).
"""

from __future__ import annotations

import marshal
import os
import threading

from nightvoice.base import paths
from nightvoice.base.reading import file_stamps, read_input
from nightvoice.console.keyboard import keys_available
from nightvoice.sound.aplay import AplaySound

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: this module must not import typing
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence
    from typing import Any

FORMAT = 2
FILE_NAME = "first-words.bin"
# Where the record, the config file and the user's routines are; which espeak-ng data is used.
ENVIRONMENT = (*paths.ENVIRONMENT, "ESPEAK_DATA_PATH")

# A first-ever run has no record yet. While nothing of the user's decides the first words (no
# config file, no routine replacing the built-in) they are the built-in routine's, said with the
# night defaults through espeak-ng: these. tests/startup/test_firstwords.py holds them to the
# player, the shipped file and the planner.
BUILT_IN_ROUTINE = ("calf-cramp.yaml", 3007)  # the shipped file's name and size
BUILT_IN_FIRST = {  # with keys (the question) and hands-free (the default it takes, said):
    True: ("Which leg is cramping? Press L for left, or R for right.", 125, 0.3),  # text, rate,
    False: ("Left leg.", 125, 0.3),  # volume as played
}
BUILT_IN_LANGUAGE = "en"
LEAD_IN_SECONDS = 0.025  # planner.LEAD_IN_SECONDS (the core's import costs ~20 ms here)
SCALED_AT_ONCE = 11026  # bytes (whole samples) scaled before aplay gets any: 0.25 s


def record_file() -> str:
    """Where the record lives: in the cache folder, found without pathlib or platformdirs."""
    return os.path.join(paths.folder("cache"), FILE_NAME)


def run_key() -> tuple[object, ...]:
    """Everything besides files that decides what plain `nightvoice` says first."""
    from nightvoice import __version__

    return (FORMAT, __version__, tuple(os.environ.get(name) for name in ENVIRONMENT))


class Utterance:
    """What is said first: the sentence, how it is said, and the samples exactly as played."""

    __slots__ = (
        "device",
        "engine",
        "language",
        "rate",
        "sample_rate",
        "samples",
        "text",
        "voice",
        "volume",
    )

    def __init__(
        self,
        *,
        text: str,
        rate: int,
        volume: float,
        language: str,
        voice: str | None,
        engine: str,
        device: str | None,
        samples: bytes,
        sample_rate: int,
    ) -> None:
        self.text = text
        self.rate = rate
        self.volume = volume  # the gain it was scaled by
        self.language = language
        self.voice = voice
        self.engine = engine  # Synthesizer.engine_version(): which engine build rendered it
        self.device = device
        self.samples = samples
        self.sample_rate = sample_rate

    def playable(self) -> bool:
        """Is this what `save` writes: the right types, samples that can be played?"""
        text_fields = (self.text, self.language, self.engine)
        optional = (self.voice, self.device)
        return (
            all(isinstance(v, str) for v in text_fields)
            and all(v is None or isinstance(v, str) for v in optional)
            and isinstance(self.rate, int)
            and isinstance(self.volume, (int, float))
            and 0.0 <= self.volume <= 1.0
            and isinstance(self.samples, bytes)
            and 0 < len(self.samples) <= MAX_SAMPLE_BYTES
            and len(self.samples) % 2 == 0
            and isinstance(self.sample_rate, int)
            and 8000 <= self.sample_rate <= 96000
        )

    def matches(
        self,
        text: str,
        *,
        rate: int,
        volume: float,
        language: str,
        voice: str | None,
        engine: str,
        device: str | None,
    ) -> bool:
        """Exactly what the session is about to say, in the same voice, on the same output?"""
        return (text, rate, round(volume, 6), language, voice, engine, device) == (
            self.text,
            self.rate,
            round(self.volume, 6),
            self.language,
            self.voice,
            self.engine,
            self.device,
        )

    def as_record(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def save(
    files: Sequence[str],
    first: dict[bool, Utterance | None],
    path: str | None = None,
) -> None:
    """Keep the first words for a run with keys (True) and a hands-free run (False).

    `files` are every file whose change could change them. Never fails: a cache that cannot
    be written only costs speed.
    """
    path = path or record_file()
    record = {
        "key": run_key(),
        "stamps": file_stamps(files),
        "first": {mode: None if u is None else u.as_record() for mode, u in first.items()},
    }
    try:
        data = marshal.dumps(record)
        # Not on the start-up path: the writer has loaded paths (and pathlib) long before.
        from nightvoice.base import writing

        writing.write_atomically(path, data, durable=False)  # a cache: no flush to disk
    except (OSError, ValueError):
        return


MAX_SAMPLE_BYTES = 60 * 96000 * 2  # a minute at the highest rate: no first sentence is longer


def _read(path: str | None) -> dict[str, Any] | None:
    """The record if it still holds (same key, every file unchanged), else None."""
    try:
        # As every input is read (a FIFO here must not hang the bedside command).
        record = marshal.loads(read_input(path or record_file(), limit=1 << 20))
        if record["key"] != run_key():
            return None
        stamps = tuple(tuple(s) for s in record["stamps"])
        if file_stamps([stamp[0] for stamp in stamps]) != stamps:
            return None
        return dict(record)
    except OSError:
        return None
    except (EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        forget(path)  # not what we write: replaced by the next run, never read again
        return None


def fresh(path: str | None = None) -> bool:
    """Is the record there and still right? (Cheap: one small read and a few `stat`s.)"""
    return _read(path) is not None


def load(interactive: bool, path: str | None = None) -> Utterance | None:
    """The first words for this kind of run, if the record still holds, else None."""
    record = _read(path)
    if record is None:
        return None
    try:
        first = record["first"].get(interactive)
        utterance = None if first is None else Utterance(**first)
    except (AttributeError, TypeError):
        utterance = None
        first = True
    if first is not None and (utterance is None or not utterance.playable()):
        forget(path)  # damaged: the next run writes a good one instead of failing again
        return None
    return utterance


def forget(path: str | None = None) -> None:
    """Delete the record (it only costs speed)."""
    try:  # noqa: SIM105 - contextlib is not loaded on the head start's path
        os.unlink(path or record_file())
    except OSError:
        pass


# --- keeping it fresh --------------------------------------------------------------------------


def refresh_if_stale() -> None:
    """After any command: if the record is missing or stale, render it again in the background.

    A detached, niced process (`python -m nightvoice.startup.firstwords`) in its own session,
    with no terminal, so it never delays this command, never writes on its screen, and outlives
    it.
    """
    if fresh():
        return
    from nightvoice.base import jobs

    jobs.start("nightvoice.startup.firstwords")


# --- playing it -------------------------------------------------------------------------------


class HeadStart(AplaySound):
    """The first words playing in an `aplay` of our own; the session adopts or cuts it.

    Behaves like `audio.Playback` (`wait`, `stop`, `done`, `stopped`), so the speaker can
    treat it as its first utterance.
    """

    def __init__(
        self,
        utterance: Utterance,
        gain: float = 1.0,
        spawned: tuple[int, int, int] | None = None,
    ) -> None:
        """Play `utterance.samples` times `gain` (scaled as they are written: no delay),
        through `spawned` (an aplay from `_spawn` already connecting) or a new aplay."""
        super().__init__(utterance.device)
        self.utterance = utterance
        self._gain = gain
        self.pid, stdin, self._stderr_fd = spawned or _spawn(
            utterance.device, utterance.sample_rate
        )
        samples = utterance.samples
        if gain != 1.0:
            samples = _scaled(samples[:SCALED_AT_ONCE], gain)
        self._rest = _write_start(stdin, samples, len(utterance.samples))
        self._thread = threading.Thread(
            target=self._finish, args=(stdin,), name="nightvoice-headstart", daemon=True
        )
        self._thread.start()

    @property
    def seconds(self) -> float:
        said = self.utterance
        return len(said.samples) / 2 / max(1, said.sample_rate)

    def matches(
        self,
        text: str,
        *,
        rate: int,
        volume: float,
        language: str,
        voice: str | None,
        engine: str,
        device: str | None,
    ) -> bool:
        """Exactly what the session is about to say, in the same voice, on the same output?"""
        return self.utterance.matches(
            text,
            rate=rate,
            volume=volume,
            language=language,
            voice=voice,
            engine=engine,
            device=device,
        )

    def _finish(self, stdin: int) -> None:
        samples, at = self.utterance.samples, self._rest
        try:
            while at < len(samples) and not self._stopped:
                start = at - at % 2  # a partial write can end inside a sample
                chunk = samples[start : start + 8192]
                if self._gain != 1.0:
                    chunk = _scaled(chunk, self._gain)
                at += os.write(stdin, chunk[at - start :])
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
        import contextlib  # not at the top: only stopping needs them
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


def _write_start(fd: int, samples: bytes, whole: int) -> int:
    """Write as much as the pipe takes now (made big enough for a sound of `whole` bytes)."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, min(whole + 4096, 1 << 20))
    except (ImportError, AttributeError, OSError):
        pass
    os.set_blocking(fd, False)
    try:
        written = os.write(fd, samples)
    except BlockingIOError:
        written = 0
    except OSError:
        written = whole  # aplay already failed: its exit status tells the session
    os.set_blocking(fd, True)
    return written


def _scaled(data: bytes, gain: float) -> bytes:
    from nightvoice.sound.samples import scale_bytes

    return scale_bytes(data, gain)


def start() -> HeadStart | None:
    """Start playing plain `nightvoice`'s first words: from the record if it still holds, else
    (a first-ever run) the built-in routine's, rendered now, if nothing of the user's decides."""
    if not hasattr(os, "posix_spawnp"):
        return None
    interactive = keys_available()
    try:
        utterance = load(interactive)
        return HeadStart(utterance) if utterance is not None else _built_in(interactive)
    except OSError:  # no aplay: the session will say so plainly
        return None


def _built_in(interactive: bool) -> HeadStart | None:
    """The built-in routine's first words through espeak-ng, if they are what will be said."""
    if not _only_built_ins_decide():
        return None
    text, rate, volume = BUILT_IN_FIRST[interactive]
    spawned = _spawn(None, 22050)  # connecting to the sound server while espeak renders
    try:
        from nightvoice.sound import espeak

        engine = espeak.engine()
        samples, sample_rate = engine.synthesize(
            text, rate=rate, language=BUILT_IN_LANGUAGE, voice=None
        )
        build = engine.build()
    except Exception:  # no engine here (the session says so plainly), or any surprise
        samples, sample_rate = b"", 0
    if sample_rate != 22050 or not samples:
        _kill(spawned)
        return None
    from nightvoice.sound.samples import with_lead_in

    utterance = Utterance(
        text=text,
        rate=rate,
        volume=volume,
        language=BUILT_IN_LANGUAGE,
        voice=None,
        engine=build,
        device=None,
        samples=with_lead_in(samples, sample_rate, LEAD_IN_SECONDS),
        sample_rate=sample_rate,
    )
    return HeadStart(utterance, gain=volume, spawned=spawned)


def _only_built_ins_decide() -> bool:
    """No config file and no routine of the user's in the built-in's place, and the built-in
    routine as shipped."""
    import nightvoice

    package = os.path.dirname(nightvoice.__file__)
    name, size = BUILT_IN_ROUTINE
    shipped = [os.path.join(package, "scripts", name)]
    shipped.append(os.path.join(os.path.dirname(package), "scripts", name))  # a checkout
    if not any(_size(path) == size for path in shipped):
        return False
    stem = name.rsplit(".", 1)[0]
    mine = ("config.yaml", f"scripts/{stem}.yaml", f"scripts/{stem}.yml")
    folder = paths.folder("config")
    return not any(_size(os.path.join(folder, relative)) >= 0 for relative in mine)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


def _kill(spawned: tuple[int, int, int]) -> None:
    import contextlib
    import signal

    pid, stdin, stderr = spawned
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    os.close(stdin)
    os.close(stderr)
    os.waitpid(pid, 0)
