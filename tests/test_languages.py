"""nightvoice's own words: all of them from the phrase book, in the routine's language, and an
untranslated one said by an English voice, never read by the routine's voice."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from nightvoice.console.screen import NightScreen
from nightvoice.core import phrases as said
from nightvoice.core.loader import parse_routine
from nightvoice.core.phrases import PHRASES, PhraseBook
from nightvoice.core.plan import Hold, Plan, Settings
from nightvoice.core.planner import compile_plan
from nightvoice.core.player import Player, PlayerOptions, plan_after_question
from nightvoice.user import episodes
from tests.fakes import FakeVoice, FakeWorld, RecordingScreen

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "nightvoice" / "languages" / "nightvoice.pot"

# Every kind of step whose words nightvoice supplies itself; the routine's own texts are
# plain words with no «marks».
ROUTINE = b"""\
nightvoice: 1
title: All of it
language: de
chime: false
ask:
  name: side
  say: Welches Bein?
  choices: {l: links, r: rechts}
  default: links
  confirm: "{side}."
steps:
  - say: Halten.
    hold: 6
    cues: {halfway: true, countdown: 2, count: 2}
  - rest: 3
  - breathe: {in: 2, hold: 1, out: 2, times: 1}
  - say: Warte.
    wait_for_key: true
  - say: Dehnen.
    until_eased: {max: 20, every: 5}
  - until_eased: {max: 12, every: 5}
  - wait_for_key: true
  - hold: 2
"""


def pseudo() -> PhraseBook:
    """Every phrase translated as its number in «» and its English (placeholders kept); the
    answer keys J and K."""
    translations = {p.key: f"«{n}» {p.english}" for n, p in enumerate(PHRASES) if p.kind != "key"}
    translations[said.YES_KEY.key] = "J"
    translations[said.NO_KEY.key] = "K"
    return PhraseBook(translations, language="de", voice_speaks_english=False)


def routine_text(text: str) -> bool:
    return "«" not in text


def phrases_in(texts: list[str]) -> set[str]:
    found = {PHRASES[int(n)].english for text in texts for n in re.findall(r"«(\d+)»", text)}
    if any("Press J for yes or K for no" in text for text in texts):
        found |= {"Y", "N"}  # the keys, as the question names them
    return found


def test_the_template_in_the_repository_is_the_phrase_book() -> None:
    """A phrase added or changed without the template fails here."""
    made = subprocess.run(
        [sys.executable, "-m", "nightvoice.user.languages"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert TEMPLATE.read_text(encoding="utf-8") == made, (
        "nightvoice/languages/nightvoice.pot is out of date: run "
        "`python -m nightvoice.user.languages > nightvoice/languages/nightvoice.pot`"
    )
    for phrase in PHRASES:
        assert phrase.where, phrase  # a translator is told where each is heard or shown


def test_every_word_nightvoice_says_or_shows_itself_comes_from_the_catalog() -> None:
    """Played with keys, hands-free and in step mode, with the help, every feedback word,
    a pause and the reminder: each thing said or shown is the routine's or a catalog's."""
    routine = parse_routine(ROUTINE, "all.yaml")
    book = pseudo()
    heard: list[str] = []
    shown: list[str] = []
    for interactive, step_mode in ((True, False), (False, False), (True, True)):
        world = FakeWorld()
        voice = FakeVoice(world)
        screen = RecordingScreen(clock=world)
        options = PlayerOptions(interactive=interactive, step_mode=step_mode)
        player = Player(
            clock=world,
            inbox=world,
            voice=voice,
            screen=screen,
            rate=130,
            volume=0.6,
            options=options,
            phrases=book,
        )
        if interactive:
            # An answer, a pause mid-sentence, the help in a hold, every feedback word, and
            # a key for every wait, each a while after the other (the reminder comes first).
            # (In step mode the question is left to time out: "No key pressed.")
            keys = [(0.3, "l")] if not step_mode else []
            keys += [(1.0, "space"), (1.5, "space"), (4.0, "h")]
            keys += [(30.0, "9"), (30.5, "0"), (31.0, "["), (31.5, "]")]
            keys += [(60.0 * n, "enter") for n in range(2, 40)]
            for at, key in keys:
                world.press(at, key)
        plan = plan_after_question(player, routine, Settings(language="de"))
        assert plan is not None
        player.play(plan)
        if interactive:
            player.ask(episodes.question(book), answer_alone=True)
        heard += [h.text for h in voice.log if h.what == "say"]
        shown += screen.statuses + [step[2] for step in screen.steps]
    theirs = {text for text in heard + shown if routine_text(text)}
    assert theirs <= {"Welches Bein?", "Links.", "Halten.", "Warte.", "Dehnen."}, theirs
    # Every phrase but what this routine cannot give: left and right (it asks the side), what
    # only a recording says, and the seconds left (drawn by the screen: the test below).
    unused = {p.english for p in PHRASES} - phrases_in(heard + shown)
    assert unused == {"left", "right", "Take your time.", "{seconds} s left"}


def test_the_screen_counts_down_in_the_routines_language(tmp_path: Path) -> None:
    book = PhraseBook({said.SECONDS_LEFT.key: "noch {seconds} s"})
    with (tmp_path / "screen").open("w") as stream:
        screen = NightScreen(stream, book)
        screen.show_step(1, 2, "Halten", "")
        screen.show_time_left(12)
        assert screen.line(80).endswith("· noch 12 s")
        screen.close()


def german(*translated: said.Phrase) -> PhraseBook:
    words = {said.HALFWAY: "Halbzeit.", said.NO_KEY_PRESSED: "Keine Taste gedrückt."}
    return PhraseBook(
        {p.key: words[p] for p in translated}, language="de", voice_speaks_english=False
    )


HOLD = b"""\
nightvoice: 1
title: Wade
language: de
steps:
  - say: Ziehe die Zehen an.
    hold: 10
    cues: {halfway: true}
"""


def test_an_untranslated_phrase_is_said_in_english_by_an_english_voice() -> None:
    plan = compile_plan(parse_routine(HOLD, "wade.yaml"), Settings(language="de"), phrases=german())
    world = FakeWorld()
    voice = FakeVoice(world)
    Player(
        clock=world, inbox=world, voice=voice, screen=RecordingScreen(), rate=130, volume=0.6
    ).play(plan)
    said_in = [(h.text, h.language) for h in voice.log if h.what == "say"]
    # The routine's sentence in its own voice; nightvoice's cues in English, asked of the
    # engine as English, so never read by the German voice.
    assert said_in == [("Ziehe die Zehen an.", None), ("Halfway.", "en"), ("Release.", "en")]


def test_a_translated_phrase_is_said_by_the_routines_own_voice() -> None:
    plan = compile_plan(
        parse_routine(HOLD, "wade.yaml"), Settings(language="de"), phrases=german(said.HALFWAY)
    )
    cues = hold_of(plan).cues
    assert [(cue.text, cue.language) for cue in cues] == [("Halbzeit.", None), ("Release.", "en")]


def hold_of(plan: Plan) -> Hold:
    return next(action for action in plan.steps[0].actions if isinstance(action, Hold))


def test_in_an_english_routine_every_phrase_is_said_by_its_own_voice() -> None:
    english = HOLD.replace(b"language: de", b"language: en-gb")
    plan = compile_plan(parse_routine(english, "calf.yaml"), Settings(language="en-gb"))
    cues = hold_of(plan).cues
    assert [(cue.text, cue.language) for cue in cues] == [("Halfway.", None), ("Release.", None)]


QUESTION = b"""\
nightvoice: 1
title: Seite
language: de
ask: {name: side, say: Welches Bein?, choices: {l: links, r: rechts}, default: links, confirm: "{side} Bein."}
steps:
  - Gut.
"""


@pytest.mark.parametrize(
    ("book", "expected"),
    [
        # Untranslated: two sentences, each in its own voice; never one mixed sentence.
        (german(), [("No key pressed.", "en"), ("Links Bein.", None)]),
        # Translated: one sentence in the routine's voice, as in English.
        (german(said.NO_KEY_PRESSED), [("Keine Taste gedrückt. Links Bein.", None)]),
    ],
)
def test_no_key_pressed_is_never_one_sentence_in_two_languages(
    book: PhraseBook, expected: list[tuple[str, str | None]]
) -> None:
    world = FakeWorld()
    voice = FakeVoice(world)
    player = Player(
        clock=world,
        inbox=world,
        voice=voice,
        screen=RecordingScreen(),
        rate=130,
        volume=0.6,
        phrases=book,
    )
    routine = parse_routine(QUESTION, "seite.yaml")
    assert routine.ask is not None
    assert player.ask(routine.ask) == "links"  # no key: the default, after the timeout
    assert [(h.text, h.language) for h in voice.log if h.what == "say"][1:] == expected


def test_the_answer_keys_belong_to_the_language() -> None:
    """A German catalog's J and N answer "did it help?", the question names them, and Y
    (no longer an answer) does nothing."""
    book = PhraseBook(
        {
            said.YES_KEY.key: "J",
            said.DID_IT_HELP.key: "Hat es geholfen? Drücke {yes_key} für ja oder {no_key} für nein.",
        },
        language="de",
        voice_speaks_english=False,
    )
    question = episodes.question(book)
    assert question.say == "Hat es geholfen? Drücke J für ja oder N für nein."
    assert question.choices == {"j": "yes", "n": "no"}
    assert question.language is None  # translated: the German voice asks it
    for key, answer in (("j", "yes"), ("y", "unanswered"), ("n", "no")):
        world = FakeWorld()
        voice = FakeVoice(world)
        player = Player(
            clock=world, inbox=world, voice=voice, screen=RecordingScreen(), rate=130, volume=0.6
        )
        world.press(3.0, key)
        assert (player.ask(question, answer_alone=True) or "unanswered") == answer, key
    english = episodes.question(PhraseBook(language="de", voice_speaks_english=False))
    assert english.say == "Did it help? Press Y for yes or N for no."
    assert english.language == "en"  # untranslated: an English voice asks it
