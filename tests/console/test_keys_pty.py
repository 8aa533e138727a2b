"""The real installed program in a real pseudo-terminal: keys in, effects on screen out.

Routines are small files with long holds, played with `--text` (each sentence is shown, no
sound needed), so a skipped hold or a repeated step is visible at once. Every way of exiting
is checked for the terminal's modes (`stty -g` before and after, around the program, in the
same terminal), for the exit code and for stray `aplay` processes.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.audio_server import PulseServer, Recorder, first_loud, last_loud, pulse_server, recorder
from tests.sink import processes_with

pytestmark = pytest.mark.pty

__all__ = ["pulse_server", "recorder"]  # fixtures used by the real-audio tests below

if shutil.which("nightvoice") is None:  # pragma: no cover - fail loudly, never skip
    raise RuntimeError("nightvoice is not installed: run .ci/setup (pip install -e '.[test]')")

ROUTINE = """\
nightvoice: 1
title: Keys
chime: false
steps:
  - say: Alpha.
    title: One
    hold: 30
  - say: Bravo.
    title: Two
    hold: 30
  - say: Charlie.
    title: Three
    hold: 30
  - say: Delta.
    title: Four
    hold: 30
"""

# Runs nightvoice inside a shell in the same terminal: the shell saves the terminal's modes
# before and after, and reports the exit code. `trap :` keeps the shell alive through the
# signals sent to the program (and resets to the default in the program itself).
WRAPPER = (
    'trap : INT TERM HUP; stty -g > "$NV_DIR/before"; nightvoice "$@"; '
    'echo "exit=$?"; stty -g > "$NV_DIR/after"'
)
RC = re.compile(rb"exit=(\d+)")
TRACEBACK = "Traceback (most recent call last)"


def write_routine(directory: Path, text: str = ROUTINE, name: str = "keys.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env.update(NIGHTVOICE_HOME=str(home), NV_DIR=str(home), TERM="xterm-256color", **extra)
    return env


def no_sound(home: Path) -> dict[str, str]:
    """`environment`, with no output that plays: neither the device a test names nor the
    default (a private sound server an earlier test started would take over: session.Outage
    leaves a chosen output that cannot play for a default that can)."""
    return environment(home, PULSE_SERVER=f"unix:{home}/no-sound-server")


def leftover_aplays(home: Path) -> list[int]:
    """aplay processes started by this test's nightvoice (they inherit NIGHTVOICE_HOME)."""
    return processes_with(f"NIGHTVOICE_HOME={home}")


class Session:
    """nightvoice in a pty, wrapped by a shell that checks the terminal around it."""

    def __init__(self, home: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.child = pexpect.spawn(
            "sh",
            ["-c", WRAPPER, "sh", *args],
            env=env or environment(home),
            cwd=str(home),
            timeout=8,
            dimensions=(24, 100),
        )

    def expect(self, pattern: str | bytes, timeout: float = 8) -> None:
        """Wait until `pattern` (text, matched literally) is on screen."""
        raw = pattern.encode() if isinstance(pattern, str) else pattern
        self.child.expect_exact(raw, timeout=timeout)

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def program_pid(self) -> int:
        """The nightvoice process: the shell's child."""
        children = Path(f"/proc/{self.child.pid}/task/{self.child.pid}/children").read_text()
        return int(children.split()[0])

    def finish(self, timeout: float = 5) -> tuple[int, str]:
        """Wait for nightvoice to exit: its exit code and everything shown since the last expect.

        Asserts the terminal's modes are exactly what they were before it started, that the
        cursor was shown again (if it was hidden), that no traceback was printed and that no
        aplay is left behind.
        """
        self.child.expect(RC, timeout=timeout)
        shown = self.child.before.decode(errors="replace")
        code = int(self.child.match.group(1))
        self.child.expect(pexpect.EOF, timeout=5)
        self.child.close()
        before = (self.home / "before").read_text()
        after = (self.home / "after").read_text()
        assert before == after, "the terminal's modes were not restored"
        assert TRACEBACK not in shown
        if "\x1b[?25l" in shown:
            assert shown.rfind("\x1b[?25h") > shown.rfind("\x1b[?25l"), "the cursor is hidden"
        assert leftover_aplays(self.home) == []
        return code, shown

    def kill(self) -> None:
        if self.child.isalive():
            self.child.close(force=True)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[type[Session]]:
    started: list[Session] = []

    class Tracked(Session):
        def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
            super().__init__(tmp_path, *args, env=env)
            started.append(self)

    yield Tracked
    for each in started:
        each.kill()


@pytest.fixture
def routine(tmp_path: Path) -> str:
    return str(write_routine(tmp_path))


def text_play(routine: str, *more: str) -> list[str]:
    return ["play", routine, "--text", "--rate", "300", *more]


# -- the episode log at the end of a relief routine ---------------------------------------------

EPISODE = """\
nightvoice: 1
title: Relief
chime: false
log_episode: true
ask: {name: side, say: Which leg?, choices: {l: left, r: right}, default: left}
steps:
  - say: Stretch your {side} leg.
    hold: 1
"""


def test_a_relief_routine_asks_if_it_helped_and_logs_the_answer(
    session: type[Session], tmp_path: Path
) -> None:
    path = write_routine(tmp_path, EPISODE, "relief.yaml")
    s = session("play", str(path), "--text", "--rate", "300")
    s.expect("Which leg?")
    s.send("r")
    s.expect("Did it help?")
    s.send("y")
    code, _ = s.finish()
    assert code == 0
    log = subprocess.run(
        ["nightvoice", "log", "--csv"],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert log[0] == "start,routine,seconds,helped,side,version"
    assert log[1].split(",")[1:2] == ["relief"]
    assert log[1].endswith(",yes,right,2")  # the leg chosen at the start is logged


def test_did_it_help_is_shown_and_keys_typed_at_the_end_do_not_answer_it(
    session: type[Session], tmp_path: Path
) -> None:
    """Typing the next shell command while it asks logs nothing but "unanswered"."""
    path = write_routine(tmp_path, EPISODE, "relief.yaml")
    s = session("play", str(path), "--text", "--rate", "300")
    s.expect("Which leg?")
    s.send("l")
    s.expect("Did it help? Press Y for yes or N for no.")  # on screen, not only said
    s.send("stty sane\r")  # its y is not alone: not an answer
    s.send("q")
    code, _ = s.finish(timeout=5)
    assert code == 0
    assert logged(tmp_path)[-1].split(",")[3] == "unanswered"


def test_q_during_a_relief_routine_quits_at_once_without_asking(
    session: type[Session], tmp_path: Path
) -> None:
    path = write_routine(tmp_path, EPISODE.replace("hold: 1", "hold: 30"), "relief.yaml")
    s = session("play", str(path), "--text", "--rate", "300")
    s.expect("Which leg?")
    s.send("l")
    s.expect("Hold 30 s")
    s.send("q")
    code, shown = s.finish(timeout=2)
    assert code == 0
    assert "Did it help?" not in shown
    assert logged(tmp_path)[-1].split(",")[3] == "unanswered"  # the night still counts


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_at_did_it_help_logs_the_episode_unanswered(
    session: type[Session], tmp_path: Path, signum: int, code: int
) -> None:
    path = write_routine(tmp_path, EPISODE, "relief.yaml")
    s = session("play", str(path), "--text", "--rate", "300")
    s.expect("Which leg?")
    s.send("l")
    s.expect("Did it help?")
    os.kill(s.program_pid(), signum)
    assert s.finish(timeout=3)[0] == code
    assert logged(tmp_path)[-1].split(",")[3] == "unanswered"


def test_a_log_that_cannot_be_written_warns_on_its_own_line_after_the_screen_closed(
    session: type[Session], tmp_path: Path
) -> None:
    (tmp_path / "episodes.csv").mkdir()  # a folder where the log goes
    path = write_routine(tmp_path, EPISODE, "relief.yaml")
    s = session("play", str(path), "--rate", "300", "--text")
    s.expect("Which leg?")
    s.send("l")
    s.expect("Did it help?")
    s.send("y")
    code, shown = s.finish(timeout=5)
    assert code == 0
    warning = shown.index("nightvoice: could not write the episode log")
    assert shown.rfind("\x1b[?25h", 0, warning) > shown.rfind("\x1b[2m", 0, warning)  # closed
    assert shown[:warning].endswith(("\n", "\x1b[?25h"))  # not glued to the night line


def logged(home: Path) -> list[str]:
    return subprocess.run(
        ["nightvoice", "log", "--csv"],
        env=environment(home),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()


GERMAN_EPISODE = """\
nightvoice: 1
title: Wadenkrampf
language: de
chime: false
log_episode: true
ask: {name: side, say: Welches Bein?, choices: {l: links, r: rechts}, default: links}
steps:
  - say: Dehne das Bein.
    hold: 1
"""


def test_a_german_catalog_asks_did_it_help_in_german_with_its_own_keys(
    session: type[Session], tmp_path: Path
) -> None:
    """The catalog makes the answer keys J and N, the question says so, and J answers yes."""
    (tmp_path / "languages").mkdir()
    shutil.copy(Path(__file__).parents[1] / "data" / "languages" / "de.po", tmp_path / "languages")
    path = write_routine(tmp_path, GERMAN_EPISODE, "wade.yaml")
    s = session("play", str(path), "--text", "--rate", "300")
    s.expect("Welches Bein?")
    s.send("r")
    s.expect("Halten 1 s")  # the state, from the catalog too
    s.expect("Hat es geholfen? Drücke J für ja oder N für nein.")
    s.send("j")
    code, shown = s.finish()
    assert code == 0
    assert "Press" not in shown  # no English on the screen
    assert logged(tmp_path)[-1].split(",")[3:5] == ["yes", "rechts"]


def test_the_start_question_is_shown_and_the_answer_said_back(session: type[Session]) -> None:
    s = session("--text", "--rate", "300")
    s.expect("Which leg is cramping? Press L for left, or R for right.")
    s.send("r")
    s.expect("Right leg.", timeout=2)
    s.expect("This will pass.")
    s.send("q")
    assert s.finish()[0] == 0


def test_the_start_question_says_which_default_its_timeout_took(
    session: type[Session], tmp_path: Path
) -> None:
    path = write_routine(tmp_path, HANDS_FREE.replace("timeout: 30", "timeout: 1"), "free.yaml")
    s = session("play", str(path), "--text", "--rate", "300")
    s.expect("Which leg? Press L or R.")
    s.expect("No key pressed. Right.", timeout=5)
    s.expect("The right leg.")
    s.send("q")
    assert s.finish()[0] == 0


HELD = """\
nightvoice: 1
title: Held
chime: false
steps:
  - say: Sit up.
    title: Sit
    hold: 30
  - say: Press Enter when you are ready to stand.
    title: Ready
    wait_for_key: true
  - say: Hold it.
    title: Ease
    until_eased: {max: 60, every: 20}
  - say: Stand up slowly.
    title: Stand
"""


def test_a_held_or_bouncing_enter_does_not_skip_the_routine(
    session: type[Session], tmp_path: Path
) -> None:
    """50 Enters at once move one step, and the step that waits for a press still waits."""
    path = write_routine(tmp_path, HELD, "held.yaml")
    s = session("play", str(path), "--text", "--rate", "300")
    s.expect("Hold 30 s")
    s.send("\r" * 50)
    s.expect("Press Enter to go on", timeout=3)
    with pytest.raises(pexpect.TIMEOUT):
        s.expect("Hold it.", timeout=1.5)  # still waiting for a new press
    s.send("\r")
    s.expect("Holding: press Enter when it eases", timeout=3)
    s.send("q")
    code, shown = s.finish()
    assert code == 0
    assert "Stand up slowly." not in shown


def test_alt_and_a_letter_does_not_quit_but_esc_alone_does(
    session: type[Session], routine: str
) -> None:
    s = session(*text_play(routine))
    s.expect("Hold 30 s")
    s.send("\x1bq\x1bx")  # Alt+q, Alt+x: what a terminal sends, each at once
    s.send(" ")
    s.expect("Paused", timeout=2)  # still running, still taking keys
    s.send("\x1b")
    assert s.finish(timeout=2)[0] == 0


# -- each key's effect --------------------------------------------------------------------------


def test_enter_and_right_skip_the_long_hold_at_once(session: type[Session], routine: str) -> None:
    s = session(*text_play(routine))
    for key, text in (("\r", "Bravo."), ("\x1b[C", "Charlie."), ("\x1bOC", "Delta.")):
        s.expect("Hold 30 s")
        s.send(key)
        s.expect(text, timeout=2)  # at once, not after 30 s
    s.send("q")
    assert s.finish()[0] == 0


def test_left_and_backspace_say_the_previous_step_again(
    session: type[Session], routine: str
) -> None:
    s = session(*text_play(routine))
    s.expect("Hold 30 s")
    s.send("\r")
    s.expect("Bravo.")
    for key in ("\x1b[D", "\x7f", "\x08"):  # Left, Backspace (DEL), Backspace (Ctrl-H)
        s.expect("Hold 30 s")
        s.send(key)
        s.expect("1/4  One", timeout=2)
        s.expect("Alpha.")
        s.send("\r")
        s.expect("Bravo.")
    s.send("q")
    assert s.finish()[0] == 0


def test_r_says_the_same_step_again(session: type[Session], routine: str) -> None:
    s = session(*text_play(routine))
    s.expect("Hold 30 s")
    s.send("\r")
    s.expect("Bravo.")
    s.expect("Hold 30 s")
    s.send("r")
    s.expect("Bravo.", timeout=2)
    s.send("q")
    code, shown = s.finish()
    assert code == 0
    assert "Alpha" not in shown and "Charlie" not in shown


def test_space_pauses_and_space_resumes(session: type[Session], routine: str) -> None:
    s = session(*text_play(routine))
    s.expect("Hold 30 s")
    s.send(" ")
    s.expect("Paused: press Space to go on", timeout=2)
    s.send("9")  # another key between: the next Space is a new press, not a held Space
    s.expect("Quieter.", timeout=2)
    s.send(" ")
    s.expect("Hold 30 s", timeout=2)  # back in the hold, not on to the next step
    s.send("q")
    code, shown = s.finish()
    assert code == 0
    assert "Bravo" not in shown


def test_volume_and_rate_keys_are_harmless_and_answer(session: type[Session], routine: str) -> None:
    s = session(*text_play(routine))
    s.expect("Hold 30 s")
    for key, word in (("9", "Quieter."), ("0", "Louder."), ("[", "Slower."), ("]", "Faster.")):
        s.send(key)
        s.expect(word, timeout=2)
    s.send("q")
    code, shown = s.finish()
    assert code == 0
    assert "Bravo" not in shown  # still in the first step's hold


def test_h_and_question_mark_show_the_keys(session: type[Session], routine: str) -> None:
    s = session(*text_play(routine))
    s.expect("Hold 30 s")
    for key in ("h", "?"):
        s.send(key)
        s.expect("Space pauses and goes on.", timeout=2)
    s.send("q")
    assert s.finish()[0] == 0


def test_unmapped_keys_do_nothing(session: type[Session], routine: str) -> None:
    s = session(*text_play(routine))
    s.expect("Hold 30 s")
    s.send("x\x1b[15~\x1b[A\t~é\x1c\x13")  # a letter, F5, Up, Tab, ~, é, Ctrl-\, Ctrl-S
    s.send(" ")  # the program is still running and still takes keys
    s.expect("Paused", timeout=2)
    s.send("q")
    code, shown = s.finish()
    assert code == 0
    assert "Bravo" not in shown


@pytest.mark.parametrize("key", ["q", "Q", "\x1b"], ids=["q", "Q", "esc"])
def test_quit_keys_exit_zero_at_once(session: type[Session], routine: str, key: str) -> None:
    s = session(*text_play(routine))
    s.expect("Alpha.")
    s.send(key)
    assert s.finish(timeout=2)[0] == 0


def test_step_mode_waits_for_a_key_before_each_next_step(
    session: type[Session], tmp_path: Path
) -> None:
    short = write_routine(
        tmp_path,
        """\
        nightvoice: 1
        title: Steps
        chime: false
        steps:
          - say: First step.
            pause: 0.1
          - Second step, said slowly enough for a person to hear all of it.
          - Third step.
        """,
        "steps.yaml",
    )
    s = session(*text_play(str(short), "--step"))
    s.expect("First step.")
    s.expect("Press Enter for the next step")
    s.send("\r")
    s.expect("Second step,", timeout=2)
    s.expect("Press Enter for the next step")
    s.send("\r")
    s.expect("Third step.", timeout=2)
    assert s.finish()[0] == 0  # the end: no wait after the last step


def test_step_mode_a_step_that_waits_for_a_key_needs_one_press(
    session: type[Session], tmp_path: Path
) -> None:
    """A wait-for-key step (or a hold until it eases) in step mode: one Enter goes on, never
    "Press Enter to go on" and then "Press Enter for the next step"."""
    short = write_routine(
        tmp_path,
        """\
        nightvoice: 1
        title: Steps
        chime: false
        steps:
          - say: Ready?
            wait_for_key: true
          - say: Hold it.
            until_eased: {max: 60, every: 30}
          - Done now.
        """,
        "waits.yaml",
    )
    s = session(*text_play(str(short), "--step"))
    s.expect("Press Enter to go on")
    s.send("\r")
    s.expect("Hold it.", timeout=2)
    s.expect("Holding: press Enter when it eases")
    s.send("\x1b[C")  # Right: another key, so never taken for the Enter held down
    s.expect("Done now.", timeout=2)
    code, shown = s.finish()
    assert code == 0
    assert "next step" not in shown  # no second wait after either


def test_the_default_routine_in_step_mode(session: type[Session]) -> None:
    """`nightvoice --step`: the calf routine asks which leg, then waits between steps."""
    s = session("--step", "--text", "--rate", "300")
    s.expect("Which leg is cramping?")
    s.send("r")
    s.expect("This will pass.")
    s.expect("Press Enter for the next step")
    s.send("\r")
    s.expect("Sit up, and stretch both legs out", timeout=2)
    s.send("q")
    code, shown = s.finish(timeout=2)  # q quits at once, with nothing more
    assert code == 0
    assert "Did it help?" not in shown


# -- the dim line in a narrow terminal -----------------------------------------------------------

FRAME = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def frames(shown: str) -> list[str]:
    """Each drawing of the night line as it reads on screen (escapes and CRs removed)."""
    return [FRAME.sub("", part).replace("\r", "") for part in shown.split("\r\x1b[2K")]


def test_at_40_columns_the_state_is_shown_whole_and_a_resize_redraws_the_line(
    session: type[Session], tmp_path: Path
) -> None:
    path = write_routine(
        tmp_path, ROUTINE.replace("title: One", "title: Pull the toes toward the knee, and hold")
    )
    s = session(*text_play(str(path)))
    s.child.setwinsize(24, 40)
    s.expect("Hold 30 s")
    s.send(" ")
    s.expect("Paused: press Space to go on", timeout=2)  # whole, even at 40 columns
    s.child.setwinsize(24, 30)  # narrower still: SIGWINCH, redrawn at once
    s.expect("\x1b[J")
    s.expect("Paused: press Space to go on", timeout=2)
    s.send("q")
    code, shown = s.finish()
    assert code == 0
    drawn = [frame for frame in frames(shown) if "Paused" in frame]
    assert drawn and all(len(frame) <= 29 for frame in drawn)


def test_text_mode_shows_each_sentence_whole_in_a_narrow_terminal(
    session: type[Session], tmp_path: Path
) -> None:
    sentence = "Pull the toes of the left foot toward the knee and hold it there, gently."
    path = write_routine(tmp_path, ROUTINE.replace("say: Alpha.", f"say: {sentence}"))
    s = session(*text_play(str(path)))
    s.child.setwinsize(24, 40)
    s.expect("Hold 30 s")
    shown = s.child.before.decode()
    s.send("q")
    assert s.finish()[0] == 0
    printed = [
        FRAME.sub("", line.split("\x1b[2K")[-1]).strip("\r") for line in shown.split("\n")[:-1]
    ]
    assert " ".join(line for line in printed if line) == sentence  # whole, never cut
    assert max(len(line) for line in printed) <= 39  # wrapped to the terminal


# -- two sessions at once ------------------------------------------------------------------------

SHORT = """\
nightvoice: 1
title: Short
chime: false
steps:
  - say: Second session speaking.
    title: Only
"""


@pytest.mark.parametrize("second", [["play", "short.yaml"], []], ids=["play", "bare"])
def test_a_second_nightvoice_stops_the_first_before_it_speaks(
    session: type[Session], routine: str, tmp_path: Path, second: list[str]
) -> None:
    """Two real processes: the one started last plays; the first ends at once, saying why."""
    write_routine(tmp_path, SHORT, "short.yaml")
    first = session(*text_play(routine))
    first.expect("Hold 30 s")
    pid = first.program_pid()
    newer = subprocess.Popen(
        ["nightvoice", *second, "--text", "--hands-free", "--rate", "300"]
        if second
        else ["nightvoice"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(tmp_path),
        env=environment(tmp_path, PULSE_SERVER=f"unix:{tmp_path}/no-server"),
    )
    try:
        code, shown = first.finish(timeout=5)  # restored, no traceback, no aplay left
        assert code == 0
        assert "nightvoice: stopped: another nightvoice started playing" in shown
        assert (
            not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
        )
        assert newer.stderr is not None and newer.stdout is not None
        if second:
            assert newer.wait(timeout=20) == 0, newer.stderr.read()
            assert "Second session speaking." in newer.stdout.read()
        else:  # plain nightvoice, hands-free with no sound: it got as far as its sound
            line = newer.stderr.readline()
            assert "No sound" in line and "trying again" in line, line
    finally:
        newer.terminate()
        newer.communicate(timeout=10)


# -- every way of exiting restores the terminal -------------------------------------------------


def test_ctrl_c_exits_quietly_with_130(session: type[Session], routine: str) -> None:
    s = session(*text_play(routine))
    s.expect("Hold 30 s")
    s.send("\x03")
    code, shown = s.finish(timeout=2)
    assert code == 130
    assert "KeyboardInterrupt" not in shown and "Aborted" not in shown


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_restore_the_terminal(
    session: type[Session], routine: str, signum: int, code: int
) -> None:
    s = session(*text_play(routine))
    s.expect("Hold 30 s")
    os.kill(s.program_pid(), signum)
    assert s.finish(timeout=2)[0] == code


def test_when_sound_fails_at_a_terminal_the_steps_go_on_as_text_at_once(
    session: type[Session], routine: str, tmp_path: Path
) -> None:
    """Real audio mode into an ALSA device that is not there: one line with the real cause,
    then the same routine, paced on screen, still taking keys."""
    s = session(
        "play", routine, "--device", "nv-no-such-device", "--rate", "300", env=no_sound(tmp_path)
    )
    s.expect(
        "nightvoice: No sound: Unknown PCM nv-no-such-device; trying again every second "
        "(for up to 30 s); the steps go on on screen"
    )
    s.expect("Alpha.", timeout=3)
    s.expect("Hold 30 s")
    s.send("\r")
    s.expect("Bravo.", timeout=2)
    s.send("q")
    code, shown = s.finish()
    assert code == 0
    assert "ALSA lib" not in shown


def test_when_sound_fails_in_blank_mode_it_still_shows_the_steps(
    session: type[Session], routine: str, tmp_path: Path
) -> None:
    s = session(
        "play",
        routine,
        "--device",
        "nv-no-such-device",
        "--blank",
        "--rate",
        "300",
        env=no_sound(tmp_path),
    )
    s.expect("the steps go on on screen")
    s.expect("Alpha.", timeout=3)
    s.send("q")
    assert s.finish()[0] == 0


@pytest.mark.parametrize("command", ["play", "say"])
def test_hands_free_a_sound_failure_is_exit_code_3_with_the_cause_first(
    tmp_path: Path, command: str
) -> None:
    """No one at a terminal: one line at once with the cause (it is waited for), and when it
    ends without sound, exit code 3 with the cause first, then the fix; `say` alike."""
    what = write_routine(tmp_path, "nightvoice: 1\ntitle: T\nsteps:\n  - Alpha.\n", "t.yaml")
    if command == "say":
        what = "Hello."
    done = subprocess.run(
        ["nightvoice", command, what, "--device", "nv-no-such-device"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=no_sound(tmp_path),
        timeout=20,
        check=False,
    )
    assert done.returncode == 3
    lines = done.stderr.splitlines()
    assert lines[0] == (
        "nightvoice: No sound: Unknown PCM nv-no-such-device; trying again every second "
        "(for up to 30 s)"
    )
    assert lines[1] == "nightvoice: No sound: Unknown PCM nv-no-such-device."
    assert len(lines) == 3 and "--text" in lines[2]
    assert TRACEBACK not in done.stderr


def test_closing_the_terminal_ends_the_program_cleanly(tmp_path: Path, routine: str) -> None:
    """A real hang-up: the terminal goes away under the program (nothing left to restore)."""
    err = tmp_path / "stderr"
    child = pexpect.spawn(
        "sh",
        ["-c", f'exec nightvoice play "$0" --text --rate 300 2> "{err}"', routine],
        env=environment(tmp_path),
        timeout=8,
    )
    child.expect_exact(b"Hold 30 s")
    child.ptyproc.delayafterclose = 1.0  # pexpect's 0.1 s to exit was too short under load
    child.close(force=False)  # closes the pty: SIGHUP, and reads and writes fail from now on
    assert child.exitstatus == 128 + signal.SIGHUP
    assert TRACEBACK not in err.read_text()
    assert leftover_aplays(tmp_path) == []


# -- no terminal on stdin: hands-free ----------------------------------------------------------

HANDS_FREE = """\
nightvoice: 1
title: Hands-free
chime: false
ask:
  name: side
  say: Which leg? Press L or R.
  choices: {l: left, r: right}
  default: right
  timeout: 30
steps:
  - say: The {side} leg.
    hold: 0.2
  - say: Hold.
    until_eased: {max: 0.3}  # too short for a check-in
  - Done.
"""


@pytest.mark.parametrize("stdin", ["devnull", "pipe"])
def test_with_no_terminal_on_stdin_it_plays_hands_free(tmp_path: Path, stdin: str) -> None:
    path = write_routine(tmp_path, HANDS_FREE, "free.yaml")
    done = subprocess.run(
        ["nightvoice", "play", str(path), "--text", "--rate", "300", "--step"],
        stdin=subprocess.DEVNULL if stdin == "devnull" else None,
        input=b"q\r\n" if stdin == "pipe" else None,  # typed text in a pipe is not keys
        capture_output=True,
        env=environment(tmp_path),
        timeout=20,
        check=False,
    )
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    assert "\x1b" not in out  # stdout is not a terminal either: plain text
    assert "The right leg." in out  # the question took its default at once
    assert "Done." in out
    assert "playing hands-free" in done.stderr.decode()
    assert TRACEBACK not in done.stderr.decode()


# -- real audio: a key cuts the speech -------------------------------------------------------

LONG = """\
nightvoice: 1
title: Long
chime: false
rate: 130
volume: 0.9
steps:
  - say: >-
      This is a long sentence that goes on and on, about the calf and the foot and the knee,
      and about sitting up slowly and pulling the toes back toward the knee, and holding it.
    title: Long
  - title: Quiet
    rest: 30
"""


def wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.mark.real_audio
def test_enter_during_a_long_sentence_silences_it_and_sigterm_leaves_no_aplay(
    session: type[Session], tmp_path: Path, pulse_server: PulseServer, recorder: Recorder
) -> None:
    path = write_routine(tmp_path, LONG, "long.yaml")
    start = recorder.mark()
    env = environment(tmp_path, PULSE_SERVER=pulse_server.server)
    s = session("play", str(path), env=env)
    s.expect("1/2  Long")
    wait_for(lambda: first_loud(recorder.samples(start)) is not None, 8, "the voice to start")
    wait_for(lambda: leftover_aplays(tmp_path) != [], 2, "aplay")
    s.send("\r")
    pressed = time.monotonic()
    s.expect("2/2  Quiet", timeout=2)
    wait_for(lambda: leftover_aplays(tmp_path) == [], 2, "the cut aplay to be gone")
    gone = time.monotonic() - pressed
    # The sentence is ~10 s long; once cut, the sink records only silence.
    settle = recorder.mark()
    time.sleep(0.4)  # record a stretch after the cut (a measurement window, not a wait)
    tail = recorder.samples(settle + round(0.03 * 22050))  # past what the recorder still held
    assert len(tail) > 0
    assert last_loud(tail) is None, "the voice went on after Enter"
    assert gone < 1.0
    # Back to the long sentence, and SIGTERM while it plays: its aplay must not outlive us.
    s.send("\x1b[D")
    s.expect("1/2  Long", timeout=2)
    wait_for(lambda: leftover_aplays(tmp_path) != [], 2, "aplay playing the sentence again")
    os.kill(s.program_pid(), signal.SIGTERM)
    assert s.finish()[0] == 143  # checks: no aplay left, terminal restored
