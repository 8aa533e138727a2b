"""nightvoice as an MPRIS media player on the session bus, while a routine plays.

A frontend in mopidy-mpris's sense: it listens to the player's events (core.ports.Listener)
and turns them into `PropertiesChanged`, and it turns the desktop's calls (media keys, a
headset's buttons through BlueZ, `playerctl`) into the same commands the keys give, posted on
the player's inbox. The player never waits for it: connecting, answering and announcing all
happen on its own thread, which does its work only once the player has begun (its first
event), so loading jeepney and connecting never delay the start. Any failure (no bus, the name
refused, the bus gone, jeepney missing) only ends the frontend, leaving the keys; `problem`
says why, for `--verbose`.

`nightvoice standby` keeps one frontend for as long as it waits (`standby=True`): it connects at
once, shows the player as ready (mpris.PlayerState.ready) between routines, and when the bus goes
away (a desktop session restarting) it connects again every RETRY_SECONDS until the bus is back.
It asks for its name allowing replacement, and a playing session's frontend asks to replace: so
while a terminal `nightvoice` plays, the media keys reach that one, and the name comes back to
the standby (the bus keeps it queued) when it ends.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from nightvoice.core.ports import Event, RemoteCommand

if TYPE_CHECKING:
    from nightvoice.desktop.mpris import PlayerState

# Only what a play session has already loaded is imported above: the MPRIS tables (mpris.py)
# and jeepney are imported on the frontend's thread.

AUTH_SECONDS = 1.0  # a bus that accepts the connection but never answers is given up
NAME_SECONDS = 2.0  # ... and so is one that never answers the name request
CLOSE_SECONDS = 0.2  # the longest `close` waits: q quits at once even with a hung bus
RETRY_SECONDS = 1.0  # standby: how often it tries the bus again while the bus is away
_HELLO, _NAME = "hello", "name"
# RequestName's reply: the primary owner now or already; queued behind the owner; taken.
_OWNER, _QUEUED, _ALREADY = 1, 2, 4
BUS = "org.freedesktop.DBus"


def session_bus_address(environ: Mapping[str, str]) -> str | None:
    """DBUS_SESSION_BUS_ADDRESS, else the usual $XDG_RUNTIME_DIR/bus socket if it exists."""
    address = environ.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        return address
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime:
        path = os.path.join(runtime, "bus")
        if os.path.exists(path):
            return "unix:path=" + _escape_address_value(path)
    return None


def _escape_address_value(value: str) -> str:
    """D-Bus address values escape every byte but [-0-9A-Za-z_/.\\*] as %XX."""
    plain = set(b"-_/.\\*0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return "".join(chr(byte) if byte in plain else f"%{byte:02x}" for byte in os.fsencode(value))


NO_JEEPNEY = "the jeepney library is not installed (pip install jeepney)"


class _GiveUp(Exception):
    """The frontend cannot run; the message says why (for --verbose)."""


class MprisFrontend:
    """Listens to the player and serves MPRIS on its own thread; `close` ends it."""

    def __init__(
        self,
        post: Callable[[Event], None],
        routine_title: str,
        *,
        environ: Mapping[str, str] | None = None,
        standby: bool = False,
    ) -> None:
        self._post = post
        self._environ = os.environ if environ is None else environ
        self._standby = standby
        self._lock = threading.Lock()
        # A PlayerState's fields; a standby starts out waiting to be pressed.
        self._fields: dict[str, Any] = {"routine": routine_title, "ready": standby}
        self._begun = threading.Event()  # the player's first event (a standby: at once), or close
        if standby:
            self._begun.set()
        self._retry = threading.Event()  # a standby's wait before it tries the bus again
        self._announced: PlayerState | None = None  # what the bus was last told
        self._conn: Any = None  # set while serving, so events can wake the thread
        self._closing = False
        self.name: str | None = None  # the bus name it owns, while it owns one
        self.problem: str | None = None
        self.registered = threading.Event()  # it owns its name, or is queued for it
        self.tried = threading.Event()  # its first try ended: registered, or it failed
        self._thread = threading.Thread(target=self._run, name="nightvoice-mpris", daemon=True)

    def start(self) -> MprisFrontend:
        self._thread.start()
        return self

    def close(self) -> None:
        """Leave the bus (releasing the name); never waits long for a bus that hangs."""
        with self._lock:
            self._closing = True
        self._begun.set()
        self._retry.set()
        self._wake()
        if self._thread.is_alive():
            self._thread.join(timeout=CLOSE_SECONDS)

    def __enter__(self) -> MprisFrontend:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- a standby's own states, on its main thread -----------------------------------------------

    def begin(self, routine_title: str) -> None:
        """A standby starts playing `routine_title`: Playing, no step yet."""
        self._set({"routine": routine_title})

    def ready(self, routine_title: str) -> None:
        """A standby waits to be pressed again: Stopped, "Ready: `routine_title`"."""
        self._set({"routine": routine_title, "ready": True})

    def _set(self, fields: dict[str, Any]) -> None:
        with self._lock:
            self._fields = fields
        self._wake()

    # -- the player's events (core.ports.Listener), on the player's thread -----------------------

    def step_started(self, number: int, total: int, title: str) -> None:
        self._update(number=number, total=total, step=title, paused=False)

    def paused(self) -> None:
        self._update(paused=True)

    def resumed(self) -> None:
        self._update(paused=False)

    def waiting(self, waiting: bool) -> None:
        self._update(waiting=waiting)

    def ended(self) -> None:
        self._update(ended=True, paused=False, waiting=False)

    def _update(self, **fields: Any) -> None:
        with self._lock:
            if self._fields.get("ended"):
                return
            self._fields.update(fields)
        self._begun.set()
        self._wake()

    def _state(self) -> PlayerState:
        from nightvoice.desktop.mpris import PlayerState

        with self._lock:
            return PlayerState(**self._fields)

    def _wake(self) -> None:
        with self._lock:
            conn = self._conn
        if conn is not None:
            conn.interrupt()  # one byte on a pipe: the thread announces what changed

    # -- the bus, on the frontend's thread ------------------------------------------------------

    def _run(self) -> None:
        self._begun.wait()
        with self._lock:
            if self._closing or self._fields.get("ended"):
                return  # over before it began: never appear on the bus
        while True:
            try:
                self._connect_and_serve()
                return  # the routine ended, or closing
            except _GiveUp as stop:
                self.problem = str(stop)
            except Exception as error:  # the bus went away, or anything else: keys alone
                if not self._is_closing():
                    self.problem = f"the session bus connection failed ({error!r})"
            self.tried.set()
            if self._is_closing():
                return
            if not self._standby or self.problem == NO_JEEPNEY:
                return
            # A standby waits for the bus to come back (a desktop session restarting).
            self._retry.wait(RETRY_SECONDS)

    def _is_closing(self) -> bool:
        with self._lock:
            return self._closing

    def _connect_and_serve(self) -> None:
        conn = None
        try:
            conn = self._connect()
            self._serve(conn)
        finally:
            with self._lock:
                self._conn = None
            self.name = None
            if conn is not None:
                conn.close()  # leaving the bus releases the name

    def _connect(self) -> Any:
        address = session_bus_address(self._environ)
        if address is None:
            raise _GiveUp("no session bus (DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR unset)")
        try:
            from jeepney.io.blocking import prep_socket
            from jeepney.io.threading import DBusConnection
        except ImportError:
            raise _GiveUp(NO_JEEPNEY) from None
        from jeepney.bus import get_bus

        try:
            sock = prep_socket(get_bus(address), timeout=AUTH_SECONDS)
        except Exception as error:
            raise _GiveUp(f"cannot connect to the session bus at {address} ({error})") from None
        return DBusConnection(sock)

    def _serve(self, conn: Any) -> None:
        """Ask for the name, then answer calls and announce changes until the routine ends
        (a standby: until it is closed)."""
        from jeepney import HeaderFields, MessageType
        from jeepney.bus_messages import DBusNameFlags, message_bus
        from jeepney.io.threading import ReceiveStopped

        from nightvoice.desktop.mpris import BUS_NAME, PlayerState, instance_name

        def call_bus(message: Any, purpose: str) -> None:
            serial = next(conn.outgoing_serial)
            pending[serial] = purpose
            conn.send(message, serial=serial)

        self._announced = PlayerState(routine="")  # nothing yet: the first announcement is all
        pending: dict[int, str] = {}
        names = [BUS_NAME, instance_name(os.getpid())]
        if self._standby:
            # Queued behind a playing session's frontend, which replaces it while it plays.
            flags = DBusNameFlags.allow_replacement
            names = names[:1]
        else:
            flags = DBusNameFlags.do_not_queue | DBusNameFlags.replace_existing
        call_bus(message_bus.Hello(), _HELLO)
        call_bus(message_bus.RequestName(names[0], flags), _NAME)
        deadline = time.monotonic() + NAME_SECONDS
        answered = False  # the name request, on this connection (a standby makes several)
        with self._lock:
            if self._closing:
                return
            self._conn = conn
        while True:
            timeout = None if answered else max(0.0, deadline - time.monotonic())
            try:
                message = conn.receive(timeout=timeout)
            except ReceiveStopped:
                conn.reset_interrupt()
                if self._announce(conn):
                    return
                continue
            except TimeoutError:
                raise _GiveUp("the session bus did not answer the name request") from None
            kind = message.header.message_type
            if kind is MessageType.method_call:
                self._answer(conn, message)
            elif kind is MessageType.signal:
                if self._name_changed(message, BUS_NAME) and self._announce(conn):
                    return
            elif kind in (MessageType.method_return, MessageType.error):
                serial = message.header.fields.get(HeaderFields.reply_serial, -1)
                if pending.pop(serial, None) != _NAME:
                    continue
                if kind is MessageType.error:
                    why = message.body[0] if message.body else "refused"
                    raise _GiveUp(f"the session bus refused the name {names[0]}: {why}")
                if message.body[0] in (_OWNER, _ALREADY):
                    answered = True
                    self.name = names[0]
                    self.problem = None
                    self.registered.set()
                    self.tried.set()
                    if self._announce(conn):
                        return
                elif message.body[0] == _QUEUED:  # a standby behind a playing session
                    answered = True
                    self.problem = None
                    self.registered.set()
                    self.tried.set()
                elif len(names) > 1:  # taken: another nightvoice plays; be an instance
                    names.pop(0)
                    call_bus(message_bus.RequestName(names[0], flags), _NAME)
                else:
                    raise _GiveUp(f"the bus names {BUS_NAME} and {names[0]} are taken")

    def _name_changed(self, message: Any, name: str) -> bool:
        """NameAcquired / NameLost from the bus (a standby queued behind a playing session):
        True when the name came (back), so everything is announced afresh."""
        from jeepney import HeaderFields

        from nightvoice.desktop.mpris import PlayerState

        fields = message.header.fields
        if fields.get(HeaderFields.sender) != BUS or tuple(message.body[:1]) != (name,):
            return False
        member = fields.get(HeaderFields.member)
        if member == "NameLost":
            self.name = None
        elif member == "NameAcquired" and self.name != name:
            self.name = name
            self._announced = PlayerState(routine="")
            return True
        return False

    def _answer(self, conn: Any, message: Any) -> None:
        from jeepney import HeaderFields, MessageFlag
        from jeepney.wrappers import new_error, new_method_return

        from nightvoice.desktop.mpris import Call, answer

        fields = message.header.fields
        call = Call(
            path=fields.get(HeaderFields.path, ""),
            interface=fields.get(HeaderFields.interface),
            member=fields.get(HeaderFields.member, ""),
            signature=fields.get(HeaderFields.signature, ""),
            args=tuple(message.body),
        )
        state = self._state()
        reply = answer(call, state)
        if reply.command is not None and not state.ended:
            self._post(RemoteCommand(reply.command))  # before the reply: the caller's
            # call has taken effect (is on the inbox) by the time it returns
        if message.header.flags & MessageFlag.no_reply_expected:
            return
        if reply.error is not None:
            conn.send(new_error(message, reply.error, reply.signature, reply.body))
        else:
            conn.send(new_method_return(message, reply.signature, reply.body))

    def _announce(self, conn: Any) -> bool:
        """Send PropertiesChanged for what changed since last time; True once it is over (the
        routine ended, or it is closing; a standby goes on until closed)."""
        from jeepney.wrappers import DBusAddress, new_signal

        from nightvoice.desktop.mpris import (
            OBJECT_PATH,
            PLAYER,
            PROPERTIES,
            ROOT,
            PlayerState,
            changes,
        )

        state, before = self._state(), self._announced or PlayerState(routine="")
        self._announced = state
        with self._lock:
            closing = self._closing
        if self.name:
            emitter = DBusAddress(OBJECT_PATH, interface=PROPERTIES)
            for interface in (PLAYER, ROOT):
                changed = changes(before, state, interface)
                if changed:
                    body: tuple[str, dict[str, Any], list[str]] = (interface, changed, [])
                    conn.send(new_signal(emitter, "PropertiesChanged", "sa{sv}as", body))
        return closing or (state.ended and not self._standby)
