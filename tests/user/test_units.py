"""units.py: every word lands in a unit file, a crontab line or a shell line exactly as written.

The readers below read the lines back by each reader's own rules (systemd's unquoting,
specifiers and `$`; cron's `%`; sh); the reminder's and standby's tests use them too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nightvoice.core.errors import NightvoiceError
from nightvoice.user import units

# What each reader treats specially: systemd (% specifiers, $ variables, quotes, backslashes,
# `;` between commands), sh (quotes, $, backslashes, globs, ;, &, |, #), cron (%), HTML-ish.
HOSTILE = [
    "Time for your stretches & a glass of water.",
    'Say "100%" of it, it\'s $HOME and ${HOME} and `id` \\ back\\slash',
    "%n %% %h %i %Q %",
    "\\%, \\\\% and \\\\\\% and a trailing backslash \\",
    "; rm -rf / ; echo | cat & # not a comment <b>bold</b> *.py ~",
    "'single' \"double\" ''\"\"",
    "naïve café, schön, 夜 🌙",
]


# --- reading the lines back as systemd, cron and sh read them ---------------------------------

C_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "s": " "}


def systemd_specifiers(value: str) -> str:
    """systemd's specifier pass over a whole setting: `%%` is `%`; any other is not ours."""

    def one(match: re.Match[str]) -> str:
        if match[1] != "%":
            raise AssertionError(f"an unescaped specifier %{match[1]} in {value!r}")
        return "%"

    return re.sub(r"%(.?)", one, value, flags=re.S)


def systemd_words(value: str) -> list[str]:
    """Split and unquote as systemd's extract_first_word (UNQUOTE | CUNESCAPE) does."""
    words: list[str] = []
    i, n = 0, len(value)
    while i < n:
        if value[i] in " \t":
            i += 1
            continue
        word, quote = "", None
        while i < n and (quote or value[i] not in " \t"):
            c = value[i]
            if c == "\\":
                word += C_ESCAPES[value[i + 1]]  # KeyError: an escape systemd reads otherwise
                i += 2
                continue
            if quote and c == quote:
                quote = None
            elif not quote and c in "\"'":
                quote = c
            else:
                word += c
            i += 1
        assert quote is None, f"unbalanced quotes in {value!r}"
        words.append(word)
    return words


def systemd_variables(word: str) -> str:
    """ExecStart's `$` pass: `$$` is `$`; a `$NAME` would be expanded, and must not occur."""
    assert re.search(r"(?<!\$)(\$\$)*\$(?!\$)", word) is None, f"a bare $ in {word!r}"
    return word.replace("$$", "$")


def unit_settings(text: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def read_service(text: str) -> tuple[list[str], dict[str, str]]:
    """The argv and environment systemd would run the service with."""
    settings = unit_settings(text)
    (exec_start,) = settings["ExecStart"]
    argv = [systemd_variables(w) for w in systemd_words(systemd_specifiers(exec_start))]
    environment = {}
    for assignment in settings.get("Environment", []):
        for word in systemd_words(systemd_specifiers(assignment)):
            name, value = word.split("=", 1)
            environment[name] = value
    return argv, environment


def cron_command(line: str, fields: int = 5) -> str:
    """The command cron hands to sh: `\\%` becomes `%`; an unescaped `%` would end it. A line
    starts with five time fields, or one (`@reboot`)."""
    command = line.split(None, fields)[fields]
    out, escaped = [], False
    for c in command:
        if escaped:
            if c == "%":
                out[-1] = "%"  # the backslash goes, the % stays
            else:
                out.append(c)
            escaped = False
            continue
        assert c != "%", f"an unescaped % in {line!r}: cron would cut the command there"
        escaped = c == "\\"
        out.append(c)
    return "".join(out)


@pytest.fixture
def printer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Stands in for Python in the scheduled command: prints NIGHTVOICE_HOME and its arguments.

    Its own path has a space, a `%` and a quote, as a user's install folder might."""
    script = tmp_path / "bin 100% it's" / "python"
    script.parent.mkdir()
    script.write_text('#!/bin/sh\nprintf "%s\\0" "$NIGHTVOICE_HOME" "$@"\n')
    script.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(script))
    return script


def printed(output: bytes) -> tuple[str, list[str]]:
    home, *words = output.decode().split("\0")[:-1]
    return home, words


# --- the quoting, for each reader --------------------------------------------------------------


@pytest.mark.parametrize("word", HOSTILE)
def test_a_service_runs_every_word_and_value_exactly_as_written(word: str, printer: Path) -> None:
    argv = [str(printer), word, "--flag", word]
    lines = units.service_lines(argv, {"NIGHTVOICE_HOME": word})
    got_argv, env = read_service("\n".join(lines))
    done = subprocess.run(got_argv, env=env, capture_output=True, timeout=30, check=True)
    assert printed(done.stdout) == (word, [word, "--flag", word])


@pytest.mark.parametrize("word", HOSTILE)
def test_a_crontab_command_and_a_shell_line_run_every_word_exactly(
    word: str, printer: Path
) -> None:
    argv = [str(printer), word]
    env = {"NIGHTVOICE_HOME": word}
    cron = cron_command("@reboot " + units.cron_command(argv, env), fields=1)
    for line in (cron, units.shell_command(argv, env)):
        done = subprocess.run(
            ["/bin/sh", "-c", line],
            env={"PATH": os.environ["PATH"]},
            capture_output=True,
            timeout=30,
            check=True,
        )
        assert printed(done.stdout) == (word, [word]), line


@pytest.mark.parametrize("word", ["two\nlines", "a\ttab", "nul\x00", "\x1b[31m", "sep\u2028x"])
def test_a_word_no_quoting_carries_is_refused_in_one_line(word: str) -> None:
    for quote in (
        units.systemd_word,
        units.cron_word,
        lambda w: units.systemd_assignment("X", w),
        lambda w: units.shell_command([w], {}),
    ):
        with pytest.raises(NightvoiceError) as refused:
            quote(word)
        assert refused.value.exit_code == 2 and "\n" not in str(refused.value)


def test_the_program_is_this_python_running_nightvoice() -> None:
    assert units.program_argv("standby") == [sys.executable, "-m", "nightvoice", "standby"]


def test_the_unit_folder_honours_xdg_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "c"))
    path = units.write_unit("x.service", "[Service]\n")
    assert path == tmp_path / "c/systemd/user/x.service"
    assert path.read_text() == "[Service]\n"
