"""Raw 16-bit mono samples (bytes): scaling and the fixed lead-in, shared by `audio.Pcm` and the
head start, which works on them before anything heavier than `array` is loaded."""

from __future__ import annotations

from array import array

FULL_SCALE = 32767
LOUD = 300  # |sample| above this is sound: espeak's own lead-in is quieter than this
_BIG_ENDIAN = array("h", [1]).tobytes() != b"\x01\x00"


def samples_of(data: bytes) -> array[int]:
    values = array("h")
    values.frombytes(data)
    if _BIG_ENDIAN:
        values.byteswap()
    return values


def bytes_of(values: array[int]) -> bytes:
    if _BIG_ENDIAN:
        values = array("h", values)
        values.byteswap()
    return values.tobytes()


def scale_bytes(data: bytes, gain: float) -> bytes:
    """Multiply samples by `gain`, clipping at full scale (pure Python: ~0.2 us a sample)."""
    values = samples_of(data)
    if 0.0 <= gain <= 1.0:
        scaled = array("h", map(int, map(gain.__mul__, values)))
    else:
        scaled = array("h", (max(-32768, min(FULL_SCALE, int(v * gain))) for v in values))
    return bytes_of(scaled)


def leading_silent_frames(data: bytes, threshold: int = LOUD) -> int:
    """How many samples come before the first one louder than `threshold` (all, if none)."""
    values = samples_of(data)
    for i, v in enumerate(values):
        if abs(v) > threshold:
            return i
    return len(values)


def with_lead_in(data: bytes, rate: int, seconds: float, threshold: int = LOUD) -> bytes:
    """Exactly `seconds` of silence before the first sound, trimming or padding.

    espeak's own lead-in varies from 0 to ~60 ms, and a new output stream can lose its first
    few ms (up to ~10 ms measured through PulseAudio): a fixed lead-in keeps the first word
    whole without adding more delay than needed.
    """
    lead = leading_silent_frames(data, threshold)
    keep = round(seconds * rate)
    if lead >= keep:
        return data[2 * (lead - keep) :]
    return bytes(2 * (keep - lead)) + data
