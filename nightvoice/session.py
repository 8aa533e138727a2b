"""Wire one playing session: the routine, its settings, the real ports, and the player.

This is the edge where the pure core meets the machine; the CLI only parses options and
calls `play_routine`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from nightvoice import catalog
from nightvoice.config import load_config, resolve_settings
from nightvoice.loader import load_routine
from nightvoice.planner import compile_plan
from nightvoice.player import Outcome, Player, PlayerOptions
from nightvoice.realtime import MonotonicClock, QueueInbox
from nightvoice.screen import choose_screen
from nightvoice.terminal import KeyReader, exits_cleanly, stdin_is_terminal


@dataclass(frozen=True)
class PlayRequest:
    target: str | None = None  # a routine name or file; None is the default routine
    text_only: bool = False
    step_mode: bool = False
    blank: bool = False
    hands_free: bool = False
    device: str | None = None
    flags: dict[str, Any] = field(default_factory=dict)  # rate, volume, voice, language


def play_routine(request: PlayRequest, out: TextIO | None = None) -> Outcome:
    out = out or sys.stdout
    ref = catalog.resolve(request.target)
    routine = load_routine(ref.path)
    config = load_config()
    settings = resolve_settings(routine.voice, config, request.flags).settings
    device = request.device or config.get("device")
    inbox = QueueInbox()
    clock = MonotonicClock()
    interactive = not request.hands_free and stdin_is_terminal()
    if request.step_mode and not interactive:
        print("nightvoice: no terminal for keys; playing hands-free", file=sys.stderr)
    screen = choose_screen(out, blank=request.blank)
    if request.text_only:
        from nightvoice.speaker import TextVoice

        voice: Any = TextVoice(inbox.post, screen)
    else:
        from nightvoice.audio import AplayOutput
        from nightvoice.speaker import SpeakerVoice
        from nightvoice.synth import make_synthesizer

        output = AplayOutput(device)
        output.prewarm()
        voice = SpeakerVoice(
            make_synthesizer(),
            output,
            inbox.post,
            language=settings.language,
            voice=settings.voice,
        )
    options = PlayerOptions(interactive=interactive, step_mode=request.step_mode)
    player = Player(
        clock=clock,
        inbox=inbox,
        voice=voice,
        screen=screen,
        rate=settings.rate,
        volume=settings.volume,
        options=options,
    )
    keys = KeyReader(inbox.post, sys.stdin.fileno()) if interactive else None
    try:
        with exits_cleanly():
            if keys is not None:
                keys.__enter__()
            answers: dict[str, str] = {}
            if routine.ask:
                answer = player.ask(routine.ask)
                if answer is None:
                    return Outcome(quit=True)
                answers[routine.ask.name] = answer
            plan = compile_plan(routine, settings, answers)
            outcome = player.play(plan)
            from nightvoice.episodes import after_routine

            after_routine(plan, ref.name, outcome, player, interactive=interactive)
            return outcome
    finally:
        voice.close()
        if keys is not None:
            keys.close()
        screen.close()
