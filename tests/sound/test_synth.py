"""The real espeak-ng engine renders speech in memory (no mocks)."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from array import array
from pathlib import Path

import pytest

from nightvoice.core.errors import ConfigError
from nightvoice.sound.audio import Pcm, read_wav
from nightvoice.sound.synth import EspeakSynthesizer, platform_synthesizer
from tests.audio_server import rms

SHORT = "Sit up slowly."
LONG = "Sit up slowly, stretch both legs out in front of you, and pull your toes toward you."


@pytest.fixture(scope="module")
def synth() -> EspeakSynthesizer:
    engine = EspeakSynthesizer()
    engine.warm_up()
    return engine


def say(synth: EspeakSynthesizer, text: str, rate: int = 150) -> Pcm:
    return synth.synthesize(text, rate=rate, language="en", voice=None)


def test_a_sentence_becomes_audible_pcm_of_plausible_length(synth: EspeakSynthesizer) -> None:
    pcm = say(synth, LONG)
    assert pcm.rate == 22050
    # 16 words at 150 wpm is about 6.4 s; espeak runs a little fast and adds an end pause.
    assert 3.0 < pcm.seconds < 9.0
    assert rms(pcm.values()) > 500
    assert max(abs(v) for v in pcm.values()) < 32767  # not clipped


def test_longer_text_and_slower_rate_take_longer(synth: EspeakSynthesizer) -> None:
    assert say(synth, LONG).seconds > say(synth, SHORT).seconds * 2
    slow, fast = say(synth, LONG, rate=100), say(synth, LONG, rate=220)
    assert slow.seconds > fast.seconds * 1.6


def test_rate_is_reapplied_when_it_changes_back(synth: EspeakSynthesizer) -> None:
    # espeak's output varies by a few samples between calls, so compare lengths.
    first = say(synth, LONG, rate=120)
    say(synth, SHORT, rate=220)
    assert say(synth, LONG, rate=120).seconds == pytest.approx(first.seconds, rel=0.02)


def test_empty_text_is_empty_pcm(synth: EspeakSynthesizer) -> None:
    assert say(synth, "   ").samples == b""


@pytest.mark.parametrize("keep", [0.005, 0.025, 0.2])
def test_the_lead_in_is_exactly_what_we_keep_trimmed_or_padded(
    synth: EspeakSynthesizer, keep: float
) -> None:
    pcm = say(synth, SHORT)
    assert pcm.leading_silence_seconds() > 0.005
    led = pcm.with_lead_in(keep)
    assert led.leading_silence_seconds() == pytest.approx(keep, abs=1 / 22050)
    sound = pcm.samples[2 * round(pcm.leading_silence_seconds() * pcm.rate) :]
    assert led.samples.endswith(sound)  # nothing of the sound itself is lost or changed


@pytest.mark.parametrize("channels", [1, 2])
def test_an_engines_wav_file_is_read_back_as_mono(
    synth: EspeakSynthesizer, tmp_path: Path, channels: int
) -> None:
    """pyttsx3's platform engines write WAV files (mono or stereo): read_wav gives the PCM."""
    pcm = say(synth, SHORT)
    frames = pcm.samples
    if channels == 2:
        values = pcm.values()
        frames = array("h", (v for v in values for _ in range(2))).tobytes()
    with wave.open(str(tmp_path / "s.wav"), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(pcm.rate)
        out.writeframes(frames)
    assert read_wav(tmp_path / "s.wav") == pcm


def test_voices_list_english_and_other_languages(synth: EspeakSynthesizer) -> None:
    voices = synth.voices()
    english = [
        v for v in voices if "en" in v.languages or any(x.startswith("en-") for x in v.languages)
    ]
    assert english
    assert any(v.gender in ("male", "female") for v in voices)
    assert any("de" in v.languages for v in voices)


def test_a_voice_by_name_and_a_language_both_speak(synth: EspeakSynthesizer) -> None:
    name = next(v.name for v in synth.voices() if "en-gb" in v.languages)
    by_name = synth.synthesize(SHORT, rate=150, language="en", voice=name)
    german = synth.synthesize("Setz dich langsam auf.", rate=150, language="de", voice=None)
    assert rms(by_name.values()) > 500
    assert rms(german.values()) > 500


def test_unknown_voice_or_language_is_a_clear_error(synth: EspeakSynthesizer) -> None:
    with pytest.raises(ConfigError, match="nightvoice voices"):
        synth.synthesize(SHORT, rate=150, language="en", voice="no-such-voice")
    with pytest.raises(ConfigError, match="nightvoice voices"):
        synth.synthesize(SHORT, rate=150, language="xx-nowhere", voice=None)
    assert rms(say(synth, SHORT).values()) > 500  # still usable afterwards


def test_the_platform_synthesizer_is_espeak_in_memory() -> None:
    assert isinstance(platform_synthesizer(), EspeakSynthesizer)


FALLBACK_SCRIPT = """
import json
from nightvoice.sound.synth import Pyttsx3FileSynthesizer
fallback = Pyttsx3FileSynthesizer()
first = fallback.synthesize("Sit up slowly.", rate=150, language="en", voice=None)
second = fallback.synthesize(
    "Sit up slowly, stretch both legs out, and pull your toes toward you.",
    rate=150, language="en", voice=None,
)
print(json.dumps([first.seconds, second.seconds]))
"""


def test_pyttsx3_file_fallback_renders_and_prints_nothing_else() -> None:
    # Its own process: pyttsx3's espeak driver and EspeakSynthesizer cannot share libespeak.
    # This exercises pyttsx3's quirks: the early first runAndWait and "Audio saved" on stdout.
    done = subprocess.run(
        [sys.executable, "-c", FALLBACK_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    first, second = json.loads(done.stdout)
    assert first > 0.5
    assert second > first * 2
