"""Files the user names for output (`export -o`, `report -o`): the rules both keep.

Never half a file under the user's name, never an existing file without --force, and never
anything but a regular file replaced (a device, a FIFO, a socket); a missing folder only with
--parents. Each refusal is one line naming the file and what to do.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from nightvoice.base import writing
from nightvoice.core.errors import NightvoiceError, shown

T = TypeVar("T")


def check_output(output: Path, *, force: bool, parents: bool) -> None:
    """Refuse an output that cannot be right before making anything (the write decides
    again): a missing folder, something that is not a regular file, or an existing file
    without --force."""
    folder = output.parent
    if not folder.is_dir():
        if os.path.lexists(folder) or not parents:
            what = "is not a folder" if os.path.lexists(folder) else "does not exist"
            hint = "" if os.path.lexists(folder) else "; create it or pass --parents"
            raise NightvoiceError(
                f"cannot write {shown(str(output))}: {shown(str(folder))} {what}{hint}"
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise NightvoiceError(
                f"cannot create {shown(str(folder))}: {_reason(error, output)}"
            ) from None
    try:
        writing.refuse_non_regular(output)
    except OSError as error:
        raise NightvoiceError(f"cannot write {shown(str(output))}: {error.strerror}") from None
    if not force and os.path.lexists(output):
        raise NightvoiceError(f"{shown(str(output))} already exists; pass --force to replace it")


def write_output(output: Path, write: Callable[[Any], T] | bytes, *, force: bool) -> T | None:
    """Write a file under its real name (never half of one), or say why not: `write` streams
    into it (its folder must exist), or bytes are written whole (its folder is created).

    Without `force` an existing file is never replaced, even one that appears meanwhile; with
    it, only a regular file is ever replaced.
    """
    try:
        if isinstance(write, bytes):
            if force:
                writing.write_atomically(output, write)
            else:
                writing.create_exclusively(output, write)
            return None
        with writing.atomic_output(output, replace=force) as out:
            return write(out)
    except OSError as error:
        if isinstance(error, FileExistsError) and not force and os.path.lexists(output):
            raise NightvoiceError(
                f"{shown(str(output))} already exists; pass --force to replace it"
            ) from None
        raise NightvoiceError(
            f"cannot write {shown(str(output))}: {_reason(error, output)}"
        ) from None


def _reason(error: OSError, output: Path) -> str:
    """Why a file could not be written, naming the folder when the folder is the trouble."""
    where = Path(error.filename) if isinstance(error.filename, str) else None
    if where is not None and where in output.parents:
        if isinstance(error, (FileExistsError, NotADirectoryError)):
            return f"{shown(str(where))} is not a folder"
        return f"{shown(str(where))}: {error.strerror}"
    return error.strerror or str(error)
