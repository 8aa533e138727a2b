"""A hung sound server (the private PulseAudio, SIGSTOPped): never a long silent wait.

Commands that play nothing (`voices`, `export`) do not even ask the server; `play` says within
seconds that nothing is being heard instead of "speaking" to nobody; a server that stalls for
a moment and goes on does not cost the end of the sentence it was playing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from array import array
from collections.abc import Iterator
from pathlib import Path

import pytest

from nightvoice.sound.speaker import STALL_SECONDS
from tests.audio_server import (
    PulseServer,
    Recorder,
    loud_stretches,
    pulse_server,
    recorder,
)
from tests.sink import RATE, processes_with

_ = (pulse_server, recorder)

pytestmark = pytest.mark.real_audio

TRACEBACK = "Traceback (most recent call last)"


@pytest.fixture
def stopped(pulse_server: PulseServer) -> Iterator[PulseServer]:
    """The sound server, hung (SIGSTOP) for the test, then let go on."""
    os.kill(pulse_server.pid, signal.SIGSTOP)
    try:
        yield pulse_server
    finally:
        os.kill(pulse_server.pid, signal.SIGCONT)


def nightvoice(
    args: list[str], server: PulseServer, home: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["nightvoice", *args],
        env={**server.env(), "NIGHTVOICE_HOME": str(home)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,  # the hang this file is about would fail here
        check=False,
    )


def test_voices_does_not_wait_for_a_hung_sound_server(stopped: PulseServer, tmp_path: Path) -> None:
    """Listing voices needs no sound: it used to wait ~30 s for the server."""
    done = nightvoice(["voices"], stopped, tmp_path / "home", timeout=10)
    assert done.returncode == 0, done.stderr
    assert "en" in done.stdout


def test_export_does_not_wait_for_a_hung_sound_server(stopped: PulseServer, tmp_path: Path) -> None:
    out = tmp_path / "calf.wav"
    done = nightvoice(
        ["export", "calf-cramp", "-o", str(out)], stopped, tmp_path / "home", timeout=20
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:4] == b"RIFF"


def test_play_says_at_once_that_nothing_is_heard(stopped: PulseServer, tmp_path: Path) -> None:
    """Not 41 s of 'speaking' to nobody: within the first sentence's own length plus
    STALL_SECONDS one line says the sound is lost (and that it is being tried again), and the
    program still ends cleanly when told to (its waiting is docs/promises.md's, ~30 s)."""
    routine = tmp_path / "short.yaml"
    routine.write_text("nightvoice: 1\ntitle: Short\nsteps:\n  - say: Hello.\n    hold: 30\n")
    started = time.monotonic()
    proc = subprocess.Popen(
        ["nightvoice", "play", str(routine), "--hands-free", "--blank"],
        env={**stopped.env(), "NIGHTVOICE_HOME": str(tmp_path / "home")},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        took = time.monotonic() - started
        assert "sound server" in line and "trying again" in line, line
        assert took < 2 + STALL_SECONDS + 3
        proc.terminate()
        assert proc.wait(timeout=10) == 128 + signal.SIGTERM
        assert TRACEBACK not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert processes_with(f"PULSE_SERVER={stopped.server}") == []


LONG = "Pull your toes gently towards your knee, and keep them there while you breathe."


def test_a_server_that_stalls_mid_sentence_does_not_cut_its_end(
    pulse_server: PulseServer, recorder: Recorder, tmp_path: Path
) -> None:
    """SIGSTOP for a second in the middle of a sentence, then SIGCONT: the whole sentence is
    still heard, then the next one, none cut short by the stall."""
    from tests.renders import rendered_fresh

    routine = tmp_path / "two.yaml"
    routine.write_text(
        f"nightvoice: 1\ntitle: Two\nrate: 180\nvolume: 1.0\nchime: false\n"
        f"steps:\n  - say: {LONG}\n  - say: Now rest.\n"
    )
    spoken = rendered_fresh(LONG, "Now rest.")
    mark = recorder.mark()
    proc = subprocess.Popen(
        ["nightvoice", "play", str(routine), "--hands-free", "--blank"],
        env={**pulse_server.env(), "NIGHTVOICE_HOME": str(tmp_path / "home")},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        recorder.wait_for_samples(mark, 1.0, timeout=15)  # a second into the sentence
        os.kill(pulse_server.pid, signal.SIGSTOP)
        try:
            with pytest.raises(subprocess.TimeoutExpired):  # a second's stall: the player
                proc.wait(timeout=1.0)  # waits it out instead of ending the routine
        finally:
            os.kill(pulse_server.pid, signal.SIGCONT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    recorder.wait_for_silence(mark, 0.3, timeout=5)
    heard = recorder.samples(mark)
    # A stalled server does not replay bit for bit what it was sent (it catches up on its
    # own clock, padding with silence), so the proof is in how much speech was heard: every
    # audible stretch of both sentences, as played (the night ramp: 1/2, then 2/3 volume).
    played = [spoken[LONG].scaled(0.5).values(), spoken["Now rest."].scaled(0.5 + 0.5 / 3).values()]

    def audible_seconds(values: array[int]) -> float:
        return sum(end - start for start, end in loud_stretches(values, gap=0.05)) / RATE

    expected = sum(audible_seconds(values) for values in played)
    assert audible_seconds(heard) == pytest.approx(expected, abs=0.1), "speech was cut short"
    # ...in order: what was heard first is the first sentence's start, exactly as sent.
    first = played[0]
    onset = loud_stretches(first, gap=0.05)[0][0]
    heard_onset = loud_stretches(heard, gap=0.05)[0][0]
    block = first[onset + 200 : onset + 300]
    assert heard[heard_onset + 200 : heard_onset + 300] == block
