"""`list` never waits on synthesis: new sentences are estimated (`~5:20`), measured in the
background, and the next `list` gives the export's exact length."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from nightvoice.base import paths
from nightvoice.cli import run
from nightvoice.core.errors import SpeechUnavailable
from nightvoice.user import catalog, listlengths
from nightvoice.user.listlengths import start as real_start  # conftest records the patched one

ROUTINE = """\
nightvoice: 1
title: Routine {n}
steps:
  - say: Sit up slowly, number {n}.
  - say: Pull your toes toward you, {n} times.
    hold: 20
    cues: {{halfway: true, release: Let go.}}
"""


def add_routines(count: int, start: int = 0) -> None:
    folder = paths.routines_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(start, start + count):
        (folder / f"routine-{n:03d}.yaml").write_text(ROUTINE.format(n=n))


@pytest.fixture
def synthesized(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every sentence (and rate) the real engine is asked to synthesise, in order."""
    from nightvoice.sound import synth

    real = synth.platform_synthesizer()
    said: list[tuple[str, int]] = []

    class Counting:
        def synthesize(self, text: str, **settings: Any) -> Any:
            said.append((text, settings["rate"]))
            return real.synthesize(text, **settings)

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    monkeypatch.setattr(synth, "platform_synthesizer", Counting)
    return said


def lengths_listed(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """`nightvoice list` as {name: length column}."""
    capsys.readouterr()
    assert run(["list"]) == 0
    return {line.split()[0]: line.split()[1] for line in capsys.readouterr().out.splitlines()}


def test_a_first_list_of_many_new_routines_synthesises_nothing_and_shows_estimates(
    synthesized: list[tuple[str, int]],
    list_measurements: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Hundreds of new sentences: none is synthesised on the way, each length is marked `~`."""
    add_routines(30)
    listed = lengths_listed(capsys)
    assert synthesized == []
    assert len(listed) == 37 and all(length.startswith("~") for length in listed.values())
    assert list_measurements == ["measure"]  # the background measurement was started
    pending = {item.ref.name: item.length for item in catalog.list_routines()}
    assert set(pending.values()) == {catalog.PENDING}


def test_a_few_new_sentences_are_measured_at_once_and_more_never_are(
    synthesized: list[tuple[str, int]],
    list_measurements: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Within LIST_MEASURES new sentences `list` is exact at once; past it, it waits for none."""
    assert listlengths.measure()  # the built-ins' sentences, as after an earlier `list`
    add_routines(1)  # 3 new sentences (`Halfway.` is a built-in's)
    synthesized.clear()
    list_measurements.clear()
    listed = lengths_listed(capsys)
    assert len(synthesized) == 3 <= catalog.LIST_MEASURES
    assert not any(length.startswith("~") for length in listed.values())
    assert list_measurements == []
    add_routines(5, start=1)  # 10 new sentences: more than LIST_MEASURES
    synthesized.clear()
    listed = lengths_listed(capsys)
    assert synthesized == []
    assert [n for n, length in listed.items() if length.startswith("~")] == [
        f"routine-{n:03d}" for n in range(1, 6)
    ]
    assert list_measurements == ["measure"]


def test_the_background_measurement_makes_every_estimate_exact(
    synthesized: list[tuple[str, int]],
    list_measurements: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """After it, `list` gives the length `show` gives (the export's), with no `~`."""
    add_routines(12)
    assert all(length.startswith("~") for length in lengths_listed(capsys).values())
    assert listlengths.measure()
    assert len(synthesized) == len(set(synthesized))  # each sentence once
    list_measurements.clear()
    listed = lengths_listed(capsys)
    assert not any(length.startswith("~") for length in listed.values())
    assert list_measurements == []  # nothing left to measure: nothing started
    for name in ("routine-007", "calf-cramp"):
        assert run(["show", name]) == 0
        total = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("Total"))
        assert total.split()[2] == listed[name]


def test_with_nothing_pending_the_measurement_does_nothing(
    synthesized: list[tuple[str, int]],
    list_measurements: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A warm list starts nothing, and a measurement started anyway reads only the cache."""
    add_routines(3)
    lengths_listed(capsys)
    assert listlengths.measure()
    synthesized.clear()
    list_measurements.clear()
    lengths_listed(capsys)
    assert list_measurements == []
    assert catalog.measure_pending() == 0  # nothing summarised again
    assert synthesized == []


def test_only_one_measurement_runs_at_once(
    synthesized: list[tuple[str, int]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While one runs, `list` starts no other, and one started anyway ends at once."""
    add_routines(12)
    lengths_listed(capsys)
    spawned: list[object] = []
    monkeypatch.setattr(os, "posix_spawn", lambda *args, **options: spawned.append(args))
    assert listlengths.running() is False
    lock = os.open(paths.cache_dir() / listlengths.LOCK, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first one, still running
        assert listlengths.running() is True
        real_start()  # a `list` meanwhile starts no second one
        assert spawned == []
        assert listlengths.measure() is False
        assert synthesized == []
    finally:
        os.close(lock)
    real_start()
    assert len(spawned) == 1
    assert listlengths.measure() is True
    assert not any(length.startswith("~") for length in lengths_listed(capsys).values())


def test_with_no_engine_estimates_stay_marked_and_nothing_is_started(
    monkeypatch: pytest.MonkeyPatch,
    list_measurements: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No engine can measure them: shown as `~` for good, with no background work each time."""
    from nightvoice.sound import synth

    def no_engine() -> None:
        raise SpeechUnavailable("espeak-ng is not installed")

    monkeypatch.setattr(synth, "platform_synthesizer", no_engine)
    add_routines(1)
    assert lengths_listed(capsys)["routine-000"].startswith("~")
    assert listlengths.measure()  # finds no engine
    list_measurements.clear()
    for _ in range(2):
        assert lengths_listed(capsys)["routine-000"].startswith("~")
    assert list_measurements == []
    assert {i.ref.name: i.length for i in catalog.list_routines()}["routine-000"] == (
        catalog.ESTIMATED
    )


def test_the_measurement_is_started_detached_from_the_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its own session, /dev/null for stdin, stdout and stderr: it never writes on the screen
    and never keeps the command (or a pipe reading its output) waiting."""
    spawned: list[tuple[Any, ...]] = []

    def spawn(path: str, argv: list[str], env: object, **options: Any) -> int:
        actions = options["file_actions"]
        targets = {action[2] for action in actions}
        sources = {os.readlink(f"/proc/self/fd/{action[1]}") for action in actions}
        spawned.append((argv[1:], options["setsid"], targets, sources))
        return 12345

    monkeypatch.setattr(os, "posix_spawn", spawn)
    real_start()
    assert spawned == [(["-m", "nightvoice.user.listlengths"], True, {0, 1, 2}, {os.devnull})]


def test_a_real_list_returns_at_once_and_the_next_one_is_exact(private_home: Path) -> None:
    """The installed command: its output is only the listing, the measurement runs on after
    it, and once it is done `list` shows no estimate."""
    assert listlengths.measure()  # the built-ins: only the new routines are left to measure
    add_routines(5)  # 10 new sentences: more than `list` measures itself
    env = {**os.environ, "NIGHTVOICE_HOME": str(private_home)}
    command = [sys.executable, "-m", "nightvoice", "list"]
    first = subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=60
    )
    assert (first.returncode, first.stderr) == (0, "")
    estimated = [line.split()[0] for line in first.stdout.splitlines() if "~" in line]
    assert estimated == [f"routine-{n:03d}" for n in range(5)]
    cache = paths.cache_dir() / catalog.LIST_CACHE
    deadline = time.monotonic() + 90  # idle priority on a busy machine: generous
    while catalog.PENDING in cache.read_text():
        assert time.monotonic() < deadline, "the background measurement never finished"
        time.sleep(0.1)
    entries = json.loads(cache.read_text())["entries"]
    assert {entry[-1] for entry in entries.values()} == {catalog.EXACT}
    again = subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=60
    )
    assert not any(line.split()[1].startswith("~") for line in again.stdout.splitlines())
