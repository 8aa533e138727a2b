"""The compiled plan: a flat list of steps, each a short list of timed actions.

The player runs these; `show` and `export` read their scheduled offsets. Offsets depend on how
long speech takes, so the planner is given a speech-duration function: an estimate for `show`,
the real synthesised length for `export`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple


class Line(NamedTuple):
    """A sentence and the language it is said in: None is the routine's own voice; another
    (nightvoice's own English phrase in a German routine) is said by a voice of that language."""

    text: str
    language: str | None = None


def voice_for(language: str | None, own: str, voice: str | None) -> tuple[str, str | None]:
    """The language and voice that say a line: the routine's own (`own`, `voice`), or, for a
    line in another language (an untranslated phrase of nightvoice's own, Line.language), that
    language's default voice: never the routine's voice reading words of another language."""
    return (own, voice) if language is None else (language, None)


@dataclass(frozen=True)
class Say:
    text: str
    language: str | None = None  # as Line.language


@dataclass(frozen=True)
class Chime:
    pass


@dataclass(frozen=True)
class Cue:
    at: float  # seconds after the hold started
    text: str
    language: str | None = None  # as Line.language


@dataclass(frozen=True)
class Hold:
    """Timed silence measured from the end of the sentence before it, with cues on schedule.

    A cue at exactly `seconds` is the release line: it is said once the time is up.
    """

    seconds: float
    cues: tuple[Cue, ...] = ()
    kind: Literal["hold", "rest", "pause", "breathe"] = "hold"


@dataclass(frozen=True)
class WaitForKey:
    """Wait for the listener to press a key; hands-free it becomes a fixed pause."""

    hands_free_seconds: float = 5.0


@dataclass(frozen=True)
class HoldUntilEased:
    max_seconds: float
    every: float
    check_in: str
    language: str | None = None  # the check-in's, as Line.language


Action = Say | Chime | Hold | WaitForKey | HoldUntilEased


@dataclass(frozen=True)
class PlanStep:
    number: int  # 1-based, as shown to people
    title: str  # one short line for the screen
    section: str
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class Settings:
    """The voice the player starts with; keys may change rate and volume while playing."""

    language: str = "en"
    voice: str | None = None
    rate: int = 130
    volume: float = 0.6


@dataclass(frozen=True)
class Plan:
    title: str
    steps: tuple[PlanStep, ...]
    settings: Settings = field(default_factory=Settings)
    log_episode: bool = False


EntryKind = Literal["say", "chime", "hold", "cue", "wait", "until-eased"]


@dataclass(frozen=True)
class Entry:
    """One line of the flat timeline: what happens, when, and for how long."""

    offset: float
    duration: float
    kind: EntryKind
    step: int
    text: str = ""
    language: str | None = None  # of `text` when said, as Line.language
