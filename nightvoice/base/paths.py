"""Where a user's routines, settings, log and caches live: platform conventions, one override.

`NIGHTVOICE_HOME` puts everything in one folder (tests point it at a temporary one, so no test
touches a real home); otherwise platformdirs gives XDG folders on Linux, honouring
XDG_CONFIG_HOME, XDG_DATA_HOME and XDG_CACHE_HOME, and each platform's own elsewhere.

The fast start (nightvoice/startup/) needs the cache and config folders before pathlib or
platformdirs are imported (~10 ms it cannot spare): `fast_folder` computes them from the
environment with `os` alone on Linux, and tests/base/test_paths.py holds it to platformdirs'
answer for every form of those variables, so the two cannot drift apart.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the fast start must not import typing
if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

APP = "nightvoice"
HOME_OVERRIDE = "NIGHTVOICE_HOME"
# The environment that decides where every folder is (the fast start's records key on it).
ENVIRONMENT = (HOME_OVERRIDE, "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "HOME")
# kind -> (the subfolder of NIGHTVOICE_HOME, the XDG variable, its default under HOME)
_KINDS = {
    "config": ("", "XDG_CONFIG_HOME", "~/.config"),
    "data": ("", "XDG_DATA_HOME", "~/.local/share"),
    "cache": ("cache", "XDG_CACHE_HOME", "~/.cache"),
}


def fast_folder(kind: str) -> str | None:
    """The `config`, `data` or `cache` folder as text, from `os` alone; None where only
    platformdirs knows (not Linux), for the caller to fall back on `folder`."""
    sub, variable, default = _KINDS[kind]
    home = os.environ.get(HOME_OVERRIDE)
    if home:
        return os.path.join(os.path.expanduser(home), sub) if sub else os.path.expanduser(home)
    linux = sys.platform.startswith("linux")  # a variable: checked at run time, not by mypy
    if not linux:
        return None
    base = os.environ.get(variable, "")
    if not os.path.isabs(base):  # the XDG spec: an empty or relative value is ignored
        base = os.path.expanduser(default)
    return os.path.join(base, APP)


def folder(kind: str) -> str:
    """The `config`, `data` or `cache` folder as text, by the platform's convention."""
    fast = fast_folder(kind)
    if fast is not None:
        return fast
    import platformdirs

    found: str = getattr(platformdirs, f"user_{kind}_dir")(APP)
    return found


def cache_file(name: str) -> str:
    """`name` in the cache folder (created), as text: no pathlib on the fast start (the
    locks: playing.lock, standby.lock)."""
    cache = folder("cache")
    os.makedirs(cache, exist_ok=True)
    return os.path.join(cache, name)


def config_dir() -> Path:
    from pathlib import Path

    return Path(folder("config"))


def data_dir() -> Path:
    from pathlib import Path

    return Path(folder("data"))


def cache_dir() -> Path:
    from pathlib import Path

    return Path(folder("cache"))


def routines_dir() -> Path:
    return config_dir() / "scripts"


def languages_dir() -> Path:
    """The user's phrase catalogs (`LANG.po`, `nightvoice translate`), beside their routines."""
    return config_dir() / "languages"


def config_file() -> Path:
    return config_dir() / "config.yaml"


def log_file() -> Path:
    return data_dir() / "episodes.csv"
