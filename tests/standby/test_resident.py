"""The real `nightvoice standby` on a private session bus and the private sound server.

Driven as a person's presses reach it: `playerctl` (a media key, a headset's button) on the bus,
and real `input_event` records through a FIFO standing in for a bedside button. What is heard is
recorded and its words checked; what the bus says is followed with `playerctl --follow`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nightvoice.core.keys import Command
from nightvoice.core.ports import KeyPressed, RemoteCommand
from nightvoice.standby.resident import SETTLE_SECONDS, Switchboard, starts
from nightvoice.startup.headstart import BUILT_IN_FIRST
from tests.audio_server import (
    PulseServer,
    Recorder,
    last_loud,
    pulse_server,
    recorder,
)
from tests.console.test_button import BTN_0, KEY_ENTER, KEY_Q, KEY_Y, press
from tests.console.test_keys_pty import TRACEBACK, environment, leftover_aplays, wait_for
from tests.desktop.test_media_keys import Follow, bus, follow, silent_for
from tests.private_bus import Bus
from tests.renders import assert_said_once, rendered_fresh
from tests.sink import _start_pulse, _stop, processes_with

pytestmark = pytest.mark.pty

_ = (pulse_server, recorder, bus, follow)  # fixtures used by name below

PLAYER = "org.mpris.MediaPlayer2.Player"
READY = "Stopped|Ready: Calf cramp relief"


class Standby:
    """`nightvoice standby ARGS` in the background: its log lines, waited for; its end."""

    def __init__(self, home: Path, env: dict[str, str], *args: str) -> None:
        self.home = home
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            ["nightvoice", "standby", *args],
            env={**env, "PYTHONFAULTHANDLER": "1"},  # a hang shows where, when ended by SIGABRT
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, text: str, count: int = 1, timeout: float = 10.0) -> None:
        """Until `text` is in `count` lines of its log."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.count(text) >= count, timeout=timeout):
                raise AssertionError(f"standby never said {text!r} ({count}x): {self.lines}")

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)

    def end(self, signum: int = signal.SIGTERM) -> int:
        """Send `signum`; its exit code, once no process of it is left."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=8)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)  # its threads' stacks, into its log
            self.process.wait(timeout=5)
            self._reader.join(timeout=5)
            raise AssertionError(f"standby did not end on {signum!r}: {self.lines}") from None
        self._reader.join(timeout=5)
        assert TRACEBACK not in "\n".join(self.lines), self.lines
        wait_for(lambda: leftover_aplays(self.home) == [], 2, "no aplay left")
        return code


def quiet_for(recorder: Recorder, seconds: float, timeout: float = 10.0) -> None:
    """Until the sink has been silent for `seconds` (a sound left by an earlier test in the
    shared sound server would be mixed into what is checked next)."""
    deadline = time.monotonic() + timeout
    needed = round(seconds * 22050)
    mark = recorder.mark()
    while time.monotonic() < deadline:
        heard = recorder.samples(mark)
        loud = last_loud(heard)
        if loud is not None:
            mark += loud + 1  # quiet is counted from the last sound on
        elif len(heard) >= needed:
            return
        time.sleep(0.01)
    raise AssertionError("the sink never went quiet")


def said_after(follow: Follow, earlier: str, later: str, timeout: float = 5.0) -> None:
    """Until the bus said `later` after it last said `earlier` (a state comes more than once)."""

    def said() -> bool:
        lines = follow.lines
        return earlier in lines and later in lines[len(lines) - lines[::-1].index(earlier) :]

    wait_for(said, timeout, f"{later!r} after {earlier!r}: {follow.lines}")


@dataclass
class Night:
    """A test's bedroom: the user's folder, the private bus (followed) and sound server (recorded),
    and the standbys started in it."""

    folder: Path
    home: Path
    bus: Bus
    follow: Follow
    recorder: Recorder
    started: list[Standby] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        env = environment(self.folder, DBUS_SESSION_BUS_ADDRESS=self.bus.address, **extra)
        env["NIGHTVOICE_HOME"] = str(self.home)  # the folder this process's checks look in
        return env

    def standby(self, *args: str, env: dict[str, str] | None = None) -> Standby:
        started = Standby(self.folder, env or self.env(), *args)
        self.started.append(started)
        return started


@pytest.fixture
def night(
    tmp_path: Path, private_home: Path, bus: Bus, follow: Follow, recorder: Recorder
) -> Iterator[Night]:
    room = Night(tmp_path, private_home, bus, follow, recorder)
    yield room
    for each in room.started:
        if each.process.poll() is None:
            each.process.kill()
            each.process.wait()


# -- pure: what starts it, and the press that started it said twice -----------------------------


def test_only_a_press_that_does_not_mean_quit_starts_it() -> None:
    assert starts(RemoteCommand(Command.PLAY))  # Play or PlayPause while ready
    assert starts(RemoteCommand(Command.PAUSE))  # a bedside lone button
    assert starts(KeyPressed("enter")) and starts(KeyPressed("b"))
    assert not starts(KeyPressed("q")) and not starts(KeyPressed("esc"))
    assert not starts(RemoteCommand(Command.QUIT))
    assert not starts(None)


def test_the_starting_press_repeated_at_once_is_dropped_and_other_keys_are_not() -> None:
    from nightvoice.console.realtime import QueueInbox

    waiting, playing = QueueInbox(), QueueInbox()
    board = Switchboard(waiting)
    board.route(playing, start=KeyPressed("enter"))
    for event in (
        KeyPressed("enter"),  # the button bounced, or was pressed twice
        RemoteCommand(Command.PLAY),  # a headset sent Play twice
        RemoteCommand(Command.PAUSE),  # ... or PlayPause right after it started
        KeyPressed("q"),  # a different key counts
    ):
        board.post(event)
    assert playing.wait(time.monotonic()) == KeyPressed("q")
    assert playing.wait(time.monotonic()) is None
    assert waiting.wait(time.monotonic()) is None
    board.route(waiting)
    board.post(RemoteCommand(Command.PLAY))
    assert waiting.wait(time.monotonic()) == RemoteCommand(Command.PLAY)
    assert SETTLE_SECONDS < 1.0  # a second, deliberate press still pauses


# -- real audio: Play is heard from its first word; Stop silences; ready again ----------------


@pytest.mark.real_audio
def test_play_is_heard_from_its_first_word_and_stop_makes_it_ready_again(night: Night) -> None:
    from nightvoice.sound.audio import Pcm
    from tests.speech_check import heard_sentences

    bus, follow, recorder = night.bus, night.follow, night.recorder
    s = night.standby()
    s.wait_for("ready to play calf-cramp at a press of media keys")
    bus.wait_for_player()
    follow.wait_for(READY)
    assert bus.playerctl("status") == "Stopped"
    quiet_for(recorder, 0.5)  # it says nothing unpressed (and no other test's sound is left)
    status = subprocess.run(
        ["nightvoice", "standby", "--status"],
        env=night.env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Standby is running (PID {s.process.pid}): it plays calf-cramp" in status
    assert "It is waiting for a press." in status

    start = recorder.mark()
    bus.playerctl("play")
    s.wait_for("playing calf-cramp")
    # The question is said whole (its words checked), then it waits: Paused to the desktop.
    end = recorder.wait_for_silence(start, 0.8, timeout=15)
    heard = recorder.samples(start)[: end - start]
    question = "Which leg is cramping? Press L for left, or R for right."
    other = "You are all right. This will pass."
    assert heard_sentences(Pcm(heard.tobytes(), 22050), [question, other]) == [question]
    # Its first words are whole and said once: as long as a fresh render of them, and their
    # first 100 ms the same samples.
    said, rate, gain = BUILT_IN_FIRST[True]  # as the night plays it: its rate, its volume
    assert said == question
    assert_said_once(heard, rendered_fresh(question, rate=rate)[question].scaled(gain))
    follow.wait_for("Paused|Calf cramp relief")

    bus.playerctl("stop")
    said_after(follow, "Paused|Calf cramp relief", READY, timeout=3)
    wait_for(lambda: leftover_aplays(night.folder) == [], 1, "the voice to be cut")
    silent_for(recorder, 0.4)
    assert bus.playerctl("metadata", "xesam:title") == "Ready: Calf cramp relief"
    assert s.end() == 0


# -- one button: Play/Pause alone through every kind of wait ------------------------------------

ONE_BUTTON = """\
nightvoice: 1
title: One button
chime: false
rate: 300
ask:
  name: side
  say: Which leg?
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


@pytest.mark.real_audio
def test_one_button_play_pause_starts_it_gets_through_every_wait_and_it_is_ready_again(
    night: Night,
) -> None:
    bus, follow, recorder = night.bus, night.follow, night.recorder
    routine = night.folder / "one.yaml"
    routine.write_text(ONE_BUTTON)
    s = night.standby("--routine", str(routine))
    follow.wait_for("Stopped|Ready: One button")

    def press_when_waiting(title: str) -> None:
        """Once the bus says it waits for the person at `title` (Paused after Playing)."""
        said_after(follow, f"Playing|{title}", f"Paused|{title}")
        assert "Error" not in bus.send(f"{PLAYER}.PlayPause")

    quiet_for(recorder, 0.3)  # what is heard next is this test's
    start = recorder.mark()
    follow.wait_for("Stopped|Ready: One button")
    assert "Error" not in bus.send(f"{PLAYER}.PlayPause")  # the one button starts it
    recorder.wait_for_silence(start, 0.4)  # "Which leg?" has been heard: a press answers it
    press_when_waiting("One button")  # (at once, it would be the first press bouncing)
    press_when_waiting("One button: step 1 of 3 - Ready")  # a wait for a key
    press_when_waiting("One button: step 2 of 3 - Ease")  # a hold until it eases
    # To its end, and ready for the next press.
    said_after(follow, "Playing|One button: step 3 of 3 - End", "Stopped|Ready: One button")
    assert follow.lines.count("Stopped|Ready: One button") >= 1
    assert s.count("playing one") == 1
    assert s.end() == 0


# -- a bedside button: a FIFO of real input_event records ---------------------------------------


@pytest.fixture
def device(tmp_path: Path) -> Path:
    path = tmp_path / "usb-Bedside_Button-event-kbd"
    os.mkfifo(path)
    return path


def plug_in(device: Path) -> object:
    """The device's node, opened as the kernel would write to it (once standby reads it)."""
    return open(device, "wb", buffering=0)


def waits_of(name: str) -> list[bool]:
    """For each step of a built-in routine, as planned: does it wait for the person?"""
    from nightvoice.core.plan import HoldUntilEased, WaitForKey
    from nightvoice.core.planner import compile_plan
    from nightvoice.user.catalog import load_routine, resolve
    from nightvoice.user.config import resolve_settings

    routine = load_routine(resolve(name).path)
    plan = compile_plan(routine, resolve_settings(routine.voice, {}, {}).settings, {})
    return [
        any(isinstance(a, (WaitForKey, HoldUntilEased)) for a in step.actions)
        for step in plan.steps
    ]


@pytest.mark.real_audio
def test_one_bedside_button_gets_through_a_whole_built_in_routine(
    night: Night, device: Path
) -> None:
    """A button that sends Enter: the first press starts `aftercare`, and each next one, once
    the step is heard, goes on (the question, each step, the wait for a key) to its end; then
    it is ready again. Presses come as a hand makes them: one the player would take for a held
    key's repeat (within 0.7 s at a step that waits, 0.15 s elsewhere) is not made."""
    follow, recorder = night.follow, night.recorder
    waits = waits_of("aftercare")
    title = "Aftercare for a sore muscle"
    s = night.standby("--routine", "aftercare", "--rate", "300", "--button", str(device))
    follow.wait_for(f"Stopped|Ready: {title}")
    with plug_in(device) as button:
        quiet_for(recorder, 0.3)  # what is heard next is this test's
        heard = recorder.mark()
        button.write(press(KEY_ENTER))  # starts it: the question is asked
        follow.wait_for(f"Paused|{title}")
        recorder.wait_for_samples(heard, 0.75)
        for number, waiting in enumerate(waits, 1):
            heard = recorder.mark()
            button.write(press(KEY_ENTER))  # the question's default; then each next step
            follow.wait_for(f"{title}: step {number} of {len(waits)}", partial=True)
            if number < len(waits):
                recorder.wait_for_samples(heard, 0.75 if waiting else 0.2)
        last = f"{title}: step {len(waits)} of {len(waits)}"
        said_after(follow, next(x for x in follow.lines if last in x), f"Stopped|Ready: {title}")
    assert s.count("playing aftercare") == 1
    assert s.end() == 0


# -- a bedside keyboard: its keys answer, quit, and it is read again after unplugging -----------

RELIEF = """\
nightvoice: 1
title: Relief
chime: false
rate: 300
log_episode: true
ask: {name: side, say: Which leg?, choices: {l: left, r: right}, default: left, timeout: 30}
steps:
  - say: Stretch your {side} leg.
    title: Stretch
    hold: 1
"""
KEY_R = 19


def test_a_bedside_keyboards_keys_answer_quit_and_work_again_after_unplugging(
    night: Night, device: Path
) -> None:
    follow, recorder = night.follow, night.recorder
    routine = night.folder / "relief.yaml"
    routine.write_text(RELIEF)
    s = night.standby("--routine", str(routine), "--button", str(device))
    follow.wait_for("Stopped|Ready: Relief")
    with plug_in(device) as keyboard:
        quiet_for(recorder, 0.3)  # what is heard next is this test's
        start = recorder.mark()
        keyboard.write(press(KEY_ENTER))  # the first press starts it
        said_after(follow, "Playing|Relief", "Paused|Relief")
        recorder.wait_for_silence(start, 0.3)
        keyboard.write(press(KEY_R))  # which leg? the right one
        said_after(
            follow, "Playing|Relief: step 1 of 1 - Stretch", "Stopped|Relief: step 1 of 1 - Stretch"
        )
        asked = recorder.mark()  # "Did it help? Press Y for yes or N for no."
        recorder.wait_for_samples(asked, 0.3)
        keyboard.write(press(KEY_Y))  # alone: an answer
        said_after(follow, "Stopped|Relief: step 1 of 1 - Stretch", "Stopped|Ready: Relief")
        keyboard.write(press(KEY_ENTER))  # again: then q quits at the question
        s.wait_for("playing relief", count=2)
        said_after(follow, "Stopped|Ready: Relief", "Paused|Relief")
        keyboard.write(press(KEY_Q))
        s.wait_for("ready again", count=2)
        device.unlink()  # unplugged
    s.wait_for("went away")
    os.mkfifo(device)
    with plug_in(device) as keyboard:  # plugged in again: read again
        keyboard.write(press(BTN_0))  # a lone button starts it too
        s.wait_for("playing relief", count=3)
        said_after(follow, "Stopped|Ready: Relief", "Paused|Relief")
        keyboard.write(press(KEY_Q))
        s.wait_for("ready again", count=3)
    log = subprocess.run(
        ["nightvoice", "log", "--csv"], env=night.env(), capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert len(log) == 2 and log[1].split(",")[1] == "relief"  # quit at the question: no step
    assert log[1].endswith(",yes,right,2")
    assert s.end() == 0


# -- the bus going away and coming back ----------------------------------------------------------


def test_the_bus_going_away_and_coming_back_finds_it_ready_again(night: Night) -> None:
    bus = night.bus
    s = night.standby()
    bus.wait_for_player()
    bus.kill()  # the desktop session's bus dies ...
    bus.restart()  # ... and a new one comes at the same address
    bus.wait_for_player(timeout=5)  # re-registered within a few seconds
    assert bus.playerctl("metadata", "xesam:title") == "Ready: Calf cramp relief"
    bus.playerctl("play")
    s.wait_for("playing calf-cramp")
    wait_for(lambda: bus.playerctl("status") == "Paused", 5, "the question, as Paused")
    bus.playerctl("stop")
    s.wait_for("ready again")
    assert s.end() == 0


# -- what cannot start, and one standby per user --------------------------------------------------


def quick_run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["nightvoice", "standby", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("bus_address", [None, "unix:path={folder}/no-bus-here"])
def test_with_nothing_to_start_it_it_says_so_in_one_line_and_fails(
    tmp_path: Path, bus_address: str | None
) -> None:
    env = environment(tmp_path, XDG_RUNTIME_DIR=str(tmp_path))  # no bus socket in it
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    if bus_address is not None:
        env["DBUS_SESSION_BUS_ADDRESS"] = bus_address.format(folder=tmp_path)
    done = quick_run(env)
    assert done.returncode == 1
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("nightvoice: standby: nothing could start it: ")
    assert "--button DEVICE" in done.stderr


def test_a_second_standby_says_one_is_running_and_leaves_it(night: Night) -> None:
    first = night.standby()
    night.bus.wait_for_player()
    done = quick_run(night.env())
    assert done.returncode == 0 and done.stdout == ""
    assert done.stderr == (
        f"nightvoice: standby is already running (PID {first.process.pid}); "
        "`nightvoice standby --status` says what it waits for\n"
    )
    assert first.process.poll() is None
    assert first.end() == 0


def test_a_regular_file_as_its_button_is_refused_in_one_line(tmp_path: Path) -> None:
    regular = tmp_path / "keys.txt"
    regular.write_text("q")
    done = quick_run(environment(tmp_path), "--button", str(regular))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and f"{regular} is not an input device" in done.stderr


# -- newer stops older; the reminder stays quiet ---------------------------------------------------

HOLDS = """\
nightvoice: 1
title: Terminal
chime: false
steps:
  - say: Alpha.
    title: One
    hold: 30
"""


def test_a_terminal_nightvoice_stops_a_playing_standby_which_is_ready_again_after_it(
    night: Night,
) -> None:
    bus = night.bus
    s = night.standby()
    bus.wait_for_player()
    bus.playerctl("play")
    s.wait_for("playing calf-cramp")
    # While standby plays, the bedtime reminder stays quiet.
    reminder = subprocess.run(
        ["nightvoice", "remind", "--fire", "--say", "Hello"],
        env=night.env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert reminder.returncode == 0 and "the bedtime reminder stays quiet" in reminder.stderr
    routine = night.folder / "terminal.yaml"
    routine.write_text(HOLDS)
    terminal = subprocess.Popen(
        ["nightvoice", "play", str(routine), "--text", "--hands-free"],
        env=night.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        s.wait_for("stopped: another nightvoice started playing")
        # The terminal one has the name while it plays: the media keys reach it.
        wait_for(
            lambda: bus.playerctl("metadata", "xesam:title") == "Terminal: step 1 of 1 - One",
            8,
            "the terminal's player on the bus",
        )
        assert bus.players() == ["nightvoice"]
        bus.playerctl("stop")
        assert terminal.wait(timeout=8) == 0
    finally:
        terminal.kill()
        terminal.wait()
    # The bus hands the name back: standby is the player again, ready.
    wait_for(
        lambda: bus.playerctl("metadata", "xesam:title") == "Ready: Calf cramp relief",
        5,
        "standby ready on the bus again",
    )
    assert bus.playerctl("status") == "Stopped"
    assert s.end() == 0


def test_a_press_while_the_bedtime_reminder_speaks_stops_it_first(night: Night) -> None:
    """Newer stops older: the reminder's line is silenced before the routine starts."""
    bus, recorder = night.bus, night.recorder
    s = night.standby()
    bus.wait_for_player()
    quiet_for(recorder, 0.3)  # what is heard next is the reminder's
    start = recorder.mark()
    line = "Time for your bedtime stretches, and a glass of water. " * 4
    reminder = subprocess.Popen(
        ["nightvoice", "remind", "--fire", "--say", line.strip()],
        env=night.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        recorder.wait_for_samples(start, 0.3)  # it speaks
        bus.playerctl("play")
        _, err = reminder.communicate(timeout=10)
    finally:
        reminder.kill()
        reminder.wait()
    assert reminder.returncode == 0
    assert err == "nightvoice: stopped: another nightvoice started playing\n"
    s.wait_for("playing calf-cramp")
    bus.playerctl("stop")
    s.wait_for("ready again")
    assert s.end() == 0


# -- two presses at once, signals, and no sound server at the press ------------------------------


def test_two_presses_at_once_start_one_routine_and_do_not_answer_its_question(
    night: Night,
) -> None:
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    from tests.private_bus import NAME, PATH

    bus, recorder = night.bus, night.recorder
    s = night.standby()
    bus.wait_for_player()
    player = DBusAddress(PATH, bus_name=NAME, interface=PLAYER)
    quiet_for(recorder, 0.3)  # what is heard next is this test's
    start = recorder.mark()
    with open_dbus_connection(bus.address) as conn:
        conn.send(new_method_call(player, "PlayPause"))  # a double press: two calls at once
        conn.send(new_method_call(player, "PlayPause"))
        conn.send_and_get_reply(new_method_call(player, "Play"), timeout=5)
    recorder.wait_for_silence(start, 0.5, timeout=15)  # the question said whole, unanswered
    assert bus.playerctl("metadata", "xesam:title") == "Calf cramp relief"  # no step yet
    assert bus.playerctl("status") == "Paused"  # waiting for the answer
    assert s.count("playing calf-cramp") == 1
    bus.playerctl("stop")
    s.wait_for("ready again")
    assert s.end() == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_while_playing_ends_it_cleanly_with_nothing_left(
    night: Night, signum: int
) -> None:
    bus, recorder = night.bus, night.recorder
    s = night.standby()
    bus.wait_for_player()
    quiet_for(recorder, 0.3)  # what is heard next is this test's
    start = recorder.mark()
    bus.playerctl("play")
    recorder.wait_for_samples(start, 0.3)  # speaking
    children = Path(f"/proc/{s.process.pid}/task/{s.process.pid}/children").read_text().split()
    assert children  # its aplay
    assert s.end(signum) == 0  # no aplay left, no traceback
    for pid in children:
        assert not Path(f"/proc/{pid}").exists()
    # Nothing of it runs on, not even a background job started on its way out.
    names = ("aplay", "python", "python3", "nightvoice")
    assert processes_with(f"NIGHTVOICE_HOME={night.home}", names=names) == []
    silent_for(recorder, 0.3)
    assert not bus.has_name()


@pytest.fixture
def late_server(tmp_path: Path) -> Iterator[Path]:
    """A folder where a sound server is not running yet (the test starts it)."""
    folder = Path(tempfile.mkdtemp(prefix="nv-late-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_no_sound_server_at_the_press_is_said_and_a_press_once_it_is_back_is_heard(
    night: Night, late_server: Path
) -> None:
    """Never silent, never gone: the press finds no sound server; standby says why, stays,
    and once the server is there the routine is heard (after waiting for it, or at the next
    press)."""
    bus = night.bus
    socket = late_server / "native"
    s = night.standby(env=night.env(PULSE_SERVER=f"unix:{socket}"))
    bus.wait_for_player()
    bus.playerctl("play")
    s.wait_for("No sound")
    assert s.process.poll() is None
    process, server = _start_pulse(late_server)
    try:
        pulse = PulseServer(late_server, server, "nv", process.pid)
        late = Recorder(pulse)
        try:
            start = late.mark()
            wait_for(lambda: bus.playerctl("status") != "Playing", 40, "ready, or waiting")
            if bus.playerctl("metadata", "xesam:title").startswith("Ready:"):
                bus.playerctl("play")
            late.wait_for_samples(start, 0.5, timeout=40)  # heard
        finally:
            late.close()
    finally:
        _stop(process)
    bus.playerctl("stop")
    assert s.end() == 0


def test_a_routine_changed_while_it_waits_plays_as_it_is_now_and_a_broken_one_is_said(
    night: Night,
) -> None:
    bus = night.bus
    routine = night.folder / "mine.yaml"
    routine.write_text(HOLDS.replace("title: Terminal", "title: Before"))
    s = night.standby("--routine", str(routine))
    night.follow.wait_for("Stopped|Ready: Before")
    routine.write_text(HOLDS.replace("title: Terminal", "title: After"))  # edited by day
    bus.playerctl("play")
    night.follow.wait_for("Playing|After: step 1 of 1 - One")
    bus.playerctl("stop")
    said_after(night.follow, "Playing|After: step 1 of 1 - One", "Stopped|Ready: After")
    routine.write_text(HOLDS.replace("hold: 30", "hold: -3"))  # and now it is broken
    bus.playerctl("play")
    s.wait_for(f"{routine}:7:11: `hold` must be more than 0")  # one line; nothing plays
    s.wait_for("ready again", count=2)
    assert s.count("playing mine") == 1
    assert s.end() == 0
