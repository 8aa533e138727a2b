"""A hostile home and an impatient Ctrl-C: one line and an exit code, never a traceback.

Real file systems (a full and a read-only tmpfs, mounted for the test: CI runs as root, like
every nightvoice machine here) and real SIGINTs at every moment of start-up. (The boundary's
other cases, stdout on /dev/full, closed or gone, are in test_boundary.py.)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

TRACEBACK = "Traceback (most recent call last)"
OUR_FRAME = re.compile(r'File "[^"]*nightvoice/([^"]+\.py)", line \d+, in (\S+)')
# Python checks for signals as a module's body starts: a Ctrl-C can land on the first line of
# the entry modules (which import nothing new and define only functions) before any guard.
ENTRY_BODIES = {("__main__.py", "<module>"), ("__init__.py", "<module>")}


def from_our_code(err: str) -> bool:
    """Does the traceback in `err` pass through nightvoice's code beyond the entry bodies?"""
    return any(frame not in ENTRY_BODIES for frame in OUR_FRAME.findall(err))


def run(args: list[str], home: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NIGHTVOICE_HOME": str(home)}
    options: dict[str, object] = {"text": True, "timeout": 30}
    options.update({"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs})
    return subprocess.run(["nightvoice", *args], env=env, check=False, **options)  # type: ignore[call-overload, no-any-return]


def one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert TRACEBACK not in done.stderr, done.stderr
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("nightvoice: "), done.stderr
    for word in words:
        assert word in lines[0], done.stderr


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[object]:
    """Mount a small tmpfs (`options` as for mount -o); unmounted afterwards."""
    mounted: list[Path] = []

    def make(options: str) -> Path:
        point = tmp_path / f"fs{len(mounted)}"
        point.mkdir()
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size=64k,{options}", "tmpfs", str(point)],
            check=True,
            capture_output=True,
        )
        mounted.append(point)
        return point

    try:
        yield make
    finally:
        for point in mounted:
            subprocess.run(["umount", "-l", str(point)], check=False, capture_output=True)


def full_disk(mount: object) -> Path:
    point: Path = mount("rw")  # type: ignore[operator]
    fd = os.open(point / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        with pytest.raises(OSError, match="No space left"):
            os.write(fd, b"\0" * 200_000) and os.write(fd, b"\0" * 200_000)
    finally:
        os.close(fd)
    return point


HOME_WRITES = [
    (["config", "set", "rate", "120"], "config.yaml"),
    (["config", "set", "chime", "off"], "config.yaml"),
    (["new", "my-routine"], "my-routine.yaml"),
]


@pytest.mark.parametrize(("args", "file"), HOME_WRITES, ids=str)
def test_writing_to_a_full_home_is_one_line_naming_the_file(
    mount: object, args: list[str], file: str
) -> None:
    """ENOSPC names the file the user knows, never our temporary name."""
    home = full_disk(mount)
    done = run(args, home)
    one_line_error(done, file, "No space left")
    assert ".tmp" not in done.stderr
    assert [p.name for p in home.rglob("*.tmp")] == []  # and no temporary file is left


@pytest.mark.parametrize(("args", "file"), HOME_WRITES, ids=str)
@pytest.mark.parametrize("below", ["", "missing/home"])
def test_writing_to_a_read_only_home_is_one_line(
    mount: object, args: list[str], file: str, below: str
) -> None:
    """EROFS, in the home itself or on the way to a home that does not exist yet."""
    point: Path = mount("ro")  # type: ignore[operator]
    one_line_error(run(args, point / below if below else point), "Read-only")


def test_ctrl_c_while_the_program_loads_never_prints_a_traceback(tmp_path: Path) -> None:
    """SIGINT at every moment of start-up (click and YAML imports included): exit 130, quietly.

    The delay grows to half again as long as an uninterrupted run, so the whole start-up is
    swept however loaded the machine is (the shim test in test_boundary.py pins one moment). A
    run that ends before its signal proves nothing and is passed over: on a busy machine this
    test's own process can be held back past the child's end (it once ended the sweep before
    any run was interrupted). Before the interpreter reaches nightvoice's own code Python
    itself reports the interrupt; from nightvoice's first line on, no traceback may come from
    its frames.
    """
    env = {**os.environ, "NIGHTVOICE_HOME": str(tmp_path / "home")}
    started = time.monotonic()
    subprocess.run(["nightvoice", "--version"], env=env, capture_output=True, check=True)
    whole = time.monotonic() - started
    clean = 0
    delay = 0.01
    while delay < 1.5 * whole:
        proc = subprocess.Popen(
            ["nightvoice", "--version"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            pass  # a busy wait: these are milliseconds, and sleep's granularity is too coarse
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert not from_our_code(err), err
        if proc.returncode == 130:
            assert err.strip() == ""  # (click ends the ^C line with a newline)
            clean += 1
        delay *= 1.15  # denser early on, where the imports are
    assert clean >= 3, "no run was interrupted inside nightvoice's own start-up"
