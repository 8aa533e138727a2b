"""What the system runs for us: systemd user units and crontab lines, each word quoted for its
reader. The bedtime reminder (remind.py) and standby's service (standby/service.py) both write
through here.

A unit is written into the user's own unit folder (`~/.config/systemd/user`, honouring
XDG_CONFIG_HOME; no root) and driven with `systemctl --user`. Without a systemd user manager
(a container, some servers) the caller prints a crontab line instead. Everything that lands in
either comes from the user somewhere (a text, a routine's file name, a device path, their
folders) and is data: each word is quoted for exactly the reader of that line (`systemd_word`,
`cron_word`), and a word no quoting can carry (a line break, a control character) is refused.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from nightvoice.base import writing
from nightvoice.core.errors import NightvoiceError, shown

CRON_COMMAND_MAX = 999  # Debian's cron (Vixie cron) reads at most this much of a command


class UnquotableError(NightvoiceError):
    """A word that cannot be written into a unit file or a crontab line."""

    exit_code = 2


def refuse_unquotable(word: str) -> None:
    """Line breaks and control characters end a unit file's setting or a crontab line early."""
    if any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in word):
        raise UnquotableError(
            f"cannot schedule `{shown(word)}`: it has a line break or control character"
        )


def systemd_word(word: str) -> str:
    """One word for `ExecStart=`: double-quoted; `\\` and `"` escaped for systemd's unquoting,
    `%` doubled (specifiers) and `$` doubled (variable expansion), so it arrives as written."""
    refuse_unquotable(word)
    escaped = word.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("%", "%%").replace("$", "$$") + '"'


def systemd_assignment(name: str, value: str) -> str:
    """One `Environment=` assignment, quoted (no `$` expansion there; specifiers yes)."""
    refuse_unquotable(value)
    escaped = f"{name}={value}".replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("%", "%%") + '"'


def cron_word(word: str) -> str:
    """One shell word for a crontab line.

    sh quoting (single quotes) keeps the word whole; then cron's own rule: an unescaped `%`
    ends the command (the rest becomes its standard input), and `\\%` stands for `%`. Each
    `%` is therefore put outside the quotes as `\\%`, never right after a backslash of the
    word itself (cron would take that backslash as the escape).
    """
    refuse_unquotable(word)
    return "\\%".join(shlex.quote(piece) for piece in word.split("%"))


def program_argv(*args: str) -> list[str]:
    """This Python running nightvoice with `args`: the scheduler uses the same install."""
    return [sys.executable, "-m", "nightvoice", *args]


def environment(*, cron: bool) -> dict[str, str]:
    """What a scheduled nightvoice needs from this environment to find the user's things.

    NIGHTVOICE_HOME (the user's folder override) and PULSE_SERVER (a sound server not at its
    usual place) when set; for cron also XDG_RUNTIME_DIR, where the sound server's socket is
    (cron jobs run without it; a systemd user service has it).
    """
    names = ["NIGHTVOICE_HOME", "PULSE_SERVER", *(["XDG_RUNTIME_DIR"] if cron else [])]
    return {name: os.environ[name] for name in names if os.environ.get(name)}


def service_lines(argv: Sequence[str], env: dict[str, str]) -> list[str]:
    """`Environment=` and `ExecStart=` of a service running `argv`, every word quoted."""
    return [
        *(f"Environment={systemd_assignment(k, v)}" for k, v in env.items()),
        "ExecStart=" + " ".join(systemd_word(word) for word in argv),
    ]


def cron_command(argv: Sequence[str], env: dict[str, str]) -> str:
    """The command part of a crontab line: the environment, then `argv`, every word quoted."""
    words = [f"{name}={cron_word(value)}" for name, value in env.items()]
    return " ".join([*words, *(cron_word(word) for word in argv)])


def shell_command(argv: Sequence[str], env: dict[str, str]) -> str:
    """The same as one line for sh (a session's start-up file), every word quoted."""
    for word in [*argv, *env.values()]:
        refuse_unquotable(word)
    words = [f"{name}={shlex.quote(value)}" for name, value in env.items()]
    return " ".join([*words, *(shlex.quote(word) for word in argv)])


# --- where units live, and systemd ----------------------------------------------------------


def units_dir() -> Path:
    """systemd's user unit folder ($XDG_CONFIG_HOME/systemd/user), no root needed."""
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def write_unit(name: str, text: str) -> Path:
    """Write (or replace) the unit file `name` in the user's unit folder, whole or not at all."""
    path = units_dir() / name
    writing.write_atomically(path, text.encode("utf-8"))
    return path


def systemd_user_available() -> bool:
    """A systemd user manager answers here (not in a container, over ssh without one...)."""
    if not sys.platform.startswith("linux") or shutil.which("systemctl") is None:
        return False
    if not Path("/run/systemd/system").is_dir():  # systemd is not the init system
        return False
    try:
        done = subprocess.run(
            ["systemctl", "--user", "show-environment"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def systemctl(*args: str) -> None:
    """`systemctl --user ARGS`; a failure is one line naming the command and systemd's reason."""
    try:
        done = subprocess.run(
            ["systemctl", "--user", *args], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NightvoiceError(f"systemctl --user {' '.join(args)} failed: {error}") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
        raise NightvoiceError(f"systemctl --user {' '.join(args)} failed: {why}")


def systemctl_says(*args: str) -> str:
    """What `systemctl --user ARGS` prints (`is-active`, `is-enabled`), or "" if it cannot."""
    try:
        done = subprocess.run(
            ["systemctl", "--user", *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()
