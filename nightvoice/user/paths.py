"""Where a user's routines, settings and log live: platform conventions, one override.

`NIGHTVOICE_HOME` puts everything in one folder (tests point it at a temporary one, so no test
touches a real home); otherwise platformdirs gives XDG folders on Linux, honouring
XDG_CONFIG_HOME and XDG_DATA_HOME, and each platform's own elsewhere.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

APP = "nightvoice"
HOME_OVERRIDE = "NIGHTVOICE_HOME"


def _override() -> Path | None:
    value = os.environ.get(HOME_OVERRIDE)
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    override = _override()
    if override:
        return override
    import platformdirs

    return platformdirs.user_config_path(APP)


def data_dir() -> Path:
    override = _override()
    if override:
        return override
    import platformdirs

    return platformdirs.user_data_path(APP)


def cache_dir() -> Path:
    override = _override()
    if override:
        return override / "cache"
    import platformdirs

    return platformdirs.user_cache_path(APP)


def routines_dir() -> Path:
    return config_dir() / "scripts"


def config_file() -> Path:
    return config_dir() / "config.yaml"


def log_file() -> Path:
    return data_dir() / "episodes.csv"


def write_atomically(path: str | os.PathLike[str], data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `path` so a reader sees the old file or the new one, never half of one.

    The bytes go to a temporary file in the same folder, are flushed to disk, and replace the
    target with `os.replace` (atomic on POSIX and Windows). The folder is created if needed.
    `durable=False` skips the flush to disk, for caches that can always be rebuilt.
    A symlink is followed: the file it points at is replaced and the link stays a link.
    """
    target = Path(os.path.realpath(path))
    temp = _write_beside(target, data, durable=durable)
    try:
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


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


def _write_beside(path: Path, data: bytes, *, durable: bool) -> str:
    """A new temporary file holding `data` in `path`'s folder, with `path`'s mode; its name."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        _set_mode(fd, path)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return temp


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
