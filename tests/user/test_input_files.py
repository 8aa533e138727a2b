"""Every input file is read through one guard: regular files of sane size only, never a hang.

Each case runs the real `nightvoice` command in a child with a timeout: a FIFO would block an
open() for ever and /dev/zero would grow memory without end, so a hang fails the test by timing
out instead of hanging the suite.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from nightvoice.base import reading

GOOD = "nightvoice: 1\ntitle: Good\nsteps: [Hello.]\n"


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_folder(path: Path) -> None:
    path.mkdir()


def make_device(path: Path) -> None:
    path.symlink_to("/dev/zero")  # a link to a device: the device is what would be read


def make_socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()  # the socket file stays


def make_huge(path: Path) -> None:
    path.write_bytes(b"# padding\n" * (reading.MAX_INPUT_BYTES // 10 + 10))


KINDS: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (make_fifo, "it is a FIFO (named pipe), not a regular file"),
    "folder": (make_folder, "it is a folder, not a regular file"),
    "device": (make_device, "it is a device, not a regular file"),
    "socket": (make_socket, "it is a socket, not a regular file"),
    "huge": (make_huge, "it is larger than 1024 KiB, far more than any routine or setting needs"),
}


def nightvoice(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nightvoice", *args],
        env={**os.environ, "NIGHTVOICE_HOME": str(home)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,  # a hang fails here, never hangs the suite
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    (folder / "scripts").mkdir(parents=True)
    return folder


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_check_and_show_refuse_a_non_regular_or_huge_routine_in_one_located_line(
    home: Path, kind: str
) -> None:
    """`check` goes on to the next file; `show` stops with the same one line, exit 2."""
    make, reason = KINDS[kind]
    bad = home / f"{kind}.yaml"
    make(bad)
    good = home / "good.yaml"
    good.write_text(GOOD)
    checked = nightvoice(home, "check", str(bad), str(good))
    assert checked.returncode == 1
    assert checked.stderr.splitlines()[0] == f"{bad}:1:1: cannot read the file: {reason}"
    assert f"{good}: ok (Good)" in checked.stdout
    assert "Traceback" not in checked.stderr
    shown = nightvoice(home, "show", str(bad))
    assert shown.returncode == 2
    assert shown.stderr.strip().endswith(f"{bad}:1:1: cannot read the file: {reason}")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_non_regular_config_is_a_warning_and_the_routine_still_plays(
    home: Path, kind: str
) -> None:
    """The bedside command never hangs on config.yaml: one warning, then the routine."""
    make, reason = KINDS[kind]
    make(home / "config.yaml")
    short = home / "short.yaml"
    short.write_text(GOOD)
    played = nightvoice(home, "play", str(short), "--text", "--hands-free", "--blank")
    assert f"config.yaml:1:1: cannot read the config file: {reason}" in played.stderr
    assert played.returncode == 0, played.stderr
    config = nightvoice(home, "config")
    assert config.returncode == 2
    assert f"config.yaml:1:1: cannot read the config file: {reason}" in config.stderr


@pytest.mark.parametrize("kind", ["fifo", "device", "huge"])
def test_list_shows_a_non_regular_user_routine_as_broken_and_lists_the_rest(
    home: Path, kind: str
) -> None:
    make, reason = KINDS[kind]
    make(home / "scripts" / "odd.yaml")
    (home / "scripts" / "fine.yaml").write_text(GOOD)
    listed = nightvoice(home, "list")
    assert listed.returncode == 0
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert "BROKEN" in lines["odd"] and reason in lines["odd"]
    assert "Good" in lines["fine"] and "calf-cramp" in lines


def test_read_input_reads_a_regular_file_exactly(tmp_path: Path) -> None:
    file = tmp_path / "r.yaml"
    data = bytes(range(256)) * 100
    file.write_bytes(data)
    assert reading.read_input(file) == data
    with pytest.raises(FileNotFoundError):
        reading.read_input(tmp_path / "missing.yaml")
    with pytest.raises(OSError, match="larger than 1 KiB"):
        reading.read_input(file, limit=1024)


def test_a_fifo_as_the_first_words_record_is_ignored_not_waited_on(tmp_path: Path) -> None:
    """The bedside command reads this record before anything else: it must never block."""
    fifo = tmp_path / "first-words.bin"
    os.mkfifo(fifo)
    probe = (
        "import sys; from nightvoice.startup import headstart; print(headstart._read(sys.argv[1]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(fifo)],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert (done.returncode, done.stdout) == (0, "None\n"), done.stderr


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_new_force_over_a_non_regular_routine_is_one_line_not_a_hang(home: Path, kind: str) -> None:
    make, reason = KINDS[kind]
    make(home / "scripts" / "mine.yaml")
    done = nightvoice(home, "new", "mine", "--force")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and reason in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("kind", ["fifo", "huge"])  # one that would hang, one read and refused
def test_a_non_regular_or_huge_catalog_is_one_located_line_and_never_stops_the_voice(
    home: Path, kind: str
) -> None:
    make, reason = KINDS[kind]
    (home / "languages").mkdir()
    catalog = home / "languages" / "de.po"
    make(catalog)
    checked = nightvoice(home, "check", str(catalog))
    assert checked.returncode == 1
    assert checked.stderr.splitlines()[0] == f"{catalog}:1:1: cannot read it: {reason}"
    german = home / "wade.yaml"
    german.write_text("nightvoice: 1\ntitle: Wade\nlanguage: de\nsteps: [Dehnen.]\n")
    played = nightvoice(home, "play", str(german), "--text", "--hands-free", "--blank")
    assert played.returncode == 0, played.stderr
    assert "Traceback" not in played.stderr
