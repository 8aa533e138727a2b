"""Checking words, not just sound: which of a routine's sentences a recording says, in order.

pocketsphinx (with its bundled en-us model) is restricted by a JSGF grammar to the routine's own
sentences, and decodes 16 kHz audio cut at its silences. Raw large-vocabulary recognition of
synthetic speech is poor; a closed choice among a few known sentences is reliable, and it still
notices sentences in the wrong order or from another routine (not a single changed word).
"""

from __future__ import annotations

import re

from nightvoice.sound.audio import Pcm

DECODE_RATE = 16000
GAP = 0.6  # seconds of silence that end a segment (a pause in a sentence is shorter)
THRESHOLD = 400  # |sample| above this is sound
SHORTEST = 0.4  # seconds: anything shorter (a click, a breath) is no sentence


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]", " ", text.lower()).split()


def segments(pcm: Pcm) -> list[Pcm]:
    """The stretches of sound separated by at least GAP seconds of silence."""
    values = pcm.values()
    block = pcm.rate // 100  # 10 ms
    loud = [
        max(map(abs, values[i : i + block]), default=0) > THRESHOLD
        for i in range(0, len(values), block)
    ]
    found: list[tuple[int, int]] = []
    start: int | None = None
    end = quiet = 0
    for index, is_loud in enumerate(loud):
        if is_loud:
            if start is None:
                start = index
            end, quiet = index + 1, 0
        elif start is not None:
            quiet += 1
            if quiet * 0.01 >= GAP:
                found.append((start, end))
                start = None
    if start is not None:
        found.append((start, end))
    return [
        Pcm(pcm.samples[2 * a * block : 2 * b * block], pcm.rate)
        for a, b in found
        if (b - a) * 0.01 >= SHORTEST
    ]


def heard_sentences(pcm: Pcm, sentences: list[str]) -> list[str]:
    """What each segment of the audio says: one of `sentences`, or "?" for none of them."""
    import tempfile

    from pocketsphinx import Decoder

    choices = {" ".join(words(s)): s for s in sentences}
    grammar = (
        "#JSGF V1.0;\ngrammar routine;\npublic <one> = "
        + " | ".join(f"( {key} )" for key in choices)
        + ";\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/routine.gram"
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(grammar)
        # No language model: the grammar is the only search, so only these sentences can win.
        decoder = Decoder(samprate=DECODE_RATE, lm=None, jsgf=path, loglevel="FATAL")
    pad = bytes(2 * DECODE_RATE * 3 // 10)  # the acoustic model expects silence around speech
    heard: list[str] = []
    for segment in segments(pcm):
        decoder.start_utt()
        decoder.process_raw(pad + segment.resampled(DECODE_RATE).samples + pad, full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        # A path that never reached the grammar's end is a partial sentence: not a match.
        text = hypothesis.hypstr if hypothesis is not None else ""
        heard.append(choices.get(text, "?"))
    return heard
