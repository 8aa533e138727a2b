"""A real headless Chromium for page tests, driven over the DevTools protocol on a pipe.

`--remote-debugging-pipe` speaks NUL-separated JSON on file descriptors 3 (to the browser) and
4 (from it): no port, no websocket, nothing another process can reach. Every console message,
uncaught exception, log entry and network request of the page is recorded, so a test can say
"it loaded with no error and fetched nothing". Debian's `chromium` package (installed by
`.ci/setup`) is required: a machine without it FAILS the tests that need it, naming the fix.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
MISSING = "no Chromium to render the report in: run `sudo .ci/setup` (it installs `chromium`)"
FLAGS = (
    "--headless",
    "--no-sandbox",  # root in CI: Chromium refuses to sandbox as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
TIMEOUT = 30.0


def find_chromium() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Loaded:
    """What happened while a page loaded and was looked at."""

    url: str
    console: list[str] = field(default_factory=list)  # errors and warnings, as text
    requests: list[str] = field(default_factory=list)  # every URL the page asked for


class Browser:
    def __init__(self, profile: Path) -> None:
        chromium = find_chromium()
        if chromium is None:
            raise RuntimeError(MISSING)
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Above 10 first, so placing them at 3 and 4 cannot clobber each other.
        high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD_CLOEXEC, 10)
        high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_browser_r)
        os.close(from_browser_w)

        def place_pipes() -> None:
            os.dup2(high_r, 3)  # dup2 leaves 3 and 4 inheritable
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=place_pipes,  # noqa: PLW1509 (the test process starts no threads first)
        )
        os.close(high_r)
        os.close(high_w)
        self._next_id = 0
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while True:
            chunk = os.read(self._from_browser, 65536)
            if not chunk:
                self._messages.put(None)
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for message in messages:
                self._messages.put(json.loads(message))

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer (events meanwhile are kept in `events`)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._get()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method and event.get("sessionId") == session:
                return event
        while True:
            event = self._get()
            self.events.append(event)
            if event.get("method") == method and event.get("sessionId") == session:
                return event

    def _get(self) -> dict[str, Any]:
        try:
            message = self._messages.get(timeout=TIMEOUT)
        except queue.Empty:
            raise TimeoutError(f"Chromium said nothing for {TIMEOUT} s") from None
        if message is None:
            raise RuntimeError("Chromium closed the DevTools pipe (it exited)")
        return message

    def open(self, path: Path, *, width: int = 1000, height: int = 900) -> Page:
        """A new tab showing `path`, loaded to its `load` event, with everything recorded."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        url = path.resolve().as_uri()
        self.events.clear()
        self.call("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired", session)
        return Page(self, session, url)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)


@dataclass
class Page:
    browser: Browser
    session: str
    url: str

    def evaluate(self, expression: str) -> Any:
        result = self.browser.call(
            "Runtime.evaluate",
            self.session,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def loaded(self) -> Loaded:
        """Console errors and warnings, exceptions and requests seen so far on this page."""
        seen = Loaded(self.url)
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in (
                "error",
                "warning",
                "assert",
            ):
                seen.console.append(" ".join(str(a.get("value")) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                seen.console.append(str(params["exceptionDetails"].get("text")))
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                seen.console.append(params["entry"]["text"])
            elif method == "Network.requestWillBeSent":
                seen.requests.append(params["request"]["url"])
        return seen

    def screenshot(self) -> bytes:
        """The whole page as a PNG, as it looks on screen."""
        size = self.browser.call("Page.getLayoutMetrics", self.session)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = self.browser.call(
            "Page.captureScreenshot",
            self.session,
            format="png",
            clip=clip,
            captureBeyondViewport=True,
        )["data"]
        return base64.b64decode(data)

    def pdf(self, width_inches: float, height_inches: float) -> bytes:
        """The page printed (print stylesheet, no browser headers) on paper of this size."""
        data = self.browser.call(
            "Page.printToPDF",
            self.session,
            paperWidth=width_inches,
            paperHeight=height_inches,
            printBackground=True,
            displayHeaderFooter=False,
            preferCSSPageSize=False,
        )["data"]
        return base64.b64decode(data)

    def emulate_print(self, on: bool = True) -> None:
        self.browser.call("Emulation.setEmulatedMedia", self.session, media="print" if on else "")
