"""The terminal is given back whole on every way out, and keys stay live on every way in.

Real pseudo-terminals, real signals: SIGQUIT, Ctrl-Z then `fg` in a real job-control shell,
Ctrl-S (flow control), a Latin-1 terminal, and espeak-ng's data missing (its library used to
call exit() with the terminal still in key mode).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pexpect
import pytest

from tests.audio_server import PulseServer, pulse_server
from tests.console.test_keys_pty import (
    Session,
    environment,
    routine,
    session,
    text_play,
    write_routine,
)

_ = (pulse_server, routine, session)

pytestmark = pytest.mark.pty


def test_sigquit_unwinds_and_restores_the_terminal(session: type[Session], routine: str) -> None:
    """`kill -QUIT` (its default dumps core, terminal in key mode) ends it like SIGTERM."""
    s = session(*text_play(routine))
    s.expect("Alpha.")
    os.kill(s.program_pid(), signal.SIGQUIT)
    code, _shown = s.finish()  # modes as before, cursor shown, no traceback, no aplay
    assert code == 128 + signal.SIGQUIT


def test_ctrl_s_is_a_key_not_a_freeze(session: type[Session], routine: str) -> None:
    """With flow control on, Ctrl-S stopped the screen's output and so every key behind it."""
    s = session(*text_play(routine))
    s.expect("Alpha.")
    s.send("\x13")  # Ctrl-S
    s.send("\x1b[C")  # Right: next step, which must be drawn at once
    s.expect("Bravo.", timeout=3)
    s.send("q")
    code, _ = s.finish()
    assert code == 0


def test_a_latin1_terminal_gets_its_cursor_back(
    session: type[Session], routine: str, tmp_path: Path
) -> None:
    """The progress marks cannot be written in ISO-8859-1: stand-ins, and the cursor shown."""
    env = environment(tmp_path, PYTHONIOENCODING="iso-8859-1")
    s = session(*text_play(routine), env=env)
    s.expect("##--------")  # the progress marks' stand-ins: drawing goes on
    s.expect("Alpha.")
    s.send("q")
    code, _ = s.finish()  # asserts the cursor was shown again after being hidden
    assert code == 0


def test_missing_voice_data_is_a_message_with_the_terminal_restored(
    session: type[Session], routine: str, tmp_path: Path, pulse_server: PulseServer
) -> None:
    """espeak_Initialize exit()ed inside the library, terminal in key mode; now the engine
    is unavailable like any other failure (the night falls back to text) and `q` quits."""
    empty = tmp_path / "no-espeak-data"
    empty.mkdir()
    env = environment(tmp_path, ESPEAK_DATA_PATH=str(empty))
    s = session("play", routine, env=env)
    s.expect("Hold 30 s", timeout=15)  # no exit() in C: the steps go on, on screen
    s.send("q")
    code, _ = s.finish(timeout=15)  # and the terminal is restored on the way out
    assert code == 0


def test_ctrl_z_gives_the_shell_its_terminal_and_fg_brings_the_keys_back(
    routine: str, tmp_path: Path
) -> None:
    """In a real job-control shell: suspended, the shell has its usual (canonical, echoing)
    terminal; after `fg` a single key works again at once (cbreak, keys live)."""
    env = environment(tmp_path, PS1="shell$ ")
    shell = pexpect.spawn(
        "bash", ["--norc", "--noprofile", "-i"], env=env, cwd=str(tmp_path), timeout=10
    )
    try:
        shell.expect_exact("shell$ ")
        shell.sendline(" ".join(["nightvoice", *text_play(routine)]))
        shell.expect_exact("Alpha.")
        shell.send("\x1a")  # Ctrl-Z
        shell.expect_exact("shell$ ")
        shell.sendline("stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo -e -icanon -e -echo")
        shell.expect_exact("shell$ ")
        modes = shell.before.decode(errors="replace").split()
        assert "icanon" in modes and "echo" in modes, modes
        shell.sendline("fg")
        shell.send("\x1b[C")  # Right: next step, with no Enter after it
        shell.expect_exact("Bravo.")
        shell.send("q")
        shell.expect_exact("shell$ ")
        shell.sendline("echo code=$?")
        shell.expect(r"code=(\d+)")
        assert shell.match.group(1) == b"0"
    finally:
        shell.close(force=True)


def test_suspending_shows_the_cursor_again(session: type[Session], routine: str) -> None:
    """A stopped program must not leave the shell with a hidden cursor."""
    s = session(*text_play(routine))
    s.expect("Alpha.")
    s.child.send("\x1a")  # Ctrl-Z: the program stops (sh has no job control: it stays so)
    s.child.expect_exact(b"\x1b[?25h", timeout=3)
    os.kill(s.program_pid(), signal.SIGCONT)
    s.send("q")
    code, _ = s.finish()
    assert code == 0


_ = write_routine
