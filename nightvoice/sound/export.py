"""`nightvoice export`: a whole routine rendered to one WAV file, to play from a phone.

Speech is synthesised first (each distinct sentence once, through a cache on disk), then the
plan is laid out with `planner.timeline` fed those real lengths, and every sound is placed at
exactly its offset in one buffer of silence. Keys-only steps become fixed pauses: a wait for a
key says "Take your time." and waits its hands-free length; a hold-until-it-eases runs to its
maximum with its check-ins. The start question is not spoken: its default answer is used.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nightvoice.core.plan import Cue, Hold, HoldUntilEased, Plan, Say, WaitForKey
from nightvoice.core.planner import check_in_times, timeline, total_seconds
from nightvoice.core.player import PlayerOptions, night_volume
from nightvoice.sound.audio import DEFAULT_RATE, Pcm
from nightvoice.sound.speaker import LEAD_IN_SECONDS, chime_sound, volume_gain
from nightvoice.sound.synth import Synthesizer
from nightvoice.user import paths

TAKE_YOUR_TIME = "Take your time."
CACHE_FOLDER = "speech-v1"


@dataclass(frozen=True)
class Rendered:
    pcm: Pcm
    seconds: float
    synthesized: int  # sentences synthesised now (the rest came from the cache)
    cached: int


def export_plan(plan: Plan) -> Plan:
    """The plan as a recording plays it: no key to wait for, so waits become spoken pauses."""
    steps = []
    for step in plan.steps:
        actions = tuple(
            Hold(a.hands_free_seconds, (Cue(0.0, TAKE_YOUR_TIME),), kind="pause")
            if isinstance(a, WaitForKey)
            else a
            for a in step.actions
        )
        steps.append(replace(step, actions=actions))
    return replace(plan, steps=tuple(steps))


class SpeechCache:
    """Synthesised sentences on disk, keyed by text, language, voice, rate and engine version.

    Raw PCM at the engine's rate, one file per sentence named by a hash of the key; volume is
    applied afterwards, so it is not part of the key. Unwritable caches only cost speed.
    """

    def __init__(self, synth: Synthesizer, folder: Path | None, engine: str) -> None:
        self._synth = synth
        self._folder = folder
        self._engine = engine
        self.hits = 0
        self.misses = 0

    def _file(self, text: str, rate: int, language: str, voice: str | None) -> Path | None:
        if self._folder is None:
            return None
        key = "\0".join([self._engine, language, voice or "", str(rate), text])
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self._folder / digest[:2] / f"{digest}.pcm"

    def synthesize(self, text: str, *, rate: int, language: str, voice: str | None) -> Pcm:
        file = self._file(text, rate, language, voice)
        if file is not None:
            try:
                data = file.read_bytes()
            except OSError:
                pass
            else:
                sample_rate = int.from_bytes(data[:4], "little")
                if sample_rate > 0 and len(data) % 2 == 0:
                    self.hits += 1
                    return Pcm(data[4:], sample_rate)
        pcm = self._synth.synthesize(text, rate=rate, language=language, voice=voice)
        self.misses += 1
        if file is not None:
            with contextlib.suppress(OSError):
                data = pcm.rate.to_bytes(4, "little") + pcm.samples
                paths.write_atomically(file, data, durable=False)
        return pcm


def sentences(plan: Plan) -> list[str]:
    """Every distinct sentence the plan can say, in order of first use, read off its actions."""
    texts: dict[str, None] = {}
    for step in plan.steps:
        for action in step.actions:
            if isinstance(action, Say):
                texts.setdefault(action.text)
            elif isinstance(action, Hold):
                for cue in action.cues:
                    texts.setdefault(cue.text)
            elif isinstance(action, HoldUntilEased) and check_in_times(action):
                texts.setdefault(action.check_in)
    return list(texts)


def render(
    plan: Plan,
    synth: Synthesizer,
    *,
    cache_folder: Path | None = None,
    engine: str = "",
    progress: Callable[[Iterable[str]], Any] | None = None,
    options: PlayerOptions | None = None,
) -> Rendered:
    """The plan as one PCM (22050 Hz mono), every sound at its timeline offset."""
    plan = export_plan(plan)
    settings = plan.settings
    cache = SpeechCache(synth, cache_folder, engine or synth.engine_version())
    rate = settings.rate

    texts = sentences(plan)

    speech: dict[str, Pcm] = {}

    def synthesize_all(items: Iterable[str]) -> None:
        for text in items:
            pcm = cache.synthesize(
                text, rate=rate, language=settings.language, voice=settings.voice
            )
            # As the player plays it: the same fixed lead-in of silence before the first word.
            speech[text] = pcm.resampled(DEFAULT_RATE).with_lead_in(LEAD_IN_SECONDS)

    if progress is not None:
        with progress(texts) as bar:
            synthesize_all(bar)
    else:
        synthesize_all(texts)

    entries = timeline(plan, lambda text: speech[text].seconds)
    seconds = total_seconds(entries)
    buffer = bytearray(2 * round(seconds * DEFAULT_RATE))
    options = options or PlayerOptions()
    spoken = 0
    for entry in entries:
        if entry.kind in ("say", "cue"):
            pcm = speech[entry.text].scaled(
                volume_gain(night_volume(settings.volume, spoken, options))
            )
            spoken += 1
        elif entry.kind == "chime":
            # As the player plays it: lead-in and tone, CHIME_SECONDS long like its entry.
            pcm = chime_sound().scaled(volume_gain(night_volume(settings.volume, spoken, options)))
        else:
            continue  # holds, rests, pauses and waits are silence
        _place(buffer, pcm.samples, round(entry.offset * DEFAULT_RATE))
    return Rendered(Pcm(bytes(buffer), DEFAULT_RATE), seconds, cache.misses, cache.hits)


def _place(buffer: bytearray, samples: bytes, frame: int) -> None:
    start = 2 * frame
    end = min(len(buffer), start + len(samples))
    if end > start:
        buffer[start:end] = samples[: end - start]
