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


ASOUNDRC = """\
pcm.nightvoice_broken {
    type hw
    card 99
    hint { show on description "A card that is not there" }
}
pcm.nightvoice_plays {
    type null
    hint { show on description "Plays into nothing" }
}
"""


def test_devices_lists_only_outputs_that_can_play(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """ALSA lists every PCM it knows; one on a card that is not there is left out, and said."""
    (tmp_path / ".asoundrc").write_text(ASOUNDRC)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert run(["devices"]) == 0
    captured = capsys.readouterr()
    names = [line[2:].split()[0] for line in captured.out.splitlines()]
    assert "nightvoice_plays" in names and "null" in names
    assert "nightvoice_broken" not in names
    assert "nightvoice_broken" in captured.err.splitlines()[-1]
