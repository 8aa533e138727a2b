"""How long each sentence lasts exactly as `export` and `play` place it, for `show` and `list`.

Their totals then agree with the export's (a words-per-minute guess was minutes off). Lengths
are kept in one small file in the cache folder, keyed by the engine build, language, voice, rate
and text, beside a record of which engine build measured them and the stamps of its files (its
library and voice data). While those files are unchanged the record names the engine without
loading it (~20 ms, and ~50 ms of imports), so looking lengths up costs only reading the file.

A sentence not known yet is measured by synthesising it (about 5 ms, into the export's speech
cache too), or, where the caller cannot wait (`list` with many new sentences), estimated by
`planner.estimate_speech_seconds` and noted as missing, to be measured later. With no engine at
all the estimate stands in.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from nightvoice.base import paths, reading, writing
from nightvoice.core.plan import Settings, voice_for
from nightvoice.core.planner import LEAD_IN_SECONDS, SpeechSeconds, estimate_speech_seconds

LENGTHS_FILE = "speech-lengths-v2.json"  # v2: the engine record, plain keys (v1 is not read)
MAX_SENTENCE_SECONDS = 3600.0

# A missing sentence: the settings it is said with, and its text.
Missing = tuple[str, str | None, int, str]


def engine_files(synth: object) -> list[str]:
    """The engine's voice data and the shared libraries it runs on, as far as they are known
    (its libraries as this process mapped them)."""
    files = []
    data_file = getattr(synth, "data_file", None)
    with contextlib.suppress(Exception):  # an engine that cannot say: no data file to stamp
        found = data_file() if callable(data_file) else None
        if found:
            files.append(str(found))
    with (
        contextlib.suppress(OSError),
        open("/proc/self/maps", encoding="utf-8", errors="replace") as maps,
    ):
        for line in maps:
            path = line.split(maxsplit=5)[-1].strip()
            if "espeak" in os.path.basename(path) and path not in files:
                files.append(path)
    return files


def _stamps(files: list[str]) -> list[list[object]]:
    """The files' stamps as the JSON record holds them (lists, not tuples)."""
    return [list(stamp) for stamp in reading.file_stamps(files)]


def _key(engine: str, language: str, voice: str | None, rate: int, text: str) -> str:
    """The sentence's key in the file: everything its sound depends on (no hash: hashlib's
    OpenSSL costs ~5 ms to load, and the texts are the user's own)."""
    return "\0".join([engine, language, voice or "", str(rate), text])


class SpeechLengths:
    """Real sentence lengths, cached in the cache folder; see the module's docstring."""

    def __init__(self, cache_folder: Path | None = None) -> None:
        self._folder = cache_folder if cache_folder is not None else paths.cache_dir()
        self._known: dict[str, float] = {}
        self._learnt: dict[str, float] = {}  # measured by this process, not saved yet
        self._record: tuple[str, list[list[object]]] | None = None  # engine, its file stamps
        self._engine: str | None = None  # the engine build lengths are keyed by, once known
        self._cache: Any = None  # the export's SpeechCache, once the engine is loaded
        self._natural_builds: dict[str | None, str | None] = {}  # voice -> its own build
        self._natural_caches: dict[str, tuple[Any, Any]] = {}  # engine key -> (cache, engines)
        self.failed = False  # no engine can speak here: estimates stand in for good
        self.missing: dict[Missing, None] = {}  # estimated, not measured (in order of need)
        self.synthesized = 0  # sentences this process synthesised
        self.estimated = 0  # times an estimate stood in for a length
        data = self._read()
        self._known = data[0]
        self._record = data[1]
        if (
            self._record is not None
            and _stamps([str(f[0]) for f in self._record[1]]) == (self._record[1])
        ):
            self._engine = self._record[0]

    def _read(self) -> tuple[dict[str, float], tuple[str, list[list[object]]] | None]:
        try:
            data = json.loads(reading.read_input(self._folder / LENGTHS_FILE, limit=1 << 24))
        except (OSError, ValueError):
            return {}, None
        if not isinstance(data, dict):
            return {}, None
        lengths = data.get("lengths")
        known = (
            {
                k: float(v)
                for k, v in lengths.items()
                if isinstance(v, (int, float)) and 0 <= v < MAX_SENTENCE_SECONDS
            }
            if isinstance(lengths, dict)
            else {}
        )
        engine, files = data.get("engine"), data.get("files")
        record = None
        if (
            isinstance(engine, str)
            and isinstance(files, list)
            and files  # an engine with no files to stamp is never taken on trust
            and all(isinstance(f, list) and len(f) == 3 and isinstance(f[0], str) for f in files)
        ):
            record = (engine, files)
        return known, record

    def _speech_cache(self) -> Any:
        """The export's speech cache on the engine, loaded now; None when no engine speaks."""
        if self._cache is None and not self.failed:
            try:
                from nightvoice.sound.export import CACHE_FOLDER, SpeechCache
                from nightvoice.sound.synth import platform_synthesizer

                synth = platform_synthesizer()
                engine = synth.engine_version()
                self._cache = SpeechCache(synth, self._folder / CACHE_FOLDER, engine)
            except Exception:  # no engine here: estimates stand in
                self.failed = True
                return None
            self._engine = engine
            self._record = (engine, _stamps(engine_files(synth)))
        return self._cache

    def _engine_for(self, voice: str | None) -> str | None:
        """The engine build a voice's sentences are keyed by: espeak-ng's, and a natural
        voice's own on top when one speaks here (the key the export's speech cache uses)."""
        if self._engine is None:
            return None
        if voice not in self._natural_builds:
            from nightvoice.sound.naturalvoices import missing, natural_voice

            natural = natural_voice(voice)
            build = None
            if natural is not None and missing(natural) is None:
                from nightvoice.sound.piper_client import PiperSynthesizer

                build = PiperSynthesizer(natural).engine_version()
            self._natural_builds[voice] = build
        build = self._natural_builds[voice]
        return self._engine if build is None else f"{self._engine}+{build}"

    def _cache_for(self, voice: str | None, engine: str) -> Any:
        """The speech cache that says `voice`'s sentences: a natural voice has its own."""
        if engine == self._engine:
            return self._speech_cache()
        if engine not in self._natural_caches:
            from nightvoice.sound.engines import make_synthesizer
            from nightvoice.sound.export import CACHE_FOLDER, SpeechCache

            synth = make_synthesizer(voice)  # its child starts loading the model now
            cache = SpeechCache(synth, self._folder / CACHE_FOLDER, synth.engine_version())
            self._natural_caches[engine] = (cache, synth)
        return self._natural_caches[engine][0]

    def _slow_to_start(self, voice: str | None) -> bool:
        """Whether measuring in `voice` would first load a natural voice's model."""
        if self._speech_cache() is None:
            return False
        engine = self._engine_for(voice)
        return engine not in (None, self._engine) and engine not in self._natural_caches

    def close(self) -> None:
        """End a natural voice's synthesis child, if one was started to measure."""
        caches, self._natural_caches = list(self._natural_caches.values()), {}
        for _, synth in caches:
            with contextlib.suppress(Exception):
                synth.close()

    def known(self, settings: Settings, text: str, language: str | None = None) -> float | None:
        """The sentence's measured length, if known without loading the engine."""
        return self._known_as(_said_in(settings, language), text)

    def _known_as(self, settings: Settings, text: str) -> float | None:
        """`known`, for settings already as the sentence is said (`_said_in`)."""
        engine = self._engine_for(settings.voice)
        if engine is None:
            return None
        digest = _key(engine, settings.language, settings.voice, settings.rate, text)
        return self._known.get(digest)

    def measure(self, language: str, voice: str | None, rate: int, text: str) -> float | None:
        """Synthesise the sentence (through the speech cache) for its length, in the voice
        that will say it (a natural voice's lengths are its own); None if no engine can say
        it."""
        if self._speech_cache() is None:
            return None
        engine = self._engine_for(voice)
        if engine is None:
            return None
        cache = self._cache_for(voice, engine)
        digest = _key(engine, language, voice, rate, text)
        found = self._known.get(digest)
        if found is not None:
            return found
        try:
            pcm = cache.synthesize(text, rate=rate, language=language, voice=voice)
        except Exception:  # an engine that fails on this text: play will say so
            return None
        from nightvoice.sound.audio import DEFAULT_RATE

        length: float = pcm.resampled(DEFAULT_RATE).with_lead_in(LEAD_IN_SECONDS).seconds
        self.synthesized += 1
        self._known[digest] = self._learnt[digest] = length
        return length

    def for_settings(self, settings: Settings, *, wait: bool = True) -> SpeechSeconds:
        """A (text, language) -> seconds function for one voice, rate and language (a line in
        another language, Line.language, is measured in that language's voice).

        `wait`: measure a sentence not known yet (`show`); else estimate it and note it in
        `missing` (`list`, which measures them later with `measure_missing`).
        """

        said_in: dict[str | None, Settings] = {}  # language -> settings: `list` asks thousands

        def seconds(text: str, language: str | None = None) -> float:
            said = said_in.get(language)
            if said is None:
                said = said_in[language] = _said_in(settings, language)
            found = self._known_as(said, text)
            if found is not None:
                return found
            if wait:
                found = self.measure(said.language, said.voice, said.rate, text)
                if found is not None:
                    return found
            elif not self.failed:
                self.missing.setdefault((said.language, said.voice, said.rate, text), None)
            self.estimated += 1
            return estimate_speech_seconds(text, said.rate)

        return seconds

    def measure_missing(self, *, at_most: int | None, seconds: float | None) -> int:
        """Measure the sentences noted as missing, if there are at most `at_most` of them,
        stopping after `seconds` (engine loading included); how many were measured (or found
        unmeasurable: an engine that fails on a text, or no engine at all)."""
        if at_most is not None and len(self.missing) > at_most:
            return 0
        deadline = None if seconds is None else time.monotonic() + seconds
        done = 0
        for missing in list(self.missing):
            if deadline is not None and time.monotonic() > deadline:
                break
            if deadline is not None and self._slow_to_start(missing[1]):
                continue  # a natural voice's model takes ~1 s to load: not within a budget
            self.measure(*missing)
            del self.missing[missing]
            done += 1
            if self.failed:  # no engine: nothing can be measured, now or later
                done += len(self.missing)
                self.missing.clear()
                break
        return done

    def save(self) -> None:
        """Keep what was learnt (merged with what others saved meanwhile); a cache that cannot
        be written only costs speed."""
        if not self._learnt:
            return
        known, record = self._read()
        known.update(self._learnt)
        record = self._record or record
        data: dict[str, object] = {"lengths": known}
        if record is not None:
            data["engine"], data["files"] = record
        with contextlib.suppress(OSError):
            encoded = json.dumps(data).encode("utf-8")
            writing.write_atomically(self._folder / LENGTHS_FILE, encoded, durable=False)
        self._learnt = {}


def _said_in(settings: Settings, language: str | None) -> Settings:
    """The settings a line is said with: the routine's, or (Line.language) that language's
    own voice at the same rate."""
    spoken_in, voice = voice_for(language, settings.language, settings.voice)
    return replace(settings, language=spoken_in, voice=voice)
