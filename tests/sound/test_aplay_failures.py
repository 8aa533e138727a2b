"""What a person reads when the sound fails: the real cause first, in two lines at most."""

from __future__ import annotations

import pytest

from nightvoice.core.errors import SpeechUnavailable
from nightvoice.sound.aplay import failure_cause, failure_message

NO_CARD = """\
ALSA lib confmisc.c:855:(parse_card) cannot find card '0'
ALSA lib conf.c:5180:(_snd_config_evaluate) function snd_func_card_inum returned error: No such file or directory
ALSA lib confmisc.c:422:(snd_func_concat) error evaluating strings
ALSA lib conf.c:5180:(_snd_config_evaluate) function snd_func_concat returned error: No such file or directory
ALSA lib confmisc.c:1334:(snd_func_refer) error evaluating name
ALSA lib conf.c:5180:(_snd_config_evaluate) function snd_func_refer returned error: No such file or directory
ALSA lib conf.c:5703:(snd_config_expand) Evaluate error: No such file or directory
ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default
aplay: main:831: audio open error: No such file or directory
"""


@pytest.mark.parametrize(
    ("stderr", "cause"),
    [
        (NO_CARD, "no sound card"),
        (
            "ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM bogus\n"
            "aplay: main:831: audio open error: No such file or directory\n",
            "Unknown PCM bogus",
        ),
        (
            "ALSA lib pulse.c:242:(pulse_connect) PulseAudio: Unable to connect: Connection "
            "refused\n\naplay: main:831: audio open error: Connection refused\n",
            "no sound server (Connection refused)",
        ),
        (
            "ALSA lib confmisc.c:165:(snd_config_get_card) Cannot get card index for 5\n"
            "aplay: main:831: audio open error: No such file or directory\n",
            "no sound card 5",
        ),
        (
            "aplay: main:831: audio open error: Device or resource busy\n",
            "cannot open the audio device: Device or resource busy",
        ),
        ("", "aplay failed"),
    ],
)
def test_the_real_cause_is_found_in_alsas_noise(stderr: str, cause: str) -> None:
    assert failure_cause(stderr) == cause


def test_the_message_is_the_cause_then_the_fix_in_two_lines() -> None:
    message = failure_message(None, NO_CARD)
    first, second = message.splitlines()
    assert first == "No sound: no sound card."
    assert "--device" in second and "--text" in second
    assert "ALSA" not in message
    assert SpeechUnavailable(message).cause == "No sound: no sound card"


def test_a_device_is_named_once() -> None:
    assert failure_message(
        "hw:9", "aplay: main:831: audio open error: No such device\n"
    ).startswith("No sound: cannot open the audio device: No such device (--device hw:9).")
    assert failure_message("bogus", "Unknown PCM bogus\n").startswith(
        "No sound: Unknown PCM bogus."
    )
