"""Settings: built-in night defaults < the routine < the user's config file < flags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nightvoice import paths
from nightvoice.errors import ConfigError, Problem
from nightvoice.plan import Settings
from nightvoice.routine import Voice

# The night profile: slow and low, so it soothes rather than startles.
NIGHT_DEFAULTS: dict[str, Any] = {"language": "en", "voice": None, "rate": 130, "volume": 0.6}
KEYS = ("language", "voice", "rate", "volume", "device", "chime")


@dataclass(frozen=True)
class Resolved:
    settings: Settings
    sources: dict[str, str]  # setting -> where its value came from


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The user's config.yaml, validated; a missing file is an empty config."""
    path = path or paths.config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}:1:1: cannot read the config file: {error}") from None
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = Problem(str(path), line, column, f"YAML syntax: {error.problem}")
        raise ConfigError(str(problem)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(str(Problem(str(path), 1, 1, "the config must be `key: value` lines")))
    problems = [
        f"{path}:1:1: unknown setting `{key}` (known: {', '.join(KEYS)})"
        for key in data
        if key not in KEYS
    ]
    if problems:
        raise ConfigError("\n".join(problems))
    return data


def resolve_settings(routine: Voice, config: dict[str, Any], flags: dict[str, Any]) -> Resolved:
    values = dict(NIGHT_DEFAULTS)
    sources = {key: "night default" for key in values}
    layers = (
        ("routine", {k: getattr(routine, k) for k in ("language", "voice", "rate", "volume")}),
        ("config", config),
        ("flag", flags),
    )
    for origin, layer in layers:
        for key in values:
            if layer.get(key) is not None:
                values[key] = layer[key]
                sources[key] = origin
    settings = Settings(
        language=str(values["language"]),
        voice=values["voice"],
        rate=int(values["rate"]),
        volume=float(values["volume"]),
    )
    return Resolved(settings, sources)
