"""Which catalog speaks nightvoice's own words for a routine, and the user's catalogs.

A routine's language (its voice's, when it names a voice) picks the catalog: `de-at` looks for
`de-at` first, then `de`. The user's catalogs (`LANG.po` in the languages folder beside their
routines, written by `nightvoice translate LANG`) win over the ones shipped in the package,
phrase by phrase; a phrase none of them translates is said in English by an English voice
(core/phrases.py). A catalog with problems never stops the voice: its good entries are used,
and playing warns in one line.

An English routine with no catalog of the user's costs one look at the folder: nothing is read
or imported for it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nightvoice.base import paths, reading
from nightvoice.core.errors import NightvoiceError, Problem, shown
from nightvoice.core.phrases import (
    ENGLISH,
    PHRASES,
    SOURCE_LANGUAGE,
    Phrase,
    PhraseBook,
    speaks_english,
)
from nightvoice.core.plan import Settings

if TYPE_CHECKING:  # the PO reader is loaded only when there is a catalog to read
    from nightvoice.core.po import Catalog

SUFFIX = ".po"
TEMPLATE = "nightvoice.pot"
_TAG = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,8})*")
_books: dict[str, PhraseBook] = {}  # quiet look-ups: `list` asks for hundreds of routines


class LanguageError(NightvoiceError):
    exit_code = 2


def shipped_dir() -> Path:
    """The catalogs that come with nightvoice (reviewed by a native speaker; see
    docs/languages.md) and the template."""
    return Path(__file__).resolve().parent.parent / "languages"


def normalised(language: str) -> str:
    """`de_AT`, `DE-at` -> `de-at`, the form routines and file names use; LanguageError for
    anything that is not a language tag (it becomes a file name)."""
    tag = language.strip().lower().replace("_", "-")
    if not _TAG.fullmatch(tag):
        raise LanguageError(
            f"`{shown(language)}` is not a language code: write it as a routine's "
            "`language:` takes it, such as de, fr, pt-br (`nightvoice voices` lists them)"
            f"{_hint(language)}"
        )
    return tag


def _hint(language: str) -> str:
    """`; did you mean `de` (german)?` for a language typed by its name, if a voice has it."""
    try:
        from nightvoice.sound.engines import make_synthesizer

        return make_synthesizer().catalog().language_hint(language)
    except Exception:  # no engine to ask: no hint
        return ""


def speaking_language(settings: Settings) -> str:
    """The language the routine's voice speaks: its `voice:`'s when it names one (a natural
    voice's own, or an espeak-ng voice named by its language, `en-gb-scotland`), else its
    `language:`."""
    if settings.voice:
        from nightvoice.sound.naturalvoices import natural_voice

        natural = natural_voice(settings.voice)
        if natural is not None:
            return natural.language
        base = settings.voice.partition("+")[0].strip().lower().replace("_", "-")
        if _TAG.fullmatch(base):
            return base
    return settings.language.strip().lower().replace("_", "-")


def fallbacks(language: str) -> list[str]:
    """`de-at` -> [`de-at`, `de`]: the language, then ever more general forms of it."""
    parts = language.split("-")
    return ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _names(language: str) -> list[str]:
    """The file names a catalog for `language` may have: ours (`de-at.po`) and gettext's
    (`de_AT.po`, as Weblate and Poedit name them)."""
    from nightvoice.core.po import gettext_language

    return list(dict.fromkeys([language + SUFFIX, gettext_language(language) + SUFFIX]))


def catalog_files(language: str) -> list[Path]:
    """The catalogs that exist for `language`, the one that wins first: the user's, then the
    shipped ones, each from the most specific language to the most general."""
    found = []
    for folder in (paths.languages_dir(), shipped_dir()):
        for tag in fallbacks(language):
            for name in _names(tag):
                path = folder / name
                if path.is_file() and path not in found:
                    found.append(path)
    return found


def _any_user_catalog() -> bool:
    try:
        return any(name.endswith(SUFFIX) for name in os.listdir(paths.languages_dir()))
    except OSError:
        return False


def read(path: Path) -> Catalog:
    """A catalog file, checked; one that cannot be read is one problem, not an error."""
    from nightvoice.core.po import Catalog, read_catalog

    try:
        data = reading.read_input(path)
    except OSError as error:
        reason = error.strerror or str(error)
        return Catalog(str(path), problems=[Problem(str(path), 1, 1, f"cannot read it: {reason}")])
    return read_catalog(data, str(path))


@dataclass
class Found:
    """What a language's catalogs give: the phrase book, and which files said what."""

    book: PhraseBook
    language: str
    files: list[Path] = field(default_factory=list)
    problems: dict[Path, list[Problem]] = field(default_factory=dict)
    fuzzy: list[Phrase] = field(default_factory=list)


def find(settings: Settings) -> Found:
    """The phrase book for a routine played with `settings`, and where it came from."""
    language = speaking_language(settings)
    english = speaks_english(language)
    if english and not _any_user_catalog() and not shipped_english():
        return Found(ENGLISH, language)
    files = catalog_files(language)
    translations: dict[str, str] = {}
    found = Found(ENGLISH, language, files)
    for path in reversed(files):  # the winner last, so its translations stay
        catalog = read(path)
        translations.update(catalog.translations)
        if catalog.problems:
            found.problems[path] = catalog.problems
        found.fuzzy += [p for p in catalog.fuzzy if p.key not in translations]
    found.book = PhraseBook(translations, language=language, voice_speaks_english=english)
    return found


def shipped_english() -> bool:
    """Whether an English catalog ships (none does: English is the source). Its one file
    name, `en.po`, is gettext's too: nothing imported for it (core/po.py, ~3 ms for `list`)."""
    return (shipped_dir() / f"{SOURCE_LANGUAGE}{SUFFIX}").is_file()


def phrase_book(settings: Settings, warn: Callable[[str], None] | None = None) -> PhraseBook:
    """The phrase book to play with; a catalog with problems is one warning line (its good
    entries are used, the rest said in English), never a stop."""
    if warn is None:
        language = speaking_language(settings)
        if language not in _books:
            _books[language] = find(settings).book
        return _books[language]
    found = find(settings)
    for path, problems in found.problems.items():
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        warn(
            f"warning: {problems[0]}{more}; those phrases are said in English "
            f"(`nightvoice check {path}` lists every problem)"
        )
    return found.book


# --- check ------------------------------------------------------------------------------------


def english_note(settings: Settings) -> str | None:
    """For `check`: which of nightvoice's own phrases a routine played with `settings` will
    say in English, and how to translate them; None when none will (or the voice is English)."""
    found = find(settings)
    if found.book.voice_speaks_english:
        return None
    language = shown(found.language)  # the routine's own text: shown as typed
    left = found.book.untranslated()
    if not left:
        return None
    if not found.files:
        return (
            f"note: there is no catalog for `{language}`, so what nightvoice says itself "
            f'(cues such as "Halfway." and "Release.", the counts, the spoken help, the '
            f'"did it help?" question) will be said in English by an English voice; '
            f"`nightvoice translate {fallbacks(language)[-1]}` writes a catalog to translate "
            "(`nightvoice help languages` explains)"
        )
    listed = ", ".join(f'"{_short(p.english)}"' for p in left[:6])
    more = f" and {len(left) - 6} more" if len(left) > 6 else ""
    where = found.files[0]
    return (
        f"note: {len(left)} of {len(PHRASES)} phrases have no `{language}` translation and "
        f"will be said in English by an English voice: {listed}{more}; translate them (their "
        f"`msgstr`) in {where}"
        + (f" (a copy of your own: `nightvoice translate {language}`)" if not _user(where) else "")
    )


def check_file(path: Path) -> tuple[list[str], list[str], str]:
    """`check CATALOG.po`: its problems (file:line:col), notes (what stays English), and a
    one-line summary when it has no problems."""
    catalog = read(path)
    problems = [str(problem) for problem in catalog.problems]
    notes = []
    book = PhraseBook(catalog.translations)
    left = [p for p in book.untranslated() if p not in catalog.fuzzy]
    if catalog.fuzzy:
        listed = ", ".join(f'"{_short(p.english)}"' for p in catalog.fuzzy)
        notes.append(
            f"{path}: note: marked fuzzy, so said in English until reviewed (remove "
            f"`#, fuzzy` above each once it is right): {listed}"
        )
    if left:
        listed = ", ".join(f'"{_short(p.english)}"' for p in left[:6])
        more = f" and {len(left) - 6} more" if len(left) > 6 else ""
        notes.append(
            f"{path}: note: {len(left)} of {len(PHRASES)} phrases are not translated and will "
            f"be said in English by an English voice: {listed}{more}; write each translation "
            'in the `msgstr ""` under it'
        )
    done = len(PHRASES) - len(left) - len(catalog.fuzzy)
    summary = f"{path}: ok ({done} of {len(PHRASES)} phrases translated)"
    return problems, notes, summary


def _user(path: Path) -> bool:
    return path.parent == paths.languages_dir()


def _short(text: str, limit: int = 40) -> str:
    text = shown(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def main() -> None:
    """`python -m nightvoice.user.languages`: the template, for nightvoice/languages/."""
    import sys

    from nightvoice.core.po import template

    intro = (
        "nightvoice: every phrase it says or shows while a routine plays (the template).\n"
        "Made from nightvoice/core/phrases.py by `python -m nightvoice.user.languages`;\n"
        "translate with `nightvoice translate LANG` (docs/languages.md)."
    )
    sys.stdout.write(template(None, intro))


if __name__ == "__main__":
    main()
