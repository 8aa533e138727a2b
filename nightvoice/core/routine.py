"""The routine model: what a validated routine file says, independent of YAML and of time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FORMAT_VERSION = 1
RATE_RANGE = (80, 300)  # words per minute espeak-ng speaks clearly at

HoldKind = Literal["hold", "rest"]


@dataclass(frozen=True)
class Cues:
    """Spoken marks inside a timed hold or rest."""

    count: float = 0.0  # say the elapsed seconds every N seconds; 0 = never
    halfway: bool = False
    countdown: int = 0  # "three, two, one" over the last N seconds
    # Said when the time is up: the routine's text, True for nightvoice's own "Release."
    # (in the routine's language, core/phrases.py), or False for nothing.
    release: str | bool = False


@dataclass(frozen=True)
class Breathing:
    breathe_in: float
    hold: float
    breathe_out: float
    times: int
    # The routine's words, or None for nightvoice's own ("Breathe in.", "Hold.", "And out."),
    # said in the routine's language (core/phrases.py).
    words_in: str | None = None
    words_hold: str | None = None
    words_out: str | None = None


@dataclass(frozen=True)
class UntilEased:
    """Keep holding, with check-ins, until a key says it eased or max_seconds pass."""

    max_seconds: float
    every: float
    check_in: str | None = None  # None: nightvoice's own, in the routine's language


@dataclass(frozen=True)
class Step:
    """One spoken step: say something, then at most one timed or keyed thing."""

    say: str | None = None
    title: str | None = None
    pause: float = 0.0
    hold: float | None = None
    hold_kind: HoldKind = "hold"
    cues: Cues = field(default_factory=Cues)
    breathe: Breathing | None = None
    wait_for_key: bool = False
    until_eased: UntilEased | None = None
    chime: bool | None = None  # None: the routine's default
    line: int = 0  # where it was written, for messages


@dataclass(frozen=True)
class Section:
    name: str
    steps: tuple[Node, ...]
    say: str | None = None


@dataclass(frozen=True)
class Repeat:
    times: int
    steps: tuple[Node, ...]


@dataclass(frozen=True)
class EachSide:
    """The same steps once for {side}, then again with the sides swapped."""

    steps: tuple[Node, ...]


Node = Step | Section | Repeat | EachSide


@dataclass(frozen=True)
class Question:
    """One keyed question asked before the first step; the answer fills {name}."""

    name: str
    say: str
    choices: dict[str, str]  # key -> value
    default: str
    timeout: float = 6.0
    confirm: str | None = None  # said once answered, `{name}` filled in: "{side} leg."
    # The language `say` and `confirm` are in when not the routine's (nightvoice's own
    # question without a translation: said by an English voice), as Line.language.
    language: str | None = None


@dataclass(frozen=True)
class Voice:
    """How the routine wants to sound; None means: defer to config and defaults."""

    language: str | None = None
    voice: str | None = None
    rate: int | None = None
    volume: float | None = None


@dataclass(frozen=True)
class Routine:
    title: str
    steps: tuple[Node, ...]
    description: str = ""
    safety: str = ""
    voice: Voice = field(default_factory=Voice)
    chime: bool = True
    ask: Question | None = None
    log_episode: bool = False
    source: str = ""  # the file it came from, for messages
    # Where each top-level value was written (line, column), for checks made after loading.
    locations: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False)

    def other_side(self, side: str, sides: tuple[str, str] = ("left", "right")) -> str:
        """The side that is not `side`: from a two-choice question named `side`, else one of
        `sides`, nightvoice's own left and right in the routine's language (another question's
        choices, like `{o: one, b: both}`, are no sides)."""
        asked = self.ask is not None and self.ask.name == "side"
        pair = list(self.ask.choices.values()) if self.ask and asked else list(sides)
        if len(pair) == 2 and side in pair:
            return pair[1] if side == pair[0] else pair[0]
        left, right = sides
        return left if side == right else right
