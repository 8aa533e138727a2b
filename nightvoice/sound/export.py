"""`nightvoice export`: a whole routine rendered to one WAV file, to play from a phone.

Speech is synthesised first (each distinct sentence once, through a cache on disk), then the
plan is laid out with `planner.timeline` fed those real lengths, and every sound is placed at
exactly its offset in one buffer of silence. Keys-only steps become fixed pauses: a wait for a
key says "Take your time." (in the routine's language) and waits its hands-free length; a
hold-until-it-eases runs to its maximum with its check-ins. The start question is not spoken:
its default answer is used.
"""

from __future__ import annotations

import contextlib
import hashlib
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from nightvoice.base import reading, writing
from nightvoice.core.errors import NightvoiceError, shown
from nightvoice.core.phrases import ENGLISH, TAKE_YOUR_TIME, PhraseBook
from nightvoice.core.plan import (
    Cue,
    Hold,
    HoldUntilEased,
    Line,
    Plan,
    Say,
    WaitForKey,
    voice_for,
)
from nightvoice.core.planner import check_in_times, timeline, total_seconds
from nightvoice.core.player import PlayerOptions, night_volume
from nightvoice.sound.audio import DEFAULT_RATE, Pcm
from nightvoice.sound.speaker import LEAD_IN_SECONDS, chime_sound, volume_gain
from nightvoice.sound.synth import PieceListener, Synthesizer, synthesize_in_pieces

# Names that promise a format export does not write (it writes WAV only).
AUDIO_SUFFIXES = (".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac", ".wma", ".aiff")
CACHE_FOLDER = "speech-v2"  # v2: entries carry a checksum (speech-v1 is simply not read)


@dataclass(frozen=True)
class Rendered:
    pcm: Pcm
    seconds: float
    synthesized: int  # sentences synthesised now (the rest came from the cache)
    cached: int


def check_wav_name(output: Path) -> None:
    """Refuse a file name that promises another format: export writes WAV only."""
    suffix = output.suffix.lower()
    if suffix in AUDIO_SUFFIXES or (suffix and suffix != ".wav"):
        raise NightvoiceError(
            f"{shown(str(output))}: export writes WAV only; name the file {output.stem}.wav "
            "(convert it afterwards, e.g. `ffmpeg -i x.wav x.mp3`)"
        )


def export_plan(plan: Plan, phrases: PhraseBook = ENGLISH) -> Plan:
    """The plan as a recording plays it: no key to wait for, so waits become spoken pauses
    ("Take your time.", in the routine's language as `phrases` has it)."""
    take_your_time = Cue(0.0, *phrases.line(TAKE_YOUR_TIME))
    steps = []
    for step in plan.steps:
        actions = tuple(
            Hold(a.hands_free_seconds, (take_your_time,), kind="pause")
            if isinstance(a, WaitForKey)
            else a
            for a in step.actions
        )
        steps.append(replace(step, actions=actions))
    return replace(plan, steps=tuple(steps))


class SpeechCache:
    """Synthesised sentences on disk, keyed by text, language, voice, rate and engine version.

    Raw PCM at the engine's rate, one file per sentence named by a hash of the key; volume is
    applied afterwards, so it is not part of the key. Unwritable caches only cost speed.
    """

    def __init__(self, synth: Synthesizer, folder: Path | None, engine: str) -> None:
        self._synth = synth
        self._folder = folder
        self._engine = engine
        self.engine = engine
        self.hits = 0
        self.misses = 0

    def _file(self, text: str, rate: int, language: str, voice: str | None) -> Path | None:
        if self._folder is None:
            return None
        key = "\0".join([self._engine, language, voice or "", str(rate), text])
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self._folder / digest[:2] / f"{digest}.pcm"

    @property
    def renders_in_pieces(self) -> bool:
        return bool(getattr(self._synth, "renders_in_pieces", False))

    def synthesize(
        self,
        text: str,
        *,
        rate: int,
        language: str,
        voice: str | None,
        on_piece: PieceListener | None = None,
    ) -> Pcm:
        """From the cache (whole), or rendered (its pieces to `on_piece` as they come)."""
        file = self._file(text, rate, language, voice)
        if file is not None:
            try:
                data = reading.read_input(file, limit=1 << 26)
            except OSError:
                pass
            else:
                cached = _entry_pcm(data)
                if cached is not None:
                    self.hits += 1
                    return cached
        pcm = synthesize_in_pieces(
            self._synth, text, rate=rate, language=language, voice=voice, on_piece=on_piece
        )
        self.misses += 1
        if file is not None:
            with contextlib.suppress(OSError):
                writing.write_atomically(file, _entry_bytes(pcm), durable=False)
        return pcm


ENTRY_MAGIC = b"NVS2"
MAX_ENTRY_SECONDS = 600.0  # no sentence is ten minutes long


def _entry_bytes(pcm: Pcm) -> bytes:
    """A cache entry: magic, sample rate, CRC-32 of the samples, the samples."""
    header = pcm.rate.to_bytes(4, "little") + zlib.crc32(pcm.samples).to_bytes(4, "little")
    return ENTRY_MAGIC + header + pcm.samples


def _entry_pcm(data: bytes) -> Pcm | None:
    """The entry's sound, or None when it is not exactly what `_entry_bytes` wrote (a damaged
    or foreign file: a wild sample rate once made export resample without end)."""
    if len(data) < 12 or data[:4] != ENTRY_MAGIC or len(data) % 2:
        return None
    rate = int.from_bytes(data[4:8], "little")
    samples = data[12:]
    if not 8000 <= rate <= 96000 or len(samples) > 2 * rate * MAX_ENTRY_SECONDS:
        return None
    if zlib.crc32(samples) != int.from_bytes(data[8:12], "little"):
        return None
    return Pcm(samples, rate)


def sentences(plan: Plan) -> list[Line]:
    """Every distinct sentence the plan can say (with its language, when not the routine's),
    in order of first use, read off its actions."""
    lines: dict[Line, None] = {}
    for step in plan.steps:
        for action in step.actions:
            if isinstance(action, Say):
                lines.setdefault(Line(action.text, action.language))
            elif isinstance(action, Hold):
                for cue in action.cues:
                    lines.setdefault(Line(cue.text, cue.language))
            elif isinstance(action, HoldUntilEased) and check_in_times(action):
                lines.setdefault(Line(action.check_in, action.language))
    return list(lines)


# Sentences kept in memory while writing; past this they are read back from the speech cache
# one at a time, so memory stays flat however long the routine is.
SPEECH_BUDGET_BYTES = 32 * 1024 * 1024
SILENCE = bytes(1 << 20)


@dataclass(frozen=True)
class Written:
    """What an export wrote: how long it is and where its speech came from."""

    seconds: float
    frames: int
    synthesized: int
    cached: int


class _Renderer:
    """A plan's sounds at their timeline offsets, streamed out in order.

    Speech is synthesised first (each distinct sentence once) to lay out the timeline with the
    real lengths; then the PCM is written front to back, silence and sounds in turn, so no
    buffer the size of the routine is ever held (a 3-hour routine is 476 MB of PCM).
    """

    def __init__(
        self,
        plan: Plan,
        synth: Synthesizer,
        *,
        cache_folder: Path | None,
        engine: str,
        progress: Callable[[Iterable[Line]], Any] | None,
        options: PlayerOptions | None,
        phrases: PhraseBook,
    ) -> None:
        self.plan = export_plan(plan, phrases)
        self.settings = self.plan.settings
        self.cache = SpeechCache(synth, cache_folder, engine or synth.engine_version())
        self.keep_all = cache_folder is None  # nowhere to read a sentence back from
        self.options = options or PlayerOptions()
        self.lengths: dict[Line, float] = {}
        self.held: dict[Line, Pcm] = {}
        self.held_bytes = 0
        lines = sentences(self.plan)
        if progress is not None:
            with progress(lines) as bar:
                self._synthesize_all(bar)
        else:
            self._synthesize_all(lines)
        self.entries = timeline(self.plan, lambda text, lang: self.lengths[Line(text, lang)])
        self.seconds = total_seconds(self.entries)
        self.frames = round(self.seconds * DEFAULT_RATE)

    def _speech(self, line: Line) -> Pcm:
        held = self.held.get(line)
        if held is not None:
            return held
        settings = self.settings
        language, voice = voice_for(line.language, settings.language, settings.voice)
        pcm = self.cache.synthesize(line.text, rate=settings.rate, language=language, voice=voice)
        # As the player plays it: the same fixed lead-in of silence before the first word.
        return pcm.resampled(DEFAULT_RATE).with_lead_in(LEAD_IN_SECONDS)

    def _synthesize_all(self, lines: Iterable[Line]) -> None:
        for line in lines:
            pcm = self._speech(line)
            self.lengths[line] = pcm.seconds
            if self.keep_all or self.held_bytes + len(pcm.samples) <= SPEECH_BUDGET_BYTES:
                self.held[line] = pcm
                self.held_bytes += len(pcm.samples)

    def write_pcm(self, write: Callable[[bytes], object]) -> None:
        """Every frame of the routine, in order, through `write`."""
        settings = self.settings
        written = 0  # frames
        pending, pending_at = b"", 0  # the last sound: a later one may cut its tail

        def emit(data: bytes, at: int, until: int) -> None:
            nonlocal written
            while written < at:
                gap = min(at - written, len(SILENCE) // 2)
                write(SILENCE[: 2 * gap])
                written += gap
            if at < written:
                data = data[2 * (written - at) :]
            data = data[: 2 * max(0, until - written)]
            if data:
                write(data)
                written += len(data) // 2

        spoken = 0
        for entry in self.entries:
            gain = volume_gain(night_volume(settings.volume, spoken, self.options))
            if entry.kind in ("say", "cue"):
                samples = self._speech(Line(entry.text, entry.language)).scaled(gain).samples
                spoken += 1
            elif entry.kind == "chime":
                # As the player plays it: lead-in and tone, CHIME_SECONDS long like its entry.
                samples = chime_sound().scaled(gain).samples
            else:
                continue  # holds, rests, pauses and waits are silence
            at = min(round(entry.offset * DEFAULT_RATE), self.frames)
            emit(pending, pending_at, min(at, self.frames))
            pending, pending_at = samples, at
        emit(pending, pending_at, self.frames)
        emit(b"", self.frames, self.frames)

    def written(self) -> Written:
        return Written(self.seconds, self.frames, self.cache.misses, self.cache.hits)


def render(
    plan: Plan,
    synth: Synthesizer,
    *,
    cache_folder: Path | None = None,
    engine: str = "",
    progress: Callable[[Iterable[Line]], Any] | None = None,
    options: PlayerOptions | None = None,
    phrases: PhraseBook = ENGLISH,
) -> Rendered:
    """The plan as one PCM in memory (22050 Hz mono), every sound at its timeline offset."""
    renderer = _Renderer(
        plan,
        synth,
        cache_folder=cache_folder,
        engine=engine,
        progress=progress,
        options=options,
        phrases=phrases,
    )
    buffer = bytearray()
    renderer.write_pcm(buffer.extend)
    done = renderer.written()
    return Rendered(Pcm(bytes(buffer), DEFAULT_RATE), done.seconds, done.synthesized, done.cached)


def export_wav(
    plan: Plan,
    synth: Synthesizer,
    out: BinaryIO,
    *,
    cache_folder: Path | None = None,
    engine: str = "",
    progress: Callable[[Iterable[Line]], Any] | None = None,
    options: PlayerOptions | None = None,
    phrases: PhraseBook = ENGLISH,
) -> Written:
    """The plan as a WAV file streamed into `out` (a file or stdout): memory stays flat.
    `phrases`: the routine's language's, for what a recording says instead of waiting."""
    renderer = _Renderer(
        plan,
        synth,
        cache_folder=cache_folder,
        engine=engine,
        progress=progress,
        options=options,
        phrases=phrases,
    )
    out.write(wav_header(renderer.frames, DEFAULT_RATE))
    renderer.write_pcm(out.write)
    return renderer.written()


def wav_header(frames: int, rate: int) -> bytes:
    """The 44-byte header of a 16-bit mono PCM WAV with `frames` frames to follow."""
    import struct

    data = 2 * frames
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data,
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        1,  # mono
        rate,
        2 * rate,
        2,
        16,
        b"data",
        data,
    )
