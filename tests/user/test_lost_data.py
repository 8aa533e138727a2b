"""Nothing the user has is lost or left broken: whole log rows, serialised settings, no litter,
damaged caches replaced rather than trusted.

Real files, real full disks (a small tmpfs, mounted for the test: CI runs as root) and real
concurrent processes.
"""

from __future__ import annotations

import datetime
import marshal
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nightvoice.base import writing
from nightvoice.user.config import load_config
from nightvoice.user.episodes import Episode, append, read

TRACEBACK = "Traceback (most recent call last)"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, unmounted afterwards."""
    point = tmp_path / "disk"
    point.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(point)],
        check=True,
        capture_output=True,
    )
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False, capture_output=True)


def fill(disk: Path, leave: int) -> Path:
    """Fill the disk until only about `leave` bytes are free; the filler file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            try:
                os.write(fd, b"\0" * 4096)
            except OSError:
                break
    finally:
        os.close(fd)
    size = filler.stat().st_size
    os.truncate(filler, max(0, size - leave))
    return filler


def episode(n: int, routine: str = "calf-cramp") -> Episode:
    start = datetime.datetime(2026, 1, 1, 3, n % 60, tzinfo=datetime.timezone.utc)
    return Episode(start, routine, 60.0 + n, "yes")


def test_a_full_disk_never_leaves_half_a_row_to_swallow_the_next(small_disk: Path) -> None:
    """The row that does not fit is not written at all; the rows before and after stay whole."""
    log = small_disk / "episodes.csv"
    append(episode(1), log)
    filler = fill(small_disk, leave=0)
    too_long = episode(2, "a-long-routine-name-" * 400)  # more than the page that is left
    with pytest.raises(OSError, match="No space"):
        append(too_long, log)
    filler.unlink()
    append(episode(3), log)
    episodes, unreadable = read(log)
    assert [e.seconds for e in episodes] == [61.0, 63.0]
    assert unreadable == 0


def test_a_row_cut_short_by_an_older_crash_costs_only_itself(tmp_path: Path) -> None:
    """A half row with an open quote (written before rows were whole) ends at its line."""
    log = tmp_path / "episodes.csv"
    append(episode(1), log)
    with open(log, "a", encoding="utf-8") as f:
        f.write('2026-01-01T03:02:00+00:00,"calf-cr')  # cut mid-field, no newline
    append(episode(3), log)
    append(episode(4), log)
    episodes, unreadable = read(log)
    assert [e.seconds for e in episodes] == [61.0, 63.0, 64.0]
    assert unreadable == 1


def test_a_routine_name_with_a_line_break_stays_one_row(tmp_path: Path) -> None:
    log = tmp_path / "episodes.csv"
    append(episode(1, "odd\nname"), log)
    append(episode(2), log)
    episodes, unreadable = read(log)
    assert [e.routine for e in episodes] == ["odd name", "calf-cramp"]
    assert unreadable == 0


def config_set(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["nightvoice", "config", "set", *args],
        env={**os.environ, "NIGHTVOICE_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_config_sets_keep_every_change(tmp_path: Path) -> None:
    """Each writer reports its change saved, so each change must be there afterwards."""
    home = tmp_path / "home"
    for round_ in range(4):
        rate, volume = 100 + round_, f"0.{round_ + 2}"
        chime = "off" if round_ % 2 else "on"
        writers = [
            config_set(home, "rate", str(rate)),
            config_set(home, "volume", volume),
            config_set(home, "chime", chime),
        ]
        for writer in writers:
            _, err = writer.communicate(timeout=60)
            assert writer.returncode == 0, err
        config = load_config(home / "config.yaml")
        assert config == {"rate": rate, "volume": float(volume), "chime": chime == "on"}


def test_a_killed_writers_temporary_files_are_swept(tmp_path: Path) -> None:
    """`.config.yaml.*.tmp` left by a SIGKILLed `config set` goes at the next write; a fresh
    one (a writer still at work) is left alone."""
    home = tmp_path / "home"
    home.mkdir()
    stale = home / ".config.yaml.k1ll3d.tmp"
    stale.write_text("rate: 1\n")
    old = time.time() - 2 * writing.STALE_TEMP_SECONDS
    os.utime(stale, (old, old))
    fresh = home / ".config.yaml.busy.tmp"
    fresh.write_text("rate: 2\n")
    writer = config_set(home, "rate", "120")
    writer.communicate(timeout=60)
    assert writer.returncode == 0
    assert not stale.exists()
    assert fresh.exists()


def test_sigkilled_config_sets_leave_no_lasting_litter(tmp_path: Path) -> None:
    """Real kills at every moment: whatever they leave is swept once it is stale."""
    home = tmp_path / "home"
    for delay in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5):
        writer = config_set(home, "rate", "110")
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and writer.poll() is None:
            pass
        writer.kill()
        writer.communicate()
    old = time.time() - 2 * writing.STALE_TEMP_SECONDS
    for temp in home.glob(".*.tmp"):
        os.utime(temp, (old, old))
    writer = config_set(home, "rate", "120")
    writer.communicate(timeout=60)
    assert writer.returncode == 0
    assert sorted(p.name for p in home.glob(".*.tmp")) == []
    assert load_config(home / "config.yaml")["rate"] == 120


# -- the head start's record ---------------------------------------------------------------------


def good_record_fields() -> dict[str, object]:
    return {
        "text": "You are all right.",
        "rate": 130,
        "volume": 0.5,
        "language": "en",
        "voice": None,
        "engine": "EspeakSynthesizer/espeak-ng-1.51",
        "device": None,
        "samples": b"\x00\x01" * 2205,
        "sample_rate": 22050,
    }


DAMAGE = {
    "samples not bytes": {"samples": "not sound"},
    "odd samples": {"samples": b"\x00" * 7},
    "no samples": {"samples": b""},
    "wild rate": {"sample_rate": 1},
    "rate not a number": {"sample_rate": "22050"},
    "volume out of range": {"volume": 40.0},
    "text not text": {"text": 3},
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_first_words_record_is_dropped_not_trusted(
    tmp_path: Path, damage: dict[str, object]
) -> None:
    """A record whose key still matches but whose sound is not what we write: forgotten, so
    the next run writes a good one (it used to break plain `nightvoice` every night)."""
    from nightvoice.startup import headstart

    record = tmp_path / "first-words.bin"
    fields = {**good_record_fields(), **damage}
    record.write_bytes(
        marshal.dumps({"key": headstart.run_key(), "stamps": (), "first": {False: fields}})
    )
    assert headstart.load(False, str(record)) is None
    assert not record.exists()


@pytest.mark.parametrize(
    "data", [b"", b"\x00garbage", marshal.dumps([1, 2, 3]), marshal.dumps({"key": 1})[:-3]]
)
def test_an_unreadable_first_words_record_is_dropped(tmp_path: Path, data: bytes) -> None:
    from nightvoice.startup import headstart

    record = tmp_path / "first-words.bin"
    record.write_bytes(data)
    assert headstart.load(False, str(record)) is None
    assert not record.exists()


def test_plain_nightvoice_plays_past_a_damaged_record(tmp_path: Path) -> None:
    """The real bedside command, with the record damaged in place: no traceback, the routine
    goes on to its sound, and the damaged record is gone (deleted, or rewritten whole)."""
    from nightvoice.startup import headstart

    # No sound server: hands-free it waits for one, the steps going on meanwhile.
    env = {**os.environ, "PULSE_SERVER": f"unix:{tmp_path}/no-such-server"}
    record = Path(headstart.record_file())  # NIGHTVOICE_HOME: this test's own (conftest)
    record.parent.mkdir(parents=True, exist_ok=True)
    fields = {**good_record_fields(), "samples": 12345}
    key = headstart.run_key()
    damaged = marshal.dumps({"key": key, "stamps": (), "first": {False: fields}})
    record.write_bytes(damaged)
    assert headstart._read(str(record)) is not None  # its key matches: it would be used
    proc = subprocess.Popen(
        ["nightvoice"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        shown = proc.stdout.readline()  # the routine itself, shown as it plays
        lost = proc.stderr.readline()
    finally:
        proc.terminate()
        _, rest = proc.communicate(timeout=10)
    assert shown == "  (Left leg.)\n"  # the routine: hands-free, first the leg it takes
    assert "No sound" in lost and "trying again" in lost, lost
    assert TRACEBACK not in rest
    assert not record.exists() or record.read_bytes() != damaged


# -- the speech cache ----------------------------------------------------------------------------


def test_a_damaged_speech_cache_entry_is_synthesised_again(tmp_path: Path) -> None:
    """Every entry damaged a different way (a wild sample rate made export resample without
    end): the second export takes no longer than about the first and is byte-identical."""
    from nightvoice.sound.export import CACHE_FOLDER

    home = tmp_path / "home"
    env = {**os.environ, "NIGHTVOICE_HOME": str(home)}

    def export(name: str) -> tuple[bytes, float]:
        out = tmp_path / name
        started = time.monotonic()
        done = subprocess.run(
            ["nightvoice", "export", "calm-breathing", "-o", str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,  # the runaway this is about never finished
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return out.read_bytes(), time.monotonic() - started

    first, _ = export("first.wav")
    entries = sorted((home / "cache" / CACHE_FOLDER).rglob("*.pcm"))
    assert entries
    for n, entry in enumerate(entries):
        data = bytearray(entry.read_bytes())
        if n % 3 == 0:
            data[4:8] = (1).to_bytes(4, "little")  # a sample rate of 1 Hz
        elif n % 3 == 1:
            data[-100:] = b"\x7f" * 100  # damaged samples
        else:
            data = data[: len(data) // 2 + 1]  # cut short
        entry.write_bytes(bytes(data))
    second, _ = export("second.wav")
    assert second == first
