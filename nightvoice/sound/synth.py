"""Text to PCM in memory, so the program plays (and can cut) every sound itself.

On Linux this calls libespeak-ng directly (espeak.py, through pyttsx3's own ctypes binding): a
sentence takes ~4 ms and nothing is played behind our back. Elsewhere pyttsx3 renders to a
temporary WAV.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from typing import Any, Protocol

from nightvoice.base.waiting import wait_for_event
from nightvoice.core.errors import SpeechUnavailable
from nightvoice.sound.audio import Pcm, read_wav
from nightvoice.sound.espeak import NO_ENGINE, engine, load_espeak, pyttsx3_version
from nightvoice.sound.voices import VoiceCatalog, VoiceInfo

__all__ = ["VoiceInfo"]  # defined beside the resolver; imported from here too


class Synthesizer(Protocol):
    def synthesize(self, text: str, *, rate: int, language: str, voice: str | None) -> Pcm: ...

    def voices(self) -> list[VoiceInfo]: ...

    def warm_up(self) -> None: ...

    def engine_version(self) -> str: ...


# Given each piece of a sound as an engine that renders in pieces (the natural voice) has it.
PieceListener = Callable[[Pcm], None]


def synthesize_in_pieces(
    synth: Any,
    text: str,
    *,
    rate: int,
    language: str,
    voice: str | None,
    on_piece: PieceListener | None,
) -> Pcm:
    """`synth.synthesize`, with `on_piece` given the pieces when `synth` renders in pieces
    (its `renders_in_pieces` says so); from any other engine the whole sound only."""
    if on_piece is not None and getattr(synth, "renders_in_pieces", False):
        pcm: Pcm = synth.synthesize(
            text, rate=rate, language=language, voice=voice, on_piece=on_piece
        )
        return pcm
    whole: Pcm = synth.synthesize(text, rate=rate, language=language, voice=voice)
    return whole


class EspeakSynthesizer:
    """Speech in memory from libespeak-ng (~4 ms a sentence); all instances share one engine."""

    def synthesize(self, text: str, *, rate: int, language: str, voice: str | None) -> Pcm:
        """The whole utterance as PCM (22050 Hz); volume is left to the caller."""
        return Pcm(*engine().synthesize(text, rate=rate, language=language, voice=voice))

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(*fields) for fields in engine().voices()]

    def catalog(self) -> VoiceCatalog:
        """The names `voices` lists and `--voice` takes, variants included."""
        found: VoiceCatalog = engine().catalog()
        return found

    def warm_up(self, language: str = "en", voice: str | None = None) -> None:
        """Load the library and the voice now (~20 ms cold), e.g. from a background thread."""
        engine().warm_up(language, voice)

    def data_file(self) -> str | None:
        return engine().data_file()

    def language_problem(self, language: str) -> str | None:
        """Why espeak-ng has no voice for `language` (None: it has one)."""
        return engine().language_problem(language)

    def engine_version(self) -> str:
        """Which engine build speaks: a new espeak-ng may sound different (a cache key)."""
        return engine().build()


class Pyttsx3FileSynthesizer:
    """For platforms without libespeak-ng (SAPI5, NSSS): pyttsx3 renders to a temporary WAV.

    Works around pyttsx3 2.99: the first runAndWait() may return before the file exists (we
    wait for 'finished-utterance'), save_to_file prints to stdout (silenced), and the espeak
    driver never resets its save path (reset by hand).
    """

    def __init__(self) -> None:
        self._engine: Any = None
        self._finished = threading.Event()
        self._lock = threading.Lock()
        self._voice_key: tuple[str, str | None] | None = None

    def _get_engine(self) -> Any:
        if self._engine is None:
            try:
                import pyttsx3

                engine = pyttsx3.init()
            except Exception as exc:  # any driver failure means no usable engine
                raise SpeechUnavailable(NO_ENGINE) from exc
            engine.connect("finished-utterance", lambda **_kw: self._finished.set())
            self._engine = engine
        return self._engine

    def _select_voice(self, engine: Any, language: str, voice: str | None) -> None:
        if (language, voice) == self._voice_key:
            return
        if voice:
            engine.setProperty("voice", self._catalog_of(engine).resolve(voice).target)
            self._voice_key = (language, voice)
            return
        for v in engine.getProperty("voices") or []:
            langs = [_lang_text(x).lower() for x in (v.languages or [])]
            if any(x.replace("_", "-").startswith(language.lower()) for x in langs):
                engine.setProperty("voice", v.id)
                break
        self._voice_key = (language, voice)

    def _catalog_of(self, engine: Any) -> VoiceCatalog:
        return VoiceCatalog.from_engine(self._infos(engine), engine="pyttsx3")

    def catalog(self) -> VoiceCatalog:
        with self._lock:
            return self._catalog_of(self._get_engine())

    def synthesize(self, text: str, *, rate: int, language: str, voice: str | None) -> Pcm:
        import io
        import tempfile

        with self._lock:
            engine = self._get_engine()
            self._select_voice(engine, language, voice)
            engine.setProperty("rate", rate)
            if not text.strip():
                return Pcm(b"", 22050)
            fd, path = tempfile.mkstemp(suffix=".wav", prefix="nightvoice-")
            os.close(fd)
            try:
                self._finished.clear()
                with contextlib.redirect_stdout(io.StringIO()):
                    engine.save_to_file(text, path)
                    engine.runAndWait()
                    if not wait_for_event(self._finished, 30):
                        raise SpeechUnavailable("The speech engine did not finish within 30 s.")
                driver = getattr(getattr(engine, "proxy", None), "_driver", None)
                if driver is not None and hasattr(driver, "_save_file"):
                    driver._save_file = None
                return read_wav(path)
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(path)

    def voices(self) -> list[VoiceInfo]:
        with self._lock:
            return self._infos(self._get_engine())

    def _infos(self, engine: Any) -> list[VoiceInfo]:
        out = []
        for v in engine.getProperty("voices") or []:
            gender = str(v.gender).lower() if getattr(v, "gender", None) else None
            out.append(
                VoiceInfo(
                    name=str(v.name),
                    languages=tuple(_lang_text(x) for x in (v.languages or [])),
                    gender=gender if gender in ("male", "female") else None,
                    identifier=str(v.id),
                )
            )
        return out

    def warm_up(self, language: str = "en", voice: str | None = None) -> None:
        with self._lock:
            self._select_voice(self._get_engine(), language, voice)

    def engine_version(self) -> str:
        """Which engine build speaks (the platform's engine, through this pyttsx3)."""
        return f"{type(self).__name__}/pyttsx3-{pyttsx3_version()}"


def _lang_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.lstrip(b"\x05").decode(errors="replace")
    return str(value)


def platform_synthesizer() -> EspeakSynthesizer | Pyttsx3FileSynthesizer:
    """espeak in memory when libespeak-ng loads, else pyttsx3's platform engine via files."""
    try:
        load_espeak()
    except SpeechUnavailable:
        return Pyttsx3FileSynthesizer()
    return EspeakSynthesizer()
