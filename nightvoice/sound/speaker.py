"""The Voice port's adapters: real speech through our own output, or text on screen.

Finishing is reported as an event on the player's inbox (never by blocking the player), so a
key can cut speech at any moment.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from nightvoice.base.waiting import wait_for_event
from nightvoice.core.errors import NightvoiceError, SpeechUnavailable
from nightvoice.core.plan import Line, voice_for
from nightvoice.core.planner import CHIME_SECONDS, CHIME_TONE_SECONDS, LEAD_IN_SECONDS
from nightvoice.core.ports import Event, Screen, SpeechFailed, SpeechFinished
from nightvoice.sound.ahead import RenderAhead
from nightvoice.sound.audio import AplayOutput, Pcm, Playback, chime
from nightvoice.sound.naturalvoices import natural_voice
from nightvoice.sound.synth import PieceListener, Synthesizer, synthesize_in_pieces

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


class AlreadyPlaying(Protocol):
    """A sound playing before the speaker was made (the fast start's first words, in
    startup/headstart.py): adopted as the first utterance if it is exactly what is said first,
    cut otherwise."""

    @property
    def done(self) -> bool: ...

    @property
    def stopped(self) -> bool: ...

    @property
    def seconds(self) -> float:
        """Its whole length, as played."""
        ...

    def matches(
        self,
        text: str,
        *,
        rate: int,
        volume: float,
        language: str,
        voice: str | None,
        engine: str,
        device: str | None,
    ) -> bool:
        """Exactly this sentence, in the same voice, on the same output?"""
        ...

    def wait(self, timeout: float | None = None) -> bool: ...

    def stop(self) -> None: ...


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
        head_start: AlreadyPlaying | None = None,
        ahead: RenderAhead | None = None,
    ) -> None:
        self._synth = synth
        self._output = output
        self._post = post
        self._language = language
        self._voice = voice
        self._lock = threading.Lock()
        self._next_id = 0
        self._current: Playback | AlreadyPlaying | None = None
        self._closed = False
        self._warm = False
        # Already playing when we start (startup/headstart.py): adopted if the first sentence is the
        # one it plays, cut otherwise.
        self._head_start = head_start
        self.head_start_adopted = False
        # Sentences rendered while the one before plays (ahead.py); else rendered on demand.
        self._ahead = ahead
        self._engine: str | None = None
        self._streaming: _Stream | None = None  # a sound playing while it is rendered
        # Only an engine that renders in pieces (the natural voice) is worth a thread a sound.
        self._in_pieces = natural_voice(voice) is not None and bool(
            getattr(synth, "renders_in_pieces", False)
        )

    @property
    def language(self) -> str:
        return self._language

    def say(self, text: str, *, rate: int, volume: float, language: str | None = None) -> int:
        """Say `text` in the routine's voice, or (`language` given: an untranslated phrase of
        nightvoice's own) in that language's own voice."""
        spoken_in, voice = voice_for(language, self._language, self._voice)

        def make(on_piece: PieceListener | None) -> Pcm:
            if self._ahead is not None:
                pcm = self._ahead.get(text, rate, on_piece, language=language)
            else:
                pcm = synthesize_in_pieces(
                    self._synth,
                    text,
                    rate=rate,
                    language=spoken_in,
                    voice=voice,
                    on_piece=on_piece,
                )
            return pcm.with_lead_in(LEAD_IN_SECONDS)

        head = self._head_start
        if head is not None and head.matches(
            text,
            rate=rate,
            volume=_clamp(volume),
            language=spoken_in,
            voice=voice,
            engine=self._engine_version(),
            device=self._output.device,
        ):
            if self._ahead is not None:
                # render what follows the head start's words
                self._ahead.saying(text, rate, language=language)
            return self._start(make, volume, adopt=head)
        return self._start(make, volume)

    def expect(self, lines: Sequence[Line], rate: int) -> None:
        """The sentences the plan says, in order: rendered ahead of need from now on."""
        if self._ahead is not None:
            self._ahead.expect(lines, rate)

    def _engine_version(self) -> str:
        if self._engine is None:
            try:
                self._engine = self._synth.engine_version()
            except NightvoiceError:
                self._engine = ""
        return self._engine

    def chime(self, *, volume: float) -> int:
        return self._start(lambda _: chime_sound(), volume, whole=True)

    def _start(
        self,
        make: Callable[[PieceListener | None], Pcm],
        volume: float,
        adopt: AlreadyPlaying | None = None,
        *,
        whole: bool = False,
    ) -> int:
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
                threading.Thread(
                    target=self._report,
                    args=(utterance, adopt, asked + adopt.seconds, False),
                    name="nightvoice-voice",
                    daemon=True,
                ).start()
                return utterance
            error: NightvoiceError | None = None
            if self._in_pieces and not whole:
                # A sound rendered in pieces (a natural voice's sentence not rendered ahead)
                # starts playing with its first piece; the rest renders on its own thread, so
                # the player (and a key) never waits for it.
                stream = _Stream(self._output, _clamp(volume))
                rendering = _Rendering(make, stream)
                self._streaming = stream  # so a key can cut it while the rest renders
                wait_for_event(stream.changed)  # its first piece plays, it is whole, or it failed
                with rendering.lock:
                    if stream.started:
                        self._current = stream.playback
                        rendering.on_done = lambda done: self._streamed(utterance, stream, done)
                        finished = rendering.finished
                if stream.started:
                    if finished:  # ended before it was handed over: end it on its own thread
                        threading.Thread(
                            target=self._streamed,
                            args=(utterance, stream, rendering),
                            name="nightvoice-voice",
                            daemon=True,
                        ).start()
                    return utterance
                self._streaming = None
                made, error = rendering.pcm, rendering.error
            else:  # espeak-ng (~4 ms a sentence) or the chime: made here, whole
                try:
                    made = make(None)
                except NightvoiceError as exc:
                    made, error = None, exc
            try:
                if error is not None:
                    raise error
                pcm = made
                assert pcm is not None
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
                self._post(_failed(utterance, exc))
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

    def _streamed(self, utterance: int, stream: _Stream, rendering: _Rendering) -> None:
        """A streamed sound's rendering has ended (on its own thread): finish it and report
        its end, or, if its voice failed partway, say it again whole (espeak-ng takes over)."""
        if self._streaming is stream:
            self._streaming = None
        pcm = rendering.pcm
        if rendering.error is None and pcm is not None:
            playback = stream.finish()
            # Its own timeline began with its sound; it stalls if unplayed STALL_SECONDS after.
            self._report(utterance, playback, stream.started_at + pcm.seconds)
            return
        stream.stop()
        with self._lock:
            current = self._current is stream.playback and not self._closed
        if not current:  # cut or closed meanwhile: nothing more to say
            self._post(SpeechFinished(utterance))
            return
        try:
            pcm = rendering.make(None)
            with self._lock:
                if self._current is not stream.playback or self._closed:
                    self._post(SpeechFinished(utterance))
                    return
                playback = self._output.play(audible_part(pcm), gain=stream.gain)
                self._current = playback
                asked = time.monotonic()
        except NightvoiceError as exc:
            self._post(_failed(utterance, exc))
            return
        self._report(utterance, playback, asked + pcm.seconds)

    def _report(
        self,
        utterance: int,
        playback: Playback | AlreadyPlaying,
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
            self._post(_failed(utterance, exc))
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
        streaming = self._streaming  # playing while the rest renders, under the lock
        if streaming is not None:
            streaming.stop()
        with self._lock:
            self._stop_current()

    def close(self) -> None:
        streaming = self._streaming
        if streaming is not None:
            streaming.stop()
        with self._lock:
            self._closed = True
            self._stop_current()
            head, self._head_start = self._head_start, None
        if head is not None:
            head.stop()
        if self._ahead is not None:
            self._ahead.close()
        self._output.close()


class _Stream:
    """A sound that plays as it is rendered: its first piece at once, each next one as it comes.

    Each piece is sent up to its audible end; its trailing silence is held back until another
    piece follows, so the whole is sent exactly as `audible_part` would send it whole (aplay
    exits on time, the proof the sound was heard).
    """

    def __init__(self, output: AplayOutput, gain: float) -> None:
        self._output = output
        self.gain = gain
        self._lock = threading.Lock()
        self._playback: Playback | None = None
        self._held: Pcm | None = None  # the last piece's trailing silence
        self._stopped = False
        self.started_at = 0.0
        self.changed = threading.Event()  # the first piece plays, or the rendering ended

    @property
    def started(self) -> bool:
        return self._playback is not None

    @property
    def playback(self) -> Playback | None:
        return self._playback

    def piece(self, pcm: Pcm) -> None:
        with self._lock:
            if self._stopped:
                return
            if self._playback is None:
                pcm = pcm.with_lead_in(LEAD_IN_SECONDS)
            sent = audible_part(pcm)
            rest = Pcm(pcm.samples[len(sent.samples) :], pcm.rate)
            if self._playback is None:
                try:
                    self._playback = self._output.play_stream(sent, gain=self.gain)
                finally:
                    self.changed.set()
                self.started_at = time.monotonic()
            else:
                if self._held is not None:
                    self._playback.add(self._held)
                self._playback.add(sent)
            self._held = rest

    def finish(self) -> Playback:
        """No more pieces: the last one's trailing silence passes as time, unsent."""
        with self._lock:
            assert self._playback is not None
            self._playback.finish()
            return self._playback

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            playback = self._playback
        if playback is not None:
            playback.stop()


class _Rendering:
    """A sound's `make`, run on its own thread, its pieces going to a _Stream."""

    def __init__(self, make: Callable[[PieceListener | None], Pcm], stream: _Stream) -> None:
        self.make = make
        self.lock = threading.Lock()
        self.finished = False
        self.pcm: Pcm | None = None
        self.error: NightvoiceError | None = None
        # Called when it ends, once the sound is known to be streaming.
        self.on_done: Callable[[_Rendering], None] | None = None
        self._stream = stream
        threading.Thread(target=self._run, name="nightvoice-render", daemon=True).start()

    def _run(self) -> None:
        try:
            self.pcm = self.make(self._stream.piece)
        except NightvoiceError as exc:
            self.error = exc
        except Exception as exc:  # never lost on a thread: reported as the sound failing
            self.error = SpeechUnavailable(f"the voice failed: {exc}")
        with self.lock:
            self.finished = True
            on_done = self.on_done
        self._stream.changed.set()
        if on_done is not None:
            on_done(self)


def _failed(utterance: int, error: NightvoiceError) -> SpeechFailed:
    """The failure as the player hears of it: a voice or engine that cannot speak is lasting
    (waiting will not help); an output that failed to play says itself whether it is."""
    return SpeechFailed(utterance, str(error), lasting=getattr(error, "lasting", True))


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

    def expect(self, lines: Sequence[Line], rate: int) -> None:
        """Nothing to render ahead: text is shown as it is said."""

    def say(self, text: str, *, rate: int, volume: float, language: str | None = None) -> int:
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
