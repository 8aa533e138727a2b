"""nightvoice's phrase catalogs in gettext's PO form: read with every problem located, and
written (the template, and a starter for one language).

PO is what translators and their tools (Poedit, Weblate, msgmerge) read and write. Only its
plain parts carry meaning here: `msgctxt`, `msgid`, `msgstr`, the `#, fuzzy` flag, and the
header's charset (UTF-8 only). Comments and obsolete (`#~`) entries are skipped, as gettext
does. The reader is our own (this module, no dependency): it locates every problem as
`file:line:column` and reports them all at once, which a PO library that stops at the first
syntax error cannot, and it costs a routine in English nothing at all.

A translation is checked against the phrase it translates (core/phrases.py): every
`{placeholder}` kept and no other, answer keys one distinct letter or digit, no control
characters. A wrong entry is left out (that phrase stays English); the rest are used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nightvoice.core.errors import Problem, shown
from nightvoice.core.phrases import ANSWER_KEYS, BY_KEY, PHRASES, TAKEN_KEYS, Phrase
from nightvoice.core.template import TemplateError, fields

MAX_TRANSLATION = 1000  # characters, as a routine's spoken text
ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b"}
ESCAPES.update({"f": "\f", "v": "\v", "'": "'", "?": "?"})
QUOTED = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_KEYWORD = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)(?=\s|\"|$)")


@dataclass
class Text:
    """A string value as written over one or more lines: decoded, with where each of its
    characters is in the file (so a problem inside it points at the very character)."""

    line: int  # where the value starts: its first opening quote
    column: int
    value: str = ""
    at: list[tuple[int, int]] = field(default_factory=list)  # per character: (line, column)

    def where(self, index: int) -> tuple[int, int]:
        if 0 <= index < len(self.at):
            return self.at[index]
        return self.line, self.column


@dataclass
class Entry:
    line: int  # its first keyword's line
    context: Text | None = None
    msgid: Text | None = None
    plural: Text | None = None
    msgstr: Text | None = None
    fuzzy: bool = False
    plural_forms: bool = False  # msgstr[N]

    @property
    def key(self) -> str:
        msgid = self.msgid.value if self.msgid else ""
        return f"{self.context.value}\x04{msgid}" if self.context else msgid


@dataclass
class Catalog:
    """A catalog as read: the usable translations (phrase key -> text) and every problem."""

    source: str
    translations: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    fuzzy: list[Phrase] = field(default_factory=list)  # translated but marked for review
    entries: int = 0


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.entries: list[Entry] = []

    def problem(self, line: int, column: int, message: str) -> None:
        self.problems.append(Problem(self.source, line, column, message))

    def read(self, text: str) -> list[Entry]:
        entry: Entry | None = None
        last: Text | None = None  # the string a `"..."` line continues
        fuzzy = False
        # Lines end at \n only, as editors count them (str.splitlines also breaks at \f...).
        for number, line in enumerate(text.split("\n"), start=1):
            raw = line.removesuffix("\r")
            body = raw.lstrip()
            column = len(raw) - len(body) + 1
            if not body:
                last = None
                continue
            if body.startswith("#"):
                last = None
                if body.startswith("#,"):
                    fuzzy = fuzzy or "fuzzy" in (f.strip() for f in body[2:].split(","))
                continue
            if body.startswith('"'):
                if last is None:
                    self.problem(
                        number,
                        column,
                        "text in quotes on its own line continues the `msgid` or `msgstr` "
                        "above it, but there is none: put it after one",
                    )
                    continue
                self.string(raw, number, column - 1, last)
                continue
            match = _KEYWORD.match(body)
            if match is None:
                word = body.split()[0]
                self.problem(
                    number,
                    column,
                    f"`{shown(word, 40)}` is not part of a PO catalog: a line is a "
                    '`msgctxt`, `msgid` or `msgstr` with its text in quotes, a `"..."` '
                    "continuing it, or a `#` comment",
                )
                last = None
                continue
            keyword = match.group(1)
            value = Text(number, column + match.end())
            rest = raw[column - 1 + match.end() :]
            start = len(rest) - len(rest.lstrip())
            value.column += start
            if not rest.strip().startswith('"'):
                self.problem(
                    number,
                    value.column,
                    f'`{keyword}` needs its text in double quotes: {keyword} "..."',
                )
                last = None
                continue
            self.string(raw, number, column - 1 + match.end() + start, value)
            last = value
            if keyword in ("msgctxt", "msgid") and entry is not None and entry.msgstr is not None:
                self.entries.append(entry)
                entry = None
            if entry is None:
                if keyword.startswith("msgstr") or keyword == "msgid_plural":
                    self.problem(
                        number,
                        column,
                        f"`{keyword}` comes before any `msgid`: put the "
                        "`msgid` (the English) first",
                    )
                    last = None
                    continue
                entry = Entry(number, fuzzy=fuzzy)
                fuzzy = False
            if keyword == "msgctxt":
                if entry.context is not None or entry.msgid is not None:
                    self.problem(number, column, "`msgctxt` comes before its `msgid`, once")
                entry.context = value
            elif keyword == "msgid":
                if entry.msgid is not None:
                    self.problem(
                        number,
                        column,
                        "a second `msgid` before a `msgstr`: give each `msgid` its `msgstr`",
                    )
                entry.msgid = value
            elif keyword == "msgid_plural":
                entry.plural = value
            else:
                if entry.msgid is None:
                    self.problem(number, column, "`msgstr` comes before its `msgid`")
                if match.group(2) is not None:
                    entry.plural_forms = True
                if entry.msgstr is None:
                    entry.msgstr = value
        if entry is not None:
            self.entries.append(entry)
        for done in self.entries:
            if done.msgid is not None and done.msgstr is None:
                self.problem(done.line, 1, 'this `msgid` has no `msgstr`: add `msgstr ""` after it')
        return self.entries

    def string(self, raw: str, number: int, index: int, into: Text) -> None:
        """Read the quoted string at raw[index] into `into`; escapes decoded, located."""
        position = index + 1
        while position < len(raw):
            char = raw[position]
            if char == '"':
                trailing = raw[position + 1 :].strip()
                if trailing:
                    self.problem(
                        number,
                        position + 2,
                        f'`{shown(trailing, 40)}` after the closing quote: write `\\"` '
                        "for a quote inside the text",
                    )
                return
            if char == "\\":
                decoded, width = self.escape(raw, position, number)
                for piece in decoded:
                    into.value += piece
                    into.at.append((number, position + 1))
                position += width
                continue
            into.value += char
            into.at.append((number, position + 1))
            position += 1
        self.problem(
            number, index + 1, 'the text in quotes is not closed: end it with `"` on this line'
        )

    def escape(self, raw: str, position: int, number: int) -> tuple[str, int]:
        following = raw[position + 1 : position + 2]
        if following in ESCAPES:
            return ESCAPES[following], 2
        octal = re.match(r"[0-7]{1,3}", raw[position + 1 :])
        if octal:
            return chr(int(octal.group(), 8)), 1 + len(octal.group())
        hexa = re.match(r"x([0-9a-fA-F]{1,2})", raw[position + 1 :])
        if hexa:
            return chr(int(hexa.group(1), 16)), 1 + len(hexa.group())
        self.problem(
            number,
            position + 1,
            f"`\\{shown(following)}` is not an escape PO knows: write `\\\\` for a "
            'backslash, `\\"` for a quote, `\\n` for a new line',
        )
        return following, 2 if following else 1


def read_catalog(data: bytes, source: str) -> Catalog:
    """A catalog's bytes, checked against nightvoice's phrases; see the module's docstring."""
    catalog = Catalog(source)
    text = _decoded(data, catalog)
    reader = _Reader(source)
    entries = reader.read(text)
    catalog.problems += reader.problems
    seen: dict[str, int] = {}
    keys: list[tuple[Phrase, Entry, str]] = []
    for entry in entries:
        if entry.msgid is None:
            continue
        if entry.msgid.value == "" and entry.context is None:
            _check_header(entry, catalog)
            continue
        catalog.entries += 1
        where = (entry.msgid.line, entry.msgid.column)
        if entry.key in seen:
            catalog.problems.append(
                Problem(
                    source,
                    *where,
                    f"`{shown(entry.msgid.value, 60)}` is translated twice (first at line "
                    f"{seen[entry.key]}): keep one of them",
                )
            )
            continue
        seen[entry.key] = entry.msgid.line
        phrase = BY_KEY.get(entry.key)
        if phrase is None:
            catalog.problems.append(Problem(source, *where, _unknown(entry)))
            continue
        if entry.plural is not None or entry.plural_forms:
            catalog.problems.append(
                Problem(
                    source,
                    *where,
                    "nightvoice's phrases have no plural forms: write one `msgstr`, without "
                    "`msgid_plural` and `msgstr[N]`",
                )
            )
            continue
        if entry.msgstr is None or entry.msgstr.value == "":
            continue  # not translated: said in English
        problem = _check_translation(phrase, entry.msgstr, source)
        if problem is not None:
            catalog.problems.append(problem)
            continue
        if entry.fuzzy:
            catalog.fuzzy.append(phrase)
            continue  # as gettext: a fuzzy translation is not used until it is reviewed
        if phrase in ANSWER_KEYS:
            keys.append((phrase, entry, entry.msgstr.value))
        catalog.translations[phrase.key] = entry.msgstr.value
    _check_keys(keys, catalog)
    catalog.problems.sort(key=lambda p: (p.line, p.column))
    return catalog


def _decoded(data: bytes, catalog: Catalog) -> str:
    """The file as text: UTF-8 (a byte order mark is dropped). Each line with bytes that are
    not UTF-8 is a problem, and its bad bytes become U+FFFD so the rest can still be checked."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        pass
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            column = len(line[: error.start].decode("utf-8", errors="replace")) + 1
            catalog.problems.append(
                Problem(
                    catalog.source,
                    number,
                    column,
                    "this is not UTF-8 text: save the catalog as UTF-8 (Poedit and Weblate do; "
                    "in an editor, choose the UTF-8 encoding)",
                )
            )
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff")


def _check_header(entry: Entry, catalog: Catalog) -> None:
    """The header entry (`msgid ""`): its charset, if it names one, must be UTF-8."""
    if entry.msgstr is None:
        return
    found = re.search(r"charset=([^\s;]+)", entry.msgstr.value)
    if found and found.group(1).lower().replace("_", "-") not in ("utf-8", "utf8", "charset"):
        line, column = entry.msgstr.where(entry.msgstr.value.index(found.group(0)))
        catalog.problems.append(
            Problem(
                catalog.source,
                line,
                column,
                f"the catalog says `{shown(found.group(0))}`, but nightvoice reads UTF-8 "
                "only: save it as UTF-8 and write `charset=UTF-8`",
            )
        )


def _unknown(entry: Entry) -> str:
    from nightvoice.core.suggest import close_names

    assert entry.msgid is not None
    msgid = entry.msgid.value
    context = entry.context.value if entry.context else ""
    same = [p for p in PHRASES if p.english == msgid]
    if same:
        wanted = same[0].context
        where = f'`msgctxt "{wanted}"`' if wanted else "no `msgctxt`"
        return (
            f"`{shown(msgid, 60)}` is a phrase of nightvoice's, but with {where}, not "
            f"`{shown(context, 40) or 'none'}`: write the `msgctxt` as the template has it"
        )
    close = close_names(msgid, [p.english for p in PHRASES], most=1)
    hint = f'; did you mean "{shown(close[0], 60)}"?' if close else ""
    return (
        f"`{shown(msgid, 60)}` is not something nightvoice says (from an older version, or "
        f"changed){hint} Each `msgid` is the English exactly as in the template "
        "(`nightvoice translate LANG` writes the current ones): correct it or remove the entry"
    )


def _check_translation(phrase: Phrase, msgstr: Text, source: str) -> Problem | None:
    """The first thing wrong with a translation of `phrase`, located, or None."""
    value = msgstr.value
    control = next((i for i, c in enumerate(value) if _is_control(c)), None)
    if control is not None:
        return Problem(
            source,
            *msgstr.where(control),
            f"the translation has the control character `{shown(value[control])}`: "
            "remove it (it would cut the speech short or garble the screen)",
        )
    if len(value) > MAX_TRANSLATION:
        return Problem(
            source,
            msgstr.line,
            msgstr.column,
            f"the translation is {len(value)} characters; keep it under {MAX_TRANSLATION}",
        )
    if phrase.kind == "key":
        if len(value) != 1 or not value.isalnum():
            return Problem(
                source,
                msgstr.line,
                msgstr.column,
                f"an answer key is one letter or digit (a key to press), not `{shown(value, 20)}`",
            )
        taken = TAKEN_KEYS.get(value.lower())
        if taken:
            return Problem(
                source,
                msgstr.line,
                msgstr.column,
                f"`{value}` cannot answer: {taken} while the question is asked; pick another key",
            )
        return None
    try:
        used = fields(value)
    except TemplateError as error:
        brace = next((i for i, c in enumerate(value) if c in "{}"), 0)
        return Problem(source, *msgstr.where(brace), f"the translation {error}")
    wanted = phrase.placeholders
    for name in used:
        if name not in wanted:
            index = value.find("{" + name)
            if wanted:
                keep = " and ".join(f"`{{{w}}}`" for w in wanted)
                how = f"write {keep} exactly as the English has it"
            else:
                how = "the English has none here (write `{{` and `}}` for a brace)"
            return Problem(
                source,
                *msgstr.where(index),
                f"`{{{shown(name, 40)}}}` is not a placeholder nightvoice fills in: {how}",
            )
    for name in wanted:
        if name not in used:
            return Problem(
                source,
                msgstr.line,
                msgstr.column,
                f"the translation leaves out `{{{name}}}`: keep every `{{...}}` of the English "
                "as it is (nightvoice fills it in) and translate the words around it",
            )
    return None


def _check_keys(keys: list[tuple[Phrase, Entry, str]], catalog: Catalog) -> None:
    """The answer keys of one question must differ (a key left English counts as its English
    letter); a clashing translation is left out, so the question keeps two distinct keys."""
    final = {p: catalog.translations.get(p.key, p.english).lower() for p in ANSWER_KEYS}
    lines = {phrase: entry.line for phrase, entry, _ in keys}
    for phrase, entry, value in keys:
        others = [p for p in ANSWER_KEYS if p is not phrase and final[p] == value.lower()]
        # Said once, at the later of two clashing translations.
        if not others or lines.get(others[0], 0) > entry.line:
            continue
        assert entry.msgstr is not None
        other = others[0]
        what = "translated" if other in lines else "left in English"
        catalog.problems.append(
            Problem(
                catalog.source,
                entry.msgstr.line,
                entry.msgstr.column,
                f"`{value}` is also the key for {other.context.removeprefix('answer key for ')} "
                f"({what}): the answers need different keys",
            )
        )
    for phrase, _entry, value in keys:
        clashes = [p for p in ANSWER_KEYS if p is not phrase and final[p] == value.lower()]
        if clashes:
            catalog.translations.pop(phrase.key, None)


def _is_control(char: str) -> bool:
    """A character that has no place in speech or on the night line (a new line or a tab is
    only a space there, so those are fine)."""
    return char not in "\n\t" and not char.isprintable() and not char.isspace()


# --- writing ----------------------------------------------------------------------------------


def quoted(text: str) -> str:
    """`text` as one PO string, in quotes: backslashes, quotes and line breaks escaped, other
    control characters as octal escapes, so nothing in it can end the string or the line."""
    out = []
    for char in text:
        if char in QUOTED:
            out.append(QUOTED[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):03o}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _keyword(keyword: str, text: str, width: int = 79) -> list[str]:
    """`keyword "text"`, or a long text split after spaces over lines of at most `width`
    (as gettext's tools write them)."""
    single = f"{keyword} {quoted(text)}"
    if len(single) <= width:
        return [single]
    lines, piece = [f'{keyword} ""'], ""
    for word in re.findall(r"\S*\s*", text):
        if piece and len(quoted(piece + word)) > width:
            lines.append(quoted(piece))
            piece = ""
        piece += word
    if piece:
        lines.append(quoted(piece))
    return lines


def gettext_language(language: str) -> str:
    """A language as gettext's tools name it: `de-at` -> `de_AT`."""
    first, *rest = language.replace("_", "-").split("-")
    return "_".join([first.lower(), *(p.upper() if len(p) == 2 else p for p in rest)])


def template(language: str | None = None, intro: str = "") -> str:
    """The catalog of every phrase, each with its comment and an empty translation: the
    template (`.pot`) when `language` is None, else a starter for that language."""
    lines = [f"# {line}".rstrip() for line in intro.splitlines()]
    header = [  # as xgettext writes it; a translator's tool fills in who and when
        "Project-Id-Version: nightvoice\n",
        "PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\n",
        "Last-Translator: FULL NAME <EMAIL@ADDRESS>\n",
        "Language-Team: LANGUAGE <LL@li.org>\n",
        f"Language: {gettext_language(language) if language else ''}\n",
        "MIME-Version: 1.0\n",
        "Content-Type: text/plain; charset=UTF-8\n",
        "Content-Transfer-Encoding: 8bit\n",
    ]
    lines += ['msgid ""', 'msgstr ""', *(quoted(h) for h in header)]
    for phrase in PHRASES:
        lines.append("")
        lines += [f"#. {line}" for line in _wrapped(phrase.where, 76)]
        if phrase.placeholders:
            lines.append("#, python-brace-format")
        if phrase.context:
            lines.append(f"msgctxt {quoted(phrase.context)}")
        lines += _keyword("msgid", phrase.english)
        lines.append('msgstr ""')
    return "\n".join(lines) + "\n"


def _wrapped(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]
