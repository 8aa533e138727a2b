"""The `aplay` command line for a `--device` value.

Its own module, free of heavy imports, because the head start (headstart.py) spawns `aplay`
before anything else is loaded.
"""

from __future__ import annotations

PERIOD_MICROSECONDS = 10_000


def device_command(device: str | None, rate: int) -> tuple[list[str], dict[str, str]]:
    """The aplay argv and extra environment for a `--device` value.

    None or "default": the system default; "pulse:SINK": that PulseAudio/PipeWire sink;
    anything else: an ALSA PCM name.
    """
    # 10 ms periods: aplay pads its last period with silence and exits only after playing
    # it, so its default (~50 ms here) made every sentence "end", and a hold start, that late.
    argv = ["aplay", "-q", "-t", "raw", "-f", "S16_LE", "-r", str(rate), "-c", "1"]
    argv.append(f"--period-time={PERIOD_MICROSECONDS}")
    env: dict[str, str] = {}
    if device and device != "default":
        if device.startswith("pulse:"):
            sink = device[len("pulse:") :]
            argv += ["-D", "pulse"]
            if sink:
                env["PULSE_SINK"] = sink
        else:
            argv += ["-D", device]
    argv.append("-")
    return argv, env
