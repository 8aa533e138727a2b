"""A routine played for real: `nightvoice play FILE` into a private sound server, judged by ear.

The recording of the null sink must hold the sentences in order, the hold's silence at its
scripted length, the chime between the steps, a whole first syllable, and no `aplay` left
running afterwards.
"""

from __future__ import annotations

import subprocess
import time
from array import array
from pathlib import Path

import pytest

from nightvoice.core.planner import LEAD_IN_SECONDS
from nightvoice.sound.audio import Pcm
from nightvoice.sound.speaker import chime_sound
from tests.audio_server import (
    RATE,
    PulseServer,
    Recorder,
    goertzel,
    loud_stretches,
    pulse_server,
    recorder,
)
from tests.renders import rendered_fresh
from tests.sink import processes_with

_ = (pulse_server, recorder)  # fixtures used by name below

pytestmark = pytest.mark.real_audio

FIRST, RELEASE, LAST = "Pull your toes up.", "Release.", "Now rest."
HOLD = 2.0
ROUTINE = f"""\
nightvoice: 1
title: Tiny
rate: 180
volume: 1.0
steps:
  - say: {FIRST}
    hold: {HOLD}
    cues: {{release: {RELEASE}}}
  - say: {LAST}
"""


def loud_span(pcm: Pcm) -> tuple[int, int]:
    stretches = loud_stretches(pcm.values())
    return stretches[0][0], stretches[-1][1]


def play(tmp_path: Path, server: PulseServer, rec: Recorder) -> array[int]:
    routine = tmp_path / "tiny.yaml"
    routine.write_text(ROUTINE, encoding="utf-8")
    mark = rec.mark()
    done = subprocess.run(
        ["nightvoice", "play", str(routine), "--hands-free", "--blank"],
        env={**server.env(), "NIGHTVOICE_HOME": str(tmp_path / "home")},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert processes_with(f"PULSE_SERVER={server.server}") == [], "an aplay was left behind"
    time.sleep(0.1)  # the recorder's last chunk
    return rec.samples(mark)


def check(heard: array[int], spoken: dict[str, Pcm]) -> None:
    stretches = loud_stretches(heard, gap=0.1)
    assert len(stretches) == 4, stretches  # sentence, release cue, chime, last sentence
    first, release, ding, last = stretches

    # In order, each as long as its sentence: none clipped, none overlapping another.
    for (start, end), text in ((first, FIRST), (release, RELEASE), (last, LAST)):
        begin, finish = loud_span(spoken[text])
        assert abs((end - start) - (finish - begin)) < 0.01 * RATE, text  # whole, within 10 ms

    # The first syllable is whole: its first 50 ms follow the source's envelope.
    source = spoken[FIRST].values()
    begin, _ = loud_span(spoken[FIRST])
    head = heard[first[0] : first[0] + 1102]
    expected = source[begin : begin + 1102]
    assert max(abs(v) for v in head) > 0.4 * max(abs(v) for v in expected)

    # The hold: from the end of the sentence as played (its trailing silence included) to the
    # release cue's onset (after its lead-in) is the scripted 2 s, within 50 ms.
    tail = len(source) - loud_span(spoken[FIRST])[1]
    silence = (release[0] - first[1] - tail) / RATE - LEAD_IN_SECONDS
    assert silence == pytest.approx(HOLD, abs=0.05)

    # The chime between the steps: a 660 Hz tone, about its length.
    tone = heard[ding[0] : ding[1]]
    assert goertzel(tone, 660) > 10 * goertzel(tone, 440)
    # (its third sound: the night profile's ramp plays it at 5/6 of the volume)
    begin, finish = loud_span(chime_sound().scaled(5 / 6))
    assert ding[1] - ding[0] == pytest.approx(finish - begin, abs=0.01 * RATE)
    assert goertzel(heard[last[0] : last[1]], 660) < goertzel(tone, 660) / 3


def test_a_routine_sounds_as_written(
    tmp_path: Path, pulse_server: PulseServer, recorder: Recorder
) -> None:
    check(play(tmp_path, pulse_server, recorder), rendered_fresh(FIRST, RELEASE, LAST))
