"""No sound outlives nightvoice: a signal at any moment, even SIGKILL, silences every aplay.

Real runs of the installed program into the private sound server, real signals. The head
start's aplay is the one most at risk (it starts in the first milliseconds, before any signal
handler exists), so most cases hit exactly then: the instant its aplay appears.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.audio_server import PulseServer, pulse_server
from tests.sink import processes_with

_ = pulse_server

pytestmark = pytest.mark.real_audio

LONG = (
    "This first sentence is a long one, so that it is still being spoken when the program "
    "is stopped, and anything that keeps on speaking after that is easy to hear."
)
ROUTINE = f"""\
nightvoice: 1
title: Long
rate: 160
steps:
  - say: {LONG}
  - say: And a second one.
"""


def wait_for(condition: object, timeout: float) -> float | None:
    """Poll `condition()` until true; the seconds it took, or None at the timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():  # type: ignore[operator]
            return time.monotonic() - start
        time.sleep(0.002)
    return None


class Runs:
    """Starts `nightvoice play` runs whose aplay children carry a marker in their environment."""

    def __init__(self, tmp_path: Path, server: PulseServer) -> None:
        self.routine = tmp_path / "long.yaml"
        self.routine.write_text(ROUTINE, encoding="utf-8")
        self.marker = f"NIGHTVOICE_ORPHAN_TEST={uuid.uuid4().hex}"
        name, value = self.marker.split("=")
        self.env = {
            **server.env(),
            "NIGHTVOICE_HOME": str(tmp_path / "home"),
            name: value,
            "PYTHONFAULTHANDLER": "1",  # a hang shows where, when ended by SIGABRT
        }
        self.cwd = tmp_path
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, argv: list[str] | None = None) -> subprocess.Popen[bytes]:
        """`nightvoice play ROUTINE` hands-free, or the given command line."""
        if argv is None:
            argv = ["nightvoice", "play", str(self.routine), "--hands-free", "--blank"]
        with (self.cwd / f"stderr-{len(self.started)}.txt").open("wb") as stderr:
            proc = subprocess.Popen(
                argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        self.started.append(proc)
        return proc

    def aplays(self) -> list[int]:
        return processes_with(self.marker)

    def remembered(self) -> Path:
        """Run a command and wait for the background render of plain `nightvoice`'s first words."""
        self.start(["nightvoice", "--version"]).wait(timeout=10)
        record = Path(self.env["NIGHTVOICE_HOME"]) / "cache" / "first-words.bin"
        assert wait_for(record.exists, 60) is not None, "no first words were rendered"
        return record

    def close(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for pid in self.aplays():
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def runs(tmp_path: Path, pulse_server: PulseServer) -> Iterator[Runs]:
    made = Runs(tmp_path, pulse_server)
    try:
        yield made
    finally:
        made.close()


def silence_after(runs: Runs, proc: subprocess.Popen[bytes], signum: int) -> float:
    """Send `signum` and return how long until no aplay of this run is left."""
    proc.send_signal(signum)
    took = wait_for(lambda: not runs.aplays(), 5)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # its threads' stacks, into its stderr
        proc.wait(timeout=5)
        said = (runs.cwd / f"stderr-{runs.started.index(proc)}.txt").read_text(errors="replace")
        raise AssertionError(f"still running 10 s after signal {signum}:\n{said}") from None
    assert took is not None, f"aplay still speaking 5 s after signal {signum}"
    print(f"signal {signum}: silent after {took * 1000:.1f} ms")
    return took


@pytest.mark.parametrize(
    ("signum", "limit"),
    [
        (signal.SIGTERM, 0.15),
        (signal.SIGHUP, 0.15),
        (signal.SIGINT, 0.15),
        (signal.SIGQUIT, 0.15),
        (signal.SIGKILL, 1.0),
    ],
    ids=["SIGTERM", "SIGHUP", "SIGINT", "SIGQUIT", "SIGKILL"],
)
def test_a_signal_the_instant_the_head_start_speaks_silences_it(
    runs: Runs, signum: int, limit: float
) -> None:
    """Before any handler is set, the head start's aplay dies with the program."""
    runs.remembered()
    proc = runs.start(["nightvoice"])  # plain: hands-free, as stdin is no terminal
    assert wait_for(runs.aplays, 5) is not None, "no head start played"
    assert silence_after(runs, proc, signum) < limit


def test_sigkill_mid_sentence_silences_the_speakers_aplay(runs: Runs) -> None:
    """A first-ever run (no head start) killed while speaking leaves no aplay behind."""
    proc = runs.start()
    assert wait_for(runs.aplays, 10) is not None
    time.sleep(0.5)  # well into the sentence: the speaker's own aplay, not a head start
    assert silence_after(runs, proc, signal.SIGKILL) < 1.0


def test_every_aplay_is_started_to_die_with_its_parent() -> None:
    """The one command line every spawner uses asks the kernel for a parent-death SIGKILL."""
    from nightvoice.sound.aplay import child_command

    argv, _env = child_command("pulse:nv", 22050)
    assert argv[0].endswith("setpriv")
    assert argv[1:4] == ["--pdeathsig", "KILL", "--"]
    assert Path(argv[4]).name == "aplay" or argv[4] == "aplay"
