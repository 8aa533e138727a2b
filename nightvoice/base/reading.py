"""The one way every input file is read: routines, config.yaml, catalogs, caches and records.

Only `os`, `stat` and `errno` are used (loaded with Python itself, or builtin): the fast start
reads its record through `read_input` before anything else is imported.
"""

from __future__ import annotations

import errno
import os
import stat

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the fast start must not import typing
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence

# The most any input file may hold: a routine of the longest allowed size is about 100 KB.
MAX_INPUT_BYTES = 1024 * 1024


def read_input(path: str | os.PathLike[str], *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; every input file is read here.

    A FIFO, a device (/dev/zero), a socket or a folder where a routine or config.yaml should be
    would hang the reader or grow its memory without end, so it is refused before it is read,
    as is a file too big to be a routine. Refusals are OSErrors whose `strerror` says why in
    plain words (FileNotFoundError stays itself), so callers report them like any read error.
    """
    try:
        kind = kind_of(os.stat(path).st_mode)
    except OSError:
        kind = None  # the open below gives the real reason (not found, permission...)
    if kind is not None:
        raise OSError(errno.EINVAL, f"it is {kind}, not a regular file", os.fspath(path))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        kind = kind_of(info.st_mode)  # it may have been swapped since the stat above
        if kind is not None:
            raise OSError(errno.EINVAL, f"it is {kind}, not a regular file", os.fspath(path))
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(limit + 1 - size, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit or info.st_size > limit:
            raise OSError(
                errno.EFBIG,
                f"it is larger than {limit // 1024} KiB, far more than any routine or "
                "setting needs",
                os.fspath(path),
            )
        return b"".join(chunks)
    finally:
        os.close(fd)


def kind_of(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a plain file"


def file_stamps(files: Sequence[str]) -> tuple[tuple[str, int, int], ...]:
    """(path, change time in ns, size) of each file; a missing one is (path, -1, -1).

    A cache built from files is fresh while their stamps are unchanged (the head start's
    record, the sentence lengths): cheaper than reading them again, one `stat` each.
    """
    stamps = []
    for path in files:
        try:
            status = os.stat(path)
        except OSError:
            stamps.append((path, -1, -1))
            continue
        stamps.append((path, status.st_mtime_ns, status.st_size))
    return tuple(stamps)
