"""`nightvoice remind HH:MM`: a daily bedtime reminder, scheduled by the system, not by us.

On Linux with a systemd user session it is a timer and a service in the user's own unit folder
(`~/.config/systemd/user`, no root); without one, the crontab line to add is printed. Either
way the scheduled command is `python -m nightvoice remind --fire [--say TEXT]`, which plays the
bedtime routine (or speaks TEXT) with the user's settings, hands-free, so it never asks "did it
help?" and logs no episode, and which stays quiet while a routine is playing (base/playing.py).

What is set is kept in `remind.json` in the config folder, so `nightvoice remind` can show it
whichever scheduler runs it. The user's TEXT is data on a command line read by systemd or by
cron and sh: each word is quoted for exactly that reader (units.py, which standby's service uses
too), and text that no quoting can carry safely (a newline, a control character) is refused.
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from nightvoice.base import paths, reading, writing
from nightvoice.core.errors import NightvoiceError, shown
from nightvoice.user import units

UNIT = "nightvoice-remind"
ROUTINE = "bedtime-stretches"
MAX_TEXT = 300  # a short spoken reminder, not a routine (cron lines are limited too)
STATE = "remind.json"
CRON_COMMENT = "# nightvoice bedtime reminder (`nightvoice remind --off` to stop)"


class RemindError(NightvoiceError):
    exit_code = 2


@dataclass(frozen=True)
class Reminder:
    hour: int
    minute: int
    say: str | None = None  # None: the bedtime routine plays
    via: str = "systemd"  # or "cron"

    @property
    def at(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"

    def what(self) -> str:
        return f'says "{self.say}"' if self.say else f"plays {ROUTINE}"


def parse_time(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text)
    if match:
        hour, minute = int(match[1]), int(match[2])
        if hour < 24 and minute < 60:
            return hour, minute
    raise RemindError(
        f"`{shown(text)}` is not a time: give it as HH:MM on a 24-hour clock, like 22:30"
    )


def check_text(text: str) -> str:
    """The reminder text, or RemindError: one line of printable text, short."""
    text = text.strip()
    if not text:
        raise RemindError("--say needs some text to speak")
    if len(text) > MAX_TEXT:
        raise RemindError(f"--say text is {len(text)} characters; keep it under {MAX_TEXT}")
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp")), None)
    if bad is not None:
        what = (
            "a line break" if bad in "\n\r\u2028\u2029" else f"the control character `{shown(bad)}`"
        )
        raise RemindError(f"--say text must be one line of plain text; it has {what}")
    return text


# --- the command the scheduler runs ----------------------------------------------------------


def fire_argv(say: str | None) -> list[str]:
    """The scheduled command: this Python running nightvoice, so the same install is used."""
    return units.program_argv("remind", "--fire", *(["--say", say] if say else []))


def service_text(reminder: Reminder) -> str:
    lines = [
        "# Written by `nightvoice remind`; `nightvoice remind --off` removes it.",
        "[Unit]",
        "Description=nightvoice bedtime reminder",
        "",
        "[Service]",
        "Type=oneshot",
        *units.service_lines(fire_argv(reminder.say), units.environment(cron=False)),
        "",
    ]
    return "\n".join(lines)


def timer_text(reminder: Reminder) -> str:
    return "\n".join(
        [
            "# Written by `nightvoice remind`; `nightvoice remind --off` removes it.",
            "[Unit]",
            f"Description=nightvoice bedtime reminder at {reminder.at}",
            "",
            "[Timer]",
            f"OnCalendar=*-*-* {reminder.at}:00",
            "AccuracySec=1s",
            # A reminder missed while the computer was off is not played the next morning.
            "Persistent=false",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ]
    )


def cron_line(reminder: Reminder) -> str:
    command = units.cron_command(fire_argv(reminder.say), units.environment(cron=True))
    if len(command) > units.CRON_COMMAND_MAX:
        raise RemindError(
            f"the crontab command would be {len(command)} characters, and cron reads at most "
            f"{units.CRON_COMMAND_MAX}: shorten the --say text (quoting `%` and `'` makes it "
            "longer)"
        )
    return f"{reminder.minute} {reminder.hour} * * * {command}"


# --- where it lives --------------------------------------------------------------------------


def unit_files() -> tuple[Path, Path]:
    folder = units.units_dir()
    return folder / f"{UNIT}.service", folder / f"{UNIT}.timer"


def state_file() -> Path:
    return paths.config_dir() / STATE


def load() -> Reminder | None:
    try:
        data = json.loads(reading.read_input(state_file()).decode("utf-8"))
        return Reminder(int(data["hour"]), int(data["minute"]), data.get("say"), data["via"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise NightvoiceError(
            f"{state_file()}: cannot read the reminder setting ({error}); "
            "`nightvoice remind --off` clears it"
        ) from None


def _save(reminder: Reminder) -> None:
    data = {"hour": reminder.hour, "minute": reminder.minute, "say": reminder.say}
    data["via"] = reminder.via
    writing.write_atomically(state_file(), (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def write_units(reminder: Reminder) -> tuple[Path, Path]:
    service = units.write_unit(f"{UNIT}.service", service_text(reminder))
    timer = units.write_unit(f"{UNIT}.timer", timer_text(reminder))
    return service, timer


# --- setting, showing, removing --------------------------------------------------------------


def set_reminder(hour: int, minute: int, say: str | None) -> list[str]:
    """Install the reminder (replacing any earlier one); the lines to tell the user."""
    text = check_text(say) if say is not None else None
    if units.systemd_user_available():
        reminder = Reminder(hour, minute, text, "systemd")
        _, timer = write_units(reminder)
        units.systemctl("daemon-reload")
        units.systemctl("enable", "--now", f"{UNIT}.timer")
        _save(reminder)
        return [
            f"Bedtime reminder set for {reminder.at} every day: it {reminder.what()}.",
            f"(a systemd user timer: {timer})",
            next_line(reminder),
        ]
    reminder = Reminder(hour, minute, text, "cron")
    line = cron_line(reminder)  # refuses what cannot be quoted, before anything is saved
    _save(reminder)
    return [
        "There is no systemd user session here, so nothing was installed.",
        f"Add this line to your crontab ({edit_crontab()}); the comment above it is optional:",
        "",
        CRON_COMMENT,
        line,
        "",
        f"Then it {reminder.what()} at {reminder.at} every day.",
    ]


# What installs the `crontab` command where there is none, by the package tool found.
CRON_PACKAGES = (("apt-get", "cron"), ("dnf", "cronie"), ("pacman", "cronie"), ("zypper", "cronie"))


def edit_crontab() -> str:
    """How to edit the crontab here: `crontab -e`, after installing cron where it is missing."""
    if shutil.which("crontab"):
        return "run `crontab -e`"
    install = next(
        (
            f"`sudo {tool} install {package}`"
            for tool, package in CRON_PACKAGES
            if shutil.which(tool)
        ),
        "your system's cron package",
    )
    return f"there is no `crontab` command here: install {install}, then run `crontab -e`"


def next_fire(reminder: Reminder, now: datetime.datetime | None = None) -> datetime.datetime:
    """The next local time the reminder goes off."""
    now = (now or datetime.datetime.now()).astimezone()
    wall = now.replace(tzinfo=None)
    today = wall.replace(hour=reminder.hour, minute=reminder.minute, second=0, microsecond=0)
    when = today if today > wall else today + datetime.timedelta(days=1)
    return when.astimezone()  # local, with the offset that day


def next_line(reminder: Reminder, now: datetime.datetime | None = None) -> str:
    now = (now or datetime.datetime.now()).astimezone()
    when = next_fire(reminder, now)
    minutes = round((when - now).total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    return f"Next: {when:%a %Y-%m-%d %H:%M %Z} (in {hours} h {minutes:02d} min)."


def show(now: datetime.datetime | None = None) -> list[str]:
    reminder = load()
    if reminder is None:
        return ["No bedtime reminder is set (`nightvoice remind 22:30` sets one)."]
    lines = [f"Bedtime reminder at {reminder.at} every day: it {reminder.what()}."]
    if reminder.via == "systemd":
        _, timer = unit_files()
        if timer.exists():
            lines.append(f"(a systemd user timer: {timer})")
        else:
            lines.append(f"Its timer {timer} is missing: set it again, or --off to clear it.")
    else:
        lines += ["(through your crontab, if you added this line:)", cron_line(reminder)]
    lines.append(next_line(reminder, now))
    return lines


def remove() -> list[str]:
    try:
        reminder = load()
    except NightvoiceError:  # a damaged setting is removed all the same
        reminder = None
    service, timer = unit_files()
    had_units = service.exists() or timer.exists()
    if had_units and units.systemd_user_available():
        units.systemctl("disable", "--now", f"{UNIT}.timer")
    for path in (timer, service):
        path.unlink(missing_ok=True)
    if had_units and units.systemd_user_available():
        units.systemctl("daemon-reload")
    state_file().unlink(missing_ok=True)
    if reminder is None and not had_units:
        return ["No bedtime reminder was set."]
    lines = ["Bedtime reminder removed."]
    if reminder is not None and reminder.via == "cron" and shutil.which("crontab"):
        # (with no crontab command here, there is no crontab it could be in)
        lines += [
            "Also remove its line from your crontab, if you added it (`crontab -e`):",
            cron_line(reminder),
        ]
    return lines
