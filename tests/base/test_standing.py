"""One standby per user: the lock, who holds it, and what it says it waits with."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nightvoice.base import standing

HOLDER = """
import sys
from nightvoice.base import standing
held = standing.claim()
held.describe(sys.argv[1])
print("standing", flush=True)
sys.stdin.read()
"""


def test_the_second_claim_gets_the_first_ones_pid_and_nothing_is_left_after_it() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, "calf-cramp at a press of a button"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "standing\n"
        assert standing.claim() == child.pid
        assert standing.running() == (child.pid, "calf-cramp at a press of a button")
    finally:
        child.kill()
        child.wait()
    assert standing.running() is None  # the kernel drops the lock with its process
    with standing.claim() as mine:
        assert isinstance(mine, standing.Standing)
        mine.describe("x" * 10_000)  # a description never grows the file without bound
        running = standing.running()
        assert running is not None and running[0] > 0
        assert len(running[1]) < standing.DESCRIPTION_LIMIT
    assert standing.running() is None


def test_where_nothing_can_be_locked_it_stands_by_all_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NIGHTVOICE_HOME", "/proc/nightvoice-cannot-be-here")
    claimed = standing.claim()
    assert isinstance(claimed, standing.Standing)
    claimed.describe("anything")  # nothing to write to: no error
    claimed.release()
    assert standing.running() is None
