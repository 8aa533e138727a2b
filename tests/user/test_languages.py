"""Which catalog speaks for a routine, `nightvoice translate LANG` and `check` of a catalog."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from nightvoice.cli import run
from nightvoice.core import phrases as said
from nightvoice.core.plan import Settings
from nightvoice.core.po import read_catalog
from nightvoice.user import languages
from nightvoice.user.night import prepare

DATA = Path(__file__).resolve().parents[1] / "data" / "languages"
HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
GERMAN = """\
nightvoice: 1
title: Wade
language: {language}
steps:
  - say: Ziehe die Zehen an.
    hold: 10
    cues: {{halfway: true}}
"""


def catalog(folder: Path, name: str, **entries: str) -> Path:
    """A catalog file translating phrases by their English (`Halfway.` -> `Halbzeit.`)."""
    folder.mkdir(parents=True, exist_ok=True)
    body = "".join(f'msgid "{english}"\nmsgstr "{text}"\n\n' for english, text in entries.items())
    path = folder / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The package's catalogs, as if some shipped (only English does today)."""
    folder = tmp_path / "shipped"
    folder.mkdir()
    monkeypatch.setattr(languages, "shipped_dir", lambda: folder)
    return folder


def test_a_more_specific_language_falls_back_and_the_users_catalog_wins(
    private_home: Path, shipped: Path
) -> None:
    mine = private_home / "languages"
    catalog(shipped, "de.po", **{"Halfway.": "Halbzeit (shipped).", "Release.": "Los."})
    catalog(mine, "de.po", **{"Halfway.": "Halbzeit.", "And out.": ""})
    catalog(mine, "de_AT.po", **{"Hold.": "Halt."})  # gettext's own name for de-at
    book = languages.phrase_book(Settings(language="de-AT"), warn=print)
    # de-at's own first, then the user's de, then the shipped de; phrase by phrase.
    assert book.text(said.BREATHE_HOLD) == "Halt."
    assert book.text(said.HALFWAY) == "Halbzeit."
    assert book.text(said.RELEASE) == "Los."
    assert book.line(said.BREATHE_OUT) == ("And out.", "en")  # empty: English, English voice
    assert book.line(said.HALFWAY) == ("Halbzeit.", None)


def test_the_voice_decides_the_language_when_a_routine_names_one(private_home: Path) -> None:
    catalog(private_home / "languages", "de.po", **{"Halfway.": "Halbzeit."})
    assert languages.speaking_language(Settings(language="en", voice="de+f3")) == "de"
    assert languages.speaking_language(Settings(language="de", voice="joe")) == "en-us"
    assert (
        languages.speaking_language(Settings(language="de", voice="en-gb-scotland"))
        == "en-gb-scotland"
    )
    english = languages.phrase_book(Settings(language="de", voice="joe"), warn=print)
    assert english.line(said.HALFWAY) == ("Halfway.", None)  # joe speaks English himself
    assert (
        languages.phrase_book(Settings(language="en", voice="de"), warn=print).text(said.HALFWAY)
        == "Halbzeit."
    )


def test_an_english_routine_reads_no_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(path: Path) -> object:
        raise AssertionError(f"read {path}")

    monkeypatch.setattr(languages, "read", never)
    book = languages.phrase_book(Settings(language="en-gb"), warn=print)
    assert book is said.ENGLISH


def test_the_english_catalog_is_looked_for_by_its_one_name() -> None:
    """`shipped_english` looks for `en.po` alone, without core/po.py: the names `_names` gives."""
    assert languages._names(said.SOURCE_LANGUAGE) == [f"{said.SOURCE_LANGUAGE}.po"]


def test_a_catalog_with_a_mistake_warns_once_and_its_good_entries_still_play(
    private_home: Path, tmp_path: Path
) -> None:
    routine = tmp_path / "wade.yaml"
    routine.write_text(GERMAN.format(language="de"), encoding="utf-8")
    path = catalog(
        private_home / "languages",
        "de.po",
        **{"Halfway.": "Halbzeit.", "{number}.": "{nummer}", "Release.": "Loslassen."},
    )
    err = io.StringIO()
    prepared = prepare(str(routine), err=err)
    assert err.getvalue() == (
        f"nightvoice: warning: {path}:9:9: `{{nummer}}` is not a placeholder nightvoice fills "
        "in: write `{number}` exactly as the English has it; those phrases are said in English "
        f"(`nightvoice check {path}` lists every problem)\n"
    )
    assert prepared.phrases.text(said.HALFWAY) == "Halbzeit."
    assert prepared.phrases.line(said.COUNTDOWN, number="3") == ("3.", "en")


def test_translate_writes_a_starter_beside_the_routines_and_never_overwrites(
    capsys: pytest.CaptureFixture[str], private_home: Path
) -> None:
    code, out, err = cli(capsys, "translate", "de_AT")
    path = private_home / "languages" / "de-at.po"
    assert (code, out, err) == (0, f"{path}\n", "")
    text = path.read_text(encoding="utf-8")
    assert '"Language: de_AT\\n"' in text and f"nightvoice check {path}" in text
    starter = read_catalog(text.encode(), str(path))
    assert starter.problems == [] and starter.translations == {}
    assert starter.entries == len(said.PHRASES)
    entries = text.rstrip().split("\n\n")[1:]  # after the header: one per phrase, in order
    for phrase, entry in zip(said.PHRASES, entries, strict=True):
        # Each with where it is heard or shown, and an empty translation.
        assert entry.startswith(f"#. {phrase.where.split()[0]} ") and entry.endswith('msgstr ""')

    path.write_text(
        text.replace('msgid "Halfway."\nmsgstr ""', 'msgid "Halfway."\nmsgstr "Halbzeit."')
    )
    mine = path.read_bytes()
    code, out, err = cli(capsys, "translate", "de-at")
    assert code == 1 and out == "" and path.read_bytes() == mine
    assert err == (
        f"nightvoice: {path} already exists; nothing was changed. Edit it, pick another name, "
        "or pass --force to replace it (the old file is kept as a backup).\n"
    )
    code, out, err = cli(capsys, "translate", "de-at", "--force")
    backups = list(path.parent.glob("de-at.po.bak-*"))
    assert code == 0 and out == f"{path}\n" and len(backups) == 1
    assert backups[0].read_bytes() == mine and err == f"kept the previous file as {backups[0]}\n"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("../de", "`../de` is not a language code"),
        ("de\x1b[41m", "`de\\x1b[41m` is not a language code"),  # shown, never obeyed
        ("german", "did you mean `de` (german)?"),
        ("xx", "no voice speaks the language `xx`"),
    ],
)
def test_translate_refuses_what_is_not_a_language(
    capsys: pytest.CaptureFixture[str], private_home: Path, typed: str, expected: str
) -> None:
    code, out, err = cli(capsys, "translate", typed)
    assert code == 2 and out == "" and expected in err
    assert not (private_home / "languages").exists()


def test_check_of_a_catalog_reports_every_problem_and_what_stays_english(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = DATA / "de.po"
    code, out, err = cli(capsys, "check", str(good))
    assert code == 0
    assert out == f"{good}: ok (15 of {len(said.PHRASES)} phrases translated)\n"
    assert f"{len(said.PHRASES) - 15} of {len(said.PHRASES)} phrases are not translated" in err
    assert '"Breathe in."' not in err and '"Hold."' in err  # the ones left, by their English

    bad = catalog(tmp_path, "bad.po", **{"Halfway.": "Halbzeit.\x07", "Release": "Los."})
    code, out, err = cli(capsys, "check", str(bad), str(good))
    lines = err.splitlines()
    assert code == 1 and out == f"{good}: ok (15 of {len(said.PHRASES)} phrases translated)\n"
    assert lines[0].startswith(f"{bad}:6:18: the translation has the control character `\\x07`")
    assert lines[1].startswith(f"{bad}:8:7: `Release` is not something nightvoice says")
    assert lines[-1] == "1 of 2 file(s) have problems"
    missing = tmp_path / "fr.po"
    code, out, err = cli(capsys, "check", str(missing))
    assert code == 1 and out == ""
    assert err.splitlines()[0] == f"{missing}:1:1: cannot read it: No such file or directory"


def test_check_of_a_routine_says_once_which_phrases_will_be_english(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, private_home: Path
) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(GERMAN.format(language="de"), encoding="utf-8")
    second.write_text(GERMAN.format(language="de"), encoding="utf-8")
    code, out, err = cli(capsys, "check", str(first), str(second))
    assert code == 0 and out == f"{first}: ok (Wade)\n{second}: ok (Wade)\n"
    assert err.count("\n") == 1 and err.startswith("note: there is no catalog for `de`")
    assert "will be said in English by an English voice; `nightvoice translate de`" in err

    (private_home / "languages").mkdir(parents=True)
    shutil.copy(DATA / "de.po", private_home / "languages" / "de.po")
    code, out, err = cli(capsys, "check", str(first), str(second))
    assert code == 0 and err.count("\n") == 1
    assert "phrases have no `de` translation and will be said in English" in err
    assert '"Breathe in."' not in err and '"Hold."' in err
    assert f"in {private_home / 'languages' / 'de.po'}" in err

    english = tmp_path / "en.yaml"
    english.write_text(GERMAN.format(language="en"), encoding="utf-8")
    assert cli(capsys, "check", str(english)) == (0, f"{english}: ok (Wade)\n", "")


def test_list_lays_a_routine_out_again_when_its_catalog_changes(private_home: Path) -> None:
    """A routine's length depends on its cues' words: the list cache is stale once a catalog
    of the user's is added or edited, and not before."""
    from nightvoice.user import catalog as routines

    scripts = private_home / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "wade.yaml").write_text(GERMAN.format(language="de"), encoding="utf-8")

    def summarised() -> int:
        return routines._list(True, {}, measure=0, seconds=0.0)[1]

    assert summarised() > 0  # the first list reads them all
    assert summarised() == 0  # then the cache answers
    catalog(
        private_home / "languages", "de.po", **{"Halfway.": "Halbzeit, die Hälfte ist geschafft."}
    )
    assert summarised() > 0
    assert summarised() == 0


def test_show_gives_the_cues_as_they_will_be_said(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, private_home: Path
) -> None:
    routine = tmp_path / "wade.yaml"
    routine.write_text(GERMAN.format(language="de"), encoding="utf-8")
    assert run(["show", str(routine)]) == 0
    shown = capsys.readouterr().out
    assert "“Halfway.” (in English, by an English voice)" in shown
    assert "Ziehe die Zehen an.\n" in shown  # the routine's own: as written, no mark
    catalog(private_home / "languages", "de.po", **{"Halfway.": "Halbzeit."})
    assert run(["show", str(routine)]) == 0
    shown = capsys.readouterr().out
    assert "“Halbzeit.”\n" in shown and "“Release.” (in English, by an English voice)" in shown
