"""Everything nightvoice itself says or shows while a routine plays, and its lookup by language.

English is the source: each `Phrase` here is one entry of the gettext template
(`nightvoice/languages/nightvoice.pot`, held to this list by a test), with a comment for
translators saying where it is heard or shown. A `PhraseBook` is one language's translations
(read from a `.po` catalog at the edge, in user/languages.py); a phrase it lacks stays English.

A routine's own texts are never looked up: they are said as written. Only what nightvoice adds
(cues, counts, the spoken help, its questions and their answer keys, the status line) is here.
Said aloud, a phrase comes as a `Line`: its text and the language it is in, so an English
phrase in a German routine is said by an English voice, never by the German one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, NamedTuple

from nightvoice.core.plan import Line
from nightvoice.core.template import fields, fill

SOURCE_LANGUAGE = "en"
Kind = Literal["said", "shown", "key"]


class Phrase(NamedTuple):  # not a dataclass: ~0.6 ms less on a night's start without a record
    english: str  # the source text (the catalog's msgid), `{placeholders}` in braces
    where: str  # for translators: where it is heard or shown
    kind: Kind = "said"  # heard, only shown on screen, or a key to press
    context: str = ""  # the catalog's msgctxt, for text that is not a sentence (a key)

    @property
    def key(self) -> str:
        """How gettext tells entries apart: the context and the source, joined by EOT."""
        return f"{self.context}\x04{self.english}" if self.context else self.english

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(fields(self.english))


def _said(english: str, where: str) -> Phrase:
    return Phrase(english, where, "said")


def _shown(english: str, where: str) -> Phrase:
    return Phrase(english, where, "shown")


# Cues inside a hold, and the words of counted breathing.
HALFWAY = _said("Halfway.", "Said in the middle of a hold with `cues: {halfway: true}`.")
COUNTDOWN = _said(
    "{number}.",
    "Said for each of a hold's last seconds with `cues: {countdown: 3}`: 3. 2. 1. "
    "Keep it a number said on its own (a cardinal, not an ordinal).",
)
COUNT = _said(
    "{seconds}.",
    "Said every few seconds of a hold with `cues: {count: 10}`: the seconds held so far (10. 20.).",
)
RELEASE = _said(
    "Release.", "Said when a hold's time is up, unless the routine gives its own `release`."
)
BREATHE_IN = _said("Breathe in.", "Counted breathing (`breathe`): said as each breath in starts.")
BREATHE_HOLD = _said("Hold.", "Counted breathing (`breathe`): said as the breath is held.")
BREATHE_OUT = _said("And out.", "Counted breathing (`breathe`): said as each breath out starts.")
CHECK_IN = _said(
    "Keep holding. Press Enter when it eases.",
    "Said every few seconds while a stretch is held until it eases (`until_eased`), unless "
    "the routine gives its own `check_in`.",
)
CHECK_IN_HANDS_FREE = _said(
    "Keep holding.",
    "Said instead of the check-in above where no key can be pressed (hands-free, and in an "
    "exported recording): the hold ends by itself.",
)
# The keys.
READY = _said(
    "Press Enter when you are ready.",
    "Said after 45 seconds of silence while nightvoice waits for a key.",
)
HELP = _said(
    "Space pauses and goes on. Enter, or the right arrow, goes to the next step. "
    "The left arrow goes back. R repeats the step. "
    "Nine is quieter, zero is louder. The square brackets make me slower or faster. "
    "Q stops.",
    "The keys, said aloud when h or ? is pressed. The keys themselves do not change.",
)
SLOWER = _said("Slower.", "Said when [ makes the voice slower.")
FASTER = _said("Faster.", "Said when ] makes the voice faster.")
QUIETER = _said("Quieter.", "Said when 9 makes the voice quieter.")
LOUDER = _said("Louder.", "Said when 0 makes the voice louder.")
# The questions.
NO_KEY_PRESSED = _said(
    "No key pressed.",
    "Said before the start question's answer when no key came in time and the default was "
    'taken, e.g. "No key pressed. Left leg." (the answer is the routine\'s own text).',
)
DID_IT_HELP = _said(
    "Did it help? Press {yes_key} for yes or {no_key} for no.",
    "Asked (and shown) at the end of a relief routine, for the episode log. {yes_key} and "
    "{no_key} are the two answer keys below, as capitals.",
)
YES_KEY = Phrase(
    "Y",
    "The key that answers yes to the question above: one letter or digit, not Q (Q quits), "
    "different from the key for no.",
    "key",
    context="answer key for yes",
)
NO_KEY = Phrase(
    "N",
    "The key that answers no to the question above: one letter or digit, not Q (Q quits), "
    "different from the key for yes.",
    "key",
    context="answer key for no",
)
LEFT = Phrase(
    "left",
    "Fills {side} in a routine that uses it without asking which leg; said inside the "
    "routine's own sentences.",
    context="side",
)
RIGHT = Phrase("right", "The other side, filling {side} or {other_side} as above.", context="side")
# Only in an exported recording (nobody can press a key there).
TAKE_YOUR_TIME = _said(
    "Take your time.", "Said in an exported recording where the routine waits for a key."
)
# The screen: the state beside the step's title, and the titles nightvoice makes.
PRESS_ENTER = _shown("Press Enter to go on", "Shown while a step waits for a key.")
NEXT_STEP = _shown(
    "Press Enter for the next step", "Shown after each step in step mode (`--step`)."
)
UNTIL_EASED = _shown(
    "Holding: press Enter when it eases",
    "Shown while a stretch is held until it eases (`until_eased`).",
)
PAUSED = _shown("Paused: press Space to go on", "Shown while paused.")
GOING_ON = _shown("Going on", "Shown when a pause ends.")
HOLD_FOR = _shown(
    "Hold {seconds} s", "Shown during a hold, and the title of a hold with no title of its own."
)
REST_FOR = _shown(
    "Rest {seconds} s", "Shown during a rest, and the title of a rest with no title of its own."
)
BREATHE_FOR = _shown(
    "Breathe {seconds} s", "Shown during counted breathing, and its title when it has none."
)
UNTIL_EASED_TITLE = _shown(
    "Hold until it eases", "The title of an `until_eased` step with no title of its own."
)
WAIT_TITLE = _shown(
    "Press a key to go on", "The title of a step that only waits for a key, with no title."
)
SECONDS_LEFT = _shown("{seconds} s left", "Shown beside the state: the seconds left in a hold.")

PHRASES: tuple[Phrase, ...] = (
    HALFWAY,
    COUNTDOWN,
    COUNT,
    RELEASE,
    BREATHE_IN,
    BREATHE_HOLD,
    BREATHE_OUT,
    CHECK_IN,
    CHECK_IN_HANDS_FREE,
    READY,
    HELP,
    SLOWER,
    FASTER,
    QUIETER,
    LOUDER,
    NO_KEY_PRESSED,
    DID_IT_HELP,
    YES_KEY,
    NO_KEY,
    LEFT,
    RIGHT,
    TAKE_YOUR_TIME,
    PRESS_ENTER,
    NEXT_STEP,
    UNTIL_EASED,
    PAUSED,
    GOING_ON,
    HOLD_FOR,
    REST_FOR,
    BREATHE_FOR,
    UNTIL_EASED_TITLE,
    WAIT_TITLE,
    SECONDS_LEFT,
)
BY_KEY: dict[str, Phrase] = {phrase.key: phrase for phrase in PHRASES}
ANSWER_KEYS = (YES_KEY, NO_KEY)
# Keys an answer may not be: they already mean something while a question is asked.
TAKEN_KEYS = {"q": "Q quits"}


def speaks_english(language: str) -> bool:
    """Whether a voice for `language` (`en`, `en-gb`, `en-gb-scotland`) speaks English."""
    return language.lower().replace("_", "-").split("-")[0] == SOURCE_LANGUAGE


class PhraseBook:
    """nightvoice's own words in one language: translations where the catalog has them,
    English elsewhere.

    `voice_speaks_english`: the routine's own voice speaks English, so an untranslated
    phrase is said by it; otherwise an untranslated phrase is said in English by an English
    voice (its Line says so), never by the routine's voice.
    """

    def __init__(
        self,
        translations: Mapping[str, str] | None = None,
        *,
        language: str = SOURCE_LANGUAGE,
        voice_speaks_english: bool = True,
    ) -> None:
        self.language = language
        self.voice_speaks_english = voice_speaks_english
        self._translations = dict(translations or {})

    def translated(self, phrase: Phrase) -> bool:
        return phrase.key in self._translations

    def untranslated(self) -> list[Phrase]:
        """The phrases that stay English, in the catalog's order."""
        return [phrase for phrase in PHRASES if not self.translated(phrase)]

    def text(self, phrase: Phrase, **values: str) -> str:
        """The phrase as shown: its translation (or English), placeholders filled."""
        return fill(self._translations.get(phrase.key, phrase.english), values)

    def line(self, phrase: Phrase, **values: str) -> Line:
        """The phrase as said: its text and the language to say it in (None: the routine's
        own voice; `en` for an English phrase a voice of another language must not read)."""
        english = not self.translated(phrase) and not self.voice_speaks_english
        return Line(self.text(phrase, **values), SOURCE_LANGUAGE if english else None)

    def key(self, phrase: Phrase) -> str:
        """An answer key as pressed: one character, lower case."""
        return self.text(phrase).lower()

    def sides(self) -> tuple[str, str]:
        """What {side} and {other_side} are when no question gave the sides."""
        return self.text(LEFT), self.text(RIGHT)


ENGLISH = PhraseBook()
