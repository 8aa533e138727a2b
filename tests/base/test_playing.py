"""The one playing lock: newer stops older, the reminder can ask, a stuck holder is ignored."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from nightvoice.base import playing

HOLDER = """
import signal, sys
from nightvoice.base import playing
held = playing.take_over()
def stop(signum, frame):
    print("told to stop", flush=True)
    held.release()
    sys.exit(0)
signal.signal(signal.SIGUSR1, stop if sys.argv[1] == "obeys" else signal.SIG_IGN)
print("playing" if held.held else "not held", flush=True)
signal.pause()
"""


@pytest.fixture
def holder() -> Iterator[object]:
    started: list[subprocess.Popen[str]] = []

    def start(kind: str) -> subprocess.Popen[str]:
        child = subprocess.Popen(
            [sys.executable, "-c", HOLDER, kind], stdout=subprocess.PIPE, text=True
        )
        started.append(child)
        assert child.stdout is not None and child.stdout.readline() == "playing\n"
        return child

    yield start
    for child in started:
        if child.poll() is None:
            child.kill()
        child.wait()


def test_a_newer_one_stops_the_one_playing_and_takes_the_lock(holder: object) -> None:
    """The one playing is told (SIGUSR1, its PID read from the lock file), lets go, and only
    then does the newer one hold the lock: the two never talk over each other."""
    older = holder("obeys")  # type: ignore[operator]
    assert playing.someone_playing()
    with playing.take_over() as newer:
        assert newer.held
        assert older.stdout.readline() == "told to stop\n"
        assert older.wait(5) == 0
        assert playing.someone_playing()  # now it is this one
        assert playing.lock_file().endswith("playing.lock")
        with open(playing.lock_file(), encoding="ascii") as lock:
            assert lock.read().strip() == str(os.getpid())
    assert not playing.someone_playing()  # released with the block


def test_player_is_the_pid_playing_now(holder: object) -> None:
    """`standby --status` tells its own run from another's by it."""
    assert playing.player() is None
    child = holder("ignores")  # type: ignore[operator]
    assert playing.player() == child.pid
    child.kill()
    child.wait()
    assert playing.player() is None


def test_a_holder_that_never_lets_go_is_ignored_after_a_while(
    holder: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never a hang at night: after TAKE_OVER_SECONDS the newer one plays all the same."""
    holder("ignores")  # type: ignore[operator]
    monkeypatch.setattr(playing, "TAKE_OVER_SECONDS", 0.2)
    newer = playing.take_over()
    assert not newer.held
    newer.release()  # nothing to let go: no error


def test_nothing_playing_without_a_holder_and_a_killed_holder_leaves_no_lock(
    holder: object,
) -> None:
    assert not playing.someone_playing()
    child = holder("ignores")  # type: ignore[operator]
    assert playing.someone_playing()
    child.kill()
    child.wait()
    assert not playing.someone_playing()  # the kernel drops a flock with its process


def test_no_lock_where_the_cache_folder_cannot_be_made(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """A read-only or missing home never stops the voice: it plays unlocked."""
    monkeypatch.setenv("NIGHTVOICE_HOME", "/proc/nightvoice-cannot-be-here")
    held = playing.take_over()
    assert not held.held
    assert not playing.someone_playing()
