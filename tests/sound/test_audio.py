"""PCM helpers, the generated chime, device parsing and the aplay output (real aplay)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nightvoice.core.errors import SpeechUnavailable
from nightvoice.sound.aplay import device_command
from nightvoice.sound.audio import (
    AplayOutput,
    Device,
    Pcm,
    chime,
    parse_aplay_list,
    parse_pactl_sinks,
)
from tests.audio_server import (
    PulseServer,
    Recorder,
    correlation,
    first_loud,
    goertzel,
    locate,
    pulse_server,
    recorder,
)
from tests.sink import Restarting

_ = (pulse_server, recorder)  # fixtures used by name below

APLAY_L = """\
null
    Discard all samples (playback) or generate zero samples (capture)
default
    Playback/recording through the PulseAudio sound server
pulse
    PulseAudio Sound Server
sysdefault:CARD=PCH
    HDA Intel PCH, ALC3246 Analog
    Default Audio Device
front:CARD=PCH,DEV=0
    HDA Intel PCH, ALC3246 Analog
    Front output / input
"""

PACTL_SINKS = (
    "0\tnv\tmodule-null-sink.c\ts16le 1ch 22050Hz\tIDLE\n"
    "1\talsa_output.usb-Headset-00.analog-stereo\tmodule-alsa-card.c\ts16le 2ch 48000Hz\tSUSPENDED\n"
)


def aplay_children() -> list[int]:
    """PIDs of live (not zombie) aplay processes whose parent is this test process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("Name", "").strip() == "aplay" and fields.get("PPid", "").strip() == str(
            os.getpid()
        ):
            found.append(int(entry.name))
    return found


# --- PCM ---------------------------------------------------------------------------------


def test_scaling_is_clip_safe_and_exact() -> None:
    pcm = Pcm(b"".join(v.to_bytes(2, "little", signed=True) for v in (0, 1000, -1000, 30000)), 8000)
    assert list(pcm.scaled(0.5).values()) == [0, 500, -500, 15000]
    assert list(pcm.scaled(2.0).values()) == [0, 2000, -2000, 32767]
    assert pcm.scaled(1.0) is pcm


def test_concat_silence_and_resampling() -> None:
    tone = chime(8000, seconds=0.1)
    joined = Pcm.concat([tone, Pcm.silence(0.25, 8000), tone])
    assert joined.seconds == pytest.approx(0.45, abs=1 / 8000)
    assert Pcm.concat([tone], rate=16000).seconds == pytest.approx(0.1, abs=1 / 8000)


# --- chime -------------------------------------------------------------------------------


def test_chime_is_soft_smooth_and_at_its_pitch() -> None:
    pcm = chime()
    values = pcm.values()
    assert pcm.seconds == pytest.approx(0.6, abs=0.001)
    peak = max(abs(v) for v in values)
    assert 3000 < peak < 0.5 * 32767  # audible, well below full scale
    assert max(abs(v) for v in values[:22]) < 0.02 * peak  # the first ms fades in from zero
    assert abs(values[-1]) < 0.01 * peak  # and it ends at zero: no click
    body = values[: len(values) // 3]
    assert goertzel(body, 660) > 5 * goertzel(body, 440)
    assert goertzel(body, 990) > 5 * goertzel(body, 1500)
    assert chime(volume=0.5).values()[2000] == pytest.approx(values[2000] * 0.5, abs=1)


# --- devices -----------------------------------------------------------------------------


def test_aplay_device_list_is_parsed() -> None:
    devices = parse_aplay_list(APLAY_L)
    assert devices[0] == Device(
        "null", "Discard all samples (playback) or generate zero samples (capture)"
    )
    assert (
        Device("sysdefault:CARD=PCH", "HDA Intel PCH, ALC3246 Analog, Default Audio Device")
        in devices
    )
    assert [d.name for d in devices] == [
        "null",
        "default",
        "pulse",
        "sysdefault:CARD=PCH",
        "front:CARD=PCH,DEV=0",
    ]


def test_pactl_sinks_become_pulse_devices() -> None:
    devices = parse_pactl_sinks(PACTL_SINKS + "\n")
    assert [d.name for d in devices] == [
        "pulse:nv",
        "pulse:alsa_output.usb-Headset-00.analog-stereo",
    ]
    assert "48000Hz" in devices[1].description


def test_device_names_map_to_aplay_arguments() -> None:
    base = [
        "aplay",
        "-q",
        "-t",
        "raw",
        "-f",
        "S16_LE",
        "-r",
        "22050",
        "-c",
        "1",
        "--period-time=10000",
    ]
    assert device_command(None, 22050) == ([*base, "-"], {})
    assert device_command("default", 22050) == ([*base, "-"], {})
    assert device_command("pulse:headphones", 22050) == (
        [*base, "-D", "pulse", "-"],
        {"PULSE_SINK": "headphones"},
    )
    assert device_command("hw:1,0", 22050) == ([*base, "-D", "hw:1,0", "-"], {})


# --- output failures (real aplay, nothing to play into) ----------------------------------


def test_no_sound_server_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path}/no-such-socket")
    playback = AplayOutput("pulse:nv").play(chime())
    with pytest.raises(SpeechUnavailable) as failure:
        playback.wait(timeout=10)
    message = str(failure.value)
    assert "--device" in message
    assert "--text" in message
    assert "sound server" in message
    assert not aplay_children()


def test_unknown_alsa_device_is_a_clear_error() -> None:
    playback = AplayOutput("no_such_pcm_device").play(chime())
    with pytest.raises(SpeechUnavailable, match="no_such_pcm_device"):
        playback.wait(timeout=10)


def test_missing_aplay_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SpeechUnavailable, match="sudo apt install alsa-utils"):
        AplayOutput().play(chime())


# --- output through a real sound server ---------------------------------------------------


@pytest.mark.real_audio
def test_stop_silences_and_leaves_no_child(pulse_server: PulseServer) -> None:
    playback = AplayOutput().play(Pcm.concat([chime(seconds=2.0)] * 3))
    assert aplay_children()
    started = time.monotonic()
    playback.stop()
    assert time.monotonic() - started < 0.1
    assert playback.done
    assert playback.wait(timeout=0) is True  # a stopped sound is not a failure
    assert not aplay_children()


@pytest.mark.real_audio
def test_prewarmed_output_plays_the_whole_sound(recorder: Recorder) -> None:
    output = AplayOutput()
    output.prewarm()
    assert aplay_children()  # connected before any sound is ready
    # Led in by 20 ms of silence, as SpeakerVoice does: a new stream's first ~4 ms may be lost.
    sound = Pcm.concat([Pcm.silence(0.02), chime()])
    mark = recorder.mark()
    playback = output.play(sound)
    assert playback.wait(timeout=10)
    heard = recorder.samples(mark)
    source = sound.values()
    start = locate(heard, source)
    onset = first_loud(source)
    assert onset is not None
    assert start + onset >= 0, "the recording began after the chime started"
    window = slice(onset, onset + 1102)  # the first 50 ms of sound
    shifted = slice(start + onset, start + onset + 1102)
    assert correlation(heard[shifted], source[window]) > 0.99  # nothing lost at the start
    assert heard[start + onset + 1102 : start + len(source)] == source[onset + 1102 :]
    output.close()


def wait_for_spare(output: AplayOutput, timeout: float = 5.0) -> int:
    """The PID of the aplay `output` started for its next sound, once it has one."""
    deadline = time.monotonic() + timeout
    while (spare := output._spare) is None:
        assert time.monotonic() < deadline, "no spare aplay"
        time.sleep(0.01)
    assert aplay_children() == [spare.pid]
    return spare.pid


@pytest.mark.real_audio
def test_a_sound_played_to_its_end_leaves_one_spare_that_the_next_sound_starts_on(
    recorder: Recorder,  # a sink that is recorded runs: an idle one takes ~2 s to start a sound
) -> None:
    """The next sound (after a hold, a wait) must not wait for aplay to start and connect;
    a cut sound leaves none (the next one follows at once, and a `hw:` device takes one
    stream at a time)."""
    output = AplayOutput()
    first = output.play(Pcm.silence(0.05))
    assert first.wait(timeout=10)
    spare = wait_for_spare(output)
    second = output.play(Pcm.concat([chime(seconds=2.0)] * 2))
    assert second._proc.pid == spare
    second.stop()
    time.sleep(0.2)  # a spare started after a cut would be there by now
    assert aplay_children() == []
    assert output.play(Pcm.silence(0.05)).wait(timeout=10)
    wait_for_spare(output)
    output.close()
    assert aplay_children() == []


@pytest.mark.real_audio
def test_a_spare_from_before_the_server_restarted_plays_on_a_fresh_aplay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A restart between two sounds is no outage: the spare's old connection fails at its
    first write, and the sound is played whole on a new aplay."""
    server = Restarting()
    output = AplayOutput()
    try:
        server.start()
        monkeypatch.setenv("PULSE_SERVER", server.server)
        assert output.play(Pcm.silence(0.05)).wait(timeout=10)
        spare = wait_for_spare(output)
        server.stop()
        recorder = server.start()
        mark = recorder.mark()
        sound = Pcm.concat([Pcm.silence(0.02), chime()])
        playback = output.play(sound)
        assert playback.wait(timeout=10)  # no SpeechUnavailable
        assert playback._proc.pid != spare
        time.sleep(0.1)  # the recorder's last chunk
        heard = recorder.samples(mark)
        source = sound.values()
        start = locate(heard, source)
        onset = first_loud(source)
        assert onset is not None
        window = slice(onset, onset + 1102)  # its first 50 ms, whole
        assert correlation(heard[start + onset : start + onset + 1102], source[window]) > 0.99
    finally:
        output.close()
        server.close()


@pytest.mark.real_audio
def test_interpreter_exit_kills_a_playing_aplay(pulse_server: PulseServer) -> None:
    script = (
        "from nightvoice.sound.audio import AplayOutput, Pcm\n"
        "p = AplayOutput().play(Pcm.silence(30.0))\n"
        "print(p._proc.pid, flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    pid = int(done.stdout.strip())
    assert not Path(f"/proc/{pid}").exists()
