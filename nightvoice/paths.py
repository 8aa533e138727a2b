"""Where a user's routines, settings and log live: platform conventions, one override.

`NIGHTVOICE_HOME` puts everything in one folder (tests point it at a temporary one, so no test
touches a real home); otherwise platformdirs gives XDG folders on Linux, honouring
XDG_CONFIG_HOME and XDG_DATA_HOME, and each platform's own elsewhere.
"""

from __future__ import annotations

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
