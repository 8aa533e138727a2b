"""The episode log for the doctor: one CSV row per night episode, local and append-only.

After a routine with `log_episode: true`, one key answers "did it help?" and a row (start time,
routine, how long, the answer, which leg) is appended to `paths.log_file()`. The log is never
required: if it cannot be written, a one-line warning is printed and the session ends as usual.

Two row layouts live side by side in one file, since it is only ever appended to: version 1
(start, routine, seconds, helped) and version 2, which adds the leg and says its version in its
last field (start, routine, seconds, helped, side, 2). Both are read.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from nightvoice.base import paths, reading
from nightvoice.core import phrases as said
from nightvoice.core.errors import NightvoiceError
from nightvoice.core.phrases import ENGLISH, PhraseBook
from nightvoice.core.plan import Plan
from nightvoice.core.player import Outcome
from nightvoice.core.routine import Question

LOG_LIMIT = 256 * 1024 * 1024  # decades of nights; a device or FIFO here is refused, not read
HEADER_V1 = ("start", "routine", "seconds", "helped")
HEADER = (*HEADER_V1, "side", "version")
VERSION = "2"
ANSWERS = ("yes", "no", "unanswered")
UNANSWERED = "unanswered"


def question(phrases: PhraseBook = ENGLISH) -> Question:
    """ "Did it help?" in the routine's language, answered with that language's keys (J or N
    in a German catalog); the log keeps the answer as yes or no whatever the language."""
    yes, no = phrases.key(said.YES_KEY), phrases.key(said.NO_KEY)
    asked = phrases.line(said.DID_IT_HELP, yes_key=yes.upper(), no_key=no.upper())
    return Question(
        name="helped",
        say=asked.text,
        choices={yes: "yes", no: "no"},
        default=UNANSWERED,
        timeout=10.0,
        language=asked.language,
    )


@dataclass(frozen=True)
class Episode:
    start: datetime.datetime  # local time with its UTC offset
    routine: str
    seconds: float
    helped: str  # yes, no or unanswered
    side: str = ""  # the answer to the routine's `side` question (left, right); "" if not asked

    def row(self) -> list[str]:
        return [
            self.start.isoformat(timespec="seconds"),
            self.routine,
            f"{self.seconds:.0f}",
            self.helped,
            self.side,
            VERSION,
        ]


def should_log(plan: Plan, outcome: Outcome) -> bool:
    """Only routines that ask for it, and only once a step has started."""
    return plan.log_episode and (outcome.completed or bool(outcome.steps_started))


def should_ask(plan: Plan, outcome: Outcome, interactive: bool) -> bool:
    """Asked only at a terminal after the routine ran to its end: `q` quits with nothing more."""
    return should_log(plan, outcome) and interactive and outcome.completed and not outcome.quit


def append(episode: Episode, path: Path | None = None) -> Path:
    """Add one row at the end (the header first if the log is new); never rewrites the file."""
    path = path or paths.log_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)  # RDWR: see its end
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            writer.writerow(HEADER)
        elif os.pread(fd, 1, size - 1) != b"\n":
            buffer.write("\n")  # a row cut short before (a crash): ours starts on its own line
        # One physical line per row, so a reader can always tell rows apart.
        writer.writerow([" ".join(field.splitlines()) for field in episode.row()])
        _append_whole(fd, size, buffer.getvalue().encode("utf-8"))
    finally:
        os.close(fd)
    return path


def _append_whole(fd: int, size: int, data: bytes) -> None:
    """Append `data` whole or not at all: on a full disk the part written is cut off again,
    so no half row is left to run into the next one."""
    written = 0
    try:
        while written < len(data):
            written += os.write(fd, data[written:])
        os.fsync(fd)  # a log line for the doctor is worth a flush to disk
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
        raise


def log(routine: str, outcome: Outcome, helped: str, side: str, err: TextIO | None) -> Episode:
    """Append the episode to the log; a log that cannot be written is one line on `err`."""
    start = datetime.datetime.now().astimezone() - datetime.timedelta(seconds=outcome.seconds)
    helped = helped if helped in ANSWERS else UNANSWERED
    episode = Episode(start, routine, outcome.seconds, helped, side)
    try:
        append(episode)
    except (OSError, ValueError) as error:
        print(f"nightvoice: could not write the episode log: {error}", file=err or sys.stderr)
    return episode


def read(path: Path | None = None) -> tuple[list[Episode], int]:
    """Every readable episode, oldest first, and how many rows could not be read.

    Rows that are not what `append` writes (bad bytes, wrong fields) are counted, not fatal;
    a log that cannot be read at all is a NightvoiceError naming it. The file is never changed.
    """
    path = path or paths.log_file()
    try:
        data = reading.read_input(path, limit=LOG_LIMIT)
    except FileNotFoundError:
        return [], 0
    except OSError as error:
        raise NightvoiceError(
            f"cannot read the episode log {path}: {error.strerror or error}"
        ) from None
    # Bad bytes survive decoding as surrogates, so only their rows are lost.
    text = data.decode("utf-8", errors="surrogateescape")
    episodes: list[Episode] = []
    unreadable = 0
    for line in text.splitlines():
        # Each line alone: a row cut short (a crash, an old version on a full disk) with an
        # open quote must not swallow the good rows after it.
        try:
            row = next(csv.reader([line]), [])
        except csv.Error:
            unreadable += 1
            continue
        if not row or tuple(row) in (HEADER, HEADER_V1):
            continue
        try:
            "".join(row).encode("utf-8")  # UnicodeEncodeError (a ValueError) on bad bytes
            if len(row) == len(HEADER) and row[-1] == VERSION:
                start, routine, seconds, helped, side, _ = row
            else:  # version 1, or ValueError when the fields are not either layout
                (start, routine, seconds, helped), side = row, ""
            episodes.append(
                Episode(
                    datetime.datetime.fromisoformat(start), routine, float(seconds), helped, side
                )
            )
        except ValueError:
            unreadable += 1
    return episodes, unreadable


def format_table(episodes: list[Episode]) -> str:
    """Readable lines, newest last: date, time, routine, how long, whether it helped."""
    if not episodes:
        return "No episodes logged yet."
    rows = [("when", "routine", "time", "helped")]
    for e in episodes:
        minutes, secs = divmod(round(e.seconds), 60)
        rows.append(
            (e.start.strftime("%Y-%m-%d %H:%M"), e.routine, f"{minutes}:{secs:02d}", e.helped)
        )
    # Each column as wide as its widest cell, the header's included (a routine called `x`
    # and a two-hour episode line up too).
    when, routine, time = (max(len(row[n]) for row in rows) for n in range(3))
    return "\n".join(
        f"{row[0]:<{when}}  {row[1]:<{routine}}  {row[2]:>{time}}  {row[3]}" for row in rows
    )


def to_csv(episodes: list[Episode]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for episode in episodes:
        writer.writerow(episode.row())
    return buffer.getvalue()
