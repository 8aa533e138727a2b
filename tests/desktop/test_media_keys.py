"""The real program on a private session bus, driven by `playerctl` and `dbus-send`.

What is heard (a private sound server), what is shown (a real pseudo-terminal) and what the
bus says (`playerctl --follow`) while media keys pause, go on, move and stop a routine; the
one-button headset through every kind of wait; and the cases where there is no bus to use.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.audio_server import (
    Recorder,
    correlation,
    first_loud,
    last_loud,
    loud_stretches,
    pulse_server,
    recorder,
)
from tests.console.test_keys_pty import (
    ROUTINE,
    TRACEBACK,
    Session,
    environment,
    leftover_aplays,
    session,
    wait_for,
    write_routine,
)
from tests.private_bus import MISSING_TOOLS, NAME, Bus, missing_tools, private_bus
from tests.renders import assert_said_once, rendered_fresh

pytestmark = pytest.mark.pty

__all__ = ["pulse_server", "recorder", "session"]  # fixtures shared with the key tests

PLAYER = "org.mpris.MediaPlayer2.Player"


@pytest.fixture
def bus() -> Iterator[Bus]:
    missing = missing_tools()
    if missing:  # never skipped: .ci/setup installs them
        pytest.fail(MISSING_TOOLS.format(missing=", ".join(missing)), pytrace=False)
    with private_bus() as started:
        yield started


class Follow:
    """`playerctl --follow`: every status and title the bus announced, in order."""

    FORMAT = "{{status}}|{{xesam:title}}"

    def __init__(self, bus: Bus) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._process = subprocess.Popen(
            ["playerctl", "-p", "nightvoice", "--follow", "metadata", "--format", self.FORMAT],
            env=bus.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, line: str, timeout: float = 5.0, *, partial: bool = False) -> None:
        """Until the bus said `line` (with `partial`, a line holding it)."""

        def said() -> bool:
            return any(line in each for each in self.lines) if partial else line in self.lines

        with self._changed:
            if not self._changed.wait_for(said, timeout=timeout):
                raise AssertionError(f"the bus never said {line!r}: {self.lines}")

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=5)


@pytest.fixture
def follow(bus: Bus) -> Iterator[Follow]:
    follower = Follow(bus)
    yield follower
    follower.close()


# -- real audio: pause silences, play goes on, next speaks the next step, stop ends --------------

LONG = (
    "This is a long sentence that goes on and on, about the calf and the foot and the knee, "
    "and about sitting up slowly and pulling the toes back toward the knee, and holding it."
)
REST = "Now rest."
HEARD = f"""\
nightvoice: 1
title: Media keys
chime: false
rate: 130
volume: 0.9
steps:
  - say: {LONG}
    title: Long
  - say: {REST}
    title: Rest
    rest: 30
  - Never reached.
"""


LATENCY = round(0.03 * 22050)  # what the recorder may still deliver of sound played before


def silent_for(recorder: Recorder, seconds: float) -> None:
    """The sink records only silence for `seconds` (a measurement window, not a wait), after
    the recorder's latency: its first chunks can still hold the last of a sound just cut."""
    mark = recorder.mark()
    time.sleep(seconds)
    tail = recorder.samples(mark + LATENCY)
    assert len(tail) > 0
    assert last_loud(tail) is None, "the voice went on"


@pytest.mark.real_audio
def test_playerctl_pauses_goes_on_moves_and_stops_as_heard(
    session: type[Session],
    tmp_path: Path,
    bus: Bus,
    follow: Follow,
    recorder: Recorder,
) -> None:
    """The recorder's sound server is this process's PULSE_SERVER while it runs."""
    path = write_routine(tmp_path, HEARD, "heard.yaml")
    rendered = rendered_fresh(LONG, REST, rate=130)
    start = recorder.mark()
    env = environment(tmp_path, DBUS_SESSION_BUS_ADDRESS=bus.address)
    s = session("play", str(path), env=env)
    s.expect("1/3  Long")
    wait_for(lambda: first_loud(recorder.samples(start)) is not None, 8, "the voice to start")
    follow.wait_for("Playing|Media keys: step 1 of 3 - Long")
    assert bus.playerctl("metadata", "xesam:album") == "Media keys"

    bus.playerctl("pause")  # returns once the call was answered
    s.expect("Paused", timeout=2)
    wait_for(lambda: leftover_aplays(tmp_path) == [], 1, "the voice to be cut")
    silent_for(recorder, 0.4)
    follow.wait_for("Paused|Media keys: step 1 of 3 - Long")
    bus.playerctl("pause")  # Pause is idempotent: still paused, nothing said
    silent_for(recorder, 0.3)
    assert bus.playerctl("status") == "Paused"

    resumed = recorder.mark()
    bus.playerctl("play")
    onset = recorder.wait_for_samples(resumed, 0.15, timeout=3)  # the voice again: the
    # sentence from its start (its second time: 2/3 of the volume on the night's rising start)
    source = rendered[LONG].scaled(0.9 * (0.5 + 0.5 / 3)).values()
    begin = first_loud(source)
    assert begin is not None
    again = correlation(recorder.samples(onset)[:2205], source[begin : begin + 2205])
    assert again > 0.9, again
    assert bus.playerctl("status") == "Playing"

    bus.playerctl("next")  # during the long sentence: cut, and the next step is said
    s.expect("2/3  Rest", timeout=2)
    moved = recorder.mark()
    follow.wait_for("Playing|Media keys: step 2 of 3 - Rest")
    wait_for(lambda: first_loud(recorder.samples(moved)) is not None, 3, "the next step")
    saying = set(leftover_aplays(tmp_path))  # then a spare aplay waits for the next sound
    # "Now rest." whole and once, then the rest's silence: the long sentence is not going on.
    wait_for(lambda: not saying & set(leftover_aplays(tmp_path)), 3, "the short sentence to end")
    recorder.wait_for_silence(moved, 0.2)
    heard = recorder.samples(moved)
    # (the recorder may still hold a few ms of the cut sentence: the step's words are the
    # first sound of their own, after the lead-in's silence)
    words = next(start for start, end in loud_stretches(heard, gap=0.02) if end - start > 1102)
    assert_said_once(heard[words:], rendered[REST].scaled(0.9 * 0.75))  # its third sentence
    silent_for(recorder, 0.3)

    bus.playerctl("stop")
    code, shown = s.finish(timeout=3)  # and the terminal is restored, no aplay left
    assert code == 0
    assert "Never reached" not in shown
    follow.wait_for("Stopped|Media keys: step 2 of 3 - Rest")
    wait_for(lambda: not bus.has_name(), 2, "the name to be released")


# -- one button: PlayPause alone through the question, a key wait and a hold until eased ---------

ONE_BUTTON = """\
nightvoice: 1
title: One button
chime: false
ask:
  name: side
  say: Which leg? Press L or R.
  choices: {l: left, r: right}
  default: left
  timeout: 60
steps:
  - say: The {side} leg. Press Enter when you are ready.
    title: Ready
    wait_for_key: true
  - say: Hold it.
    title: Ease
    until_eased: {max: 60, every: 20}
  - say: Done.
    title: End
"""


def test_one_button_play_pause_gets_through_every_wait(
    session: type[Session], tmp_path: Path, bus: Bus, follow: Follow
) -> None:
    path = write_routine(tmp_path, ONE_BUTTON, "one.yaml")
    env = environment(tmp_path, DBUS_SESSION_BUS_ADDRESS=bus.address)
    s = session("play", str(path), "--text", "--rate", "300", env=env)

    def press(reply: bool = True) -> None:
        answer = bus.send(f"{PLAYER}.PlayPause", reply=reply)
        assert "Error" not in answer, answer

    s.expect("Which leg?")
    follow.wait_for("Paused|One button")  # waiting for the person shows as paused
    press()
    s.expect("The left leg.")
    s.expect("Press Enter to go on")
    follow.wait_for("Paused|One button: step 1 of 3 - Ready")
    press()
    s.expect("Hold it.", timeout=2)
    s.expect("Holding: press Enter when it eases")
    follow.wait_for("Paused|One button: step 2 of 3 - Ease")
    press(reply=False)  # a call that wants no reply works the same
    s.expect("Done.", timeout=2)
    code, _ = s.finish(timeout=5)
    assert code == 0
    assert follow.lines.index("Playing|One button: step 3 of 3 - End") > follow.lines.index(
        "Paused|One button: step 2 of 3 - Ease"
    )


# A title with what D-Bus, XML and shells treat specially: quotes, markup, %, a backslash, a new
# line and a right-to-left override (which would reverse the desktop's line).
HOSTILE_TITLE = r'"Cramp 🦵 \"q\" <b>&amp; 100% \\ {{x}}\n two \u202e"'
SHOWN_TITLE = 'Cramp 🦵 "q" <b>&amp; 100% \\ {{x}} two'


def test_properties_and_calls_by_dbus_send(
    session: type[Session], tmp_path: Path, bus: Bus
) -> None:
    routine = write_routine(tmp_path, ROUTINE.replace("title: Keys", f"title: {HOSTILE_TITLE}"))
    env = environment(tmp_path, DBUS_SESSION_BUS_ADDRESS=bus.address)
    s = session("play", str(routine), "--text", "--rate", "300", env=env)
    s.expect("Hold 30 s")
    bus.wait_for_player()
    get = "org.freedesktop.DBus.Properties.Get"
    assert 'string "nightvoice"' in bus.send(
        get, "string:org.mpris.MediaPlayer2", "string:Identity"
    )
    assert "boolean false" in bus.send(get, f"string:{PLAYER}", "string:CanSeek")
    assert "boolean true" in bus.send(get, f"string:{PLAYER}", "string:CanGoNext")
    trackid = bus.playerctl("metadata", "mpris:trackid")
    assert trackid and not trackid.startswith("/org/mpris")
    assert bus.playerctl("metadata", "xesam:artist") == "nightvoice"
    assert bus.playerctl("metadata", "xesam:title") == f"{SHOWN_TITLE}: step 1 of 4 - One"
    assert bus.playerctl("metadata", "xesam:album") == SHOWN_TITLE
    assert "Error" not in bus.send(f"{PLAYER}.Next")
    s.expect("Bravo.", timeout=2)
    assert "Error" not in bus.send(f"{PLAYER}.Previous")
    s.expect("1/4  One", timeout=2)
    assert "NotSupported" in bus.send(f"{PLAYER}.OpenUri", "string:file:///x.mp3")
    assert "Error" not in bus.send("org.mpris.MediaPlayer2.Quit")
    code, _ = s.finish(timeout=3)
    assert code == 0


def test_a_second_copy_takes_over_the_name_and_stop_ends_it(tmp_path: Path, bus: Bus) -> None:
    """One voice at a time (onevoice.py): the second copy stops the first, then answers to
    the desktop under the usual name."""
    routine = write_routine(tmp_path, ROUTINE)
    env = {**environment(tmp_path), "DBUS_SESSION_BUS_ADDRESS": bus.address}
    command = ["nightvoice", "play", str(routine), "--text", "--hands-free"]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
        )

    first = start()
    try:
        bus.wait_for_player()
        second = start()
        try:
            assert first.wait(timeout=8) == 0  # stopped by the newer copy
            bus.wait_for_player()  # the second, once the first let go of the name
            assert bus.players() == ["nightvoice"]
            bus.playerctl("stop")  # hands-free too: Stop ends it
            assert second.wait(timeout=5) == 0
        finally:
            second.kill()
    finally:
        first.kill()


# -- no bus, a refusing bus, a bus that dies: keys alone, quietly --------------------------------


def keys_still_work(s: Session) -> str:
    """In the first hold, Space pauses and goes on, q quits; what was shown since the pause."""
    s.send(" ")
    s.expect("Paused: press Space to go on", timeout=2)
    s.send(" ")
    s.expect("Hold 30 s", timeout=2)
    s.send("q")
    code, shown = s.finish(timeout=3)
    assert code == 0
    return shown


@pytest.fixture
def silent_socket() -> Iterator[str]:
    """A socket that accepts a connection and never answers (a bus that hangs)."""
    with tempfile.TemporaryDirectory(prefix="nv-hung-") as directory:
        path = str(Path(directory) / "bus")
        server = socket.socket(socket.AF_UNIX)
        server.bind(path)
        server.listen(4)
        try:
            yield f"unix:path={path}"
        finally:
            server.close()


@pytest.mark.parametrize(
    ("kind", "verbose"),
    [("unset", False), ("missing-socket", True), ("hung", False)],
)
def test_with_no_bus_to_use_keys_work_and_it_says_so_only_when_verbose(
    session: type[Session], tmp_path: Path, silent_socket: str, kind: str, verbose: bool
) -> None:
    env = environment(tmp_path)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    if kind == "unset":
        env["XDG_RUNTIME_DIR"] = str(tmp_path)  # no bus socket in it
    else:
        address = silent_socket if kind == "hung" else f"unix:path={tmp_path}/no-bus"
        env["DBUS_SESSION_BUS_ADDRESS"] = address
    routine = write_routine(tmp_path, ROUTINE)
    args = ["play", str(routine), "--text", "--rate", "300", *(["--verbose"] if verbose else [])]
    s = session(*args, env=env)
    s.expect("Hold 30 s")  # a hung bus delays neither the keys nor quitting
    shown = keys_still_work(s)
    lines = [line for line in shown.splitlines() if "media keys" in line]
    assert len(lines) == (1 if verbose else 0), shown
    assert all("nightvoice: media keys are off: " in line for line in lines), lines


def test_without_jeepney_it_plays_with_the_keys_and_verbose_says_why(
    session: type[Session], tmp_path: Path, bus: Bus
) -> None:
    """A bus is there, the library is not (a jeepney that cannot be imported comes first)."""
    hidden = tmp_path / "hide"
    (hidden / "jeepney").mkdir(parents=True)
    (hidden / "jeepney" / "__init__.py").write_text("raise ImportError('not installed')\n")
    env = environment(tmp_path, DBUS_SESSION_BUS_ADDRESS=bus.address, PYTHONPATH=str(hidden))
    routine = write_routine(tmp_path, ROUTINE)
    s = session("play", str(routine), "--text", "--rate", "300", "--verbose", env=env)
    s.expect("Hold 30 s")
    assert bus.players() == []
    shown = keys_still_work(s)
    assert "nightvoice: media keys are off: the jeepney library is not installed" in shown


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
def test_a_bus_that_refuses_the_name_leaves_the_keys(
    session: type[Session], tmp_path: Path, verbose: bool
) -> None:
    with private_bus(refusing=True) as refusing:
        env = environment(tmp_path, DBUS_SESSION_BUS_ADDRESS=refusing.address)
        routine = write_routine(tmp_path, ROUTINE)
        args = ["play", str(routine), "--text", "--rate", "300"]
        s = session(*args, *(["--verbose"] if verbose else []), env=env)
        s.expect("Hold 30 s")
        assert refusing.players() == []
        shown = keys_still_work(s)
    refused = "media keys are off: the session bus refused the name " + NAME
    assert (refused in shown) is verbose, shown
    assert ("media keys" in shown) is verbose


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
def test_the_bus_dying_mid_routine_leaves_the_keys(
    session: type[Session], tmp_path: Path, bus: Bus, verbose: bool
) -> None:
    env = environment(tmp_path, DBUS_SESSION_BUS_ADDRESS=bus.address)
    routine = write_routine(tmp_path, ROUTINE)
    args = ["play", str(routine), "--text", "--rate", "300", *(["--verbose"] if verbose else [])]
    s = session(*args, env=env)
    s.expect("Hold 30 s")
    bus.wait_for_player()
    bus.kill()
    s.send("\x1b[C\x1b[D")  # two step changes: PropertiesChanged for a bus that is gone
    s.expect("Bravo.", timeout=2)
    s.expect("Alpha.", timeout=2)
    s.expect("Hold 30 s")
    shown = keys_still_work(s)
    assert TRACEBACK not in shown
    assert ("media keys are off: the session bus" in shown) is verbose, shown


def test_sigterm_with_a_bus_restores_the_terminal_and_releases_the_name(
    session: type[Session], tmp_path: Path, bus: Bus
) -> None:
    env = environment(tmp_path, DBUS_SESSION_BUS_ADDRESS=bus.address)
    s = session("play", str(write_routine(tmp_path, ROUTINE)), "--text", env=env)
    s.expect("Hold 30 s")
    bus.wait_for_player()
    os.kill(s.program_pid(), signal.SIGTERM)
    assert s.finish(timeout=3)[0] == 143
    assert not bus.has_name()
