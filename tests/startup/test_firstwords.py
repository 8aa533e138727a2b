"""The default routine's first words, rendered ahead for the head start, and kept fresh."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from nightvoice.sound.export import CACHE_FOLDER
from nightvoice.startup import firstwords, headstart
from nightvoice.startup.firstwords import FirstSay, first_say
from nightvoice.user.night import prepare

QUESTION = "Which leg is cramping? Press L for left, or R for right."
TAKEN = "Left leg."  # hands-free the question is not asked: the default it takes is said


def test_the_first_words_are_what_the_player_says_first_with_keys_and_without() -> None:
    prepared = prepare()
    # With keys the calf routine asks which leg; hands-free it says the leg it takes, at the
    # night profile's first, softest volume (half of 0.6).
    assert first_say(prepared, interactive=True) == FirstSay(QUESTION, 125, 0.3)
    assert first_say(prepared, interactive=False) == FirstSay(TAKEN, 125, 0.3)


def test_the_config_and_a_replacing_user_routine_decide_them(private_home: Path) -> None:
    private_home.mkdir(parents=True, exist_ok=True)
    (private_home / "config.yaml").write_text("rate: 140\nvolume: 0.8\n", encoding="utf-8")
    assert first_say(prepare(), interactive=False) == FirstSay(TAKEN, 140, 0.4)
    scripts = private_home / "scripts"
    scripts.mkdir()
    (scripts / "calf-cramp.yml").write_text(
        "nightvoice: 1\ntitle: Mine\nsteps:\n  - Breathe out slowly.\n", encoding="utf-8"
    )
    # (no question in this one: with keys too, the first step is the first thing said)
    for interactive in (True, False):
        said = first_say(prepare(), interactive=interactive)
        assert said == FirstSay("Breathe out slowly.", 140, 0.4)


def test_a_routine_that_starts_with_silence_has_no_first_words(private_home: Path) -> None:
    """A hold before any sound: whatever is said after it is not said at the start."""
    scripts = private_home / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "calf-cramp.yaml").write_text(
        "nightvoice: 1\ntitle: Quiet\nsteps:\n  - rest: 5\n  - Now sit up.\n", encoding="utf-8"
    )
    assert first_say(prepare(), interactive=False) is None


def test_refresh_keeps_them_and_any_change_makes_them_stale(private_home: Path) -> None:
    firstwords.refresh()
    first = headstart.load(False)
    assert first is not None
    assert (first.text, first.rate, first.volume, first.device) == (TAKEN, 125, 0.3, None)
    assert first.engine.startswith("EspeakSynthesizer/")
    assert len(first.samples) > 2 * 22050  # the sentence itself, over a second of it
    asked = headstart.load(True)
    assert asked is not None and asked.text == QUESTION
    # Stamped with the engine too: its voice data and its library (an upgrade is a change).
    record = headstart._read(None)
    assert record is not None
    stamped = [os.path.basename(stamp[0]) for stamp in record["stamps"]]
    assert "phontab" in stamped
    assert any(name.startswith("libespeak-ng.so") for name in stamped)
    # The speech cache (the one `export` keeps) holds the sentences now.
    assert list((private_home / "cache" / CACHE_FOLDER).rglob("*.pcm"))

    (private_home / "config.yaml").write_text("device: pulse:phones\n", encoding="utf-8")
    assert headstart.load(False) is None  # the config changed: never the old words
    firstwords.refresh()
    first = headstart.load(False)
    assert first is not None and first.device == "pulse:phones"


def test_a_broken_copy_of_the_default_routine_keeps_the_built_ins_first_words(
    private_home: Path,
) -> None:
    """Plain `nightvoice` then plays the built-in (session.py): so does its head start."""
    scripts = private_home / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "calf-cramp.yaml").write_text("nightvoice: 1\ntitle: [broken\n", encoding="utf-8")
    firstwords.refresh()
    assert headstart.fresh()  # no background render after every command for nothing
    asked = headstart.load(True)
    assert asked is not None and asked.text == QUESTION
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
    assert started == [[sys.executable, "-m", "nightvoice.startup.firstwords"]]
    firstwords.refresh()
    headstart.refresh_if_stale()
    assert len(started) == 1


def test_a_first_ever_run_knows_the_built_in_first_words_without_loading_them() -> None:
    """headstart's copy (for a run with no record yet) is exactly what the player says."""
    from nightvoice.core.planner import LEAD_IN_SECONDS
    from nightvoice.user.catalog import builtin_dir

    prepared = prepare()
    for interactive in (True, False):
        said = first_say(prepared, interactive=interactive)
        assert said == FirstSay(*headstart.BUILT_IN_FIRST[interactive])
    assert prepared.settings.language == headstart.BUILT_IN_LANGUAGE
    assert prepared.settings.voice is None  # espeak-ng's voice for the language
    assert prepared.device is None
    name, size = headstart.BUILT_IN_ROUTINE
    assert prepared.ref.path == builtin_dir() / name
    assert prepared.ref.path.stat().st_size == size
    assert headstart.LEAD_IN_SECONDS == LEAD_IN_SECONDS


@pytest.mark.parametrize(
    "mine", ["config.yaml", "scripts/calf-cramp.yaml", "scripts/calf-cramp.yml"]
)
def test_anything_of_the_users_that_decides_the_first_words_turns_the_built_in_ones_off(
    private_home: Path, mine: str
) -> None:
    assert headstart._only_built_ins_decide()
    (private_home / mine).parent.mkdir(parents=True, exist_ok=True)
    (private_home / mine).write_text("", encoding="utf-8")
    assert not headstart._only_built_ins_decide()


@pytest.mark.parametrize("xdg", [None, "", "  ", "ELSEWHERE", "~/conf", "relative/conf"])
def test_the_head_start_looks_wherever_the_config_can_be(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, xdg: str | None
) -> None:
    from nightvoice.base import paths

    monkeypatch.delenv("NIGHTVOICE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    if xdg is None:
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CONFIG_HOME", xdg.replace("ELSEWHERE", str(tmp_path / "else")))
    assert headstart._only_built_ins_decide()
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text("rate: 120\n", encoding="utf-8")  # where the config is read
    assert not headstart._only_built_ins_decide()
