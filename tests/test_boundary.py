"""A hostile machine at the command line's edge: one line and an exit code, never a traceback.

Real processes with real descriptors: stdout closed, /dev/full, a reader that went away, a home
that cannot be written (a regular file where a folder should be: this works as root too), and
Ctrl-C while click is still being imported.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from nightvoice.cli import run
from nightvoice.console.terminal import Terminated

TRACEBACK = "Traceback"


def nightvoice(
    *args: str, home: Path, stdout: object = subprocess.PIPE, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nightvoice", *args],
        env={**os.environ, "NIGHTVOICE_HOME": str(home), **env},
        stdin=subprocess.DEVNULL,
        stdout=stdout,  # type: ignore[arg-type]
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("args", [["list"], ["log", "--csv"], ["--help"], ["show", "aftercare"]])
def test_a_full_stdout_is_one_line_and_exit_1(args: list[str], tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        done = nightvoice(*args, home=tmp_path, stdout=full)
    assert TRACEBACK not in done.stderr
    assert done.stderr == "nightvoice: cannot write the output: No space left on device\n"
    assert done.returncode == 1


def test_a_closed_stdout_is_reported_not_silently_lost(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "nightvoice", "list"],
        env={**os.environ, "NIGHTVOICE_HOME": str(tmp_path)},
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
        pass_fds=(),
        preexec_fn=lambda: os.close(1),
    )
    assert done.stderr == "nightvoice: cannot write the output: standard output is closed\n"
    assert done.returncode == 1


def test_a_closed_stdout_never_becomes_a_file_nightvoice_opens(tmp_path: Path) -> None:
    """With fd 1 closed, the config file opened by `config set` must not land on fd 1."""
    done = subprocess.run(
        [sys.executable, "-m", "nightvoice", "config", "set", "rate", "120"],
        env={**os.environ, "NIGHTVOICE_HOME": str(tmp_path)},
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=lambda: os.close(1),
    )
    assert TRACEBACK not in done.stderr
    assert (tmp_path / "config.yaml").read_text().endswith("rate: 120\n")


@pytest.mark.parametrize("args", [["log"], ["list"], ["voices"], ["--help"]])
def test_a_reader_that_goes_away_is_no_error(args: list[str], tmp_path: Path) -> None:
    """`nightvoice list | head -0`: the pipe closes before the output; quiet, no traceback."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = nightvoice(*args, home=tmp_path, stdout=writer)
    finally:
        os.close(writer)
    assert done.stderr == ""
    assert done.returncode == 1


@pytest.mark.parametrize(
    "args",
    [
        ["config", "set", "rate", "120"],
        ["new", "my-stretch"],
        ["config", "unset", "rate"],
    ],
)
def test_a_home_that_cannot_be_written_is_one_line(args: list[str], tmp_path: Path) -> None:
    """NIGHTVOICE_HOME below a regular file: no folder can ever be made there, even by root."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    done = nightvoice(*args, home=blocker / "home")
    assert TRACEBACK not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("nightvoice: ")
    assert str(blocker) in done.stderr and "Not a directory" in done.stderr
    assert done.returncode != 0


def test_a_home_in_a_read_only_place_is_one_line(tmp_path: Path) -> None:
    """/proc refuses new folders to everyone, root included."""
    done = nightvoice("new", "my-stretch", home=Path("/proc/nightvoice-home"))
    assert TRACEBACK not in done.stderr
    assert done.stderr.startswith("nightvoice: /proc/nightvoice-home")
    assert len(done.stderr.splitlines()) == 1
    assert done.returncode == 1


def test_a_full_disk_while_saving_a_setting_names_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nightvoice.base import writing

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(writing, "_write_beside", full)
    assert run(["config", "set", "rate", "120"]) == 1
    assert capsys.readouterr().err == "nightvoice: No space left on device\n"


def test_ctrl_c_while_click_is_imported_is_exit_130_without_a_traceback(tmp_path: Path) -> None:
    """A stand-in `click` that blocks while importing: Ctrl-C lands exactly there."""
    shim = tmp_path / "shim" / "click"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text(
        "import os, sys\nos.write(2, b'importing click\\n')\nsys.stdin.read()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "nightvoice", "list"],
        env={
            **os.environ,
            "NIGHTVOICE_HOME": str(tmp_path),
            "PYTHONPATH": f"{shim.parent}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        assert process.stderr.readline() == b"importing click\n"
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert TRACEBACK.encode() not in err
    assert err == b""
    assert process.returncode == 130


@pytest.mark.parametrize(
    ("stop", "code"),
    [(KeyboardInterrupt(), 130), (Terminated(signal.SIGTERM), 143), (Terminated(1), 129)],
    ids=["Ctrl-C", "SIGTERM", "SIGHUP"],
)
def test_a_stop_swallowed_in_a_command_with_no_wait_still_ends_it_as_that_stop(
    monkeypatch: pytest.MonkeyPatch, stop: BaseException, code: int
) -> None:
    """`list`, `check`: nothing waits after CPython swallowed the stop in a weakref callback;
    the command ends as the stop asked, not with 0."""
    import types

    from nightvoice import boundary
    from nightvoice.base import stops

    monkeypatch.setattr(stops, "_rescued", [])
    monkeypatch.setattr(sys, "unraisablehook", lambda report: None)
    stops.keep_swallowed_stops()

    def command() -> int:
        sys.unraisablehook(types.SimpleNamespace(exc_value=stop, exc_traceback=None))
        return 0

    assert boundary.guarded(command) == code
