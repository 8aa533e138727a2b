"""`nightvoice standby --install | --off | --status`: standby as a user service.

With a systemd user manager (a desktop login, or a headless box with the user's lingering
session) it is `nightvoice-standby.service` in the user's own unit folder: started with the
session (`WantedBy=default.target`), restarted on failure, enabled with `systemctl --user enable
--now`. Without one, nothing is installed and the lines to add (a session's start-up file, or an
`@reboot` crontab line) are printed. Every word that lands in the unit or those lines (a routine's
file name, a device's path, the user's folders) is quoted for its reader by units.py.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from nightvoice.base import playing, standing
from nightvoice.core.errors import NightvoiceError
from nightvoice.user import units

UNIT = "nightvoice-standby"
SERVICE = f"{UNIT}.service"


def service_text(options: list[str]) -> str:
    """The unit: `python -m nightvoice standby OPTIONS`, restarted if it fails."""
    argv = units.program_argv("standby", *options)
    lines = [
        "# Written by `nightvoice standby --install`; `nightvoice standby --off` removes it.",
        "[Unit]",
        "Description=nightvoice standby: one press starts the night routine",
        # Never give up restarting: a sound server or bus that comes late is waited for.
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "Type=simple",
        *units.service_lines(argv, units.environment(cron=False)),
        "Restart=on-failure",
        "RestartSec=5",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    return "\n".join(lines)


def unit_file() -> Path:
    return units.units_dir() / SERVICE


def _by_hand(options: list[str]) -> list[str]:
    """Where there is no systemd: a line for the session's start-up file, and for a box nobody
    logs in to, an `@reboot` crontab line."""
    argv = units.program_argv("standby", *options)
    cron = units.cron_command(argv, units.environment(cron=True))
    if len(cron) > units.CRON_COMMAND_MAX:
        raise NightvoiceError(
            f"the crontab command would be {len(cron)} characters, and cron reads at most "
            f"{units.CRON_COMMAND_MAX}: use shorter paths"
        )
    return [
        "To start it with your session, add this line to your session's start-up file "
        "(~/.profile, or your desktop's autostart):",
        "",
        units.shell_command(argv, units.environment(cron=False)) + " &",
        "",
        "On a box nobody logs in to, add this line to your crontab (`crontab -e`) instead:",
        "",
        f"@reboot {cron}",
    ]


def install(options: list[str]) -> list[str]:
    """Install and start the service (replacing an earlier one); the lines to tell the user."""
    text = service_text(options)  # refuses what cannot be quoted, before anything is written
    if not units.systemd_user_available():
        return [
            "There is no systemd user session here, so nothing was installed.",
            *_by_hand(options),
        ]
    path = units.write_unit(SERVICE, text)
    units.systemctl("daemon-reload")
    units.systemctl("enable", "--now", SERVICE)
    lines = [
        "Standby is installed: it waits for a press now, and starts with your session.",
        f"(a systemd user service: {path})",
    ]
    running = standing.running()
    if running is not None:
        lines.append(
            f"A standby started by hand is running (PID {running[0]}); the service's own takes "
            "over when that one ends."
        )
    if lingering() is False:
        lines.append(
            "To have it wait with nobody logged in (a bedside box), run once: "
            "`loginctl enable-linger`"
        )
    return lines


def remove() -> list[str]:
    path = unit_file()
    if not path.exists():
        lines = ["No standby service was installed."]
        if not units.systemd_user_available():
            lines.append("If you added a line to start it by hand, remove that line.")
        return lines
    available = units.systemd_user_available()
    if available:
        units.systemctl("disable", "--now", SERVICE)
    path.unlink(missing_ok=True)
    if available:
        units.systemctl("daemon-reload")
    return ["Standby service removed."]


def status() -> list[str]:
    """What runs: the standby (and whether it plays), and the service."""
    lines = []
    running = standing.running()
    if running is None:
        lines.append("No standby is running.")
    else:
        pid, what = running
        lines.append(
            f"Standby is running (PID {pid}): it plays {what}."
            if what
            else f"Standby is running (PID {pid})."
        )
        player = playing.player()
        if player == pid:
            lines.append("It is playing now.")
        elif player is not None:
            lines.append(f"It waits: another nightvoice is playing (PID {player}).")
        else:
            lines.append("It is waiting for a press.")
    path = unit_file()
    if not path.exists():
        lines.append("Service: not installed (`nightvoice standby --install` installs it).")
    elif units.systemd_user_available():
        enabled = units.systemctl_says("is-enabled", SERVICE) or "unknown"
        active = units.systemctl_says("is-active", SERVICE) or "unknown"
        lines.append(f"Service: {path} ({enabled}, {active}).")
    else:
        lines.append(f"Service: {path} (no systemd user session here to run it).")
    return lines


def lingering() -> bool | None:
    """Does this user's systemd manager run with nobody logged in? None if it cannot be told."""
    if shutil.which("loginctl") is None:
        return None
    try:
        done = subprocess.run(
            ["loginctl", "show-user", "--property=Linger", "--value"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    answer = done.stdout.strip()
    return {"yes": True, "no": False}.get(answer) if done.returncode == 0 else None
