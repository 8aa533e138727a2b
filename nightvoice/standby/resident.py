"""The standby process: idle until a press, then the routine, then ready again.

Everything a press needs is loaded while it waits: the routine and its settings, the speech
engine, and the routine's first words rendered exactly as the speaker plays them. A press
(Play or PlayPause on the session bus, from a media key, a headset's button or `playerctl`; or
any key of the bedside device) then takes the playing lock, starts those first words in an
`aplay` of their own at once, and plays the routine in this process through session.py's
`play_prepared`, which adopts them as its first sentence. While it plays, the media keys and the
device's keys work as they do for any run; a newer `nightvoice` stops it (SIGUSR1), as it stops
any older one, and the standby is ready again. Files that decide the routine (the routine, the
config) are stamped when loaded and looked at on each press: a change is loaded before playing.

While it waits it holds no playing lock (the reminder may play; a press stops it, newer stops
older) and wakes for nothing: the bus frontend and the button reader block on their sockets and
the main thread on its inbox.
"""

from __future__ import annotations

import io
import signal
import sys
import threading
import time
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from nightvoice.base import playing, standing
from nightvoice.base.reading import file_stamps
from nightvoice.console.realtime import QueueInbox
from nightvoice.console.screen import BlankScreen
from nightvoice.console.terminal import Signals, Terminated, exits_cleanly
from nightvoice.core.errors import NightvoiceError, RoutineError, SpeechUnavailable
from nightvoice.core.keys import Command, command_for
from nightvoice.core.ports import Event, KeyPressed, NoListener, RemoteCommand
from nightvoice.session import Edges, PlayRequest, play_prepared
from nightvoice.user.night import Prepared, prepare

if TYPE_CHECKING:
    from nightvoice.console.button import ButtonReader
    from nightvoice.desktop.frontend import MprisFrontend
    from nightvoice.sound.engines import Engines
    from nightvoice.startup.headstart import HeadStart, Utterance

# A press repeated this soon after the one that started the routine (a double press, a bouncing
# switch, a headset sending Play twice) is that same press: it does not pause what it started.
SETTLE_SECONDS = 0.5
# The silence before the first words a press plays. Every sound's 25 ms lead-in keeps a new
# output stream from losing the start of its first word (PulseAudio was measured to lose up to
# ~10 ms); at a press it is also most of the delay before the voice (the rest is ~8 ms of
# starting aplay), so the press's own first words keep 12 ms: still more than was ever lost.
PRESS_LEAD_IN_SECONDS = 0.012
# How long the session bus may take to give its name (connect, authenticate, RequestName)
# before a standby with no button says nothing could start it.
REGISTER_SECONDS = 4.0


STOP_SIGNAL = getattr(signal, "SIGUSR1", None)  # base/playing.py: a newer nightvoice plays


class StandbyError(NightvoiceError):
    """A standby that cannot start (nothing could start it, a bad option)."""


@dataclass
class Loaded:
    """What a press needs ready: the routine and settings, the engine, the first words."""

    prepared: Prepared
    engines: Engines  # speaking the settings' voice (a natural voice's child kept loaded)
    first: Utterance | None  # the routine's first sentence, rendered as the speaker plays it
    stamps: tuple[tuple[str, int, int], ...]  # the files that decide all this, as loaded

    def fresh(self) -> bool:
        return file_stamps([stamp[0] for stamp in self.stamps]) == self.stamps


class Switchboard:
    """Where presses go: the waiting loop's inbox, or the inbox of the run that is playing.

    Right after a press starts a routine, the same press again (a double press, a bounce) is
    dropped for SETTLE_SECONDS, so it neither pauses the routine nor starts another.
    """

    def __init__(self, inbox: QueueInbox) -> None:
        self._lock = threading.Lock()
        self._inbox = inbox
        self._settle_until = 0.0
        self._start: Event | None = None

    def route(self, inbox: QueueInbox, start: Event | None = None) -> None:
        with self._lock:
            self._inbox = inbox
            self._start = start
            self._settle_until = time.monotonic() + SETTLE_SECONDS if start else 0.0

    def post(self, event: Event) -> None:
        with self._lock:
            inbox, start, until = self._inbox, self._start, self._settle_until
        if start is not None and time.monotonic() < until and _same_press(event, start):
            return
        inbox.post(event)


def _same_press(event: Event, start: Event) -> bool:
    if isinstance(event, RemoteCommand):
        return event.command in (Command.PLAY, Command.PAUSE)
    return isinstance(event, KeyPressed) and isinstance(start, KeyPressed) and event == start


def starts(event: Event | None) -> bool:
    """Does this press, while waiting, start the routine? Play (the bus), and any key of the
    bedside device but those that mean quit (Stop, q, Esc)."""
    if isinstance(event, RemoteCommand):
        return event.command is not Command.QUIT
    if isinstance(event, KeyPressed):
        return command_for(event.key) is not Command.QUIT
    return False  # a late report from the last run's sound


class Standby:
    """One standby: its inputs, what it has loaded, and the loop that waits and plays."""

    def __init__(
        self,
        request: PlayRequest,
        *,
        button: str | None = None,
        grab: bool = False,
        err: TextIO | None = None,
    ) -> None:
        self.request = request
        self._button_path = button
        self._grab = grab
        self._err = err or sys.stderr
        self._idle = QueueInbox()
        self.switchboard = Switchboard(self._idle)
        self.frontend: MprisFrontend | None = None
        self.button: ButtonReader | None = None
        self.loaded: Loaded | None = None
        self._engines: Engines | None = None  # made once: kept loaded between runs

    # -- lines for the log (a terminal, or the journal of the user service) ----------------------

    def say(self, line: str) -> None:
        with suppress(OSError, ValueError):  # a log that cannot be written never stops it
            print(f"nightvoice: standby: {line}", file=self._err, flush=True)

    # -- loading ---------------------------------------------------------------------------------

    def load(self) -> Loaded:
        """The routine, the settings and the engine, and the first words rendered."""
        from nightvoice.base import paths
        from nightvoice.sound.engines import make_synthesizer
        from nightvoice.sound.export import CACHE_FOLDER, SpeechCache
        from nightvoice.startup.firstwords import rendered

        files = self._deciding_files()
        stamps = file_stamps(files)  # as before reading: a change meanwhile makes it stale
        if self._engines is None:
            # The engine first, as for any night: the settings are the ones it can speak.
            self._engines = make_synthesizer(warn=self.say)
        engines = self._engines
        warnings = io.StringIO()
        prepared = prepare(
            self.request.target,
            self.request.flags,
            self.request.device,
            warnings,
            usable=engines.cannot_use,
        )
        for line in warnings.getvalue().splitlines():
            self.say(line.removeprefix("nightvoice: "))
        engines.use(prepared.settings.voice)  # a natural voice's child starts loading now
        cache = SpeechCache(engines, paths.cache_dir() / CACHE_FOLDER, engines.engine_version())
        try:
            first = rendered(prepared, cache, interactive=True, lead_in=PRESS_LEAD_IN_SECONDS)
        except NightvoiceError:
            first = None  # the run says why, at the press
        _preload()
        self.loaded = Loaded(prepared, engines, first, stamps)
        return self.loaded

    def _deciding_files(self) -> list[str]:
        """The routine's possible files (the user's copy may appear or go) and the config."""
        from nightvoice.base import paths
        from nightvoice.user import catalog

        target = self.request.target or catalog.DEFAULT_ROUTINE
        files = [str(paths.config_file())]
        try:
            ref = catalog.resolve(target)
        except NightvoiceError:
            return files
        files.append(str(ref.path))
        if ref.origin != "user" or ref.shadows_builtin:
            for folder in (paths.routines_dir(), catalog.builtin_dir()):
                files += [str(folder / f"{ref.name}{suffix}") for suffix in catalog.SUFFIXES]
        return files

    # -- the inputs ------------------------------------------------------------------------------

    def start_inputs(self) -> None:
        """The bus frontend (if there is a bus) and the bedside button (if one was given); a
        StandbyError when neither could ever start a routine."""
        import os

        from nightvoice.desktop.frontend import MprisFrontend, session_bus_address

        title = self._title()
        if self._button_path is not None:
            from nightvoice.console.button import ButtonReader

            self.button = ButtonReader(
                self._button_path, self.switchboard.post, grab=self._grab, note=self.say
            ).start()
        if session_bus_address(os.environ) is None and self.button is None:
            raise StandbyError(
                "standby: nothing could start it: no session bus (DBUS_SESSION_BUS_ADDRESS and "
                "XDG_RUNTIME_DIR unset) and no bedside button (--button DEVICE); see "
                "`nightvoice help bedside`"
            )
        if session_bus_address(os.environ) is not None:
            self.frontend = MprisFrontend(self.switchboard.post, title, standby=True).start()
            if self.button is None and not self._registered(self.frontend):
                why = self.frontend.problem or "the session bus did not answer"
                raise StandbyError(
                    f"standby: nothing could start it: {why}, and no bedside button "
                    "(--button DEVICE); see `nightvoice help bedside`"
                )

    @staticmethod
    def _registered(frontend: MprisFrontend) -> bool:
        frontend.tried.wait(REGISTER_SECONDS)
        return frontend.registered.is_set()

    def _title(self) -> str:
        return self.loaded.prepared.routine.title if self.loaded else "nightvoice"

    def describe(self) -> str:
        """What it plays and what starts it, in one line (the log and `--status`)."""
        name = self.loaded.prepared.ref.name if self.loaded else "?"
        inputs = []
        if self.frontend is not None:
            inputs.append("media keys and headset buttons on the session bus")
        if self.button is not None:
            inputs.append(f"the bedside button {self.button.path}")
        return f"{name} at a press of {' or '.join(inputs)}"

    def close(self) -> None:
        if self.button is not None:
            self.button.close()
        if self.frontend is not None:
            self.frontend.close()
        if self._engines is not None:
            self._engines.close()

    # -- waiting and playing ---------------------------------------------------------------------

    def wait_and_play(self, signals: Signals) -> None:
        """Wait for presses and play, until SIGTERM or SIGHUP (raised as Terminated)."""
        while True:
            try:
                event = self._idle.wait(None)
                if starts(event):
                    assert event is not None
                    self.play(event, signals)
            except Terminated as stopped:
                if stopped.signum != STOP_SIGNAL:
                    raise
                # Told to stop while it was not playing (it lost a race to the lock): nothing
                # to stop, still ready.

    def play(self, press: Event, signals: Signals) -> None:
        """One run, from a press: the first words at once, the routine, then ready again."""
        run_inbox = QueueInbox()
        self.switchboard.route(run_inbox, start=press)
        later = io.StringIO()
        cleanup = ExitStack()
        ending = False  # SIGTERM, SIGHUP, Ctrl-C: this standby ends after the clean-up
        try:
            loaded = self.loaded
            if loaded is None or not loaded.fresh():
                loaded = self._reload()
                if loaded is None:
                    return
            # Newer stops older: a routine playing elsewhere (the reminder's) stops first.
            cleanup.enter_context(playing.take_over())
            head = _first_words(loaded.first)
            if head is not None:
                cleanup.callback(head.stop)  # adopted by the speaker, or silenced here
            prepared = loaded.prepared
            if self.frontend is not None:
                self.frontend.begin(prepared.routine.title)
            self.say(f"playing {prepared.ref.name}")
            edges = Edges(
                inbox=run_inbox,
                listener=self.frontend or NoListener(),
                screen=BlankScreen(),
                interactive=True,  # a press goes on at a wait, as the one headset button does
                at_terminal=False,
                engines=loaded.engines,
                head_start=head,
            )
            play_prepared(prepared, self.request, edges, cleanup, later)
        except Terminated as stopped:
            if stopped.signum != STOP_SIGNAL:
                ending = True
                raise
            self.say("stopped: another nightvoice started playing")  # newer stops older
        except SpeechUnavailable as error:
            self.say(str(error).replace("\n", " "))
        except NightvoiceError as error:
            self.say(str(error).splitlines()[0])
        except OSError as error:
            from nightvoice.boundary import describe

            self.say(describe(error))
        except BaseException:
            ending = True
            raise
        finally:
            with signals.held():
                cleanup.close()
                for line in later.getvalue().splitlines():
                    self.say(line.removeprefix("nightvoice: "))
                if not ending:
                    self._ready()

    def _reload(self) -> Loaded | None:
        """Load again what changed since; a routine now broken is said, and nothing plays."""
        try:
            return self.load()
        except RoutineError as error:
            more = len(error.problems) - 1
            self.say(f"{error.problems[0]}" + (f" (+{more} more)" if more > 0 else ""))
        except NightvoiceError as error:
            self.say(str(error))
        return None

    def _ready(self) -> None:
        self._idle = QueueInbox()  # presses made while it played are not for the next run
        if self.frontend is not None:
            self.frontend.ready(self._title())
        self.switchboard.route(self._idle)
        self.say("ready again")


def _first_words(first: Utterance | None) -> HeadStart | None:
    """The first words, playing now in an aplay of their own (the speaker adopts them)."""
    if first is None:
        return None
    from nightvoice.startup.headstart import HeadStart

    try:
        return HeadStart(first)
    except OSError:  # no aplay: the run says so plainly
        return None


def _preload() -> None:
    """Import now what a run imports, so the press does not wait for it."""
    import nightvoice.core.player
    import nightvoice.sound.ahead
    import nightvoice.sound.audio
    import nightvoice.sound.export
    import nightvoice.sound.speaker
    import nightvoice.startup.headstart
    import nightvoice.user.episodes  # noqa: F401


def run(request: PlayRequest, *, button: str | None, grab: bool) -> int:
    """`nightvoice standby`: the one standby of this user, until SIGTERM or SIGHUP (exit 0)."""
    claimed = standing.claim()
    if isinstance(claimed, int):
        pid = f" (PID {claimed})" if claimed else ""
        print(
            f"nightvoice: standby is already running{pid}; `nightvoice standby --status` says "
            "what it waits for",
            file=sys.stderr,
        )
        return 0
    standby = Standby(request, button=button, grab=grab)
    with claimed, exits_cleanly() as signals:
        try:
            standby.load()
            standby.start_inputs()
            claimed.describe(standby.describe())
            standby.say(f"ready to play {standby.describe()}")
            standby.wait_and_play(signals)
        except Terminated:
            return 0  # SIGTERM, SIGHUP: asked to end (systemctl stop, a closed terminal)
        finally:
            with signals.held():
                standby.close()
    return 0
