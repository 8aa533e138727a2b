"""The Voice port's adapters: real speech through our own output, or text on screen.

Finishing is reported as an event on the player's inbox (never by blocking the player), so a
key can cut speech at any moment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from nightvoice.audio import AplayOutput, Pcm, Playback, chime
from nightvoice.errors import NightvoiceError, SpeechUnavailable
from nightvoice.ports import Event, Screen, SpeechFailed, SpeechFinished
from nightvoice.synth import Synthesizer

# Every sound starts with exactly this much silence: a new stream can lose its first ~10 ms.
LEAD_IN_SECONDS = 0.025
CHIME_SECONDS = 0.6


class SpeakerVoice:
    """Synthesises on the caller's thread (~4 ms a sentence) and plays one sound at a time."""

    def __init__(
        self,
        synth: Synthesizer,
        output: AplayOutput,
        post: Callable[[Event], None],
        *,
        language: str = "en",
        voice: str | None = None,
    ) -> None:
        self._synth = synth
        self._output = output
        self._post = post
        self._language = language
        self._voice = voice
        self._lock = threading.Lock()
        self._next_id = 0
        self._current: Playback | None = None
        self._closed = False

    def render(self, text: str, rate: int, volume: float) -> Pcm:
        """The sentence as PCM at `volume`, untrimmed (for export)."""
        pcm = self._synth.synthesize(text, rate=rate, language=self._language, voice=self._voice)
        return pcm.scaled(_clamp(volume))

    def say(self, text: str, *, rate: int, volume: float) -> int:
        def make() -> Pcm:
            pcm = self._synth.synthesize(
                text, rate=rate, language=self._language, voice=self._voice
            )
            return pcm.with_lead_in(LEAD_IN_SECONDS)

        return self._start(make, volume)

    def chime(self, *, volume: float) -> int:
        return self._start(
            lambda: chime(seconds=CHIME_SECONDS).with_lead_in(LEAD_IN_SECONDS), volume
        )

    def _start(self, make: Callable[[], Pcm], volume: float) -> int:
        with self._lock:
            self._next_id += 1
            utterance = self._next_id
            self._stop_current()
            if self._closed:
                self._post(SpeechFinished(utterance))
                return utterance
            try:
                pcm = make()
                if not pcm.samples:
                    self._post(SpeechFinished(utterance))
                    return utterance
                # Scaling happens chunk by chunk as aplay takes the sound: no delay to start.
                playback = self._output.play(pcm, gain=_clamp(volume))
            except NightvoiceError as exc:
                self._post(SpeechFailed(utterance, str(exc)))
                return utterance
            self._current = playback
        threading.Thread(
            target=self._report, args=(utterance, playback), name="nightvoice-voice", daemon=True
        ).start()
        return utterance

    def _report(self, utterance: int, playback: Playback) -> None:
        try:
            playback.wait()
        except SpeechUnavailable as exc:
            self._post(SpeechFailed(utterance, str(exc)))
            return
        self._post(SpeechFinished(utterance))

    def _stop_current(self) -> None:
        current, self._current = self._current, None
        if current is not None and not current.done:
            current.stop()

    def cut(self) -> None:
        with self._lock:
            self._stop_current()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._stop_current()
        self._output.close()


def _clamp(volume: float) -> float:
    return min(1.0, max(0.0, volume))


class TextVoice:
    """--text mode: the sentence goes on screen and 'finishes' after its estimated length."""

    def __init__(
        self,
        post: Callable[[Event], None],
        screen: Screen,
        estimate: Callable[[str, int], float] | None = None,
    ) -> None:
        self._post = post
        self._screen = screen
        self._estimate = estimate
        self._lock = threading.Lock()
        self._next_id = 0
        self._timer: threading.Timer | None = None

    def _seconds(self, text: str, rate: int) -> float:
        if self._estimate is None:
            from nightvoice.planner import estimate_speech_seconds

            self._estimate = estimate_speech_seconds
        return self._estimate(text, rate)

    def say(self, text: str, *, rate: int, volume: float) -> int:
        seconds = self._seconds(text, rate)
        self._screen.show_text(text)
        return self._start(seconds)

    def chime(self, *, volume: float) -> int:
        return self._start(CHIME_SECONDS)

    def _start(self, seconds: float) -> int:
        with self._lock:
            self._cancel()
            self._next_id += 1
            utterance = self._next_id
            timer = threading.Timer(
                max(0.0, seconds), self._post, args=(SpeechFinished(utterance),)
            )
            timer.daemon = True
            self._timer = timer
            timer.start()
        return utterance

    def _cancel(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def cut(self) -> None:
        with self._lock:
            self._cancel()

    def close(self) -> None:
        self.cut()
