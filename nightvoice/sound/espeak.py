"""libespeak-ng in memory, through pyttsx3's own ctypes binding: text to raw 16-bit samples.

Its own module, with nothing heavier than ctypes imported, because the head start
(headstart.py) speaks a first-ever run's first sentence through it before the rest of the
program has loaded; `synth.EspeakSynthesizer` wraps it for everyone else. espeak is one global
state per process (initialising it twice breaks it), so there is one engine per process.
"""

from __future__ import annotations

import ctypes
import os
import threading

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: this module must not import typing
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

NO_ENGINE = (
    "Cannot speak: the espeak-ng speech engine is not installed. Install it with "
    "`sudo apt install espeak-ng` (Debian/Ubuntu) or `brew install espeak-ng` (macOS), "
    "or run with --text to follow the steps on screen without a voice."
)
NO_DATA = (
    "Cannot speak: espeak-ng's voice data is missing or damaged (see the line above). "
    "Reinstall it with `sudo apt install --reinstall espeak-ng-data` (Debian/Ubuntu), "
    "or run with --text to follow the steps on screen without a voice."
)
# espeak_Initialize's option bit that makes a missing data folder an error code instead of
# exit(1) inside the library (which would skip every clean-up, the terminal's included).
INITIALIZE_DONT_EXIT = 0x8000
NO_SERVER = "unix:/nonexistent/nightvoice-synthesis-only"  # refuses at once
BINDING = "pyttsx3.drivers._espeak"
# What engine_build() calls this engine (a speech-cache key: kept as it always was).
BUILD_PREFIX = "EspeakSynthesizer"


def _unavailable(message: str = NO_ENGINE) -> Exception:
    from nightvoice.core.errors import SpeechUnavailable  # not on the head start's path

    return SpeechUnavailable(message)


def _shown(text: str) -> str:
    from nightvoice.core.errors import shown

    return shown(text)


def _config_error(message: str) -> Exception:
    from nightvoice.core.errors import ConfigError

    return ConfigError(message)


def load_espeak() -> Any:
    """pyttsx3's binding module; importing it loads libespeak-ng (SpeechUnavailable if absent).

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
        raise _unavailable() from exc
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


GENDERS = {1: "male", 2: "female"}


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


class EspeakEngine:
    """libespeak-ng in synchronous mode: Synth() returns with the whole utterance collected.

    Every call holds the lock, and rate and voice are only sent to the engine when they change.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._espeak: Any = None
        self._rate: int | None = None
        self._voice_key: tuple[str, str | None] | None = None
        self._catalog: Any = None  # a voices.VoiceCatalog, made when a voice is named
        self._chunks: list[bytes] = []
        self._sample_rate = 22050
        self._callback: Any = None  # keep the ctypes callback alive while espeak holds it

    def _engine(self) -> Any:
        """Initialise once; caller holds the lock."""
        if self._espeak is None:
            espeak = load_espeak()
            # espeak-ng 1.51 opens (and closes) a test audio stream through libpcaudio at
            # initialisation in every output mode, synchronous synthesis included; a hung
            # sound server (SIGSTOPped) blocks that ~30 s, stalling `voices` and `export`,
            # which play nothing. Only aplay plays here, so the probe is pointed at an address
            # that refuses at once, and the environment restored right after (aplay children
            # still find the real server).
            saved = os.environ.get("PULSE_SERVER")
            os.environ["PULSE_SERVER"] = NO_SERVER
            try:
                sample_rate = espeak.Initialize(
                    espeak.AUDIO_OUTPUT_SYNCHRONOUS, 0, None, INITIALIZE_DONT_EXIT
                )
            finally:
                if saved is None:
                    os.environ.pop("PULSE_SERVER", None)
                else:
                    os.environ["PULSE_SERVER"] = saved
            if sample_rate <= 0:
                raise _unavailable(NO_DATA)
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
                raise _config_error(
                    f"espeak-ng could not load the voice `{_shown(voice)}`; `nightvoice voices` "
                    "lists the installed voices."
                )
        else:
            spec = espeak.VOICE()
            spec.languages = language.lower().replace("_", "-").encode()
            if espeak.SetVoiceByProperties(ctypes.byref(spec)) != espeak.EE_OK:
                hint = self._voice_catalog(espeak).language_hint(language)
                raise _config_error(
                    f"There is no voice for the language `{_shown(language)}`{hint} (`nightvoice "
                    "voices` lists the installed voices and their languages)"
                )
        self._voice_key = key
        self._rate = None  # a new voice resets the rate to its own default

    def synthesize(
        self, text: str, *, rate: int, language: str, voice: str | None
    ) -> tuple[bytes, int]:
        """The whole utterance: (samples, sample rate); volume is left to the caller."""
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
        return data, self._sample_rate

    def _list(self, espeak: Any) -> list[tuple[str, tuple[str, ...], str | None, str]]:
        return [
            (
                (v.name or b"").decode(errors="replace"),
                _voice_languages(v, espeak),
                GENDERS.get(v.gender),
                (v.identifier or b"").decode(errors="replace"),
            )
            for v in espeak.ListVoices(None)
        ]

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

    def _voice_catalog(self, espeak: Any) -> Any:
        """Listed once per process (~12 ms), and only when a voice is asked for by name."""
        if self._catalog is None:
            from nightvoice.sound.voices import VoiceCatalog, VoiceInfo

            infos = [VoiceInfo(*fields) for fields in self._list(espeak)]
            self._catalog = VoiceCatalog.from_engine(infos, self._variant_files(espeak))
        return self._catalog

    def voices(self) -> list[tuple[str, tuple[str, ...], str | None, str]]:
        """(name, languages, gender, identifier) of every installed voice."""
        with self._lock:
            return self._list(self._engine())

    def catalog(self) -> Any:
        """The voices.VoiceCatalog of the names `voices` lists and `--voice` takes."""
        with self._lock:
            return self._voice_catalog(self._engine())

    def warm_up(self, language: str = "en", voice: str | None = None) -> None:
        with self._lock:
            self._select_voice(self._engine(), language, voice)

    def language_problem(self, language: str) -> str | None:
        """Why there is no voice for `language` (None: there is; it is selected now)."""
        from nightvoice.core.errors import ConfigError

        with self._lock:
            try:
                self._select_voice(self._engine(), language, None)
            except ConfigError as error:
                return str(error)
        return None

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

    def build(self) -> str:
        """Which engine build speaks: a new espeak-ng may sound different (a cache key)."""
        version = self._info()[0]
        if version:
            return f"{BUILD_PREFIX}/espeak-ng-{version}"
        return f"{BUILD_PREFIX}/pyttsx3-{pyttsx3_version()}"


def pyttsx3_version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("pyttsx3")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


_shared_engine: EspeakEngine | None = None
_shared_lock = threading.Lock()


def engine() -> EspeakEngine:
    """The process's one espeak engine."""
    global _shared_engine  # noqa: PLW0603 - one engine per process, like espeak itself
    with _shared_lock:
        if _shared_engine is None:
            _shared_engine = EspeakEngine()
        return _shared_engine
