"""Compile a routine into a flat plan, and lay a plan out on a timeline.

The timeline follows the same rules as the player: speech never overlaps (a cue that falls due
while something is still being said starts when it ends), holds are measured from the end of
the sentence before them, and cues never stretch a hold.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from nightvoice.core import phrases as said
from nightvoice.core.phrases import ENGLISH, PhraseBook
from nightvoice.core.plan import (
    Action,
    Chime,
    Cue,
    Entry,
    Hold,
    HoldUntilEased,
    Line,
    Plan,
    PlanStep,
    Say,
    Settings,
    WaitForKey,
)
from nightvoice.core.routine import Breathing, Cues, EachSide, Node, Repeat, Routine, Section, Step
from nightvoice.core.template import fill

# Every sound starts with exactly this much silence: a new output stream can lose its first
# few ms, and a lead-in of silence is all that gets lost (speaker.py plays it, export places it).
LEAD_IN_SECONDS = 0.025
CHIME_TONE_SECONDS = 0.6  # the soft two-partial tone itself (audio.chime)
# The chime as played and as laid out on the timeline: its lead-in, then the tone.
CHIME_SECONDS = LEAD_IN_SECONDS + CHIME_TONE_SECONDS
HANDS_FREE_WAIT = 5.0
MIN_CUE_GAP = 1.0  # closer cues would talk over each other; the more important one wins
STALE_CUE_SECONDS = 1.0  # a cue that could only start later than this is not said at all
TITLE_LENGTH = 60


# How long espeak-ng takes to say a text, fitted to its real lengths (the lead-in included) for
# every sentence of the built-in routines at rates 100 to 260 (docs/architecture.md, "Lengths..."):
# letters, words, digits (a number is said as words) and the pauses at commas and sentence ends
# take time at the rate; each pause also has a part that does not scale with it.
_PER_LETTER, _PER_WORD, _PER_DIGIT = 0.128, 0.151, 0.385  # seconds at 60 words a minute
_PER_CLAUSE, _PER_SENTENCE = 1.216, 1.779  # the same, for a pause at , ; : ... and at . ! ?
_CLAUSE_FIXED, _SENTENCE_FIXED, _FIXED = -0.072, -0.191, 0.033  # seconds whatever the rate
_CLAUSE = re.compile(r"(?:[,;:]|\.\.\.|\u2026)+(?=\s)")  # a pause inside the text
_SENTENCE = re.compile(r"[.!?]+(?=\s)")  # a sentence end inside it (the text's end is one too)
SLOWEST_FULL_RATE = 84  # below this espeak-ng speaks a little faster than the rate says


@functools.lru_cache(maxsize=4096)  # `list` estimates the same cues for hundreds of routines
def estimate_speech_seconds(text: str, rate: int) -> float:
    """About how long espeak-ng takes to say `text` at `rate` words per minute, as played
    (the lead-in included): within about 0.15 s a sentence, unbiased at the usual rates.

    For `list` before a sentence's real length is known, `--text` pacing and the loader's
    limits; `show`, `list` (once measured) and `export` use the real lengths.
    """
    text = text.strip()
    if not text:
        return LEAD_IN_SECONDS
    letters = digits = 0
    for char in text:
        if char.isalpha():
            letters += 1
        elif char.isdigit():
            digits += 1
    clauses = len(_CLAUSE.findall(text))
    sentences = 1 + len(_SENTENCE.findall(text))
    beats = (
        _PER_LETTER * letters
        + _PER_WORD * len(text.split())
        + _PER_DIGIT * digits
        + _PER_CLAUSE * clauses
        + _PER_SENTENCE * sentences
    )
    slower = max(0, SLOWEST_FULL_RATE - rate) * 0.0125
    seconds = beats * 60.0 / rate * (1.0 - slower)
    seconds += _FIXED + _CLAUSE_FIXED * clauses + _SENTENCE_FIXED * sentences
    return max(LEAD_IN_SECONDS + 0.1, seconds)


def compile_plan(
    routine: Routine,
    settings: Settings,
    answers: dict[str, str] | None = None,
    *,
    chime: bool | None = None,
    phrases: PhraseBook = ENGLISH,
    hands_free: bool = False,
) -> Plan:
    """Flatten sections, repeats and sides into numbered steps with the answers filled in.

    `chime` is the user's setting (config.yaml): False means no step-change chime at all;
    True makes chiming the routine's default; None leaves it to the routine's own `chime:`.
    `phrases` gives nightvoice's own words (cues, counts, default titles) in the routine's
    language; `hands_free` (no key can be pressed) leaves "press Enter" out of them.
    """
    variables = dict(answers or {})
    if routine.ask and routine.ask.name not in variables:
        variables[routine.ask.name] = routine.ask.default
    sides = phrases.sides()
    side = variables.get("side", sides[0])
    variables.setdefault("side", side)
    variables.setdefault("other_side", routine.other_side(side, sides))
    flat = list(_flatten(routine.steps, variables, section="", routine=routine, sides=sides))
    steps: list[PlanStep] = []
    default = routine.chime if chime is None else chime
    for index, (leaf, section, values) in enumerate(flat):
        chimes = chime is not False and (default if leaf.chime is None else leaf.chime)
        actions: list[Action] = []
        if chimes and index > 0:
            actions.append(Chime())
        if leaf.say:
            actions.append(Say(fill(leaf.say, values)))
        action = _timed_action(leaf, values, phrases, hands_free)
        if action is not None:
            actions.append(action)
        title = fill(leaf.title, values) if leaf.title else _title_for(leaf, actions, phrases)
        steps.append(PlanStep(len(steps) + 1, title, section, tuple(actions)))
    return Plan(
        title=routine.title,
        steps=tuple(steps),
        settings=settings,
        log_episode=routine.log_episode,
    )


def _flatten(
    nodes: tuple[Node, ...],
    variables: dict[str, str],
    section: str,
    routine: Routine,
    sides: tuple[str, str],
) -> Iterator[tuple[Step, str, dict[str, str]]]:
    for node in nodes:
        if isinstance(node, Step):
            yield node, section, variables
        elif isinstance(node, Section):
            if node.say:
                yield Step(say=node.say, title=node.name), fill(node.name, variables), variables
            yield from _flatten(node.steps, variables, fill(node.name, variables), routine, sides)
        elif isinstance(node, Repeat):
            for round_number in range(1, node.times + 1):
                values = {**variables, "round": str(round_number), "rounds": str(node.times)}
                yield from _flatten(node.steps, values, section, routine, sides)
        elif isinstance(node, EachSide):
            first = variables["side"]
            for side in (first, routine.other_side(first, sides)):
                other = routine.other_side(side, sides)
                values = {**variables, "side": side, "other_side": other}
                yield from _flatten(node.steps, values, section, routine, sides)


def _own(text: str | None, values: dict[str, str], phrase: said.Phrase, book: PhraseBook) -> Line:
    """The routine's text, filled, or else nightvoice's own phrase in the routine's language."""
    return Line(fill(text, values)) if text is not None else book.line(phrase)


def _cue(at: float, line: Line) -> Cue:
    return Cue(at, line.text, line.language)


def _timed_action(
    step: Step, values: dict[str, str], phrases: PhraseBook, hands_free: bool
) -> Action | None:
    if step.pause:
        return Hold(step.pause, kind="pause")
    if step.hold is not None:
        cues = hold_cues(step.hold, step.cues, phrases)
        release = step.cues.release
        if release:
            text = release if isinstance(release, str) else None
            cues = (*cues, _cue(step.hold, _own(text, values, said.RELEASE, phrases)))
        return Hold(step.hold, cues, kind=step.hold_kind)
    if step.breathe is not None:
        return breathing_hold(step.breathe, values, phrases)
    if step.wait_for_key:
        return WaitForKey(HANDS_FREE_WAIT)
    if step.until_eased is not None:
        eased = step.until_eased
        own = said.CHECK_IN_HANDS_FREE if hands_free else said.CHECK_IN
        check_in = _own(eased.check_in, values, own, phrases)
        return HoldUntilEased(eased.max_seconds, eased.every, *check_in)
    return None


def hold_cues(seconds: float, cues: Cues, phrases: PhraseBook = ENGLISH) -> tuple[Cue, ...]:
    """Count, halfway and countdown marks inside a hold, most important first on a clash."""
    ranked: list[Cue] = []
    if cues.countdown:
        ranked += [
            _cue(seconds - n, phrases.line(said.COUNTDOWN, number=str(n)))
            for n in range(cues.countdown, 0, -1)
        ]
    if cues.halfway:
        ranked.append(_cue(seconds / 2, phrases.line(said.HALFWAY)))
    if cues.count:
        elapsed = cues.count
        while elapsed < seconds:
            ranked.append(_cue(elapsed, phrases.line(said.COUNT, seconds=f"{elapsed:g}")))
            elapsed += cues.count
    kept: list[Cue] = []
    for cue in ranked:
        inside = cue.at > 0 and seconds - cue.at >= MIN_CUE_GAP
        if inside and all(abs(cue.at - other.at) >= MIN_CUE_GAP for other in kept):
            kept.append(cue)
    return tuple(sorted(kept, key=lambda cue: cue.at))


def breathing_hold(
    breathing: Breathing, values: dict[str, str] | None = None, phrases: PhraseBook = ENGLISH
) -> Hold:
    words_in, words_hold, words_out = (
        _own(words, values or {}, phrase, phrases)
        for words, phrase in (
            (breathing.words_in, said.BREATHE_IN),
            (breathing.words_hold, said.BREATHE_HOLD),
            (breathing.words_out, said.BREATHE_OUT),
        )
    )
    cycle = breathing.breathe_in + breathing.hold + breathing.breathe_out
    cues: list[Cue] = []
    for n in range(breathing.times):
        start = n * cycle
        cues.append(_cue(start, words_in))
        if breathing.hold:
            cues.append(_cue(start + breathing.breathe_in, words_hold))
        cues.append(_cue(start + breathing.breathe_in + breathing.hold, words_out))
    return Hold(cycle * breathing.times, tuple(cues), kind="breathe")


# What a timed action is called on screen: its title when it has none, and its state.
HOLD_NAMES = {"hold": said.HOLD_FOR, "rest": said.REST_FOR, "breathe": said.BREATHE_FOR}


def hold_status(hold: Hold, phrases: PhraseBook = ENGLISH) -> str:
    """`Hold 30 s`, `Rest 10 s`, `Breathe 72 s`, in the routine's language."""
    return phrases.text(HOLD_NAMES.get(hold.kind, said.HOLD_FOR), seconds=f"{hold.seconds:g}")


def _title_for(step: Step, actions: list[Action], phrases: PhraseBook) -> str:
    if step.say:
        text = next(a.text for a in actions if isinstance(a, Say))
        return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rstrip() + "…"
    timed = actions[-1] if actions else None
    if isinstance(timed, Hold):
        return hold_status(timed, phrases)
    if isinstance(timed, HoldUntilEased):
        return phrases.text(said.UNTIL_EASED_TITLE)
    return phrases.text(said.WAIT_TITLE)


# How long a sentence takes to say: its text, and its language when it is not the routine's
# (an English phrase said by an English voice takes that voice's time).
SpeechSeconds = Callable[[str, str | None], float]


@dataclass
class _Layout:
    """Walks a plan the way the player does, with speech lengths from `speech_seconds`."""

    speech_seconds: SpeechSeconds
    now: float = 0.0
    entries: list[Entry] | None = None

    def speak(self, kind: str, text: str, language: str | None, step: int, at: float) -> float:
        """Say `text` no earlier than `at` and not over anything still being said."""
        start = max(at, self.now)
        length = self.speech_seconds(text, language)
        assert self.entries is not None
        entry = Entry(start, length, kind, step, text, language)  # type: ignore[arg-type]
        self.entries.append(entry)
        self.now = start + length
        return self.now


def timeline(plan: Plan, speech_seconds: SpeechSeconds) -> list[Entry]:
    """Every spoken line, chime, hold and wait with its offset from the start, in order."""
    layout = _Layout(speech_seconds, entries=[])
    entries = layout.entries
    assert entries is not None
    for step in plan.steps:
        for action in step.actions:
            if isinstance(action, Chime):
                entries.append(Entry(layout.now, CHIME_SECONDS, "chime", step.number))
                layout.now += CHIME_SECONDS
            elif isinstance(action, Say):
                layout.speak("say", action.text, action.language, step.number, layout.now)
            elif isinstance(action, Hold):
                anchor = layout.now
                entries.append(Entry(anchor, action.seconds, "hold", step.number, action.kind))
                for cue in action.cues:
                    due = anchor + cue.at
                    if cue.at < action.seconds and layout.now - due > STALE_CUE_SECONDS:
                        continue  # as the player: a cue run over by longer speech is dropped
                    layout.speak("cue", cue.text, cue.language, step.number, due)
                layout.now = max(layout.now, anchor + action.seconds)
            elif isinstance(action, WaitForKey):
                entries.append(Entry(layout.now, action.hands_free_seconds, "wait", step.number))
                layout.now += action.hands_free_seconds
            elif isinstance(action, HoldUntilEased):
                anchor = layout.now
                entries.append(
                    Entry(anchor, action.max_seconds, "until-eased", step.number, "until it eases")
                )
                for at in check_in_times(action):
                    layout.speak("cue", action.check_in, action.language, step.number, anchor + at)
                layout.now = max(layout.now, anchor + action.max_seconds)
    return entries


def check_in_times(action: HoldUntilEased) -> list[float]:
    times = []
    at = action.every
    while at < action.max_seconds - MIN_CUE_GAP / 2:
        times.append(at)
        at += action.every
    return times


def total_seconds(entries: list[Entry]) -> float:
    return max((e.offset + e.duration for e in entries), default=0.0)
