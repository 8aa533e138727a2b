"""The MPRIS mapping without a bus: properties, what each call does, and the replies."""

from __future__ import annotations

import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nightvoice.core.keys import Command
from nightvoice.core.ports import Event
from nightvoice.desktop import mpris
from nightvoice.desktop.frontend import MprisFrontend, session_bus_address
from nightvoice.desktop.mpris import (
    OBJECT_PATH,
    PLAYER,
    PROPERTIES,
    ROOT,
    Call,
    PlayerState,
    answer,
    changes,
    dbus_text,
    metadata,
    playback_status,
)

STEP3 = PlayerState("Calf cramp", number=3, total=10, step="Stand and shake")


@pytest.mark.parametrize(
    ("method", "command"),
    [
        ("Play", Command.PLAY),
        ("Pause", Command.PAUSE_ONLY),
        ("PlayPause", Command.PAUSE),
        ("Next", Command.NEXT),
        ("Previous", Command.BACK),
        ("Stop", Command.QUIT),
    ],
)
def test_each_player_method_gives_the_command_of_its_key(method: str, command: Command) -> None:
    reply = answer(Call(OBJECT_PATH, PLAYER, method), STEP3)
    assert (reply.error, reply.command) == (None, command)


def test_quit_quits_and_raise_seek_and_set_position_do_nothing() -> None:
    assert answer(Call(OBJECT_PATH, ROOT, "Quit"), STEP3).command is Command.QUIT
    for call in (
        Call(OBJECT_PATH, ROOT, "Raise"),
        Call(OBJECT_PATH, PLAYER, "Seek", "x", (5_000_000,)),
        Call(OBJECT_PATH, PLAYER, "SetPosition", "ox", ("/nightvoice/step/3", 0)),
    ):
        reply = answer(call, STEP3)
        assert (reply.error, reply.command) == (None, None), call


def test_a_method_call_without_an_interface_is_found_by_its_name() -> None:
    assert answer(Call(OBJECT_PATH, None, "PlayPause"), STEP3).command is Command.PAUSE


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (PlayerState("r", number=1, total=2), "Playing"),
        (PlayerState("r", number=1, total=2, paused=True), "Paused"),
        (PlayerState("r", number=1, total=2, waiting=True), "Paused"),  # the button goes on
        (PlayerState("r", number=1, total=2, ended=True), "Stopped"),
        (PlayerState("r"), "Playing"),
        (PlayerState("r", ready=True), "Stopped"),  # standby, waiting to be pressed
    ],
)
def test_playback_status(state: PlayerState, status: str) -> None:
    assert playback_status(state) == status


def test_metadata_says_the_routine_and_the_step() -> None:
    assert metadata(STEP3) == {
        "mpris:trackid": ("o", "/nightvoice/step/3"),
        "xesam:title": ("s", "Calf cramp: step 3 of 10 - Stand and shake"),
        "xesam:album": ("s", "Calf cramp"),
        "xesam:artist": ("as", ["nightvoice"]),
        "xesam:trackNumber": ("i", 3),
    }
    before = metadata(PlayerState("Calf cramp"))  # asking the start question
    assert before["xesam:title"] == ("s", "Calf cramp")
    assert not before["mpris:trackid"][1].startswith("/org/mpris")


HOSTILE = [
    "a\x00b",  # NUL: a bus disconnects a client that sends it
    "line\nbreak\r\ttab",
    "\x1b[31mred\x1b[0m",
    "lone \ud800 surrogate",
    "emoji 🦵 and ünïcode",
    "x" * 5000,
    "\u2028\u2029\x85",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_titles_from_a_routine_file_become_one_valid_short_line(text: str) -> None:
    for state in (PlayerState(text), PlayerState(text, number=1, total=1, step=text)):
        for _, (_, value) in metadata(state).items():
            if isinstance(value, str):
                value.encode("utf-8")  # valid UTF-8: no lone surrogate
                assert "\x00" not in value
                assert all(ch.isprintable() for ch in value), repr(value)
                assert len(value) <= 2 * mpris.TITLE_LIMIT + 30


def test_dbus_text_keeps_ordinary_words() -> None:
    assert dbus_text("  Stand,\n and   shake  ") == "Stand, and shake"
    assert dbus_text("x" * 300).endswith("…")


def get(interface: str, name: str, state: PlayerState = STEP3) -> object:
    reply = answer(Call(OBJECT_PATH, PROPERTIES, "Get", "ss", (interface, name)), state)
    assert reply.error is None, reply
    assert reply.signature == "v"
    return reply.body[0]


def test_the_properties_a_desktop_reads() -> None:
    assert get(ROOT, "Identity") == ("s", "nightvoice")
    assert get(ROOT, "CanQuit") == ("b", True)
    assert get(PLAYER, "PlaybackStatus") == ("s", "Playing")
    for flag in ("CanGoNext", "CanGoPrevious", "CanPlay", "CanPause", "CanControl"):
        assert get(PLAYER, flag) == ("b", True), flag
    assert get(PLAYER, "CanSeek") == ("b", False)
    reply = answer(Call(OBJECT_PATH, PROPERTIES, "GetAll", "s", (PLAYER,)), STEP3)
    assert reply.signature == "a{sv}"
    assert reply.body[0]["Metadata"] == ("a{sv}", metadata(STEP3))


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (Call(OBJECT_PATH, PROPERTIES, "Get", "ss", (PLAYER, "Nope")), "UnknownProperty"),
        (Call(OBJECT_PATH, PROPERTIES, "GetAll", "s", ("org.example.X",)), "UnknownInterface"),
        (
            Call(OBJECT_PATH, PROPERTIES, "Set", "ssv", (PLAYER, "CanSeek", ("b", True))),
            "PropertyReadOnly",
        ),
        (Call(OBJECT_PATH, PROPERTIES, "Get", "s", (PLAYER,)), "InvalidArgs"),
        (Call(OBJECT_PATH, PLAYER, "Next", "s", ("x",)), "InvalidArgs"),
        (Call(OBJECT_PATH, PLAYER, "OpenUri", "s", ("file:///x.mp3",)), "NotSupported"),
        (Call(OBJECT_PATH, PLAYER, "Shuffle"), "UnknownMethod"),
        (Call("/somewhere/else", PLAYER, "Next"), "UnknownObject"),
    ],
)
def test_wrong_calls_get_a_dbus_error_and_give_no_command(call: Call, error: str) -> None:
    reply = answer(call, STEP3)
    assert reply.error == f"org.freedesktop.DBus.Error.{error}"
    assert reply.command is None


def test_setting_volume_or_rate_is_accepted_and_changes_nothing() -> None:
    for name in ("Volume", "Rate"):
        call = Call(OBJECT_PATH, PROPERTIES, "Set", "ssv", (PLAYER, name, ("d", 0.5)))
        assert answer(call, STEP3) == mpris.Reply()
    assert get(PLAYER, "Volume") == ("d", 1.0)


def test_introspection_lists_every_property_with_its_type() -> None:
    """The XML and the served properties cannot drift apart."""
    xml = answer(Call(OBJECT_PATH, mpris.INTROSPECTABLE, "Introspect"), STEP3).body[0]
    tree = ET.fromstring(xml.split("\n", 2)[2])  # after the DOCTYPE
    for interface in (ROOT, PLAYER):
        node = tree.find(f"interface[@name='{interface}']")
        assert node is not None
        listed = {p.get("name"): p.get("type") for p in node.findall("property")}
        served = mpris.properties(interface, STEP3)
        assert served is not None
        assert listed == {name: sig for name, (sig, _) in served.items()}
        methods = {m.get("name") for m in node.findall("method")}
        assert methods >= {m for (i, m) in mpris.SIGNATURES if i == interface}
    # and a tool walking the tree from / finds it
    parent = answer(Call("/org/mpris", None, "Introspect"), STEP3).body[0]
    assert '<node name="MediaPlayer2"/>' in parent


def test_a_step_change_announces_the_metadata_and_a_pause_the_status() -> None:
    step4 = PlayerState("Calf cramp", number=4, total=10, step="Massage")
    assert set(changes(STEP3, step4)) == {"Metadata"}
    paused = PlayerState("Calf cramp", number=3, total=10, step="Stand and shake", paused=True)
    assert changes(STEP3, paused) == {"PlaybackStatus": ("s", "Paused")}
    assert changes(STEP3, STEP3) == {}


# -- standby: ready to be pressed ---------------------------------------------------------------

READY = PlayerState("Calf cramp relief", ready=True)


@pytest.mark.parametrize(
    ("method", "command"),
    [
        ((PLAYER, "Play"), Command.PLAY),
        ((PLAYER, "PlayPause"), Command.PLAY),  # the one button starts it too
        ((PLAYER, "Pause"), None),
        ((PLAYER, "Next"), None),
        ((PLAYER, "Previous"), None),
        ((PLAYER, "Stop"), None),
        ((ROOT, "Quit"), None),  # a service, not quit from a media widget
    ],
)
def test_a_waiting_standby_starts_on_play_or_play_pause_only(
    method: tuple[str, str], command: Command | None
) -> None:
    reply = answer(Call(OBJECT_PATH, *method), READY)
    assert (reply.error, reply.command) == (None, command)


def test_a_waiting_standby_shows_ready_stopped_and_can_only_play() -> None:
    assert metadata(READY)["xesam:title"] == ("s", "Ready: Calf cramp relief")
    assert "xesam:trackNumber" not in metadata(READY)
    assert get(PLAYER, "PlaybackStatus", READY) == ("s", "Stopped")
    assert get(PLAYER, "CanPlay", READY) == ("b", True)
    for flag in ("CanPause", "CanGoNext", "CanGoPrevious"):
        assert get(PLAYER, flag, READY) == ("b", False), flag
    assert get(ROOT, "CanQuit", READY) == ("b", False)
    hostile = metadata(PlayerState("x" * 5000 + "\n\x00", ready=True))["xesam:title"][1]
    assert hostile.startswith("Ready: x") and len(hostile) <= mpris.TITLE_LIMIT


def test_starting_and_ready_again_announce_status_title_and_quit() -> None:
    playing = PlayerState("Calf cramp relief")
    started = changes(READY, playing)
    assert started["PlaybackStatus"] == ("s", "Playing")
    assert started["CanPause"] == ("b", True)
    assert "Metadata" in started
    assert changes(READY, playing, ROOT) == {"CanQuit": ("b", True)}
    assert changes(STEP3, READY)["PlaybackStatus"] == ("s", "Stopped")


# -- the frontend's choices before it touches a bus ---------------------------------------------


def test_the_bus_address_comes_from_the_environment_else_the_runtime_folder(
    tmp_path: Path,
) -> None:
    assert session_bus_address({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}) == "unix:path=/x"
    runtime = tmp_path / "run, user=1;%"
    runtime.mkdir()
    assert session_bus_address({"XDG_RUNTIME_DIR": str(runtime)}) is None  # no socket there
    (runtime / "bus").touch()
    address = session_bus_address({"XDG_RUNTIME_DIR": str(runtime)})
    from jeepney.bus import get_bus

    assert get_bus(address) == str(runtime / "bus")  # special characters escaped, and back
    assert session_bus_address({}) is None


def frontend_alone(environ: dict[str, str]) -> tuple[MprisFrontend, list[Event]]:
    posted: list[Event] = []
    return MprisFrontend(posted.append, "Calf cramp", environ=environ), posted


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({}, "no session bus"),
        ({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"}, "cannot connect"),
        ({"DBUS_SESSION_BUS_ADDRESS": "tcp:host=localhost,port=1"}, "cannot connect"),
        ({"DBUS_SESSION_BUS_ADDRESS": "disabled:"}, "cannot connect"),
    ],
)
def test_no_bus_leaves_the_frontend_quiet_and_harmless(
    environ: dict[str, str], problem: str
) -> None:
    frontend, posted = frontend_alone(environ)
    with frontend:
        frontend.step_started(1, 2, "One")
        frontend.paused()
        frontend._thread.join(timeout=5)
        frontend.ended()
    assert frontend.problem is not None and frontend.problem.startswith(problem)
    assert posted == []


def test_the_frontend_waits_for_the_player_before_it_loads_or_connects() -> None:
    """Nothing runs beside the first words: no MPRIS tables, no jeepney, no connection."""
    frontend, _ = frontend_alone({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"})
    with frontend:
        frontend._thread.join(timeout=0.05)
        assert frontend._thread.is_alive() and frontend.problem is None  # still waiting
        frontend.step_started(1, 1, "One")
        frontend._thread.join(timeout=5)
    assert frontend.problem is not None and frontend.problem.startswith("cannot connect")


def test_closing_before_the_player_began_ends_the_thread_at_once() -> None:
    frontend, _ = frontend_alone({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"})
    frontend.start()
    frontend.close()
    assert not frontend._thread.is_alive()
    assert frontend.problem is None  # it never tried


def test_a_routine_over_before_the_frontend_began_never_connects() -> None:
    frontend, _ = frontend_alone({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"})
    frontend.ended()  # e.g. quit at the question, before its thread ran
    with frontend:
        frontend._thread.join(timeout=5)
    assert frontend.problem is None  # it never tried to connect


def test_a_standby_frontend_connects_at_once_and_tries_again_while_the_bus_is_away(
    tmp_path: Path,
) -> None:
    """No player event needed; a bus that is not there yet is tried every RETRY_SECONDS."""
    posted: list[Event] = []
    address = f"unix:path={tmp_path}/bus"
    frontend = MprisFrontend(
        posted.append, "Calf cramp", environ={"DBUS_SESSION_BUS_ADDRESS": address}, standby=True
    )
    with frontend:
        deadline = time.monotonic() + 5
        while frontend.problem is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert frontend.problem is not None and frontend.problem.startswith("cannot connect")
        assert frontend._thread.is_alive()  # waiting to try again, not given up
    assert not frontend._thread.is_alive()  # close ends the wait at once
    assert posted == []


def test_without_jeepney_it_says_so_for_verbose(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jeepney.io.blocking", None)  # import fails
    frontend, _ = frontend_alone({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"})
    started = time.monotonic()
    with frontend:
        frontend.waiting(True)  # the player has begun: the frontend starts its work
        frontend._thread.join(timeout=5)
    assert time.monotonic() - started < 1.0
    assert frontend.problem == "the jeepney library is not installed (pip install jeepney)"
