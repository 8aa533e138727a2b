"""Starter files in the user's folders, never overwriting (`place`): `nightvoice new NAME` (a
commented routine) and `nightvoice translate LANG` (a catalog of nightvoice's own words).

The starter is valid as written and shows every kind of step, so it can be played at once and
then edited into the user's own routine.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from nightvoice.base import paths, reading, writing
from nightvoice.core.errors import NightvoiceError, RoutineNotFound
from nightvoice.user import catalog

TEMPLATE = """\
# __TITLE__: your own nightvoice routine.
#
# Play it:   nightvoice play __NAME__
# Check it:  nightvoice check __PATH__
# Read it:   nightvoice show __NAME__
# The format (every key, its limits, how timing works): run `nightvoice help format`.
# Lines starting with # are comments. Indent with two spaces.
nightvoice: 1                 # the format version: always 1
title: __TITLE__
description: A starter routine. Change the words and the timings to your own.
safety: Stretch to a gentle pull, never to pain. This is not medical advice.

# How it sounds (the config file and flags can override these).
language: en                  # an espeak-ng language: en, en-gb, de, fr, ...
rate: 130                     # words a minute, 80-300; 120-135 is calm
volume: 0.6                   # 0 to 1
chime: true                   # a soft chime at each step change
log_episode: false            # true: at the end ask "did it help?" and log the episode

# One question before the first step, answered by one key; the answer fills {side}.
ask:
  name: side
  say: Which leg? Press L for left, or R for right.
  choices: {l: left, r: right}
  default: left               # used when no key comes in time (or hands-free)
  timeout: 6                  # seconds

steps:
  # A plain line of text is a sentence to say.
  - Hello. Let's begin, slowly.

  # say + pause: silence after the sentence, in seconds.
  - say: Sit up, and stretch both legs out in front of you.
    pause: 3

  # wait_for_key: waits for Enter (hands-free it is a 5 second pause).
  - title: Ready?
    say: Press Enter when you are ready.
    wait_for_key: true

  # section: a named group of steps; its say is spoken when it starts.
  - section: Stretch
    say: First, a stretch for the {side} leg.
    steps:
      # repeat: the steps N times; {round} and {rounds} count them.
      - repeat: 2
        steps:
          # hold with cues: timed from the end of the sentence; cues land on schedule.
          - title: Stretch {round} of {rounds}
            say: Pull the toes of your {side} foot toward your knee, and hold.
            hold: 20
            cues:
              count: 0                # say the elapsed seconds every N seconds (0 = off)
              halfway: true           # "Halfway."
              countdown: 3            # "3. 2. 1." at the end
              release: Ease off.      # said when the time is up
          # rest: a timed rest (says nothing at the end unless cues.release is set).
          - say: Let the foot relax.
            rest: 8

      # until_eased: keep holding with check-ins until Enter, or until max seconds.
      - say: If it still feels tight, pull the toes back again and keep holding.
        until_eased:
          max: 30
          every: 10
          check_in: Keep holding, gently. Press Enter when it eases.

  # each_side: the steps for {side}, then again for {other_side}.
  - section: Both legs
    steps:
      - each_side: true
        steps:
          - say: Rub your {side} calf gently, in slow circles.
            rest: 10
            cues: {release: "Good."}   # inside {...}, texts go in quotes

  # breathe: counted breathing; one breath is in + hold + out seconds.
  - section: Breathing
    steps:
      - say: Now breathe slowly with me.
        breathe: {in: 4, hold: 2, out: 6, times: 3}

  - say: Well done. Sleep well.
    chime: false              # no chime on this last step
"""


@dataclass(frozen=True)
class Created:
    path: Path
    backup: Path | None = None  # the previous file, kept when --force replaced it


class AlreadyExists(NightvoiceError):
    exit_code = 1


class ShadowsBuiltin(NightvoiceError):
    exit_code = 2


def starter_text(name: str, path: Path) -> str:
    title = name.replace("-", " ").replace("_", " ").strip().capitalize() or name
    return (
        TEMPLATE.replace("__TITLE__", title)
        .replace("__NAME__", name)
        .replace("__PATH__", str(path))
    )


def shadow_text(name: str, builtin: Path) -> str:
    """A copy of the built-in, with a header saying it now replaces it."""
    header = (
        f"# Your own version of the built-in `{name}` routine: while this file exists,\n"
        f"# `nightvoice play {name}` plays it instead. Delete it to get the built-in back.\n"
    )
    return header + builtin.read_text(encoding="utf-8")


def create(name: str, *, force: bool = False, shadow: bool = False) -> Created:
    """Write the starter for `name` into the user's routines folder.

    Never replaces an existing file unless `force`, and then the old one is kept as
    NAME.yaml.bak-TIMESTAMP first. A name that is also a built-in's needs `shadow`; the new
    file then starts as a copy of that built-in.
    """
    folder = paths.routines_dir()
    if "/" in name or os.sep in name:
        stem = Path(name).name.removesuffix(".yaml").removesuffix(".yml") or "my-routine"
        raise RoutineNotFound(
            f"`nightvoice new` takes a NAME, not a path: `nightvoice new {stem}` writes "
            f"{folder / (stem + '.yaml')}, in your routines folder, where `nightvoice play "
            f"{stem}` finds it (to start a file elsewhere, copy that one)"
        )
    name = catalog.check_name(name.removesuffix(".yaml").removesuffix(".yml"))
    path = folder / f"{name}.yaml"
    builtin = catalog.builtin_dir() / f"{name}.yaml"
    if builtin.is_file() and not shadow:
        raise ShadowsBuiltin(
            f"`{name}` is a built-in routine; a file of that name would replace it "
            f"everywhere (even `nightvoice` at night). Pick another name, or pass --shadow "
            f"to start your own version from a copy of the built-in."
        )
    text = shadow_text(name, builtin) if builtin.is_file() else starter_text(name, path)
    others = [folder / f"{name}{suffix}" for suffix in catalog.SUFFIXES]
    return place(path, text.encode("utf-8"), force=force, also=others)


def place(path: Path, data: bytes, *, force: bool, also: list[Path] | None = None) -> Created:
    """Write a new file of the user's at `path`, never over one that exists: with `force` the
    old one is kept as PATH.bak-TIMESTAMP first. `also`: other names that would be taken for
    the same thing (NAME.yml beside NAME.yaml); one of them existing counts as `path`."""
    existing = [p for p in dict.fromkeys([path, *(also or [])]) if p.exists()]
    if existing and not force:
        raise AlreadyExists(
            f"{existing[0]} already exists; nothing was changed. Edit it, pick another name, "
            "or pass --force to replace it (the old file is kept as a backup)."
        )
    if not existing:
        try:
            writing.create_exclusively(path, data)
        except FileExistsError:  # appeared since we looked
            raise AlreadyExists(f"{path} already exists; nothing was changed.") from None
        return Created(path)
    backup = _backup(existing[0])
    if existing[0] != path:
        os.replace(existing[0], backup)  # a NAME.yml would still win over NAME.yaml otherwise
    writing.write_atomically(path, data)
    return Created(path, backup)


def _backup(path: Path) -> Path:
    """Copy `path` to PATH.bak-TIMESTAMP (a new name every time), keeping its bytes exactly."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    data = reading.read_input(path)
    for attempt in range(100):
        suffix = f".bak-{stamp}" + (f"-{attempt}" if attempt else "")
        backup = path.with_name(path.name + suffix)
        try:
            writing.create_exclusively(backup, data)
        except FileExistsError:
            continue
        return backup
    raise NightvoiceError(f"could not find a free backup name next to {path}")


TRANSLATE_INTRO = """\
nightvoice's own words in `{language}`: what it says and shows while a routine plays.
Translate each `msgstr` (the English above it is its `msgid`); Poedit and Weblate open this
file as it is. A phrase left empty is said in English, by an English voice.
Keep every {{placeholder}} as it is (nightvoice fills it in); the answer keys are one letter.
Check it:  nightvoice check {path}
The guide: nightvoice help languages"""


def translate(language: str, *, force: bool = False) -> tuple[Created, str | None]:
    """Write a starter catalog for `language` into the user's languages folder (every phrase
    with where it is heard and an empty translation), as `new` writes a routine; and a note
    when no engine could be asked whether a voice speaks the language."""
    from nightvoice.core.errors import ConfigError
    from nightvoice.core.po import gettext_language, template
    from nightvoice.user.config import check_with_engine
    from nightvoice.user.languages import SUFFIX, fallbacks, normalised

    tag = normalised(language)
    # A language no voice speaks is refused; a region of one that is spoken (de-at) is not.
    refused: ConfigError | None = None
    for candidate in fallbacks(tag):
        try:
            _, note = check_with_engine("language", candidate)
            break
        except ConfigError as error:
            refused = refused or error
    else:
        assert refused is not None
        raise refused
    folder = paths.languages_dir()
    path = folder / (tag + SUFFIX)
    text = template(tag, TRANSLATE_INTRO.format(language=tag, path=path))
    also = [folder / (gettext_language(tag) + SUFFIX)]  # the same catalog by gettext's name
    return place(path, text.encode("utf-8"), force=force, also=also), note
