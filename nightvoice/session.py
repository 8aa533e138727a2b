"""Wire one playing session: the routine, its settings, the real ports, and the player.

This is the edge where the pure core meets the machine; the CLI only parses options and
calls `play_routine`.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from nightvoice.console.realtime import MonotonicClock, QueueInbox
from nightvoice.console.screen import BlankScreen, choose_screen
from nightvoice.console.terminal import KeyReader, exits_cleanly, keys_available
from nightvoice.core.errors import RoutineError, SpeechUnavailable
from nightvoice.core.plan import Plan, Settings
from nightvoice.core.planner import compile_plan
from nightvoice.core.player import Outcome, Player, PlayerOptions
from nightvoice.core.routine import Routine
from nightvoice.user import catalog
from nightvoice.user.catalog import load_routine
from nightvoice.user.config import load_config_or_defaults, resolve_settings

if TYPE_CHECKING:
    from nightvoice.desktop.frontend import MprisFrontend
    from nightvoice.sound.ahead import RenderAhead


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


def play_exit_code(request: PlayRequest) -> int:
    """Play and say how it went: 0 when it ran to the end or the listener quit."""
    outcome = play_routine(request)
    return 0 if outcome.completed or outcome.quit else 1


@dataclass(frozen=True)
class Prepared:
    """A request resolved: the routine and the settings it plays with."""

    ref: catalog.RoutineRef
    routine: Routine
    config: dict[str, Any]
    settings: Settings
    device: str | None


def prepare(request: PlayRequest, err: TextIO | None = None) -> Prepared:
    """The routine and its settings (routine < config < flags) for this request."""
    ref, routine = _load_for_the_night(request.target, err)
    config = load_config_or_defaults(err)  # a broken config warns; it never stops the voice
    settings = resolve_settings(routine.voice, config, request.flags).settings
    return Prepared(ref, routine, config, settings, request.device or config.get("device"))


def plan_after_question(
    player: Player, prepared: Prepared, answers: dict[str, str] | None = None
) -> Plan | None:
    """Ask the routine's question, if it has one, and compile the plan with the answer.

    The answer is also put in `answers` when given (the episode log keeps which leg).
    None if the listener quit at the question. The first-words renderer (firstwords.py) runs
    this too, so what it expects plain `nightvoice` to say first is what the session says.
    """
    routine = prepared.routine
    answers = {} if answers is None else answers
    if routine.ask:
        answer = player.ask(routine.ask)
        if answer is None:
            return None
        answers[routine.ask.name] = answer
    return compile_plan(routine, prepared.settings, answers, chime=prepared.config.get("chime"))


def play_routine(request: PlayRequest, out: TextIO | None = None) -> Outcome:
    out = out or sys.stdout
    prepared = prepare(request)
    ref, settings, device = prepared.ref, prepared.settings, prepared.device
    inbox = QueueInbox()
    clock = MonotonicClock()
    interactive = not request.hands_free and keys_available()
    if request.step_mode and not interactive:
        print("nightvoice: no terminal for keys; playing hands-free", file=sys.stderr)
    later = io.StringIO()  # warnings printed once the screen is closed, on lines of their own
    with exits_cleanly() as signals:
        # Everything that changes the terminal or starts a process is undone by `cleanup`,
        # in this order: silence the audio, restore the terminal's modes, show the cursor.
        # It runs with signals held, so a second Ctrl-C cannot cut it short.
        cleanup = ExitStack()
        from nightvoice.sound import onevoice

        # One voice at a time: the session playing before stops (its sound, terminal and
        # media-key name all let go) before this one takes any of them; released last.
        cleanup.enter_context(onevoice.only_voice())
        media_keys = _media_keys(inbox, prepared.routine.title)
        try:
            from nightvoice.user import playing

            cleanup.enter_context(playing.marked())  # the bedtime reminder waits its turn
            cleanup.callback(media_keys.close)  # closed last: the terminal comes back first
            screen: Any = choose_screen(out, blank=request.blank)
            cleanup.callback(lambda: screen.close())  # noqa: PLW0108 - the screen it is by then
            if interactive:
                cleanup.enter_context(KeyReader(inbox.post, sys.stdin.fileno()))

            def on_screen(cause: str | None) -> tuple[Any, Any]:
                """The paced text on screen: asked for with --text, or when sound fails at a
                terminal (never silent: even --blank then shows the steps)."""
                nonlocal screen
                from nightvoice.sound.speaker import TextVoice

                if cause is not None:
                    if isinstance(screen, BlankScreen):
                        screen = choose_screen(out, blank=False)
                    screen.note(f"nightvoice: {cause}; showing the steps on screen instead")
                text = TextVoice(inbox.post, screen, first_id=FALLBACK_IDS)
                cleanup.callback(text.close)
                return text, screen

            fallback: Callable[[str], tuple[Any, Any]] | None = None
            if request.text_only:
                voice, screen = on_screen(None)
            else:
                try:
                    voice = _speaker(settings, device, inbox, cleanup)
                except SpeechUnavailable as error:
                    if not interactive:
                        raise  # hands-free: nobody to read the screen; exit code 3
                    voice, screen = on_screen(error.cause)
                else:
                    if interactive:
                        fallback = _falls_back_to(voice, on_screen)
            options = PlayerOptions(interactive=interactive, step_mode=request.step_mode)
            player = Player(
                clock=clock,
                inbox=inbox,
                voice=voice,
                screen=screen,
                rate=settings.rate,
                volume=settings.volume,
                options=options,
                listener=media_keys,
                fallback=fallback,
            )
            answers: dict[str, str] = {}
            plan = plan_after_question(player, prepared, answers)
            if plan is None:
                return Outcome(quit=True)
            from nightvoice.sound.export import sentences

            voice.expect(sentences(plan), settings.rate)  # rendered ahead of need
            outcome = player.play(plan)
            from nightvoice.user.episodes import after_routine

            side = answers.get("side", "")
            after_routine(
                plan, ref.name, outcome, player, interactive=interactive, side=side, err=later
            )
            return outcome
        finally:
            with signals.held():
                cleanup.close()
            sys.stderr.write(later.getvalue())
            if request.verbose and media_keys.problem:
                print(f"nightvoice: media keys are off: {media_keys.problem}", file=sys.stderr)


def _render_ahead(synthesizer: Any, settings: Settings) -> RenderAhead:
    """Sentences rendered while the one before plays, through the speech cache `export` keeps."""
    from nightvoice.sound.ahead import RenderAhead
    from nightvoice.sound.export import CACHE_FOLDER, SpeechCache
    from nightvoice.user import paths

    cache = SpeechCache(synthesizer, paths.cache_dir() / CACHE_FOLDER, synthesizer.engine_version())
    return RenderAhead(cache, language=settings.language, voice=settings.voice)


def _media_keys(inbox: QueueInbox, title: str) -> MprisFrontend:
    """The desktop's media keys and headset buttons, connected on their own thread."""
    from nightvoice.desktop.frontend import MprisFrontend

    return MprisFrontend(inbox.post, title).start()


def _warn(message: str) -> None:
    print(f"nightvoice: {message}", file=sys.stderr, flush=True)


def _falls_back_to(
    speaker: Any, on_screen: Callable[[str | None], tuple[Any, Any]]
) -> Callable[[str], tuple[Any, Any]]:
    """When the sound fails mid-play at a terminal: silence the speaker, go on as text."""

    def fall_back(message: str) -> tuple[Any, Any]:
        speaker.close()
        return on_screen(SpeechUnavailable(message).cause)

    return fall_back


# The text voice that takes over numbers its sentences from here, so a late report from the
# failed speaker (its own numbers) can never pass for one of the text voice's.
FALLBACK_IDS = 1_000_000


def _speaker(settings: Any, device: str | None, inbox: QueueInbox, cleanup: ExitStack) -> Any:
    from nightvoice.sound import headstart
    from nightvoice.sound.audio import AplayOutput
    from nightvoice.sound.engines import make_synthesizer
    from nightvoice.sound.speaker import SpeakerVoice

    output = AplayOutput(device)
    cleanup.callback(output.close)
    # A natural voice starts loading now; one that cannot speak here is one line.
    synthesizer = make_synthesizer(settings.voice, warn=_warn)
    cleanup.callback(synthesizer.close)
    output.prewarm()
    voice = SpeakerVoice(
        synthesizer,
        output,
        inbox.post,
        language=settings.language,
        voice=settings.voice,
        head_start=headstart.take(),  # the first words, if already playing
        ahead=_render_ahead(synthesizer, settings),
    )
    cleanup.callback(voice.close)
    return voice


def _load_for_the_night(
    target: str | None, err: TextIO | None = None
) -> tuple[catalog.RoutineRef, Routine]:
    """The routine to play. The user's own copy of a built-in that has a problem never
    silences the night: one warning line, and the built-in plays. Any other routine with a
    problem was asked for by name or path: its problems are the answer (exit code 2)."""
    ref = catalog.resolve(target)
    try:
        return ref, load_routine(ref.path)
    except RoutineError as error:
        original = catalog.builtin(ref.name) if ref.shadows_builtin else None
        if original is None:
            raise
        more = len(error.problems) - 1
        print(
            f"nightvoice: {error.problems[0]}"
            + (f" (+{more} more)" if more > 0 else "")
            + f"; playing the built-in {ref.name} instead",
            file=err or sys.stderr,
        )
        return original, load_routine(original.path)
