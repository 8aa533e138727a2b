"""Wire one playing session: the routine, its settings, the real ports, and the player.

This is the edge where the pure core meets the machine; the CLI only parses options and calls
`play_routine` or `say`. What the fast start began (startup/: the playing lock, the first words,
a natural voice loading) arrives as an EarlyStart and is adopted here. Standby (standby/) plays
through the same `play_prepared`, with edges it keeps between runs.
"""

from __future__ import annotations

import io
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from nightvoice.console.keyboard import keys_available
from nightvoice.console.realtime import MonotonicClock, QueueInbox
from nightvoice.console.screen import BlankScreen, choose_screen
from nightvoice.console.terminal import KeyReader, exits_cleanly
from nightvoice.core.errors import SpeechUnavailable, shown
from nightvoice.core.plan import Plan, Settings
from nightvoice.core.player import Outcome, Player, PlayerOptions, plan_after_question
from nightvoice.core.ports import (
    PROBE,
    Display,
    Event,
    Listener,
    NoListener,
    SoundBack,
    Speaker,
    SpeechFailed,
)
from nightvoice.user.night import Prepared, prepare

if TYPE_CHECKING:
    from nightvoice.desktop.frontend import MprisFrontend
    from nightvoice.sound.ahead import RenderAhead
    from nightvoice.sound.audio import AplayOutput
    from nightvoice.sound.engines import Engines
    from nightvoice.sound.speaker import AlreadyPlaying, TextVoice
    from nightvoice.startup import EarlyStart
    from nightvoice.user.episodes import Episode


@dataclass(frozen=True)
class PlayRequest:
    target: str | None = None  # a routine name or file; None is the default routine
    text_only: bool = False
    step_mode: bool = False
    blank: bool = False
    hands_free: bool = False
    verbose: bool = False  # say why an optional part (the media keys) is off
    device: str | None = None
    flags: dict[str, Any] = field(default_factory=dict)  # rate, volume, voice, language


def play_exit_code(request: PlayRequest, early: EarlyStart | None = None) -> int:
    """Play and say how it went: 0 when it ran to the end or the listener quit."""
    outcome = play_routine(request, early=early)
    return 0 if outcome.completed or outcome.quit else 1


def play_routine(
    request: PlayRequest, out: TextIO | None = None, early: EarlyStart | None = None
) -> Outcome:
    """Play at a terminal (or hands-free): the keys, the screen, the media keys and the engines
    are this run's own, made here and undone at the end."""
    out = out or sys.stdout
    # The engine first: the settings a night plays with are the ones it can speak.
    engines = None if request.text_only else _engines()
    usable = engines.cannot_use if engines is not None else None
    prepared = prepare(request.target, request.flags, request.device, usable=usable)
    inbox = QueueInbox()
    interactive = not request.hands_free and keys_available()
    if request.step_mode and not interactive:
        print("nightvoice: no terminal for keys; playing hands-free", file=sys.stderr)
    later = io.StringIO()  # warnings printed once the screen is closed, on lines of their own
    with exits_cleanly() as signals:
        # Everything that changes the terminal or starts a process is undone by `cleanup`,
        # in this order: silence the audio, restore the terminal's modes, show the cursor.
        # It runs with signals held, so a second Ctrl-C cannot cut it short.
        cleanup = ExitStack()
        # One routine at a time: the one playing before stops (its sound, terminal and
        # media-key name all let go) before this one takes any of them; released last. The
        # bare command took the lock before its first words (the EarlyStart holds it).
        if early is None or early.playing is None:
            from nightvoice.base import playing

            cleanup.enter_context(playing.take_over())
        media_keys = _media_keys(inbox, prepared.routine.title)
        try:
            cleanup.callback(media_keys.close)  # closed last: the terminal comes back first
            if engines is not None:
                cleanup.callback(engines.close)  # a natural voice's child ends with the run
            edges = Edges(
                inbox=inbox,
                listener=media_keys,
                screen=choose_screen(out, blank=request.blank, phrases=prepared.phrases),
                interactive=interactive,
                at_terminal=interactive,
                out=out,
                early=early,
                engines=engines,
            )
            cleanup.callback(lambda: edges.screen.close())  # noqa: PLW0108 - the one by then
            if interactive:
                cleanup.enter_context(KeyReader(inbox.post, sys.stdin.fileno()))
            return play_prepared(prepared, request, edges, cleanup, later)
        finally:
            with signals.held():
                cleanup.close()
            sys.stderr.write(later.getvalue())
            if request.verbose and media_keys.problem:
                print(f"nightvoice: media keys are off: {media_keys.problem}", file=sys.stderr)


@dataclass
class Edges:
    """What one run plays through besides its routine: the inputs and outputs its caller owns.

    The terminal session makes them for one run (play_routine); standby keeps them for as long
    as it waits, with its engines loaded and its first words already playing.
    """

    inbox: QueueInbox  # where keys, media-key calls and finished sounds arrive
    listener: Listener  # the media-key frontend, told what the player does
    # The screen; a failed sound at a terminal replaces it (the caller closes the last one).
    screen: Display
    interactive: bool  # presses can arrive: waits wait for one, the question is asked
    at_terminal: bool  # someone reads the screen: an outage is said and paced there
    out: TextIO = field(default_factory=lambda: sys.stdout)
    early: EarlyStart | None = None  # what the fast start began (the bare command)
    engines: Engines | None = None  # the engines to speak with (the caller closes them)
    head_start: AlreadyPlaying | None = None  # the first words, playing already (standby)


def play_prepared(
    prepared: Prepared,
    request: PlayRequest,
    edges: Edges,
    cleanup: ExitStack,
    later: TextIO,
) -> Outcome:
    """One run of a prepared routine: its voice and screen, the question, the player, "did it
    help?". Everything it starts is undone by `cleanup` (which the caller closes)."""
    settings, device, inbox, out = prepared.settings, prepared.device, edges.inbox, edges.out

    def on_screen(cause: str | None) -> tuple[Speaker, Display]:
        """The paced text on screen: asked for with --text, or when sound fails at a
        terminal (never silent: even --blank then shows the steps)."""
        from nightvoice.sound.speaker import TextVoice

        if cause is not None:
            if isinstance(edges.screen, BlankScreen):
                edges.screen = choose_screen(out, blank=False, phrases=prepared.phrases)
            edges.screen.note(f"nightvoice: {cause}; showing the steps on screen instead")
        text = TextVoice(inbox.post, edges.screen, first_id=FALLBACK_IDS)
        cleanup.callback(text.close)
        return text, edges.screen

    watch: Outage | None = None
    voice: Speaker
    screen = edges.screen
    if request.text_only:
        voice, screen = on_screen(None)
    else:
        try:
            voice, output = _speaker(settings, device, inbox, cleanup, edges)
        except SpeechUnavailable as error:
            if not edges.at_terminal:
                raise  # hands-free: nobody to read the screen; exit code 3
            voice, screen = on_screen(error.cause)
        else:
            watch = Outage(
                voice,
                screen,
                inbox.post,
                output,
                out,
                interactive=edges.at_terminal,
                device_from=prepared.origins.get("device", ""),
            )
            cleanup.callback(watch.close)
    options = PlayerOptions(interactive=edges.interactive, step_mode=request.step_mode)
    player = Player(
        phrases=prepared.phrases,
        clock=MonotonicClock(),
        inbox=inbox,
        voice=voice,
        screen=screen,
        rate=settings.rate,
        volume=settings.volume,
        options=options,
        listener=edges.listener,
        watch=watch,
    )
    answers: dict[str, str] = {}
    chime = prepared.config.get("chime")
    plan = plan_after_question(player, prepared.routine, settings, chime=chime, answers=answers)
    if plan is None:
        return Outcome(quit=True)
    from nightvoice.sound.export import sentences

    voice.expect(sentences(plan), settings.rate)  # rendered ahead of need
    outcome = player.play(plan)
    after_routine(
        plan,
        prepared.ref.name,
        outcome,
        player,
        interactive=edges.interactive,
        side=answers.get("side", ""),
        err=later,
    )
    return outcome


def after_routine(
    plan: Plan,
    routine: str,
    outcome: Outcome,
    player: Player,
    *,
    interactive: bool,
    side: str = "",
    err: TextIO | None = None,
) -> Episode | None:
    """The session's last step: ask "did it help?" and log the episode (or warn, never fail).

    A routine quit with `q` is logged as unanswered without asking. Ctrl-C, a signal or a
    closed terminal at the question logs it as unanswered too, then goes on unwinding.
    """
    from nightvoice.user import episodes

    if not (interactive and episodes.should_log(plan, outcome)):
        return None  # hands-free: nobody at a terminal to ask (the log is for their answers)
    helped = episodes.UNANSWERED
    try:
        if episodes.should_ask(plan, outcome, interactive):
            asked = episodes.question(player.phrases)
            helped = player.ask(asked, answer_alone=True) or episodes.UNANSWERED
    except SpeechUnavailable:
        pass
    except BaseException:
        episodes.log(routine, outcome, episodes.UNANSWERED, side, err)
        raise
    return episodes.log(routine, outcome, helped, side, err)


def say(
    text: str,
    flags: dict[str, Any],
    device: str | None = None,
    early: EarlyStart | None = None,
    *,
    playing: bool = False,
) -> int:
    """Say `text` once with the configured voice (flags win), and wait until it is heard.

    It is a one-sentence routine played hands-free, so a moment without sound is waited for
    as at night, and a sound that does not come back is exit code 3 with the cause. With
    `playing` (the reminder's line) it holds the playing lock as a routine does, so a newer one
    (a standby's press) stops it instead of talking over it.
    """
    from nightvoice.core.plan import PlanStep, Say
    from nightvoice.user.config import load_config_layer
    from nightvoice.user.night import choose

    engines = _engines()
    given = {**flags, "device": device}
    origins: dict[str, str] = {}
    chosen = choose(None, load_config_layer(), given, usable=engines.cannot_use, origins=origins)
    settings = Settings(
        language=str(chosen["language"]),
        voice=chosen["voice"],
        rate=int(chosen["rate"]),
        volume=float(chosen["volume"]),
    )
    device = chosen["device"]
    inbox = QueueInbox()
    with ExitStack() as cleanup:
        cleanup.callback(engines.close)
        if playing:
            from nightvoice.base import playing as lock

            cleanup.enter_context(exits_cleanly())  # SIGUSR1: stopped, its sound silenced
            cleanup.enter_context(lock.take_over())
        screen = BlankScreen()
        edges = Edges(
            inbox,
            NoListener(),
            screen,
            interactive=False,
            at_terminal=False,
            early=early,
            engines=engines,
        )
        speaker, output = _speaker(settings, device, inbox, cleanup, edges)
        watch = Outage(
            speaker,
            screen,
            inbox.post,
            output,
            sys.stdout,
            interactive=False,
            device_from=origins.get("device", ""),
        )
        cleanup.callback(watch.close)
        player = Player(
            clock=MonotonicClock(),
            inbox=inbox,
            voice=speaker,
            screen=screen,
            rate=settings.rate,
            volume=settings.volume,
            options=PlayerOptions(interactive=False, ramp_sentences=0),
            watch=watch,
        )
        plan = Plan(title=text, steps=(PlanStep(1, text, "", (Say(text),)),), settings=settings)
        player.play(plan)
    return 0


def _render_ahead(synthesizer: Engines, settings: Settings) -> RenderAhead:
    """Sentences rendered while the one before plays, through the speech cache `export` keeps."""
    from nightvoice.base import paths
    from nightvoice.sound.ahead import RenderAhead
    from nightvoice.sound.export import CACHE_FOLDER, SpeechCache

    cache = SpeechCache(synthesizer, paths.cache_dir() / CACHE_FOLDER, synthesizer.engine_version())
    return RenderAhead(cache, language=settings.language, voice=settings.voice)


def _media_keys(inbox: QueueInbox, title: str) -> MprisFrontend:
    """The desktop's media keys and headset buttons, connected on their own thread."""
    from nightvoice.desktop.frontend import MprisFrontend

    return MprisFrontend(inbox.post, title).start()


def _warn(message: str) -> None:
    print(f"nightvoice: {message}", file=sys.stderr, flush=True)


# The text voice that takes over numbers its sentences from here, so a late report from the
# failed speaker (its own numbers) can never pass for one of the text voice's.
FALLBACK_IDS = 1_000_000
GIVE_UP_SECONDS = PlayerOptions.give_up_after
PROBE_SECONDS = 2.0  # a sound server that does not take 20 ms of silence in this long is out
# A chosen output that played and then went (headphones switched off) is waited for this long
# before the system's default output takes over; one that never played is a setting naming
# something this machine lacks, passed over at once (user/night.py's rule, for the output).
DEFAULT_OUTPUT_AFTER = 20.0


class Outage:
    """The session's side of a moment without sound (core.ports.SoundWatch): the lines that
    say so, the steps paced on screen meanwhile, and trying the output again, or the system's
    default output instead of a chosen one that cannot play. The player decides when (its
    `_speech_failed`)."""

    def __init__(
        self,
        speaker: Speaker,
        screen: Display,
        post: Callable[[Event], None],
        output: AplayOutput,
        out: TextIO,
        *,
        interactive: bool,
        device_from: str = "",
    ) -> None:
        self._speaker = speaker
        self._screen = screen
        self._post = post
        self._output = output
        self._device_from = device_from  # where the chosen output was named, for its line
        self._out = out
        self._interactive = interactive
        self._text: TextVoice | None = None
        self._shown: Display | None = None  # the screen the steps are shown on meanwhile
        self._lost_at: float | None = None
        self._left: str | None = None  # the line saying it left the chosen output, for `back`
        self._probing = threading.Lock()
        self._closed = False

    def _line(self, text: str) -> None:
        """One line, where someone may see it: on the screen at a terminal, else on stderr
        (a launcher's, cron's or the service's log; stdout is the steps' own)."""
        shown = self._shown or self._screen
        if self._interactive and not isinstance(shown, BlankScreen):
            shown.note(f"nightvoice: {text}")
        else:
            print(f"nightvoice: {text}", file=sys.stderr, flush=True)

    def _stand_in(self) -> tuple[Speaker, Display]:
        from nightvoice.sound.speaker import TextVoice

        if self._shown is None:
            # At a terminal the steps are shown even with --blank: someone may look.
            blank = isinstance(self._screen, BlankScreen) and not self._interactive
            self._shown = self._screen if blank else _visible(self._screen, self._out)
        if self._text is None:
            self._text = TextVoice(self._post, self._shown, first_id=FALLBACK_IDS)
        return self._text, self._shown

    def lost(self, message: str) -> tuple[Speaker, Display]:
        self._lost_at = time.monotonic()
        stand_in = self._stand_in()
        self._line(
            f"{SpeechUnavailable(message).cause}; trying again every second "
            f"(for up to {GIVE_UP_SECONDS:g} s)"
            + ("; the steps go on on screen" if self._interactive else "")
        )
        if not self._output.heard and _chosen(self._output.device):
            self.probe()  # a chosen output that never played: the default, without a wait
        return stand_in

    def probe(self) -> None:
        threading.Thread(target=self._probe, name="nightvoice-probe", daemon=True).start()

    def _probe(self) -> None:
        from nightvoice.sound.audio import output_problem

        try:
            with self._probing:  # one try at a time: the output may be changed by it
                device = self._output.device
                problem = output_problem(device, timeout=PROBE_SECONDS)
                if problem is not None and self._may_leave(device):
                    self._leave(device, problem)
                    problem = None
        except Exception as error:  # never a traceback from a thread: it is a failed try
            problem = f"No sound: {error or type(error).__name__}."
        if self._closed:
            return
        self._post(SoundBack() if problem is None else SpeechFailed(PROBE, problem))

    def _may_leave(self, device: str | None) -> bool:
        """Whether the chosen output that cannot play is left for the system's default: when
        the default plays, at once if the chosen one never played here (a setting passed
        over), else once it has been gone DEFAULT_OUTPUT_AFTER (it may come back)."""
        from nightvoice.sound.audio import output_problem

        if not _chosen(device):
            return False
        if self._output.heard and (
            self._lost_at is None or time.monotonic() - self._lost_at < DEFAULT_OUTPUT_AFTER
        ):
            return False
        return output_problem(None, timeout=PROBE_SECONDS) is None

    def _leave(self, device: str | None, problem: str) -> None:
        cause = SpeechUnavailable(problem).cause.removeprefix("No sound: ").rstrip(".")
        where = f"{self._device_from}: " if self._device_from else ""
        self._output.use_default()
        # Said by `back`, on the player's thread (this is the probe's), instead of its own line.
        self._left = (
            f"{where}the output `{shown(str(device))}` cannot play ({cause}); "
            "playing on the system's default output instead"
        )

    def back(self) -> tuple[Speaker, Display]:
        self._line(self._left or "the sound is back; going on")
        self._left = None
        return self._speaker, self._shown or self._screen

    def give_up(self, message: str) -> tuple[Speaker, Display] | None:
        if not self._interactive:
            return None  # hands-free: nobody to read the screen; exit code 3 with the cause
        stand_in = self._stand_in()
        self._line(f"{SpeechUnavailable(message).cause}; showing the steps on screen instead")
        return stand_in

    def close(self) -> None:
        self._closed = True
        if self._text is not None:
            self._text.close()
        if self._shown is not None and self._shown is not self._screen:
            self._shown.close()  # made for the outage: the terminal's cursor comes back


def _chosen(device: str | None) -> bool:
    """An output the person chose, not the system's default."""
    return device not in (None, "default")


def _visible(screen: Display, out: TextIO) -> Display:
    return choose_screen(out, blank=False) if isinstance(screen, BlankScreen) else screen


def _engines() -> Engines:
    """The speech engines, before the settings are known (they are checked against it); a
    voice that stops working later is one line, and espeak-ng speaks instead."""
    from nightvoice.sound.engines import make_synthesizer

    return make_synthesizer(warn=_warn)


def _speaker(
    settings: Settings,
    device: str | None,
    inbox: QueueInbox,
    cleanup: ExitStack,
    edges: Edges,
) -> tuple[Speaker, AplayOutput]:
    """The real voice: the edges' engines speaking `settings.voice` (adopting a natural
    voice's child the fast start began) and our own output (adopting the first words already
    playing: the fast start's, or standby's), closed by `cleanup`, and that output (for
    Outage). The engines are the caller's to close."""
    from nightvoice.sound.audio import AplayOutput
    from nightvoice.sound.naturalvoices import natural_voice
    from nightvoice.sound.speaker import SpeakerVoice

    early, engines = edges.early, edges.engines
    assert engines is not None, "a voice needs its engines"
    output = AplayOutput(device)
    cleanup.callback(output.close)
    started = early.take_natural(natural_voice(settings.voice)) if early is not None else None
    synthesizer = engines.use(settings.voice, started)  # a natural voice starts loading now
    output.prewarm()
    head_start = edges.head_start
    if head_start is None and early is not None:
        head_start = early.take_head_start()
    voice = SpeakerVoice(
        synthesizer,
        output,
        inbox.post,
        language=settings.language,
        voice=settings.voice,
        head_start=head_start,
        ahead=_render_ahead(synthesizer, settings),
    )
    cleanup.callback(voice.close)
    return voice, output
