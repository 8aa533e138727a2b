"""Wire one playing session: the routine, its settings, the real ports, and the player.

This is the edge where the pure core meets the machine; the CLI only parses options and calls
`play_routine` or `say`. What the fast start began (startup/: the playing lock, the first words,
a natural voice loading) arrives as an EarlyStart and is adopted here.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from nightvoice.console.keyboard import keys_available
from nightvoice.console.realtime import MonotonicClock, QueueInbox
from nightvoice.console.screen import BlankScreen, choose_screen
from nightvoice.console.terminal import KeyReader, exits_cleanly
from nightvoice.core.errors import SpeechUnavailable
from nightvoice.core.plan import Plan, Settings
from nightvoice.core.player import Outcome, Player, PlayerOptions, plan_after_question
from nightvoice.core.ports import Display, Speaker, SpeechFailed, SpeechFinished
from nightvoice.user.night import prepare

if TYPE_CHECKING:
    from nightvoice.desktop.frontend import MprisFrontend
    from nightvoice.sound.ahead import RenderAhead
    from nightvoice.sound.engines import Engines
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
    out = out or sys.stdout
    prepared = prepare(request.target, request.flags, request.device)
    settings, device = prepared.settings, prepared.device
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
        # One routine at a time: the one playing before stops (its sound, terminal and
        # media-key name all let go) before this one takes any of them; released last. The
        # bare command took the lock before its first words (the EarlyStart holds it).
        if early is None or early.playing is None:
            from nightvoice.base import playing

            cleanup.enter_context(playing.take_over())
        media_keys = _media_keys(inbox, prepared.routine.title)
        try:
            cleanup.callback(media_keys.close)  # closed last: the terminal comes back first
            screen: Display = choose_screen(out, blank=request.blank, phrases=prepared.phrases)
            cleanup.callback(lambda: screen.close())  # noqa: PLW0108 - the screen it is by then
            if interactive:
                cleanup.enter_context(KeyReader(inbox.post, sys.stdin.fileno()))

            def on_screen(cause: str | None) -> tuple[Speaker, Display]:
                """The paced text on screen: asked for with --text, or when sound fails at a
                terminal (never silent: even --blank then shows the steps)."""
                nonlocal screen
                from nightvoice.sound.speaker import TextVoice

                if cause is not None:
                    if isinstance(screen, BlankScreen):
                        screen = choose_screen(out, blank=False, phrases=prepared.phrases)
                    screen.note(f"nightvoice: {cause}; showing the steps on screen instead")
                text = TextVoice(inbox.post, screen, first_id=FALLBACK_IDS)
                cleanup.callback(text.close)
                return text, screen

            fallback: Callable[[str], tuple[Speaker, Display]] | None = None
            voice: Speaker
            if request.text_only:
                voice, screen = on_screen(None)
            else:
                try:
                    voice = _speaker(settings, device, inbox, cleanup, early)
                except SpeechUnavailable as error:
                    if not interactive:
                        raise  # hands-free: nobody to read the screen; exit code 3
                    voice, screen = on_screen(error.cause)
                else:
                    if interactive:
                        fallback = _falls_back_to(voice, on_screen)
            options = PlayerOptions(interactive=interactive, step_mode=request.step_mode)
            player = Player(
                phrases=prepared.phrases,
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
            chime = prepared.config.get("chime")
            plan = plan_after_question(
                player, prepared.routine, settings, chime=chime, answers=answers
            )
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
                interactive=interactive,
                side=answers.get("side", ""),
                err=later,
            )
            return outcome
        finally:
            with signals.held():
                cleanup.close()
            sys.stderr.write(later.getvalue())
            if request.verbose and media_keys.problem:
                print(f"nightvoice: media keys are off: {media_keys.problem}", file=sys.stderr)


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
) -> int:
    """Say `text` once with the configured voice (flags win), and wait until it is heard.

    A sound that fails is exit code 3, as when playing; a voice that cannot be used is one line
    and espeak-ng speaks instead.
    """
    from nightvoice.core.routine import Voice
    from nightvoice.user.config import load_config_or_defaults, resolve_settings

    config = load_config_or_defaults()
    settings = resolve_settings(Voice(), config, flags).settings
    inbox = QueueInbox()
    with ExitStack() as cleanup:
        speaker = _speaker(settings, device or config.get("device"), inbox, cleanup, early)
        utterance = speaker.say(text, rate=settings.rate, volume=settings.volume)
        while True:
            event = inbox.wait(None)
            if isinstance(event, SpeechFailed):
                raise SpeechUnavailable(event.message)
            if isinstance(event, SpeechFinished) and event.utterance == utterance:
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


def _falls_back_to(
    speaker: Speaker, on_screen: Callable[[str | None], tuple[Speaker, Display]]
) -> Callable[[str], tuple[Speaker, Display]]:
    """When the sound fails mid-play at a terminal: silence the speaker, go on as text."""

    def fall_back(message: str) -> tuple[Speaker, Display]:
        speaker.close()
        return on_screen(SpeechUnavailable(message).cause)

    return fall_back


# The text voice that takes over numbers its sentences from here, so a late report from the
# failed speaker (its own numbers) can never pass for one of the text voice's.
FALLBACK_IDS = 1_000_000


def _speaker(
    settings: Settings,
    device: str | None,
    inbox: QueueInbox,
    cleanup: ExitStack,
    early: EarlyStart | None,
) -> Speaker:
    """The real voice: the engine (adopting a natural voice's child the fast start began) and
    our own output (adopting the first words already playing), closed by `cleanup`."""
    from nightvoice.sound.audio import AplayOutput
    from nightvoice.sound.engines import make_synthesizer
    from nightvoice.sound.naturalvoices import natural_voice
    from nightvoice.sound.speaker import SpeakerVoice

    output = AplayOutput(device)
    cleanup.callback(output.close)
    started = early.take_natural(natural_voice(settings.voice)) if early is not None else None
    # A natural voice starts loading now; one that cannot speak here is one line.
    synthesizer = make_synthesizer(settings.voice, warn=_warn, started=started)
    cleanup.callback(synthesizer.close)
    output.prewarm()
    voice = SpeakerVoice(
        synthesizer,
        output,
        inbox.post,
        language=settings.language,
        voice=settings.voice,
        head_start=early.take_head_start() if early is not None else None,
        ahead=_render_ahead(synthesizer, settings),
    )
    cleanup.callback(voice.close)
    return voice
