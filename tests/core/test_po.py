"""Catalogs in gettext's PO form: what a translator writes is read exactly, and every mistake
is located (file:line:column), all at once, with how to fix it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nightvoice.core import phrases as said
from nightvoice.core.po import quoted, read_catalog, template

DATA = Path(__file__).resolve().parents[1] / "data" / "languages"
HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'


def read(text: str | bytes) -> tuple[dict[str, str], list[str]]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    catalog = read_catalog(data, "de.po")
    return catalog.translations, [str(p) for p in catalog.problems]


def test_a_catalog_as_the_tools_write_it_is_read_exactly() -> None:
    translations, problems = read(
        "\ufeff# translator's comment\n"
        + HEADER
        + "#. where it is heard\n"
        + "#: nightvoice/core/phrases.py:42\n"
        + 'msgid "Halfway."\nmsgstr "Halb\\"zeit\\" \\\\ geschafft."\n\n'
        + "#, python-brace-format\n"
        + 'msgid "{number}."\nmsgstr ""\n"{number}"\n\n'  # a string over two lines
        + 'msgctxt "answer key for yes"\nmsgid "Y"\nmsgstr "J"\n\n'
        + '#, fuzzy\nmsgid "Release."\nmsgstr "Los."\n\n'  # fuzzy: not used yet
        + '#~ msgid "Gone."\n#~ msgstr "Weg."\n\n'  # obsolete: skipped
        + '  msgid "Hold."\n  msgstr "Halte."\n'  # indented, as some tools write
    )
    assert problems == []
    assert translations == {
        said.HALFWAY.key: 'Halb"zeit" \\ geschafft.',
        said.COUNTDOWN.key: "{number}",
        said.YES_KEY.key: "J",
        said.BREATHE_HOLD.key: "Halte.",
    }


def test_text_with_the_formats_special_characters_reads_back_as_written() -> None:
    """Escaped for PO when written: quotes, backslashes, line breaks, tabs, a lone brace."""
    tricky = 'Sag "Hallo" \\ neu\nzeile\tund {{ nachlässt }}.'
    translations, problems = read(HEADER + f'msgid "Halfway."\nmsgstr {quoted(tricky)}\n')
    assert problems == []
    assert translations[said.HALFWAY.key] == tricky


BROKEN = (
    HEADER  # lines 1-4
    + 'msgid "{number}."\nmsgstr "{nummer}"\n\n'  # 5-7: a misspelt placeholder
    + 'msgid "Did it help? Press {yes_key} for yes or {no_key} for no."\n'
    + 'msgstr "Hat es geholfen? Drücke {yes_key} für ja."\n\n'  # 8-10: {no_key} left out
    + 'msgctxt "answer key for yes"\nmsgid "Y"\nmsgstr "Ja"\n\n'  # 11-14: not one key
    + 'msgctxt "answer key for no"\nmsgid "N"\nmsgstr "q"\n\n'  # 15-18: Q quits
    + 'msgid "Drücke Enter, wenn es nachlässt."\nmsgstr "x"\n\n'  # 19-21: not a phrase
    + 'msgid "Halfway."\nmsgstr "Halbzeit.\n\n'  # 22-24: the quote not closed
    + 'msgid "Release."\nmsgstr "Los\\q."\n\n'  # 25-27: no such escape
    + 'mgsstr "Loslassen."\n\n'  # 28-29: a misspelt keyword
    + 'msgid "Hold."\nmsgstr "Halte\x1b[41m."\n\n'  # 30-32: a control character
    + 'msgid "Hold."\nmsgstr "Halten."\n'  # 33-34: twice
)


def test_every_mistake_is_located_and_said_with_its_fix_all_at_once() -> None:
    _, problems = read(BROKEN)
    expected = [
        (
            "de.po:6:9:",
            "`{nummer}` is not a placeholder nightvoice fills in: write `{number}` exactly",
        ),
        ("de.po:9:8:", "leaves out `{no_key}`: keep every `{...}` of the English"),
        ("de.po:13:8:", "an answer key is one letter or digit (a key to press), not `Ja`"),
        ("de.po:17:8:", "`q` cannot answer: Q quits while the question is asked"),
        ("de.po:19:7:", "`Drücke Enter, wenn es nachlässt.` is not something nightvoice says"),
        ("de.po:23:8:", 'the text in quotes is not closed: end it with `"` on this line'),
        ("de.po:26:12:", "`\\q` is not an escape PO knows"),
        ("de.po:28:1:", "`mgsstr` is not part of a PO catalog"),
        ("de.po:31:14:", "the control character `\\x1b`: remove it"),
        ("de.po:33:7:", "`Hold.` is translated twice (first at line 30): keep one of them"),
    ]
    assert len(problems) == len(expected), "\n".join(problems)
    for problem, (where, what) in zip(problems, expected, strict=True):
        assert problem.startswith(where) and what in problem, problem
    assert not any("\\xe4" in problem for problem in problems)  # shown as typed


def test_a_misspelt_phrase_is_told_what_it_was_meant_to_be() -> None:
    _, problems = read(HEADER + 'msgid "Halfway"\nmsgstr "Halbzeit."\n')
    assert problems == [
        "de.po:5:7: `Halfway` is not something nightvoice says (from an older version, or "
        'changed); did you mean "Halfway."? Each `msgid` is the English exactly as in the '
        "template (`nightvoice translate LANG` writes the current ones): correct it or remove "
        "the entry"
    ]
    _, problems = read(HEADER + 'msgid "Y"\nmsgstr "J"\n')  # a key needs its context
    assert 'with `msgctxt "answer key for yes"`' in problems[0]


def test_the_two_answers_need_two_keys() -> None:
    both = 'msgctxt "answer key for yes"\nmsgid "Y"\nmsgstr "J"\n\n'
    both += 'msgctxt "answer key for no"\nmsgid "N"\nmsgstr "j"\n'
    translations, problems = read(HEADER + both)
    assert problems == [
        "de.po:11:8: `j` is also the key for yes (translated): the answers need different keys"
    ]
    assert said.YES_KEY.key not in translations and said.NO_KEY.key not in translations
    # One left in English counts with its English key.
    translations, problems = read(HEADER + 'msgctxt "answer key for yes"\nmsgid "Y"\nmsgstr "n"\n')
    assert problems == [
        "de.po:7:8: `n` is also the key for no (left in English): the answers need different keys"
    ]


def test_a_catalog_that_is_not_utf8_says_where_and_what_to_do() -> None:
    latin1 = (HEADER + 'msgid "Halfway."\nmsgstr "Schön."\n').encode("latin-1")
    _, problems = read(latin1.replace(b"UTF-8", b"ISO-8859-1"))
    assert problems[0].startswith("de.po:3:28: the catalog says `charset=ISO-8859-1`")
    assert problems[1] == (
        "de.po:6:12: this is not UTF-8 text: save the catalog as UTF-8 (Poedit and Weblate do; "
        "in an editor, choose the UTF-8 encoding)"
    )


def test_plural_forms_are_refused_with_what_to_write() -> None:
    _, problems = read(
        HEADER + 'msgid "Halfway."\nmsgid_plural "Halfways."\nmsgstr[0] "a"\nmsgstr[1] "b"\n'
    )
    assert problems == [
        "de.po:5:7: nightvoice's phrases have no plural forms: write one `msgstr`, without "
        "`msgid_plural` and `msgstr[N]`"
    ]


def test_the_template_and_a_starter_hold_every_phrase_untranslated() -> None:
    for language in (None, "de-at"):
        catalog = read_catalog(template(language, "intro").encode(), "x.po")
        assert catalog.problems == [] and catalog.translations == {}
        assert catalog.entries == len(said.PHRASES)
    assert '"Language: de_AT\\n"' in template("de-at")


@pytest.fixture(scope="module")
def msgfmt() -> str:
    found = shutil.which("msgfmt")
    if found is None:  # pragma: no cover - fail loudly, never skip
        raise RuntimeError("GNU gettext's msgfmt is not installed: run .ci/setup")
    return found


def test_gettexts_own_tools_read_what_nightvoice_writes(msgfmt: str, tmp_path: Path) -> None:
    """The template, a starter and the tests' German catalog are valid PO for GNU msgfmt,
    placeholders checked; and a placeholder our check refuses, msgfmt refuses too."""
    (tmp_path / "a.pot").write_text(template(None), encoding="utf-8")
    (tmp_path / "b.po").write_text(template("de"), encoding="utf-8")
    for path in (tmp_path / "a.pot", tmp_path / "b.po", DATA / "de.po"):
        done = subprocess.run(
            [msgfmt, "--check", "-o", "/dev/null", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    broken = template("de").replace(
        'msgid "{number}."\nmsgstr ""', 'msgid "{number}."\nmsgstr "{nummer}"'
    )
    (tmp_path / "c.po").write_text(broken, encoding="utf-8")
    done = subprocess.run(
        [msgfmt, "--check", "-o", "/dev/null", str(tmp_path / "c.po")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0 and "number" in done.stderr
    assert read_catalog(broken.encode(), "c.po").problems
