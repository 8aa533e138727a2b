"""Sentences as `nightvoice` itself renders them, to compare a recording with the very words.

espeak-ng's render of a sentence shifts by some milliseconds with what the process rendered
before, so they are rendered as a run of nightvoice renders them: in a fresh process, in the
order it says them (the test's own process has rendered whatever earlier tests asked for).
"""

from __future__ import annotations

import marshal
import subprocess
import sys
from array import array

from nightvoice.core.planner import LEAD_IN_SECONDS
from nightvoice.sound.audio import Pcm
from tests.sink import RATE, correlation, first_loud, last_loud

RENDER = """
import marshal, sys
from nightvoice.sound.synth import platform_synthesizer
synth = platform_synthesizer()
rate = int(sys.argv[1])
pcms = [synth.synthesize(t, rate=rate, language="en", voice=None) for t in sys.argv[2:]]
sys.stdout.buffer.write(marshal.dumps([(p.samples, p.rate) for p in pcms]))
"""


def rendered_fresh(*texts: str, rate: int = 180) -> dict[str, Pcm]:
    """Each text as a fresh process renders them in this order, with the player's lead-in."""
    done = subprocess.run(
        [sys.executable, "-c", RENDER, str(rate), *texts],
        capture_output=True,
        check=True,
        timeout=30,
    )
    pcms = marshal.loads(done.stdout)
    return {
        text: Pcm(samples, rate).with_lead_in(LEAD_IN_SECONDS)
        for text, (samples, rate) in zip(texts, pcms, strict=True)
    }


def assert_said_once(heard: array[int], source: Pcm, *, tolerance: float = 0.01) -> None:
    """`heard` holds `source`'s words once and nothing else: from its first to its last sound
    as long as the source's (within `tolerance` s: not another text, rate or a repeat), and
    its first 100 ms follow the source sample for sample."""
    values = source.values()
    begin, end = first_loud(values), last_loud(values)
    start, finish = first_loud(heard), last_loud(heard)
    assert begin is not None and end is not None, "the source is silent"
    assert start is not None and finish is not None, "nothing was heard"
    heard_seconds, source_seconds = (finish - start) / RATE, (end - begin) / RATE
    assert abs(heard_seconds - source_seconds) < tolerance, (heard_seconds, source_seconds)
    head = correlation(heard[start : start + 2205], values[begin : begin + 2205])
    assert head > 0.9, f"not the same words: their first 100 ms correlate {head:.2f}"
