"""The small ports the player core runs against; adapters live at the edge.

Keys, finished speech and timer deadlines arrive on one event stream (the Inbox), so the
player blocks in one place and never polls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from nightvoice.core.keys import Command
from nightvoice.core.plan import Line


@dataclass(frozen=True)
class KeyPressed:
    key: str  # a normalised key name: "space", "enter", "left", "right", "esc", or the char
    # When it was pressed, on the player's clock; None means "now". Keys typed before the
    # player asked (buffered) and auto-repeats of a held key are told apart by it.
    at: float | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SpeechFinished:
    utterance: int  # the id `Voice.say` returned; finished events of cut speech are stale
    # When the sound ended on the voice's own timeline (its start + its length, on the same
    # monotonic clock), if it knows: the player schedules from this, not from when the event
    # arrived, so no sound's start-up or reporting delay is carried into the next deadline.
    at: float | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SpeechFailed:
    """The sound could not be played: what the player does about it is its `_speech_failed`.

    Most failures are a moment without sound (a sound server restarting, headphones switched
    off, a busy device): the player goes on, on screen, and tries again (`SoundWatch`).
    `lasting` ones cannot get better by waiting (no `aplay`, no speech engine): the player
    gives up on sound at once.
    """

    utterance: int  # the id `Voice.say` returned, or PROBE for a failed try of the output
    message: str
    lasting: bool = False


PROBE = -1  # SpeechFailed.utterance of a `SoundWatch.probe` that found the output still silent


@dataclass(frozen=True)
class SoundBack:
    """The output plays again: a `SoundWatch.probe` after a sound failure succeeded."""


@dataclass(frozen=True)
class RemoteCommand:
    """A command from outside the terminal (the desktop's media keys, a headset's button).

    It means what the key for the same command means; it is never typed ahead, so it always
    counts as a fresh press.
    """

    command: Command


Event = KeyPressed | SpeechFinished | SpeechFailed | RemoteCommand | SoundBack


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds; only differences mean anything."""
        ...


class Inbox(Protocol):
    def wait(self, deadline: float | None) -> Event | None:
        """The next event, or None once the clock reaches `deadline` (None: wait forever)."""
        ...


class Voice(Protocol):
    """Speaks one thing at a time; finishing is reported on the Inbox as SpeechFinished."""

    def say(self, text: str, *, rate: int, volume: float, language: str | None = None) -> int:
        """Start speaking at once and return an utterance id.

        `language`: None in the routine's own voice; a language (`en`) for a phrase of
        nightvoice's own that has no translation, said by a voice of that language.
        """
        ...

    def chime(self, *, volume: float) -> int:
        """Start the soft step-change chime; reported like speech."""
        ...

    def cut(self) -> None:
        """Silence whatever is playing now; its SpeechFinished may still arrive, stale."""
        ...


class Speaker(Voice, Protocol):
    """The Voice a session owns: told the plan's sentences in advance, closed at the end."""

    def expect(self, lines: Sequence[Line], rate: int) -> None:
        """The sentences the plan says, in order: rendered ahead of need from now on."""
        ...

    def close(self) -> None:
        """Silence it and let go of what it holds (its output, its threads)."""
        ...


class SoundWatch(Protocol):
    """What happens around a moment without sound; the player decides when (its one place).

    When the sound fails the player calls `lost` and goes on, keeping its time and place, with
    the stand-in it returns; it calls `probe` about every second until the output plays again
    (`back`) or until it gives up (`give_up`).
    """

    def lost(self, message: str) -> tuple[Voice, Screen]:
        """The sound failed (`message` says why): say so in one line; return the stand-in
        voice (the steps paced on screen) and the screen to go on with."""
        ...

    def probe(self) -> None:
        """Try the output again, off the player's thread: post SoundBack on the inbox if it
        plays, else SpeechFailed(PROBE, why)."""
        ...

    def back(self) -> tuple[Voice, Screen]:
        """The output plays again: say so in one line; return the real voice and its screen."""
        ...

    def give_up(self, message: str) -> tuple[Voice, Screen] | None:
        """No sound for too long, or a lasting failure: the stand-in for good (someone can
        read the screen), or None to end the play with SpeechUnavailable."""
        ...


class Listener(Protocol):
    """Watches the player from outside (the desktop's media-player frontend); never blocks.

    Called on the player's thread, so an implementation only records and hands the news on.
    """

    def step_started(self, number: int, total: int, title: str) -> None: ...

    def paused(self) -> None: ...

    def resumed(self) -> None: ...

    def waiting(self, waiting: bool) -> None:
        """True while the player waits for the person (a key, a question), False after."""
        ...

    def ended(self) -> None:
        """The routine ended (to its end or quit); nothing more will be announced."""
        ...


class NoListener:
    """Nobody watching."""

    def step_started(self, number: int, total: int, title: str) -> None:
        pass

    def paused(self) -> None:
        pass

    def resumed(self) -> None:
        pass

    def waiting(self, waiting: bool) -> None:
        pass

    def ended(self) -> None:
        pass


class Screen(Protocol):
    def show_step(self, number: int, total: int, title: str, section: str) -> None: ...

    def show_status(self, text: str) -> None:
        """A short state line: paused, holding 12 s, waiting for a key."""
        ...

    def show_text(self, text: str) -> None:
        """What is being said, for --text mode where nothing is heard."""
        ...

    def show_time_left(self, seconds: int | None) -> None:
        """Whole seconds left in a hold, beside the state (None: no count shown)."""
        ...


class Display(Screen, Protocol):
    """The Screen a session owns: it can show a one-line note (a warning) and is closed at the
    end, leaving the terminal as it was."""

    def note(self, text: str) -> None: ...

    def close(self) -> None: ...
