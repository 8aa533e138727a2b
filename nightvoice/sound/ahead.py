"""Render ahead: the sentences a plan will say next, synthesised while the current one plays.

A natural voice takes a few hundred milliseconds a sentence; synthesised only when the player
asks for it, every sentence would start that late, and a hold's cue would land late. So the
session tells the speaker which sentences the plan says, in order (`expect`), and once the
first is being said a worker thread renders the next few, at the rate in use, through the
speech cache `export` keeps (so a sentence rendered once, tonight or by an export, is read back
from disk). When the player says a sentence, `get` hands over the rendered sound, or waits for
the worker if it is rendering that very sentence, or renders it at once if nothing has yet,
giving its pieces as they come (the first sentence of a run: its first piece plays at once).
A rate key makes the next `get` ask for another rate: the worker then renders the sentences
from there on at that rate, and nothing before them. Cutting speech never waits for the
worker: it runs on its own thread, and the speaker's `cut` does not touch it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from nightvoice.base.waiting import wait_on
from nightvoice.core.plan import Line, voice_for
from nightvoice.sound.audio import Pcm
from nightvoice.sound.synth import PieceListener, synthesize_in_pieces

AHEAD = 3  # sentences rendered beyond the one being said


class Renders(Protocol):
    """What renders a sentence: a Synthesizer, or the speech cache in front of one."""

    def synthesize(self, text: str, *, rate: int, language: str, voice: str | None) -> Pcm: ...


class RenderAhead:
    """A worker thread that keeps the next few sentences of a plan rendered."""

    def __init__(
        self, renders: Renders, *, language: str, voice: str | None, ahead: int = AHEAD
    ) -> None:
        self._renders = renders
        self._language = language
        self._voice = voice
        self._ahead = ahead
        self._lock = threading.Condition()
        self._texts: list[Line] = []
        self._index: dict[Line, int] = {}
        self._position = 0  # the index of the sentence said last
        self._rate: int | None = None  # None until the plan is known
        self._ready: dict[tuple[Line, int], Pcm] = {}
        self._rendering: set[tuple[Line, int]] = set()  # by the worker or a caller, now
        self._callers = 0  # callers rendering a sentence they wait for: the worker holds off
        # Nothing is rendered ahead until the first sentence is being said: the player renders
        # that one itself, a piece at a time, so its first piece plays as soon as it exists.
        self._saying = False
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="nightvoice-ahead", daemon=True)
        self._thread.start()

    def expect(self, lines: Sequence[Line], rate: int) -> None:
        """The sentences a plan says, in the order of their first use, and the rate now."""
        with self._lock:
            self._texts = list(lines)
            self._index = {}
            for n, text in enumerate(self._texts):
                self._index.setdefault(text, n)
            self._position = 0
            self._rate = rate
            self._lock.notify_all()

    def saying(self, text: str, rate: int, *, language: str | None = None) -> None:
        """`text` is being said (from elsewhere: the head start): render what follows it."""
        with self._lock:
            self._said(Line(text, language), rate)

    def _said(self, line: Line, rate: int) -> None:
        self._position = self._index.get(line, self._position)
        if self._rate is not None:
            self._rate = rate  # from here on, render at the rate the listener chose
        self._saying = True
        self._lock.notify_all()

    def get(
        self,
        text: str,
        rate: int,
        on_piece: PieceListener | None = None,
        *,
        language: str | None = None,
    ) -> Pcm:
        """`text` at `rate` (in `language`, as Line.language), as rendered: at once if the
        worker has it, else rendered now, its pieces to `on_piece` as they come (a natural
        voice's first words play sooner)."""
        key = (Line(text, language), rate)
        with self._lock:
            self._said(key[0], rate)
            while key in self._rendering:  # the worker is on it: never render it twice
                wait_on(self._lock)
            pcm = self._ready.get(key)
            if pcm is None:
                self._rendering.add(key)
                self._callers += 1
        if pcm is None:
            try:
                pcm = self._render(key[0], rate, on_piece)
            finally:
                with self._lock:
                    self._rendering.discard(key)
                    self._callers -= 1
                    self._lock.notify_all()
            with self._lock:
                self._ready[key] = pcm
                self._forget_behind()
        return pcm

    def close(self) -> None:
        """Stop rendering (a render under way finishes on its own; nothing waits for it)."""
        with self._lock:
            self._closed = True
            self._ready.clear()
            self._lock.notify_all()

    def _render(self, line: Line, rate: int, on_piece: PieceListener | None = None) -> Pcm:
        language, voice = voice_for(line.language, self._language, self._voice)
        return synthesize_in_pieces(
            self._renders, line.text, rate=rate, language=language, voice=voice, on_piece=on_piece
        )

    def _next(self) -> tuple[Line, int] | None:
        """The first sentence from the one being said on that is not rendered yet.

        None before the first sentence is said, and while a caller renders the sentence it
        waits for: a render ahead that took the engine first made the very first words of a
        natural voice wait for the second sentence (one engine, one sentence at a time).
        """
        if self._rate is None or self._closed or self._callers or not self._saying:
            return None
        for line in self._texts[self._position : self._position + self._ahead + 1]:
            key = (line, self._rate)
            if key not in self._ready and key not in self._rendering:
                return key
        return None

    def _forget_behind(self) -> None:
        """Keep only the sentences around the one being said (the cache on disk has the rest)."""
        window = set(self._texts[max(0, self._position - 1) : self._position + self._ahead + 1])
        for key in [k for k in self._ready if k[0] not in window]:
            del self._ready[key]

    def _work(self) -> None:
        while True:
            with self._lock:
                job = self._next()
                while job is None:
                    if self._closed:
                        return
                    self._lock.wait()
                    job = self._next()
                self._rendering.add(job)
            try:
                pcm: Pcm | None = self._render(*job)
            except Exception:  # the caller's own render will meet the same fault and report it
                pcm = None
            with self._lock:
                self._rendering.discard(job)
                if pcm is None:
                    self._closed = True  # a failing engine: stop trying in the background
                elif not self._closed:
                    self._ready[job] = pcm
                    self._forget_behind()
                self._lock.notify_all()
