"""A private D-Bus session bus, and `playerctl` / `dbus-send` pointed at it (no pytest here).

The media-key tests and the benchmark (`bench/run.py`) both use it. The bus is a plain
`dbus-daemon` listening on a socket in a private folder; a second kind refuses nightvoice its
bus names (a policy), for the "bus refuses the name" case.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TOOLS = ("dbus-daemon", "dbus-send", "playerctl")
MISSING_TOOLS = (
    "the media-key tests need {missing}: run .ci/setup (apt-get install dbus-daemon dbus-bin "
    "playerctl)"
)
NAME = "org.mpris.MediaPlayer2.nightvoice"
PATH = "/org/mpris/MediaPlayer2"

REFUSING_CONFIG = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
    <deny own_prefix="org.mpris.MediaPlayer2.nightvoice"/>
  </policy>
</busconfig>
"""


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


@dataclass
class Bus:
    address: str
    process: subprocess.Popen[bytes]
    socket: Path | None = None  # where it listens (a plain session bus)

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "DBUS_SESSION_BUS_ADDRESS": self.address, **extra}

    def playerctl(self, *args: str, player: str = "nightvoice") -> str:
        """`playerctl -p PLAYER ARGS...` on this bus; its output, stripped."""
        done = subprocess.run(
            ["playerctl", "-p", player, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return done.stdout.strip()

    def players(self) -> list[str]:
        return self.playerctl("-l", player="%any").split()

    def send(self, method: str, *args: str, destination: str = NAME, reply: bool = True) -> str:
        """`dbus-send` a method call to nightvoice's player object; `reply=False` sends it
        flagged "no reply expected", as dbus-send does without --print-reply."""
        done = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--type=method_call",  # without --print-reply dbus-send sends a signal
                *(["--print-reply"] if reply else []),
                f"--dest={destination}",
                PATH,
                method,
                *args,
            ],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return done.stdout + done.stderr

    def wait_for_player(self, name: str = NAME, timeout: float = 8.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.has_name(name):
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} never appeared on the bus")
            time.sleep(0.02)

    def has_name(self, name: str = NAME) -> bool:
        done = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                f"string:{name}",
            ],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return "boolean true" in done.stdout

    def kill(self) -> None:
        """The bus dies (as when a desktop session crashes)."""
        self.process.kill()
        self.process.wait(timeout=5)

    def restart(self) -> None:
        """A new bus at the same address (a desktop session come back); the old one is gone."""
        assert self.socket is not None, "only a plain session bus can be restarted"
        if self.process.poll() is None:
            self.kill()
        self.socket.unlink(missing_ok=True)
        # Its address has a new guid; a client that kept the old one (jeepney ignores it).
        self.process, self.address = _daemon(["--session", f"--address=unix:path={self.socket}"])


@contextlib.contextmanager
def private_bus(*, refusing: bool = False) -> Iterator[Bus]:
    """A session bus of our own; `refusing=True`: one whose policy denies nightvoice's names."""
    missing = missing_tools()
    if missing:
        raise RuntimeError(MISSING_TOOLS.format(missing=", ".join(missing)))
    directory = Path(tempfile.mkdtemp(prefix="nv-bus-"))
    socket = directory / "bus"
    if refusing:
        config = directory / "session.conf"
        config.write_text(REFUSING_CONFIG.format(socket=socket), encoding="utf-8")
        options = [f"--config-file={config}"]
    else:
        options = ["--session", f"--address=unix:path={socket}"]
    process, address = _daemon(options)
    bus = Bus(address, process, None if refusing else socket)
    try:
        yield bus
    finally:
        if bus.process.poll() is None:
            bus.process.terminate()
            bus.process.wait(timeout=5)
        shutil.rmtree(directory, ignore_errors=True)


def _daemon(options: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    """A dbus-daemon with `options`, once it listens, and its address."""
    args = ["dbus-daemon", "--nofork", "--print-address", *options]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    address = process.stdout.readline().decode().strip()  # printed once it listens
    if not address:
        process.kill()
        process.wait()
        raise RuntimeError(f"dbus-daemon did not start: {args}")
    return process, address
