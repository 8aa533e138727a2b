"""What nightvoice is as an MPRIS media player: its properties and what each call means.

Pure data, no bus: the frontend (frontend.py) serves these over D-Bus. Values that go into a
D-Bus variant are `(signature, value)` pairs, the form jeepney sends, so the whole mapping is
tested without a bus.

A wait for the person (a key-wait step, a hold until it eases, the start question) shows as
Paused: a one-button headset (or a desktop's play/pause key) then sends Play or PlayPause, and
both go on, so every routine can be finished with that one button.

`nightvoice standby` is the same player while it waits to be pressed: Stopped, "Ready: Calf
cramp relief", and only Play and PlayPause do anything (they start the routine).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nightvoice.core.keys import Command

BUS_NAME = "org.mpris.MediaPlayer2.nightvoice"
OBJECT_PATH = "/org/mpris/MediaPlayer2"
ROOT = "org.mpris.MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"
PROPERTIES = "org.freedesktop.DBus.Properties"
INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
PEER = "org.freedesktop.DBus.Peer"
IDENTITY = "nightvoice"
TITLE_LIMIT = 200  # characters of a routine or step title a desktop is given

Variant = tuple[str, Any]


def instance_name(pid: int) -> str:
    """The name a second copy takes, in the form the MPRIS spec allows for instances."""
    return f"{BUS_NAME}.instance{pid}"


# What each method call does: the same commands the keys give. Play and Pause are the
# idempotent two (go on / pause); PlayPause is Space.
METHODS: dict[tuple[str, str], Command | None] = {
    (PLAYER, "Play"): Command.PLAY,
    (PLAYER, "Pause"): Command.PAUSE_ONLY,
    (PLAYER, "PlayPause"): Command.PAUSE,
    (PLAYER, "Next"): Command.NEXT,
    (PLAYER, "Previous"): Command.BACK,
    (PLAYER, "Stop"): Command.QUIT,
    (PLAYER, "Seek"): None,  # CanSeek is false: "no effect"
    (PLAYER, "SetPosition"): None,
    (ROOT, "Quit"): Command.QUIT,
    (ROOT, "Raise"): None,  # CanRaise is false
}


def dbus_text(text: str, limit: int = TITLE_LIMIT) -> str:
    """A routine's text as one short line D-Bus accepts.

    D-Bus strings must be valid UTF-8 without NUL; a bus disconnects a client that sends
    otherwise. Control characters, lone surrogates and new lines (a routine file may hold
    any of them) become nothing or one space.
    """
    kept = "".join(" " if ch.isspace() else ch for ch in text if ch.isprintable() or ch.isspace())
    line = " ".join(kept.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


@dataclass
class PlayerState:
    """What the player last announced (see core.ports.Listener)."""

    routine: str
    number: int = 0  # 0: no step started yet (the start question)
    total: int = 0
    step: str = ""
    paused: bool = False
    waiting: bool = False
    ended: bool = False
    ready: bool = False  # standby, waiting to be pressed: Play starts the routine


def playback_status(state: PlayerState) -> str:
    if state.ended or state.ready:
        return "Stopped"
    if state.paused or state.waiting:
        return "Paused"
    return "Playing"


def metadata(state: PlayerState) -> dict[str, Variant]:
    """`xesam:title` says where the routine is: "Calf cramp: step 3 of 10 - Stand up"."""
    routine = dbus_text(state.routine) or "nightvoice"
    if state.ready:
        title, track = dbus_text(f"Ready: {routine}"), "/nightvoice/ready"
    elif state.number:
        title = f"{routine}: step {state.number} of {state.total}"
        step = dbus_text(state.step)
        if step:
            title += f" - {step}"
        track = f"/nightvoice/step/{state.number}"
    else:
        title, track = routine, "/nightvoice/start"
    found: dict[str, Variant] = {
        "mpris:trackid": ("o", track),  # outside /org/mpris, as the spec asks
        "xesam:title": ("s", title),
        "xesam:album": ("s", routine),
        "xesam:artist": ("as", [IDENTITY]),
    }
    if state.number and not state.ready:
        found["xesam:trackNumber"] = ("i", state.number)
    return found


def root_properties(state: PlayerState) -> dict[str, Variant]:
    """Quit stops a routine; a waiting standby is a service, not quit from a media widget."""
    return {
        "CanQuit": ("b", not state.ready),
        "CanRaise": ("b", False),
        "HasTrackList": ("b", False),
        "Identity": ("s", IDENTITY),
        "SupportedUriSchemes": ("as", []),
        "SupportedMimeTypes": ("as", []),
    }


def player_properties(state: PlayerState) -> dict[str, Variant]:
    can_move = not state.ready  # a waiting standby has no step to pause or move from
    return {
        "PlaybackStatus": ("s", playback_status(state)),
        "Metadata": ("a{sv}", metadata(state)),
        "Rate": ("d", 1.0),
        "MinimumRate": ("d", 1.0),
        "MaximumRate": ("d", 1.0),
        "Volume": ("d", 1.0),  # the voice's volume has its own keys (9/0)
        "Position": ("x", 0),
        "CanGoNext": ("b", can_move),
        "CanGoPrevious": ("b", can_move),
        "CanPlay": ("b", True),
        "CanPause": ("b", can_move),
        "CanSeek": ("b", False),
        "CanControl": ("b", True),
    }


def properties(interface: str, state: PlayerState) -> dict[str, Variant] | None:
    """All properties of one interface; None for an interface nightvoice does not have."""
    if interface == ROOT:
        return root_properties(state)
    if interface == PLAYER:
        return player_properties(state)
    return None


# Writable in the spec; a write is accepted and changes nothing (no rates, no bus volume).
WRITABLE = frozenset({(PLAYER, "Rate"), (PLAYER, "Volume")})


def changes(before: PlayerState, after: PlayerState, interface: str = PLAYER) -> dict[str, Variant]:
    """The properties of `interface` that differ: the body of one PropertiesChanged signal."""
    old, new = properties(interface, before) or {}, properties(interface, after) or {}
    return {name: value for name, value in new.items() if old.get(name) != value}


INTROSPECTION = """\
<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect"><arg name="xml" type="s" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
  </interface>
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg name="interface" type="s" direction="in"/><arg name="name" type="s" direction="in"/>
      <arg name="value" type="v" direction="out"/>
    </method>
    <method name="GetAll">
      <arg name="interface" type="s" direction="in"/>
      <arg name="properties" type="a{sv}" direction="out"/>
    </method>
    <method name="Set">
      <arg name="interface" type="s" direction="in"/><arg name="name" type="s" direction="in"/>
      <arg name="value" type="v" direction="in"/>
    </method>
    <signal name="PropertiesChanged">
      <arg name="interface" type="s"/><arg name="changed" type="a{sv}"/>
      <arg name="invalidated" type="as"/>
    </signal>
  </interface>
  <interface name="org.mpris.MediaPlayer2">
    <method name="Raise"/>
    <method name="Quit"/>
    <property name="CanQuit" type="b" access="read"/>
    <property name="CanRaise" type="b" access="read"/>
    <property name="HasTrackList" type="b" access="read"/>
    <property name="Identity" type="s" access="read"/>
    <property name="SupportedUriSchemes" type="as" access="read"/>
    <property name="SupportedMimeTypes" type="as" access="read"/>
  </interface>
  <interface name="org.mpris.MediaPlayer2.Player">
    <method name="Next"/>
    <method name="Previous"/>
    <method name="Pause"/>
    <method name="PlayPause"/>
    <method name="Stop"/>
    <method name="Play"/>
    <method name="Seek"><arg name="offset" type="x" direction="in"/></method>
    <method name="SetPosition">
      <arg name="track" type="o" direction="in"/><arg name="position" type="x" direction="in"/>
    </method>
    <method name="OpenUri"><arg name="uri" type="s" direction="in"/></method>
    <signal name="Seeked"><arg name="position" type="x"/></signal>
    <property name="PlaybackStatus" type="s" access="read"/>
    <property name="Rate" type="d" access="readwrite"/>
    <property name="Metadata" type="a{sv}" access="read"/>
    <property name="Volume" type="d" access="readwrite"/>
    <property name="Position" type="x" access="read"/>
    <property name="MinimumRate" type="d" access="read"/>
    <property name="MaximumRate" type="d" access="read"/>
    <property name="CanGoNext" type="b" access="read"/>
    <property name="CanGoPrevious" type="b" access="read"/>
    <property name="CanPlay" type="b" access="read"/>
    <property name="CanPause" type="b" access="read"/>
    <property name="CanSeek" type="b" access="read"/>
    <property name="CanControl" type="b" access="read"/>
  </interface>
</node>
"""


# What a call does while standby waits (`PlayerState.ready`): Play and PlayPause (the one button)
# start the routine, as PLAY; nothing else may make it speak.
READY_METHODS: dict[tuple[str, str], Command] = {
    (PLAYER, "Play"): Command.PLAY,
    (PLAYER, "PlayPause"): Command.PLAY,
}


# -- answering calls ---------------------------------------------------------------------------

UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"
UNKNOWN_OBJECT = "org.freedesktop.DBus.Error.UnknownObject"
UNKNOWN_INTERFACE = "org.freedesktop.DBus.Error.UnknownInterface"
UNKNOWN_PROPERTY = "org.freedesktop.DBus.Error.UnknownProperty"
READ_ONLY = "org.freedesktop.DBus.Error.PropertyReadOnly"
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
NOT_SUPPORTED = "org.freedesktop.DBus.Error.NotSupported"

# The argument signature each method takes; any other is refused as InvalidArgs.
SIGNATURES: dict[tuple[str, str], str] = {
    (PROPERTIES, "Get"): "ss",
    (PROPERTIES, "GetAll"): "s",
    (PROPERTIES, "Set"): "ssv",
    (INTROSPECTABLE, "Introspect"): "",
    (PEER, "Ping"): "",
    (PLAYER, "Seek"): "x",
    (PLAYER, "SetPosition"): "ox",
    (PLAYER, "OpenUri"): "s",
    **{
        method: ""
        for method in METHODS
        if method not in {(PLAYER, "Seek"), (PLAYER, "SetPosition")}
    },
}
# The parents of the object path, so a tool that walks the tree from "/" finds the player.
PARENTS = {"/": "org", "/org": "mpris", "/org/mpris": "MediaPlayer2"}


@dataclass(frozen=True)
class Reply:
    """The answer to one method call, and the command it gives the player (if any)."""

    signature: str | None = None
    body: tuple[Any, ...] = ()
    error: str | None = None
    command: Command | None = None


def _error(name: str, message: str) -> Reply:
    return Reply(signature="s", body=(message,), error=name)


@dataclass(frozen=True)
class Call:
    """One method call as it arrived: where, what, and its arguments."""

    path: str
    interface: str | None
    member: str
    signature: str = ""
    args: tuple[Any, ...] = ()


def answer(call: Call, state: PlayerState) -> Reply:
    """The reply to a method call on nightvoice's bus connection, computed without a bus."""
    path, interface, member = call.path, call.interface, call.member
    if path in PARENTS and member == "Introspect" and interface in (None, INTROSPECTABLE):
        child = f'<node>\n  <node name="{PARENTS[path]}"/>\n</node>\n'
        return Reply("s", (child,))
    if path != OBJECT_PATH:
        return _error(UNKNOWN_OBJECT, f"No object at {path}")
    if interface is None:  # allowed by D-Bus: the member alone names the method
        matches = [key for key in SIGNATURES if key[1] == member]
        if len(matches) != 1:
            return _error(UNKNOWN_METHOD, f"No single method named {member}")
        interface = matches[0][0]
    key = (interface, member)
    if key not in SIGNATURES:
        return _error(UNKNOWN_METHOD, f"No method {interface}.{member}")
    if call.signature != SIGNATURES[key]:
        expected = SIGNATURES[key]
        return _error(INVALID_ARGS, f"{member} takes ({expected}), not ({call.signature})")
    if interface == PROPERTIES:
        return _properties_call(member, call.args, state)
    if key == (INTROSPECTABLE, "Introspect"):
        return Reply("s", (INTROSPECTION,))
    if key == (PLAYER, "OpenUri"):
        return _error(NOT_SUPPORTED, "nightvoice plays routines, not URIs")
    if state.ready:
        return Reply(command=READY_METHODS.get(key))
    return Reply(command=METHODS.get(key))


def _properties_call(member: str, args: tuple[Any, ...], state: PlayerState) -> Reply:
    interface = args[0]
    found = properties(interface, state)
    if found is None:
        return _error(UNKNOWN_INTERFACE, f"No interface {interface}")
    if member == "GetAll":
        return Reply("a{sv}", (found,))
    name = args[1]
    if name not in found:
        return _error(UNKNOWN_PROPERTY, f"No property {interface}.{name}")
    if member == "Get":
        return Reply("v", (found[name],))
    if (interface, name) in WRITABLE:
        return Reply()  # accepted; nightvoice has one rate and its own volume keys
    return _error(READ_ONLY, f"{interface}.{name} is read-only")
