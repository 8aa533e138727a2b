"""The Voice port's adapters: real speech through our own output, or text on screen.

Finishing is reported as an event on the player's inbox (never by blocking the player), so a
key can cut speech at any moment.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from nightvoice.core.errors import NightvoiceError, SpeechUnavailable
from nightvoice.core.planner import CHIME_SECONDS, CHIME_TONE_SECONDS, LEAD_IN_SECONDS
from nightvoice.core.ports import Event, Screen, SpeechFailed, SpeechFinished
from nightvoice.sound.ahead import RenderAhead
from nightvoice.sound.audio import AplayOutput, Pcm, Playback, chime
from nightvoice.sound.headstart import HeadStart
from nightvoice.sound.synth import Synthesizer

# The silence after a sound's last audible sample that is still played (the rest passes as
# time: aplay exits that much sooner, and its exit is the proof the sound was heard).
KEPT_TAIL_SECONDS = 0.05
# How long past its own end a sound may still be unplayed before the sound server counts as
# hung: a stopped PulseAudio must not let the player "speak" to nobody.
STALL_SECONDS = 3.0
STALLED = (
    "No sound: the sound server took more than {seconds:g} s to play a sentence, so it seems "
    "to be stuck. Restart it (`pulseaudio -k`, or `systemctl --user restart pipewire "
    "wireplumber`), pick another output with --device, or run with --text."
)

__all__ = ["CHIME_SECONDS", "LEAD_IN_SECONDS", "SpeakerVoice", "TextVoice"]


def chime_sound(volume: float = 1.0) -> Pcm:
    """The step-change chime as played: exactly LEAD_IN_SECONDS of silence, then the tone,
    so it lasts CHIME_SECONDS, as on the timeline (the tone itself starts from zero)."""
    tone = chime(seconds=CHIME_TONE_SECONDS, volume=volume)
    return Pcm.concat([Pcm.silence(LEAD_IN_SECONDS, tone.rate), tone])


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
        head_start: HeadStart | None = None,
        ahead: RenderAhead | None = None,
    ) -> None:
        self._synth = synth
        self._output = output
        self._post = post
        self._language = language
        self._voice = voice
        self._lock = threading.Lock()
        self._next_id = 0
        self._current: Playback | HeadStart | None = None
        self._closed = False
        self._warm = False
        # Already playing when we start (headstart.py): adopted if the first sentence is the
        # one it plays, cut otherwise.
        self._head_start = head_start
        self.head_start_adopted = False
        # Sentences rendered while the one before plays (ahead.py); else rendered on demand.
        self._ahead = ahead
        self._engine: str | None = None

    @property
    def language(self) -> str:
        return self._language

    @property
    def voice_name(self) -> str | None:
        return self._voice

    def say(self, text: str, *, rate: int, volume: float) -> int:
        def make() -> Pcm:
            if self._ahead is not None:
                pcm = self._ahead.get(text, rate)
            else:
                pcm = self._synth.synthesize(
                    text, rate=rate, language=self._language, voice=self._voice
                )
            return pcm.with_lead_in(LEAD_IN_SECONDS)

        head = self._head_start
        if head is not None and head.utterance.matches(
            text,
            rate=rate,
            volume=_clamp(volume),
            language=self._language,
            voice=self._voice,
            engine=self._engine_version(),
            device=self._output.device,
        ):
            return self._start(make, volume, adopt=head)
        return self._start(make, volume)

    def expect(self, texts: Sequence[str], rate: int) -> None:
        """The sentences the plan says, in order: rendered ahead of need from now on."""
        if self._ahead is not None:
            self._ahead.expect(texts, rate)

    def _engine_version(self) -> str:
        if self._engine is None:
            try:
                self._engine = self._synth.engine_version()
            except NightvoiceError:
                self._engine = ""
        return self._engine

    def chime(self, *, volume: float) -> int:
        return self._start(chime_sound, volume)

    def _start(self, make: Callable[[], Pcm], volume: float, adopt: HeadStart | None = None) -> int:
        asked = time.monotonic()  # the sound's own timeline starts when it is asked for
        with self._lock:
            self._next_id += 1
            utterance = self._next_id
            self._stop_current()
            head, self._head_start = self._head_start, None
            if head is not None and head is not adopt:
                head.stop()  # not what the routine says first (after all): silence it now
            if self._closed:
                self._post(SpeechFinished(utterance))
                return utterance
            if adopt is not None and head is adopt:
                self._current = adopt
                self.head_start_adopted = True
                said = adopt.utterance
                seconds = len(said.samples) / 2 / max(1, said.sample_rate)
                threading.Thread(
                    target=self._report,
                    args=(utterance, adopt, asked + seconds, False),
                    name="nightvoice-voice",
                    daemon=True,
                ).start()
                return utterance
            try:
                pcm = make()
                if not self._warm:
                    # The engine's first use loads its data (tens of ms): not part of how long
                    # a sound takes to start, which must be alike for every sound.
                    self._warm = True
                    asked = time.monotonic()
                if not pcm.samples:
                    self._post(SpeechFinished(utterance))
                    return utterance
                # Scaling happens chunk by chunk as aplay takes the sound: no delay to start.
                playback = self._output.play(audible_part(pcm), gain=_clamp(volume))
            except NightvoiceError as exc:
                self._post(SpeechFailed(utterance, str(exc)))
                return utterance
            self._current = playback
            # Stalling is judged from when it started to play: a slow engine (a natural
            # voice's first sentence, on a busy machine) is not a stuck sound server.
            stall_by = time.monotonic() + pcm.seconds + STALL_SECONDS
        threading.Thread(
            target=self._report,
            args=(utterance, playback, asked + pcm.seconds, True, stall_by),
            name="nightvoice-voice",
            daemon=True,
        ).start()
        return utterance

    def _report(
        self,
        utterance: int,
        playback: Playback | HeadStart,
        ends: float,
        timed: bool = True,
        stall_by: float | None = None,
    ) -> None:
        """Post the sound's end once its player has said it played it all, and its own end
        (`ends`: asked + its whole length, trailing silence included) has come.

        aplay's exit is the proof it was heard; it comes before `ends` because the trailing
        silence is not sent to it. A sound that is still unplayed STALL_SECONDS after `ends`
        means a hung sound server: that is a failure, not a sentence heard. An adopted head
        start (`timed` off: it began before we could note when) is reported at its exit.
        """
        try:
            if stall_by is None:
                stall_by = ends + STALL_SECONDS
            over = playback.wait(max(0.0, stall_by - time.monotonic()))
            if not over and not playback.stopped:
                playback.stop()
                self._post(SpeechFailed(utterance, STALLED.format(seconds=STALL_SECONDS)))
                return
        except SpeechUnavailable as exc:
            self._post(SpeechFailed(utterance, str(exc)))
            return
        if not timed or playback.stopped:
            self._post(SpeechFinished(utterance))
            return
        played = time.monotonic()
        if played < ends:
            time.sleep(ends - played)  # only silence is left: let it pass as time
        self._post(SpeechFinished(utterance, at=max(ends, played)))

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
            head, self._head_start = self._head_start, None
        if head is not None:
            head.stop()
        if self._ahead is not None:
            self._ahead.close()
        self._output.close()


def audible_part(pcm: Pcm) -> Pcm:
    """The sound up to KEPT_TAIL_SECONDS after its last audible sample.

    The rest is silence the listener cannot tell from time passing; not sending it means
    aplay exits (drained, so really heard) before the sound's own end, so the next sound can
    start exactly on time without waiting for the exit, which ~30 ms after the last sample
    would otherwise add up over a routine.
    """
    drop = pcm.trailing_silence_seconds() - KEPT_TAIL_SECONDS
    frames = round(drop * pcm.rate)
    if frames <= 0:
        return pcm
    return Pcm(pcm.samples[: 2 * (pcm.frames - frames)], pcm.rate)


def _clamp(volume: float) -> float:
    return min(1.0, max(0.0, volume))


volume_gain = _clamp  # the gain a volume setting plays at


class TextVoice:
    """--text mode: the sentence goes on screen and 'finishes' after its estimated length."""

    def __init__(
        self,
        post: Callable[[Event], None],
        screen: Screen,
        estimate: Callable[[str, int], float] | None = None,
        first_id: int = 1,
    ) -> None:
        self._post = post
        self._screen = screen
        self._estimate = estimate
        self._lock = threading.Lock()
        self._next_id = first_id - 1
        self._timer: threading.Timer | None = None

    def _seconds(self, text: str, rate: int) -> float:
        if self._estimate is None:
            from nightvoice.core.planner import estimate_speech_seconds

            self._estimate = estimate_speech_seconds
        return self._estimate(text, rate)

    def expect(self, texts: Sequence[str], rate: int) -> None:
        """Nothing to render ahead: text is shown as it is said."""

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
