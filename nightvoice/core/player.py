"""The player: runs a plan against a clock, an inbox of events, a voice and a screen.

Everything waits in one place (`_await`), on one event stream: keys, finished speech and
deadlines. Deadlines are absolute monotonic times, so a hold lasts what the routine says no
matter how long its cues took to say; a pause moves the anchor by exactly the time paused.
Keys become navigation by exception, which unwinds whatever step was running.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, auto

from nightvoice.core import phrases as said
from nightvoice.core.errors import SpeechUnavailable
from nightvoice.core.keys import Command, command_for
from nightvoice.core.phrases import ENGLISH, PhraseBook
from nightvoice.core.plan import (
    Chime,
    Hold,
    HoldUntilEased,
    Plan,
    PlanStep,
    Say,
    Settings,
    WaitForKey,
)
from nightvoice.core.planner import STALE_CUE_SECONDS, check_in_times, compile_plan, hold_status
from nightvoice.core.ports import (
    PROBE,
    Clock,
    Event,
    Inbox,
    KeyPressed,
    Listener,
    NoListener,
    RemoteCommand,
    Screen,
    SoundBack,
    SoundWatch,
    SpeechFailed,
    SpeechFinished,
    Voice,
)
from nightvoice.core.routine import RATE_RANGE, Question, Routine
from nightvoice.core.template import fill

RATE_STEP = 10
# How old a timeline instant may be and still count as "now" (wake-up and start-up delays
# are milliseconds; anything older means the player was waiting on something else).
CURSOR_SLACK = 0.25
# A key pressed again this soon after itself is a bouncing switch or a held key's auto-repeat
# (every ~30 ms), not a new press.
REPEAT_GAP = 0.15
# Space toggles, so a second press soon after the first is as likely meant as not: only a
# switch's bounce or a fast auto-repeat (every 33 ms at 30 a second) counts as a repeat.
PAUSE_REPEAT_GAP = 0.045
# Terminals start repeating a held key after 250-660 ms. Where that first repeat would do
# harm (going on from a step that waits for the listener) a press this soon after the same
# key is a repeat too.
HELD_GAP = 0.7
# Y or N answers "did it help?" only alone: a letter typed this close to another one is part
# of something else being typed (the next shell command, `stty sane`, `yes`), not an answer.
LONE_KEY_GAP = 0.5
# Navigation, pausing and going on are what a held or bouncing key must not repeat; quitting
# and the volume and rate keys act on every press.
REPEATABLE = {Command.QUIT, Command.SLOWER, Command.FASTER, Command.QUIETER, Command.LOUDER}
VOLUME_STEP = 0.1
STEP_MOVES = {Command.NEXT: 1, Command.BACK: -1, Command.REPEAT: 0}  # steps to move
FEEDBACK = {
    Command.SLOWER: said.SLOWER,
    Command.FASTER: said.FASTER,
    Command.QUIETER: said.QUIETER,
    Command.LOUDER: said.LOUDER,
}


@dataclass(frozen=True)
class PlayerOptions:
    interactive: bool = True  # keys can arrive; hands-free turns key waits into pauses
    step_mode: bool = False  # wait for a key before each next step
    ramp_sentences: int = 3  # the night profile: volume rises over the first sentences
    ramp_start: float = 0.5  # ... starting at this share of the set volume
    reminder_every: float = 45.0  # a gentle spoken reminder while waiting for a key
    # A moment without sound: the output is tried again this often, and given up on after
    # this long without sound (docs/promises.md).
    retry_every: float = 1.0
    give_up_after: float = 30.0


def night_volume(volume: float, said_before: int, options: PlayerOptions) -> float:
    """The night profile's gentle start: the first sentences are quieter, then the set volume.

    `said_before` counts the sentences already started; the export follows the same curve.
    """
    ramp = options.ramp_sentences
    if ramp <= 0 or said_before >= ramp:
        return volume
    return volume * (options.ramp_start + (1.0 - options.ramp_start) * said_before / ramp)


@dataclass
class Outcome:
    completed: bool = False  # reached the end of the plan
    quit: bool = False  # q or Esc: it ended at once, with nothing more
    started: float = 0.0
    ended: float = 0.0
    steps_started: list[int] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.ended - self.started


class _Wake(Enum):
    DEADLINE = auto()
    SPOKEN = auto()  # the current utterance finished
    KEY = auto()  # a key that means "go on" while waiting for one
    INTERRUPTED = auto()  # the current utterance was cut and should be said again
    RESUMED = auto()  # a pause ended; `paused` says how long it lasted
    RESTART = auto()  # the sound came back and this step's own words went unheard


@dataclass(frozen=True)
class _Woken:
    why: _Wake
    paused: float = 0.0


class _Navigate(Exception):
    def __init__(self, delta: int) -> None:
        self.delta = delta


class _Quit(Exception):
    pass


class Player:
    def __init__(
        self,
        *,
        clock: Clock,
        inbox: Inbox,
        voice: Voice,
        screen: Screen,
        rate: int,
        volume: float,
        options: PlayerOptions | None = None,
        listener: Listener | None = None,
        watch: SoundWatch | None = None,
        phrases: PhraseBook = ENGLISH,
    ) -> None:
        """`watch` is what happens around a moment without sound (`_speech_failed`); without
        it a sound failure ends the play as SpeechUnavailable. `phrases`: nightvoice's own
        words (statuses, the help, feedback) in the routine's language."""
        self.phrases = phrases
        self.clock = clock
        self.inbox = inbox
        self.voice = voice
        self.screen = screen
        self.rate = rate
        self.volume = volume
        self.options = options or PlayerOptions()
        self.listener: Listener = listener or NoListener()
        self._watch = watch
        # A moment without sound: since when, when to try the output next, and whether it
        # was given up on. Failures of utterances up to `_stale_up_to` are late reports from
        # before the last loss.
        self._lost_since: float | None = None
        self._lost_because = ""
        self._retry_at: float | None = None
        self._gave_up = False
        self._last_id = 0
        self._stale_up_to = 0
        self._step_unheard = False  # this step's own words were said without sound
        self._shown_step: tuple[int, int, str, str] | None = None
        self._utterance: int | None = None
        self._utterances_started = 0
        # Absolute timing: the instant the timeline says it is (a deadline just reached, or
        # the heard end of a sentence), and how late the current sound was started after it.
        self._cursor: float | None = None
        self._lateness = 0.0
        self._waiting = False
        self._status = ""
        self._sentence: int | None = None  # the utterance `_say` says again if it is cut
        # Keys pressed before this moment were typed ahead of what is happening now (a step,
        # a question, a wait): they must not go on or answer for it.
        self._since = clock.now()
        self._last_key: tuple[str, float] | None = None  # for telling auto-repeats apart
        self._step_waits = False  # this step waits for the listener to press a key
        self._countdown_end: float | None = None  # a hold's end, for the time left on screen
        self._shown_left: int | None = None

    # -- public ------------------------------------------------------------------------------

    def ask(self, question: Question, *, answer_alone: bool = False) -> str | None:
        """Ask one keyed question; the answer, or the default after the timeout or hands-free.

        The question is shown as well as said, and an answer key counts while it is still
        being said; keys typed before it was asked do not count. Enter takes the default, and
        the choice is said back ("Left leg."), also when the timeout took it. With
        `answer_alone` only a choice key typed on its own counts, and Enter does nothing.
        Returns None only when the person pressed quit. Hands-free (nobody to press a key)
        it is not asked, but the default is said back, so the listener knows which was taken.
        """
        if not self.options.interactive:
            return self._confirm(question, question.default)
        self._since = self.clock.now()
        self._show_status(question.say)
        self._start(question.say, question.language)
        self.listener.waiting(True)
        try:
            return self._answer(question, answer_alone)
        finally:
            self.listener.waiting(False)

    def _answer(self, question: Question, answer_alone: bool) -> str | None:
        deadline: float | None = None
        pending: tuple[str, float] | None = None  # an answer waiting to be seen alone
        typed_at = -LONE_KEY_GAP  # the last other key typed (answer_alone)
        while True:
            wait_until = deadline
            if pending is not None:
                wait_until = pending[1] + LONE_KEY_GAP
            event = self._next_event(wait_until)
            if event is None:
                if pending is not None:
                    self._cut()
                    return pending[0]
                return self._confirm(question, question.default, timed_out=True)
            if isinstance(event, RemoteCommand):
                # A headset has no letters: its button takes the default, Stop quits.
                if event.command in (Command.QUIT, Command.NEXT, Command.PLAY, Command.PAUSE):
                    self._cut()
                    if event.command is Command.QUIT:
                        return None
                    return self._confirm(question, question.default)
            elif isinstance(event, KeyPressed):
                at = self._key_time(event)
                if at < self._since:
                    continue  # typed before the question was asked
                key = event.key if len(event.key) > 1 else event.key.lower()
                command = command_for(key)
                if command is Command.QUIT:
                    self._cut()
                    return None
                if answer_alone:
                    if key in question.choices and at - typed_at >= LONE_KEY_GAP:
                        pending = (question.choices[key], at)
                    elif key != "enter" or pending is None:
                        pending = None  # another key: something else is being typed
                        typed_at = at
                    continue
                if key in question.choices:
                    self._cut()
                    return self._confirm(question, question.choices[key])
                if command is Command.NEXT and self._fresh(event):
                    self._cut()
                    return self._confirm(question, question.default)
            else:
                noted = self._note(event)
                if noted is _Wake.INTERRUPTED:
                    self._start(question.say, question.language)  # cut by the sound: again
                elif noted is not None:
                    deadline = self.clock.now() + question.timeout

    def _confirm(self, question: Question, value: str, *, timed_out: bool = False) -> str | None:
        """Say the choice back, so a half-asleep listener knows what was taken; the value, or
        None if they quit meanwhile (any other key just ends the confirmation)."""
        if question.confirm is None:
            return value
        sentence = fill(question.confirm, {question.name: value})
        sentence = sentence[:1].upper() + sentence[1:]
        self._since = self.clock.now()  # the keys that answered cannot skip the first step
        self._show_status(sentence)
        try:
            if timed_out:
                prefix = self.phrases.line(said.NO_KEY_PRESSED)
                if prefix.language == question.language:
                    sentence = f"{prefix.text} {sentence}"  # one voice: one sentence
                else:  # never one language read by the other's voice
                    self._say(*prefix)
            self._say(sentence, question.language)
        except _Navigate:
            self._cut()
        except _Quit:
            return None
        return value

    def play(self, plan: Plan) -> Outcome:
        outcome = Outcome(started=self.clock.now())
        steps = plan.steps
        index = 0
        try:
            while index < len(steps):
                try:
                    step = steps[index]
                    outcome.steps_started.append(step.number)
                    self._since = self.clock.now()
                    self._step_waits = self.options.step_mode or any(
                        isinstance(action, (WaitForKey, HoldUntilEased)) for action in step.actions
                    )
                    self._shown_step = (step.number, len(steps), step.title, step.section)
                    self.screen.show_step(*self._shown_step)
                    self.listener.step_started(step.number, len(steps), step.title)
                    self._status = ""
                    self._step_unheard = False
                    went_on = self._run_step(step)
                    last = index + 1 == len(steps)
                    # A step that ended on a key press was the key for the next step too:
                    # one press, never "Press Enter to go on" and then "for the next step".
                    step_waits = self.options.step_mode and self.options.interactive
                    if step_waits and not last and not went_on:
                        self._since = self.clock.now()
                        self._show_status(self.phrases.text(said.NEXT_STEP))
                        self._wait_for_key()
                    index += 1
                except _Navigate as navigation:
                    index = min(len(steps), max(0, index + navigation.delta))
            if self._lost_since is not None:
                # It ended before the sound came back: the waiting ends here (hands-free, that
                # is SpeechUnavailable: a night played to nobody is no success).
                self._give_up(self._lost_because)
            outcome.completed = True
        except _Quit:
            outcome.quit = True
        finally:
            self.voice.cut()
            self._utterance = None
            self._step_unheard = False
            self.listener.ended()
        outcome.ended = self.clock.now()
        return outcome

    # -- steps ---------------------------------------------------------------------------------

    def _run_step(self, step: PlanStep) -> bool:
        """Run the step's actions; True when it ended on a key the listener pressed."""
        went_on = False
        for action in step.actions:
            went_on = False
            if isinstance(action, Chime):
                self._chime()
            elif isinstance(action, Say):
                self._say(action.text, action.language)
                if self._lost_since is not None:
                    self._step_unheard = True  # only on screen: the step starts again with sound
            elif isinstance(action, Hold):
                self._hold(action)
            elif isinstance(action, WaitForKey):
                if self.options.interactive:
                    self._show_status(self.phrases.text(said.PRESS_ENTER))
                    self._wait_for_key()
                    went_on = True
                else:
                    self._hold(Hold(action.hands_free_seconds, kind="pause"))
            elif isinstance(action, HoldUntilEased):
                went_on = self._hold_until_eased(action)
        return went_on

    def _hold(self, hold: Hold) -> None:
        anchor = self._timeline_now()
        if hold.kind != "pause":
            self._show_status(hold_status(hold, self.phrases))
            self._countdown_end = anchor + hold.seconds  # moved by pauses, as the anchor is
        try:
            for cue in hold.cues:
                anchor = self._sleep_until(anchor, cue.at)
                anchor += self._finish_speaking()
                if cue.at >= hold.seconds:
                    self._end_countdown()
                    self._say(cue.text, cue.language)
                    return
                if self.clock.now() - (anchor + cue.at) > STALE_CUE_SECONDS:
                    continue  # a long cue ran over it: late is worse than never
                self._start(cue.text, cue.language)
            anchor = self._sleep_until(anchor, hold.seconds)
            self._end_countdown()
            self._finish_speaking()
        finally:
            self._end_countdown()

    def _end_countdown(self) -> None:
        if self._countdown_end is not None:
            self._countdown_end = None
            self._shown_left = None
            self.screen.show_time_left(None)

    def _tick(self) -> float | None:
        """Show the whole seconds left in the hold; when the shown number changes next.

        The player wakes for it once a second at most, and not at all outside a hold.
        """
        end = self._countdown_end
        if end is None:
            return None
        left = end - self.clock.now()
        shown = max(0, -int(-left // 1))  # whole seconds, rounded up
        if shown != self._shown_left:
            self._shown_left = shown
            self.screen.show_time_left(shown)
        return end - (shown - 1) if shown > 0 else None

    def _hold_until_eased(self, action: HoldUntilEased) -> bool:
        """Hold, checking in, until a key says it eased (True) or the maximum passed.

        Hands-free no key can end it, so it shows as the plain hold it is, to its maximum.
        """
        anchor = self.clock.now()
        if self.options.interactive:
            self._show_status(self.phrases.text(said.UNTIL_EASED))
        else:
            self._show_status(hold_status(Hold(action.max_seconds), self.phrases))
            self._countdown_end = anchor + action.max_seconds
        check_ins = check_in_times(action)
        self._waiting_for_key = self.options.interactive
        eased = False
        try:
            for at in [*check_ins, action.max_seconds]:
                anchor, eased = self._sleep_or_key(anchor, at)
                if eased:
                    break
                # Never wait for earlier speech here: a key must still end the hold at once.
                # A check-in due while something else (the help) is said is left out.
                if at < action.max_seconds and self._utterance is None:
                    self._start(action.check_in, action.language)
            self._end_countdown()
            self._finish_speaking()
        finally:
            self._waiting_for_key = False
            self._end_countdown()
        return eased

    def _sleep_or_key(self, anchor: float, offset: float) -> tuple[float, bool]:
        while True:
            woken = self._await(anchor + offset)
            if woken.why is _Wake.DEADLINE:
                return anchor, False
            if woken.why is _Wake.KEY:
                self.voice.cut()
                self._utterance = None
                return anchor, True
            if woken.why is _Wake.RESUMED:
                anchor += woken.paused

    def _wait_for_key(self) -> None:
        """Wait for a go-on key, with a gentle spoken reminder after a long silence."""
        self._waiting_for_key = True
        try:
            reminder_at = self.clock.now() + self.options.reminder_every
            while True:
                woken = self._await(reminder_at)
                if woken.why is _Wake.KEY:
                    self.voice.cut()
                    self._utterance = None
                    return
                if woken.why is _Wake.DEADLINE:
                    self._start(*self.phrases.line(said.READY))
                    reminder_at = self.clock.now() + self.options.reminder_every
        finally:
            self._waiting_for_key = False

    # -- speech --------------------------------------------------------------------------------

    def _volume_now(self) -> float:
        return night_volume(self.volume, self._utterances_started, self.options)

    def _timeline_now(self) -> float:
        """Now, as the timeline has it: the cursor if it is fresh, else the clock.

        The cursor is exact (a deadline, or the end of a sentence as the voice measured it);
        the clock is a little later (wake-up, start-up). Using the cursor keeps those delays
        from adding up over a routine; a stale one (after a key or a wait) is not used.
        """
        now = self.clock.now()
        cursor = self._cursor
        if cursor is not None and 0.0 <= now - cursor <= CURSOR_SLACK:
            return cursor
        return now

    def _begin_sound(self) -> None:
        """Note how late, against the timeline, the sound being started now is."""
        self._lateness = self.clock.now() - self._timeline_now()

    def _start(self, text: str, language: str | None = None) -> None:
        """Start saying `text`, in `language` when it is not the routine's (Line.language)."""
        if self._utterance is not None:
            self.voice.cut()
        self._begin_sound()
        self._utterance = self.voice.say(
            text, rate=self.rate, volume=self._volume_now(), language=language
        )
        self._utterances_started += 1
        self._noted_id(self._utterance)

    def _noted_id(self, utterance: int) -> None:
        if self._lost_since is None and not self._gave_up:  # the real voice's own numbering
            self._last_id = max(self._last_id, utterance)

    def _say(self, text: str, language: str | None = None) -> None:
        """Say `text` and return once all of it has been heard; interruptions say it again."""
        self._finish_speaking()
        self._start(text, language)
        self._sentence = self._utterance
        while True:
            woken = self._await(None)
            if woken.why is _Wake.SPOKEN:
                return
            if woken.why in (_Wake.INTERRUPTED, _Wake.RESUMED):
                self._start(text, language)
                self._sentence = self._utterance

    def _chime(self) -> None:
        self._finish_speaking()
        self._begin_sound()
        self._utterance = self.voice.chime(volume=self._volume_now())
        self._noted_id(self._utterance)
        self._finish_speaking()

    def _finish_speaking(self) -> float:
        """Let whatever is being said end before anything else starts: speech never overlaps.

        Returns how long the listener paused meanwhile, for a hold to move its anchor by.
        """
        paused = 0.0
        while self._utterance is not None:
            paused += self._await(None).paused
        return paused

    def _sleep_until(self, anchor: float, offset: float) -> float:
        """Wait until anchor + offset, moving the anchor by any pause; returns the anchor."""
        while True:
            woken = self._await(anchor + offset)
            if woken.why is _Wake.DEADLINE:
                return anchor
            if woken.why is _Wake.RESUMED:
                anchor += woken.paused

    # -- the one place that waits --------------------------------------------------------------

    def _await(self, deadline: float | None) -> _Woken:
        while True:
            if deadline is None and self._utterance is None and not self._waiting_for_key:
                return _Woken(_Wake.SPOKEN)
            wake = deadline
            tick = self._tick()
            if tick is not None and (wake is None or tick < wake):
                wake = tick
            event = self._next_event(wake)
            if event is None:
                if wake is not deadline and (deadline is None or self.clock.now() < deadline):
                    continue  # only the time left on screen changed
                self._cursor = deadline  # exactly when the timeline is, whenever we woke
                return _Woken(_Wake.DEADLINE)
            if isinstance(event, KeyPressed | RemoteCommand):
                self._cursor = None  # a key's moment is now: the timeline starts again here
                woken = self._event(event)
                if woken is not None:
                    if woken.why is _Wake.RESUMED and self._countdown_end is not None:
                        self._countdown_end += woken.paused
                    return woken
                continue
            noted = self._note(event)
            if noted is _Wake.RESTART:
                self._cut()
                raise _Navigate(0)  # the step's own words went unheard: from its start, heard
            if noted is not None:
                return _Woken(noted)

    def _next_event(self, until: float | None) -> Event | None:
        """The next event, or None once `until` comes; meanwhile a lost sound is tried again
        on time (every wait goes through here, so probing never stops while it plays)."""
        while True:
            retry = self._retry_at
            if retry is None or (until is not None and until <= retry):
                return self.inbox.wait(until)
            event = self.inbox.wait(retry)
            if event is not None:
                return event
            self._retry_at = None  # until the probe's answer arrives
            assert self._watch is not None
            self._watch.probe()

    def _note(self, event: object) -> _Wake | None:
        """Track finished speech: SPOKEN when the current utterance just ended, INTERRUPTED
        when it must be said again (by the voice that goes on), RESTART when the sound came
        back and this step's own words went unheard."""
        if isinstance(event, SpeechFailed):
            return self._speech_failed(event)
        if isinstance(event, SoundBack):
            return self._sound_back()
        if isinstance(event, SpeechFinished) and event.utterance == self._utterance:
            self._utterance = None
            now = self.clock.now()
            # The voice's own end of the sound, less the delay in starting it: the end as the
            # timeline has it (never later than now: the event says it has ended).
            heard = now if event.at is None else min(now, event.at - self._lateness)
            self._cursor = heard
            return _Wake.SPOKEN
        return None

    # -- a moment without sound: the one place that decides what a sound failure means -----------

    def _speech_failed(self, event: SpeechFailed) -> _Wake | None:
        """The sound failed. A moment without sound is no failure of the night: the routine
        goes on, keeping its time and place, with the watch's stand-in (the steps paced on
        screen), and the output is tried again every `retry_every` until it plays (SoundBack)
        or `give_up_after` has passed. A lasting failure is given up on at once."""
        if self._gave_up:
            return None  # late news from a voice already given up on
        if event.utterance == PROBE:
            if self._lost_since is not None:
                self._lost_because = event.message
                self._still_lost(event.message)
            return None
        if self._lost_since is not None or event.utterance <= self._stale_up_to:
            return None  # a late report from the real voice, from before the sound was lost
        if self._watch is None:
            raise SpeechUnavailable(event.message)
        if event.lasting:
            self._give_up(event.message)
        else:
            now = self.clock.now()
            self._lost_since = now
            self._lost_because = event.message
            self._retry_at = now + self.options.retry_every
            self._stale_up_to = self._last_id
            self.voice.cut()
            self._go_on_with(self._watch.lost(event.message))
        if self._utterance is None:
            return None
        self._utterance = None
        return _Wake.INTERRUPTED  # said again, from its start, by the voice that goes on

    def _still_lost(self, message: str) -> None:
        assert self._lost_since is not None
        now = self.clock.now()
        if now - self._lost_since >= self.options.give_up_after:
            self._give_up(message)
        else:
            self._retry_at = now + self.options.retry_every

    def _give_up(self, message: str) -> None:
        assert self._watch is not None
        self._gave_up = True
        self._lost_since = self._retry_at = None
        replacement = self._watch.give_up(message)
        if replacement is None:
            raise SpeechUnavailable(message)
        self.voice.cut()
        self._go_on_with(replacement)

    def _sound_back(self) -> _Wake | None:
        """The output plays again: the real voice goes on from where the routine is now."""
        if self._lost_since is None or self._gave_up or self._watch is None:
            return None
        self._lost_since = self._retry_at = None
        self.voice.cut()  # the stand-in's line on screen
        self._go_on_with(self._watch.back())
        if self._step_unheard:
            return _Wake.RESTART
        if self._utterance is None:
            return None
        self._utterance = None
        return _Wake.INTERRUPTED

    def _go_on_with(self, replacement: tuple[Voice, Screen]) -> None:
        """Another voice and screen take over; the screen shows where the routine is."""
        self.voice, self.screen = replacement
        if self._shown_step is not None:
            self.screen.show_step(*self._shown_step)
        if self._status:
            self.screen.show_status(self._status)

    def _key_time(self, event: KeyPressed) -> float:
        return self.clock.now() if event.at is None else event.at

    def _fresh(self, event: KeyPressed) -> bool:
        """A new press: not a held key's repeat, and not typed ahead of a wait.

        A burst of 50 Enters from a held or bouncing key moves one step, not fifty, and a
        step that waits for the listener waits for a press made after it was announced.
        Different keys typed together (Right, then Left) each count.
        """
        at = self._key_time(event)
        previous, self._last_key = self._last_key, (event.key, at)
        if at < self._since and self._waiting_for_key:
            return False  # typed before this wait began: not an answer to it
        if previous is None or previous[0] != event.key:
            return True
        if command_for(event.key) is Command.PAUSE:
            gap = PAUSE_REPEAT_GAP
        else:
            gap = HELD_GAP if self._step_waits else REPEAT_GAP
        return at - previous[1] >= gap

    @property
    def _waiting_for_key(self) -> bool:
        return self._waiting

    @_waiting_for_key.setter
    def _waiting_for_key(self, waiting: bool) -> None:
        if waiting != self._waiting:
            self._waiting = waiting
            self.listener.waiting(waiting)

    def _event(self, event: KeyPressed | RemoteCommand) -> _Woken | None:
        """A key (unless typed ahead or repeated by a held key) or a media key's command."""
        command = _command_of(event)
        if self._repeated(event, command):
            return None
        return self._command(command)

    def _repeated(self, event: KeyPressed | RemoteCommand, command: Command | None) -> bool:
        """A key to ignore: typed ahead or repeated, for a command a repeat would harm."""
        if not isinstance(event, KeyPressed):
            return False  # a media key is one call, one press
        return not self._fresh(event) and command not in REPEATABLE

    def _command(self, command: Command | None) -> _Woken | None:
        """What a key's (or a media key's) command does now; None: nothing to wake up for."""
        if command is None:
            # Any other key is harmless: while waiting it means "go on", otherwise nothing.
            return _Woken(_Wake.KEY) if self._waiting_for_key else None
        if command is Command.QUIT:
            self._cut()
            raise _Quit
        if command in (Command.NEXT, Command.PAUSE, Command.PLAY) and self._waiting_for_key:
            # A wait shows as paused to a desktop, so its one button sends Play or PlayPause.
            return _Woken(_Wake.KEY)
        if command is Command.PLAY or (command is Command.PAUSE_ONLY and self._waiting_for_key):
            return None  # already playing; already waiting
        if command in (Command.NEXT, Command.BACK, Command.REPEAT):
            self._cut()
            raise _Navigate(STEP_MOVES[command])
        if command in (Command.PAUSE, Command.PAUSE_ONLY):
            return self._paused()
        if command is Command.HELP:
            if self._waiting_for_key:
                # Said without blocking, so the key that goes on still works during it.
                self._start(*self.phrases.line(said.HELP))
                return None
            # The help is a pause: a hold stands still while it is said, so no cue is lost.
            self._cut()
            started = self.clock.now()
            self._say(*self.phrases.line(said.HELP))
            return _Woken(_Wake.RESUMED, self.clock.now() - started)
        return self._adjust(command)

    def _show_status(self, text: str) -> None:
        self._status = text
        self._shown_left = None  # a new state: the time left is shown again beside it
        self.screen.show_status(text)

    def _cut(self) -> bool:
        """Silence the voice at once; True if something was being said."""
        was_speaking = self._utterance is not None
        self.voice.cut()
        self._utterance = None
        return was_speaking

    def _adjust(self, command: Command) -> _Woken | None:
        low, high = RATE_RANGE
        if command is Command.SLOWER:
            self.rate = max(low, self.rate - RATE_STEP)
        elif command is Command.FASTER:
            self.rate = min(high, self.rate + RATE_STEP)
        elif command is Command.QUIETER:
            self.volume = max(0.05, round(self.volume - VOLUME_STEP, 2))
        elif command is Command.LOUDER:
            self.volume = min(1.0, round(self.volume + VOLUME_STEP, 2))
        if self._utterance is not None and self._utterance == self._sentence:
            self._cut()
            return _Woken(_Wake.INTERRUPTED)  # the sentence is said again, in the new voice
        # Otherwise (a hold, a cue, the last feedback word) a short word says what changed:
        # pressing 9 three times is heard three times.
        self._start(*self.phrases.line(FEEDBACK[command]))
        return None

    def _paused(self) -> _Woken:
        """Hold everything until Space (or any unmapped key); report how long it lasted."""
        self._cut()
        paused_at = self.clock.now()
        status = self._status
        self._show_status(self.phrases.text(said.PAUSED))
        self.listener.paused()
        try:
            self._stay_paused()
        finally:
            self.listener.resumed()
        if self._step_unheard and self._lost_since is None and not self._gave_up:
            self._cut()
            raise _Navigate(0)  # sound came back while paused: the unheard step, heard
        # What it said before the pause ("Hold 30 s"...), or that it goes on: a plain screen
        # (a log) shows the end of every pause too.
        self._show_status(status or self.phrases.text(said.GOING_ON))
        return _Woken(_Wake.RESUMED, self.clock.now() - paused_at)

    def _stay_paused(self) -> None:
        """Until Space, Play or any unmapped key; other commands work as ever."""
        while True:
            event = self._next_event(None)
            if not isinstance(event, KeyPressed | RemoteCommand):
                self._note(event)  # nothing is being said while paused: only the voices change
                continue
            command = _command_of(event)
            if self._repeated(event, command):
                continue  # a held Space must not resume: a new press does
            if command in (Command.PAUSE, Command.PLAY, None):
                return
            if command is Command.PAUSE_ONLY:
                continue
            if command is Command.QUIT:
                raise _Quit
            if command in (Command.NEXT, Command.BACK, Command.REPEAT):
                raise _Navigate(STEP_MOVES[command])
            if command is Command.HELP:
                self._say(*self.phrases.line(said.HELP))
            else:
                self._adjust(command)


def _command_of(event: KeyPressed | RemoteCommand) -> Command | None:
    """The command a key or a media key gives; None for an unmapped key."""
    if isinstance(event, RemoteCommand):
        return event.command
    return command_for(event.key)


def plan_after_question(
    player: Player,
    routine: Routine,
    settings: Settings,
    *,
    chime: bool | None = None,
    answers: dict[str, str] | None = None,
) -> Plan | None:
    """Ask the routine's question, if it has one, and compile the plan with the answer.

    The answer is also put in `answers` when given (the episode log keeps which leg). None if
    the listener quit at the question. The first-words renderer runs this too, so what it
    expects plain `nightvoice` to say first is what the session says.
    """
    answers = {} if answers is None else answers
    if routine.ask:
        answer = player.ask(routine.ask)
        if answer is None:
            return None
        answers[routine.ask.name] = answer
    hands_free = not player.options.interactive
    return compile_plan(
        routine, settings, answers, chime=chime, phrases=player.phrases, hands_free=hands_free
    )
