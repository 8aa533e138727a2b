"""Wire one playing session: the routine, its settings, the real ports, and the player.

This is the edge where the pure core meets the machine; the CLI only parses options and
calls `play_routine`.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from nightvoice.console.realtime import MonotonicClock, QueueInbox
from nightvoice.console.screen import choose_screen
from nightvoice.console.terminal import KeyReader, exits_cleanly, keys_available
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
    ref = catalog.resolve(request.target)
    routine = load_routine(ref.path)
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
    with exits_cleanly() as signals:
        # Everything that changes the terminal or starts a process is undone by `cleanup`,
        # in this order: silence the audio, restore the terminal's modes, show the cursor.
        # It runs with signals held, so a second Ctrl-C cannot cut it short.
        cleanup = ExitStack()
        media_keys = _media_keys(inbox, prepared.routine.title)
        try:
            from nightvoice.user import playing

            cleanup.enter_context(playing.marked())  # the bedtime reminder waits its turn
            cleanup.callback(media_keys.close)  # closed last: the terminal comes back first
            screen = choose_screen(out, blank=request.blank)
            cleanup.callback(screen.close)
            if interactive:
                cleanup.enter_context(KeyReader(inbox.post, sys.stdin.fileno()))
            if request.text_only:
                from nightvoice.sound.speaker import TextVoice

                voice: Any = TextVoice(inbox.post, screen)
            else:
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
            after_routine(plan, ref.name, outcome, player, interactive=interactive, side=side)
            return outcome
        finally:
            with signals.held():
                cleanup.close()
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
