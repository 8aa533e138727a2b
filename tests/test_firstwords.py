"""The default routine's first words, rendered ahead for the head start, and kept fresh."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from nightvoice import firstwords
from nightvoice.firstwords import FirstSay, first_say
from nightvoice.session import PlayRequest, prepare
from nightvoice.sound import headstart

QUESTION = "Which leg is cramping? Press L for left, or R for right."
SETTLE = "You are all right. This will pass."


def test_the_first_words_are_what_the_player_says_first_with_keys_and_without() -> None:
    prepared = prepare(PlayRequest())
    # With keys the calf routine asks which leg; hands-free it starts at once, at the night
    # profile's first, softest volume (half of 0.6).
    assert first_say(prepared, interactive=True) == FirstSay(QUESTION, 125, 0.3)
    assert first_say(prepared, interactive=False) == FirstSay(SETTLE, 125, 0.3)


def test_the_config_and_a_replacing_user_routine_decide_them(private_home: Path) -> None:
    private_home.mkdir(parents=True, exist_ok=True)
    (private_home / "config.yaml").write_text("rate: 140\nvolume: 0.8\n", encoding="utf-8")
    assert first_say(prepare(PlayRequest()), interactive=False) == FirstSay(SETTLE, 140, 0.4)
    scripts = private_home / "scripts"
    scripts.mkdir()
    (scripts / "calf-cramp.yml").write_text(
        "nightvoice: 1\ntitle: Mine\nsteps:\n  - Breathe out slowly.\n", encoding="utf-8"
    )
    # (no question in this one: with keys too, the first step is the first thing said)
    for interactive in (True, False):
        said = first_say(prepare(PlayRequest()), interactive=interactive)
        assert said == FirstSay("Breathe out slowly.", 140, 0.4)


def test_a_routine_that_starts_with_silence_has_no_first_words(private_home: Path) -> None:
    """A hold before any sound: whatever is said after it is not said at the start."""
    scripts = private_home / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "calf-cramp.yaml").write_text(
        "nightvoice: 1\ntitle: Quiet\nsteps:\n  - rest: 5\n  - Now sit up.\n", encoding="utf-8"
    )
    assert first_say(prepare(PlayRequest()), interactive=False) is None


def test_refresh_keeps_them_and_any_change_makes_them_stale(private_home: Path) -> None:
    firstwords.refresh()
    first = headstart.load(False)
    assert first is not None
    assert (first.text, first.rate, first.volume, first.device) == (SETTLE, 125, 0.3, None)
    assert first.engine.startswith("EspeakSynthesizer/")
    assert len(first.samples) > 2 * 22050  # the sentence itself, over a second of it
    asked = headstart.load(True)
    assert asked is not None and asked.text == QUESTION
    # The speech cache (the one `export` keeps) holds the sentences now.
    assert list((private_home / "cache" / "speech-v1").rglob("*.pcm"))

    (private_home / "config.yaml").write_text("device: pulse:phones\n", encoding="utf-8")
    assert headstart.load(False) is None  # the config changed: never the old words
    firstwords.refresh()
    first = headstart.load(False)
    assert first is not None and first.device == "pulse:phones"


def test_a_broken_default_routine_keeps_a_record_with_nothing_to_play(
    private_home: Path,
) -> None:
    scripts = private_home / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "calf-cramp.yaml").write_text("nightvoice: 1\ntitle: [broken\n", encoding="utf-8")
    firstwords.refresh()
    assert headstart.fresh()  # no background render after every command for nothing
    assert headstart.load(False) is None
    (scripts / "calf-cramp.yaml").unlink()
    assert not headstart.fresh()


def test_only_a_missing_or_stale_record_starts_a_background_render(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[list[str]] = []

    def spawn(path: str, argv: list[str], env: object, **kwargs: object) -> int:
        assert kwargs.get("setsid") is True  # its own session: outlives this command's group
        started.append(argv)
        return 0

    monkeypatch.setattr(os, "posix_spawn", spawn)
    headstart.refresh_if_stale()
    assert started == [[sys.executable, "-m", "nightvoice.firstwords"]]
    firstwords.refresh()
    headstart.refresh_if_stale()
    assert len(started) == 1
