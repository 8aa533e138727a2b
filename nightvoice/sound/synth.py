"""Text to PCM in memory, so the program plays (and can cut) every sound itself.

On Linux this calls libespeak-ng directly through pyttsx3's own ctypes binding: a sentence takes
~4 ms and nothing is played behind our back. Elsewhere pyttsx3 renders to a temporary WAV.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from typing import Any, Protocol

from nightvoice.core.errors import ConfigError, SpeechUnavailable
from nightvoice.sound.audio import Pcm, read_wav
from nightvoice.sound.voices import VoiceCatalog, VoiceInfo

__all__ = ["VoiceInfo"]  # defined beside the resolver; imported from here too

NO_ENGINE = (
    "Cannot speak: the espeak-ng speech engine is not installed. Install it with "
    "`sudo apt install espeak-ng` (Debian/Ubuntu) or `brew install espeak-ng` (macOS), "
    "or run with --text to follow the steps on screen without a voice."
)


class Synthesizer(Protocol):
    def synthesize(self, text: str, *, rate: int, language: str, voice: str | None) -> Pcm: ...

    def voices(self) -> list[VoiceInfo]: ...

    def warm_up(self) -> None: ...

    def engine_version(self) -> str: ...


BINDING = "pyttsx3.drivers._espeak"


def _load_espeak() -> Any:
    """pyttsx3's binding module; importing it loads libespeak-ng (RuntimeError if absent).

    The binding file is loaded by itself when it can be: importing it the usual way runs
    pyttsx3's package __init__ first (its engine, traceback, tokenize...), ~11 ms more before
    the first word for nothing we use. It is registered under its own name, so pyttsx3 and
    later imports share the one module (and the one espeak state).
    """
    import sys

    loaded = sys.modules.get(BINDING)
    if loaded is not None:
        return loaded
    try:
        module = _load_binding_alone()
        if module is None:
            from pyttsx3.drivers import _espeak

            module = _espeak
    except (RuntimeError, OSError, ImportError) as exc:
        raise SpeechUnavailable(NO_ENGINE) from exc
    return module


def _load_binding_alone() -> Any:
    import importlib.util
    import sys

    package = importlib.util.find_spec("pyttsx3")
    if package is None or not package.submodule_search_locations:
        return None
    for folder in package.submodule_search_locations:
        path = os.path.join(folder, "drivers", "_espeak.py")
        if os.path.isfile(path):
            break
    else:
        return None
    spec = importlib.util.spec_from_file_location(BINDING, path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[BINDING] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[BINDING]
        raise
    return module


_GENDERS = {1: "male", 2: "female"}


def _voice_languages(voice: Any, espeak: Any) -> tuple[str, ...]:
    """espeak packs languages as repeated (priority byte, NUL-terminated name), ended by 0."""
    field = espeak.VOICE.languages
    address = ctypes.c_void_p.from_address(ctypes.addressof(voice) + field.offset).value
    languages: list[str] = []
    while address and len(languages) < 16:
        if ctypes.string_at(address, 1) == b"\0":
            break
        name = ctypes.string_at(address + 1)
        languages.append(name.decode(errors="replace"))
        address += len(name) + 2
    return tuple(languages)


class _EspeakEngine:
    """libespeak-ng in synchronous mode: Synth() returns with the whole utterance collected.

    espeak is one global state per process (initialising it twice breaks it), so there is one
    of these per process, every call holds its lock, and rate and voice are only sent to the
    engine when they change.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._espeak: Any = None
        self._rate: int | None = None
        self._voice_key: tuple[str, str | None] | None = None
        self._catalog: VoiceCatalog | None = None
        self._chunks: list[bytes] = []
        self._sample_rate = 22050
        self._callback: Any = None  # keep the ctypes callback alive while espeak holds it

    def _engine(self) -> Any:
        """Initialise once; caller holds the lock."""
        if self._espeak is None:
            espeak = _load_espeak()
            sample_rate = espeak.Initialize(espeak.AUDIO_OUTPUT_SYNCHRONOUS, 0)
            if sample_rate <= 0:
                raise SpeechUnavailable(NO_ENGINE)
            self._sample_rate = sample_rate
            self._callback = espeak.t_espeak_callback(self._collect)
            self._espeak = espeak
        # pyttsx3's own espeak driver may have replaced the callback since: set ours each time.
        self._espeak.cSetSynthCallback(self._callback)
        return self._espeak

    def _collect(self, wav: Any, count: int, _events: Any) -> int:
        if wav and count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0

    def _select_voice(self, espeak: Any, language: str, voice: str | None) -> None:
        key = (language, voice)
        if key == self._voice_key:
            return
        self._voice_key = None  # a failed selection may leave espeak half-switched
        if voice:
            # espeak-ng itself takes almost any name (an unknown variant is ignored in
            # silence), so the one resolver decides, as for `voices` and `config set`.
            target = self._voice_catalog(espeak).resolve(voice).target
            if espeak.SetVoiceByName(target.encode()) != espeak.EE_OK:
                raise ConfigError(
                    f"espeak-ng could not load the voice {voice!r}; `nightvoice voices` "
                    "lists the installed voices."
                )
        else:
            spec = espeak.VOICE()
            spec.languages = language.lower().replace("_", "-").encode()
            if espeak.SetVoiceByProperties(ctypes.byref(spec)) != espeak.EE_OK:
                raise ConfigError(
                    f"There is no voice for the language {language!r}; `nightvoice voices` "
                    "lists the installed voices and their languages."
                )
        self._voice_key = key
        self._rate = None  # a new voice resets the rate to its own default

    def synthesize(self, text: str, *, rate: int, language: str, voice: str | None) -> Pcm:
        """The whole utterance as PCM (22050 Hz); volume is left to the caller."""
        with self._lock:
            espeak = self._engine()
            self._select_voice(espeak, language, voice)
            if rate != self._rate:
                espeak.SetParameter(espeak.RATE, int(rate), 0)
                self._rate = rate
            self._chunks = []
            if text.strip():
                espeak.Synth(text, flags=espeak.ENDPAUSE | espeak.CHARS_UTF8)
            data, self._chunks = b"".join(self._chunks), []
        return Pcm(data, self._sample_rate)

    def _list(self, espeak: Any) -> list[VoiceInfo]:
        infos = []
        for v in espeak.ListVoices(None):
            infos.append(
                VoiceInfo(
                    name=(v.name or b"").decode(errors="replace"),
                    languages=_voice_languages(v, espeak),
                    gender=_GENDERS.get(v.gender),
                    identifier=(v.identifier or b"").decode(errors="replace"),
                )
            )
        return infos

    def _variant_files(self, espeak: Any) -> list[str]:
        """espeak-ng's voice variants (`f3`, `klatt`...), by the file name `+` takes."""
        spec = espeak.VOICE()
        spec.languages = b"variant"
        names = []
        for v in espeak.ListVoices(ctypes.byref(spec)):
            identifier = (v.identifier or b"").decode(errors="replace")
            if identifier.startswith("!v/"):
                names.append(identifier[3:])
        return names

    def _voice_catalog(self, espeak: Any) -> VoiceCatalog:
        """Listed once per process (~12 ms), and only when a voice is asked for by name."""
        if self._catalog is None:
            self._catalog = VoiceCatalog.from_engine(
                self._list(espeak), self._variant_files(espeak)
            )
        return self._catalog

    def voices(self) -> list[VoiceInfo]:
        with self._lock:
            return self._list(self._engine())

    def catalog(self) -> VoiceCatalog:
        with self._lock:
            return self._voice_catalog(self._engine())

    def warm_up(self, language: str = "en", voice: str | None = None) -> None:
        with self._lock:
            self._select_voice(self._engine(), language, voice)

    def _info(self) -> tuple[str, str]:
        """espeak_Info: the library's version and its data folder ("" when it cannot say)."""
        with self._lock:
            espeak = self._engine()
            path = ctypes.c_char_p()
            info = ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p))
            try:
                version = info(("espeak_Info", espeak.dll))(ctypes.byref(path))
            except (AttributeError, OSError):
                return "", ""
        return (version or b"").decode(errors="replace"), (path.value or b"").decode(
            errors="replace"
        )

    def data_file(self) -> str | None:
        """espeak-ng's phoneme table: it changes whenever the installed voices do."""
        folder = self._info()[1]
        return os.path.join(folder, "phontab") if folder else None

    def version(self) -> str:
        return self._info()[0]


_shared_engine: _EspeakEngine | None = None
_shared_lock = threading.Lock()


def _espeak_engine() -> _EspeakEngine:
    global _shared_engine  # noqa: PLW0603 - one engine per process, like espeak itself
    with _shared_lock:
        if _shared_engine is None:
            _shared_engine = _EspeakEngine()
        return _shared_engine


class EspeakSynthesizer:
    """Speech in memory from libespeak-ng (~4 ms a sentence); all instances share one engine."""

    def synthesize(self, text: str, *, rate: int, language: str, voice: str | None) -> Pcm:
        """The whole utterance as PCM (22050 Hz); volume is left to the caller."""
        return _espeak_engine().synthesize(text, rate=rate, language=language, voice=voice)

    def voices(self) -> list[VoiceInfo]:
        return _espeak_engine().voices()

    def catalog(self) -> VoiceCatalog:
        """The names `voices` lists and `--voice` takes, variants included."""
        return _espeak_engine().catalog()

    def warm_up(self, language: str = "en", voice: str | None = None) -> None:
        """Load the library and the voice now (~20 ms cold), e.g. from a background thread."""
        _espeak_engine().warm_up(language, voice)

    def data_file(self) -> str | None:
        return _espeak_engine().data_file()

    def engine_version(self) -> str:
        """Which engine build speaks: a new espeak-ng may sound different (a cache key)."""
        version = _espeak_engine().version()
        if version:
            return f"{type(self).__name__}/espeak-ng-{version}"
        return f"{type(self).__name__}/pyttsx3-{_pyttsx3_version()}"


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
                    if not self._finished.wait(30):
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
        return f"{type(self).__name__}/pyttsx3-{_pyttsx3_version()}"


def _pyttsx3_version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("pyttsx3")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _lang_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.lstrip(b"\x05").decode(errors="replace")
    return str(value)


def make_synthesizer() -> EspeakSynthesizer | Pyttsx3FileSynthesizer:
    """espeak in memory when libespeak-ng loads, else pyttsx3's platform engine via files."""
    try:
        _load_espeak()
    except SpeechUnavailable:
        return Pyttsx3FileSynthesizer()
    return EspeakSynthesizer()
