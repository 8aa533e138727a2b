"""Writing the user's files safely: nothing is ever left half-written (`write_atomically`,
`atomic_output`, `create_exclusively`), lost to two writers at once (`locked`), or put in the
place of something that is not a regular file (`refuse_non_regular`)."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from nightvoice.base.reading import kind_of


def write_atomically(path: str | os.PathLike[str], data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `path` so a reader sees the old file or the new one, never half of one.

    The bytes go to a temporary file in the same folder, are flushed to disk, and replace the
    target with `os.replace` (atomic on POSIX and Windows). The folder is created if needed.
    `durable=False` skips the flush to disk, for caches that can always be rebuilt.
    A symlink is followed: the file it points at is replaced and the link stays a link.
    """
    target = Path(os.path.realpath(path))
    refuse_non_regular(target)
    temp = _write_beside(target, data, durable=durable)
    try:
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def refuse_non_regular(path: str | os.PathLike[str]) -> None:
    """OSError if something other than a regular file is at `path` (nothing there is fine).

    Replacing /dev/null, a FIFO or a socket with a file (as root, even a device node) is never
    what was meant: nightvoice only ever replaces regular files.
    """
    try:
        kind = kind_of(os.stat(path).st_mode)
    except OSError:
        return
    if kind is not None:
        raise OSError(
            errno.EEXIST,
            f"it is {kind}, not a regular file; nightvoice only replaces regular files",
            os.fspath(path),
        )


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], *, replace: bool) -> Iterator[BinaryIO]:
    """A file to stream into that appears at `path` whole, or not at all.

    The bytes go to a temporary file in the same folder (which must exist); on success it is
    flushed to disk and put in place: replacing a regular file if `replace`, else only if
    nothing is there (FileExistsError otherwise, even if something appeared meanwhile). On any
    failure the temporary file is removed and `path` is untouched.
    """
    target = Path(os.path.realpath(path)) if replace else Path(path)
    refuse_non_regular(target)
    fd, temp = _new_temp(target)
    try:
        _set_mode(fd, target)
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if replace:
            refuse_non_regular(target)
            os.replace(temp, target)
        else:
            try:
                os.link(temp, target)
            except (AttributeError, NotImplementedError, PermissionError):  # no hard links
                if os.path.lexists(target):
                    raise FileExistsError(errno.EEXIST, "File exists", str(target)) from None
                os.replace(temp, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def create_exclusively(path: Path, data: bytes) -> None:
    """Create `path` with `data` only if nothing is there (FileExistsError otherwise).

    Written to a temporary file first and hard-linked into place, so the name never points at a
    half-written file and an existing file is never touched, even by a race.
    """
    temp = _write_beside(path, data, durable=True)
    try:
        try:
            os.link(temp, path)
        except (AttributeError, NotImplementedError, PermissionError):  # no hard links here
            with open(path, "xb") as f:
                f.write(data)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


STALE_TEMP_SECONDS = 600.0  # a temporary file this old belongs to a writer that was killed


def _new_temp(path: Path) -> tuple[int, str]:
    """A new empty file `.NAME.RANDOM.tmp` beside `path`, readable by us only, that no one
    else opened: what `tempfile.mkstemp` makes (importing tempfile costs ~8 ms, more than
    writing the list cache)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temp = os.path.join(os.path.abspath(path.parent), f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(temp, flags, 0o600), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", str(path.parent))


def _sweep_stale_temps(path: Path) -> None:
    """Remove `.NAME.*.tmp` files a killed writer left beside `path` (never a fresh one: it
    may be another writer's, still being written)."""
    import time

    prefix, now = f".{path.name}.", time.time()
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
            continue
        with contextlib.suppress(OSError):
            if now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_SECONDS:
                os.unlink(entry.path)


@contextlib.contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock for `path` while reading, changing and replacing it.

    The lock is on `.NAME.lock` beside it (the file itself is replaced, so it cannot carry
    the lock), so two writers at once take turns instead of one losing the other's change.
    Where file locks do not exist (Windows) it only makes sure the folder exists.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target.parent / f".{target.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise _naming(error, target) from None
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_beside(path: Path, data: bytes, *, durable: bool) -> str:
    """A new temporary file holding `data` in `path`'s folder, with `path`'s mode; its name."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _sweep_stale_temps(path)
        fd, temp = _new_temp(path)
    except OSError as error:
        raise _naming(error, path) from None
    try:
        _set_mode(fd, path)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(error, OSError):
            raise _naming(error, path) from None
        raise
    return temp


def _naming(error: OSError, path: Path) -> OSError:
    """The error with the file the user knows (not our temporary name, or none at all)."""
    if error.filename is not None and Path(os.fsdecode(error.filename)) in path.parents:
        return error  # a folder on the way is the trouble: keep its name
    return type(error)(error.errno, error.strerror, str(path))


def _set_mode(fd: int, path: Path) -> None:
    """Temporary files are private (0600); give the file the mode it had, or the usual one."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        mode = 0o666 & ~umask
    with contextlib.suppress(OSError, AttributeError):  # no fchmod on Windows
        os.fchmod(fd, mode)
