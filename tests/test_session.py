"""The play session's clean-up order: the sound stops, then the terminal comes back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nightvoice import session
from nightvoice.session import PlayRequest, play_routine
from nightvoice.sound.speaker import TextVoice

ROUTINE = "nightvoice: 1\ntitle: Quick\nsteps:\n  - Sit up.\n  - Breathe.\n"


def test_the_audio_is_silenced_before_the_screen_is_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []

    class Screen:
        def __getattr__(self, name: str) -> Any:
            return lambda *args, **kwargs: None

        def close(self) -> None:
            events.append("screen closed (cursor shown)")

    class Output:
        device = None

        def __init__(self, device: str | None) -> None:
            pass

        def prewarm(self) -> None:
            pass

        def close(self) -> None:
            events.append("audio closed")

    screen = Screen()

    def speaker(synth: object, output: object, post: Any, **kwargs: object) -> TextVoice:
        return TextVoice(post, screen, estimate=lambda _text, _rate: 0.001)  # type: ignore[arg-type]

    monkeypatch.setattr(session, "choose_screen", lambda out, blank, phrases: screen)
    monkeypatch.setattr("nightvoice.sound.audio.AplayOutput", Output)
    monkeypatch.setattr("nightvoice.sound.synth.platform_synthesizer", object)
    monkeypatch.setattr("nightvoice.sound.speaker.SpeakerVoice", speaker)
    monkeypatch.setattr(session, "_render_ahead", lambda *args: None)
    monkeypatch.setattr("nightvoice.sound.speaker.CHIME_SECONDS", 0.001)
    routine = tmp_path / "quick.yaml"
    routine.write_text(ROUTINE, encoding="utf-8")
    assert play_routine(PlayRequest(target=str(routine), hands_free=True)).completed
    assert events == ["audio closed", "screen closed (cursor shown)"]
