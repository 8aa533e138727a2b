"""`nightvoice devices`: what --device accepts, from ALSA and the sound server; * the default."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightvoice.cli import run
from tests.audio_server import PulseServer, pulse_server

_ = pulse_server  # fixture used by name below


def listed(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    assert run(["devices"]) == 0
    lines = capsys.readouterr().out.splitlines()
    return {line[2:].split()[0]: line[0] for line in lines}


@pytest.mark.real_audio
def test_devices_lists_the_default_alsa_pcms_and_the_servers_sinks(
    pulse_server: PulseServer, capsys: pytest.CaptureFixture[str]
) -> None:
    marks = listed(capsys)
    assert marks["default"] == "*"
    assert marks[f"pulse:{pulse_server.sink}"] == " "
    assert "null" in marks  # an ALSA PCM from `aplay -L`


@pytest.mark.real_audio
def test_the_configured_device_is_the_one_marked(
    pulse_server: PulseServer, private_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    private_home.mkdir(parents=True, exist_ok=True)
    (private_home / "config.yaml").write_text(f"device: pulse:{pulse_server.sink}\n")
    marks = listed(capsys)
    assert marks[f"pulse:{pulse_server.sink}"] == "*"
    assert marks["default"] == " "
