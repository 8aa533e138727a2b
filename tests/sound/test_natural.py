"""The natural voice for real: the Piper model, its child process, real aplay, a private sink.

Each test fails, naming `.ci/setup`, where the natural extra is not installed (CI installs it).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nightvoice.console.realtime import MonotonicClock, QueueInbox
from nightvoice.console.screen import BlankScreen
from nightvoice.core.plan import Plan
from nightvoice.core.planner import LEAD_IN_SECONDS, compile_plan
from nightvoice.core.player import Player, PlayerOptions, night_volume
from nightvoice.core.ports import KeyPressed, SpeechFinished
from nightvoice.sound.audio import AplayOutput, Pcm
from nightvoice.sound.engines import Engines
from nightvoice.sound.export import sentences
from nightvoice.sound.naturalvoices import NATURAL_VOICES
from nightvoice.sound.piper_client import PiperSynthesizer
from nightvoice.sound.speaker import SpeakerVoice
from nightvoice.sound.synth import platform_synthesizer as make_espeak
from nightvoice.user.catalog import load_routine
from nightvoice.user.config import resolve_settings
from tests.audio_server import (
    RATE,
    Recorder,
    first_loud,
    last_loud,
    loud_stretches,
    pulse_server,
    recorder,
)

_ = (pulse_server, recorder)  # fixtures used by name below

JOE = NATURAL_VOICES[0]
pytestmark = pytest.mark.usefixtures("natural_voice")  # fails without it, never skips

FIRST, RELEASE, LAST = "Pull your toes toward your knee.", "Release.", "Now rest your leg."
HOLD = 2.0
ROUTINE = f"""\
nightvoice: 1
title: Tiny
voice: joe
volume: 1.0
steps:
  - say: {FIRST}
    hold: {HOLD}
    cues: {{release: {RELEASE}}}
  - say: {LAST}
"""
LONG = (
    "Sit up in bed and stretch both of your legs out in front of you, then slowly pull "
    "your toes up toward your knees and keep breathing gently while you hold the stretch."
)


class Recording(Engines):
    """The engines, keeping each sentence's PCM as rendered for the speaker.

    `render_ahead` renders a plan's sentences before it plays, as the speech cache does for
    the player, so a test of pacing measures the player and not the model's speed.
    """

    def __init__(self) -> None:
        super().__init__(make_espeak(), strict=True)
        self.rendered: dict[str, Pcm] = {}  # the last render of each text
        self._ready: dict[tuple[str, int], Pcm] = {}

    def synthesize(
        self,
        text: str,
        *,
        rate: int,
        language: str,
        voice: str | None,
        on_piece: Callable[[Pcm], None] | None = None,
    ) -> Pcm:
        pcm = self._ready.pop((text, rate), None)
        if pcm is None:
            pcm = super().synthesize(
                text, rate=rate, language=language, voice=voice, on_piece=on_piece
            )
        self.rendered[text] = pcm
        return pcm

    def render_ahead(self, plan: Plan) -> None:
        s = plan.settings
        for text, _language in sentences(plan):
            pcm = super().synthesize(text, rate=s.rate, language=s.language, voice=s.voice)
            self._ready[text, s.rate] = pcm


@pytest.fixture(scope="module")
def engines() -> Iterator[Recording]:
    synth = Recording()
    synth.prepare("joe")
    try:
        yield synth
    finally:
        synth.close()


def player_for(
    routine: Path, synth: Engines, *, interactive: bool = False
) -> tuple[Player, SpeakerVoice, QueueInbox, object]:
    loaded = load_routine(routine)
    settings = resolve_settings(loaded.voice, {}, {}).settings
    inbox = QueueInbox()
    voice = SpeakerVoice(
        synth, AplayOutput(), inbox.post, language=settings.language, voice=settings.voice
    )
    player = Player(
        clock=MonotonicClock(),
        inbox=inbox,
        voice=voice,
        screen=BlankScreen(),
        rate=settings.rate,
        volume=settings.volume,
        options=PlayerOptions(interactive=interactive),
    )
    return player, voice, inbox, compile_plan(loaded, settings, chime=False)


def test_joe_speaks_slower_at_the_night_rate_and_never_clips(engines: Recording) -> None:
    """The night's 130 words a minute stretches a sentence ~1.35x; peaks stay below full scale."""
    quick = engines.synthesize(FIRST, rate=175, language="en", voice="joe")
    night = engines.synthesize(FIRST, rate=130, language="en", voice="joe")
    assert quick.rate == night.rate == 22050
    for pcm in (quick, night):
        peak = max(map(abs, pcm.values()))
        assert 0.5 * 32767 < peak <= 0.86 * 32767
    assert night.seconds / quick.seconds == pytest.approx(175 / 130, rel=0.15)


def test_a_routine_in_joe_plays_in_order_unclipped_with_exact_holds(
    tmp_path: Path, engines: Recording, recorder: Recorder
) -> None:
    """Sentence, release cue, last sentence: whole, in order, the hold within 50 ms."""
    routine = tmp_path / "tiny.yaml"
    routine.write_text(ROUTINE, encoding="utf-8")
    player, voice, _inbox, plan = player_for(routine, engines)
    engines.render_ahead(plan)  # type: ignore[arg-type]
    mark = recorder.mark()
    try:
        outcome = player.play(plan)  # type: ignore[arg-type]
    finally:
        voice.close()
    assert outcome.completed
    time.sleep(0.1)  # the recorder's last chunk
    heard = recorder.samples(mark)
    assert max(map(abs, heard)) < 32767  # never driven into clipping

    stretches = loud_stretches(heard, gap=0.2)
    assert len(stretches) == 3, stretches
    for said, ((start, end), text) in enumerate(
        zip(stretches, (FIRST, RELEASE, LAST), strict=True)
    ):
        # As played: the night profile's ramp lowers the first sentences (and their soft edges).
        gain = night_volume(1.0, said, PlayerOptions())
        source = engines.rendered[text].scaled(gain).values()
        begin, finish = first_loud(source), last_loud(source)
        assert begin is not None and finish is not None
        assert abs((end - start) - (finish + 1 - begin)) < 0.01 * RATE, text  # whole, +-10 ms

    # The hold runs from the end of the sentence as played (its trailing silence included) to
    # the release cue's onset (after its lead-in): the scripted 2 s within 50 ms.
    first, release = stretches[0], stretches[1]
    source = engines.rendered[FIRST].scaled(night_volume(1.0, 0, PlayerOptions())).values()
    finish = last_loud(source)
    assert finish is not None
    tail = len(source) - (finish + 1)
    silence = (release[0] - first[1] - tail) / RATE - LEAD_IN_SECONDS
    assert silence == pytest.approx(HOLD, abs=0.05)


def test_a_key_silences_a_joe_sentence_within_150_ms(
    tmp_path: Path, engines: Recording, recorder: Recorder
) -> None:
    """q during a long natural sentence: the sink is silent within 150 ms of the key."""
    routine = tmp_path / "long.yaml"
    routine.write_text(f"nightvoice: 1\ntitle: Long\nvoice: joe\nsteps:\n  - {LONG}\n")
    player, voice, inbox, plan = player_for(routine, engines, interactive=True)
    mark = recorder.mark()
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(player.play(plan)))  # type: ignore[arg-type]
    thread.start()
    try:
        recorder.wait_for_samples(mark, seconds=0.8, timeout=30)  # well into the sentence
        pressed = time.monotonic()
        inbox.post(KeyPressed("q"))
        thread.join(10)
        recorder.wait_for_silence(mark, 0.3)
    finally:
        voice.close()
        thread.join(10)
    heard = recorder.samples(mark)
    onset, last = first_loud(heard), last_loud(heard)
    assert onset is not None and last is not None
    assert recorder.arrival_of(mark + last) - pressed < 0.15
    # The rest never played (it renders on, off the player's thread: asking for it again
    # waits for that, and gives its length).
    whole = engines.synthesize(LONG, rate=plan.settings.rate, language="en", voice="joe")
    assert (last - onset) / RATE < whole.seconds - 1
    assert result and getattr(result[0], "quit", False)


def test_a_dead_voice_child_falls_back_to_espeak_in_one_line() -> None:
    """Never silence: the child killed mid-routine costs one line, then espeak-ng speaks."""
    lines: list[str] = []
    synth = Engines(make_espeak(), warn=lines.append)
    try:
        first = synth.synthesize("One.", rate=130, language="en", voice="joe")
        assert first.samples and not lines
        child = synth._natural["joe"]._process
        assert child is not None
        os.kill(child.pid, signal.SIGKILL)
        child.wait(5)
        for text in ("Two.", "Three."):
            assert synth.synthesize(text, rate=130, language="en", voice="joe").samples
        assert len(lines) == 1 and "espeak-ng" in lines[0], lines
    finally:
        synth.close()


def test_the_voice_child_ends_with_its_parent_pipe() -> None:
    """Closing the pipe (the program gone) ends the child; nothing is left running."""
    engine = PiperSynthesizer(JOE)
    engine.synthesize("Yes.", rate=175, language="en", voice="joe")
    child = engine._process
    assert child is not None and child.stdin is not None
    child.stdin.close()
    assert child.wait(10) == 0
    engine.close()


def test_the_night_first_words_are_kept_in_the_natural_voice() -> None:
    """`config set voice joe`: the head start for plain `nightvoice` is joe's, stamped with the
    engine string the session will compare it with."""
    from nightvoice.base import paths
    from nightvoice.sound.engines import make_synthesizer
    from nightvoice.startup import firstwords

    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text("voice: joe\n", encoding="utf-8")
    first = firstwords.render()
    assert first is not None
    said = first[False]
    assert said is not None and said.voice == "joe" and said.samples
    synth = make_synthesizer("joe")
    try:
        assert said.engine == synth.engine_version() and "piper" in said.engine
    finally:
        synth.close()


def test_show_gives_the_length_joe_exports_and_says_it_is_measuring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A natural voice's sentences have their own lengths: `show` measured them with espeak-ng
    and was 11 s short on calf-cramp. Now it agrees with the export to the second, and says
    why the first `show` takes a few seconds."""
    import re

    from nightvoice.base import paths
    from nightvoice.cli import run
    from nightvoice.sound.audio import read_wav

    folder = paths.routines_dir()
    folder.mkdir(parents=True)
    sentences_ = [
        FIRST,
        "Breathe in slowly through your nose and out through your mouth.",
        "Rub the calf gently, in slow circles.",
        "If it still feels tight, pull the toes back again.",
        "Keep the other leg still.",
        LAST,
    ]
    body = "nightvoice: 1\ntitle: Joe\nvoice: joe\nsteps:\n" + "".join(
        f"  - say: {text}\n    hold: 2\n" for text in sentences_
    )
    (folder / "joe.yaml").write_text(body)
    assert run(["show", "joe"]) == 0
    shown_out = capsys.readouterr()
    assert "sentence(s) in joe's voice, once" in shown_out.err
    shown = re.search(r"Total: about (\d+):(\d\d)", shown_out.out)
    out = tmp_path / "joe.wav"
    assert run(["export", "joe", "-o", str(out)]) == 0
    exported = read_wav(out).seconds
    assert shown is not None
    assert abs(int(shown[1]) * 60 + int(shown[2]) - exported) <= 1
    capsys.readouterr()
    assert run(["show", "joe"]) == 0
    assert "measuring" not in capsys.readouterr().err  # measured once, kept


def test_a_measuring_budget_never_loads_the_natural_voice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Measuring in joe starts with a ~1 s model load: within `list`'s budget its sentences stay
    estimated (its background measurement takes them); without a budget they are measured."""
    from nightvoice.core.plan import Settings
    from nightvoice.sound import piper_client as natural
    from nightvoice.sound.lengths import SpeechLengths

    spawned: list[object] = []
    real_spawn = natural.spawn_worker

    def counted(voice: natural.NaturalVoice) -> object:
        spawned.append(voice)
        return real_spawn(voice)

    monkeypatch.setattr(natural, "spawn_worker", counted)
    joe, espeak = Settings(voice="joe"), Settings()
    lengths = SpeechLengths()
    try:
        for settings in (joe, espeak):
            lengths.for_settings(settings, wait=False)(FIRST)
        assert len(lengths.missing) == 2
        assert lengths.measure_missing(at_most=8, seconds=5.0) == 1  # espeak-ng's only
        assert spawned == [] and lengths.known(joe, FIRST) is None
        assert lengths.known(espeak, FIRST) is not None
        assert lengths.measure_missing(at_most=None, seconds=None) == 1  # the background's way
        assert len(spawned) == 1
        joes, espeaks = lengths.known(joe, FIRST), lengths.known(espeak, FIRST)
        assert joes is not None and espeaks is not None and joes != espeaks  # its own length
    finally:
        lengths.close()


def test_a_sentence_not_rendered_ahead_plays_from_its_first_piece(recorder: Recorder) -> None:
    """The first words of a run: its first piece is heard while the rest still renders, and
    then the whole sentence plays, nothing lost between the pieces."""
    returned: list[float] = []

    class Timed(Engines):
        def synthesize(self, text: str, **kwargs: object) -> Pcm:  # type: ignore[override]
            pcm = super().synthesize(text, **kwargs)  # type: ignore[arg-type]
            returned.append(time.monotonic())
            return pcm

    synth = Timed(make_espeak(), strict=True)
    synth.synthesize("Yes.", rate=130, language="en", voice="joe")  # the model loaded
    returned.clear()
    inbox = QueueInbox()
    voice = SpeakerVoice(synth, AplayOutput(), inbox.post, language="en", voice="joe")
    try:
        mark = recorder.mark()
        voice.say(LONG, rate=130, volume=1.0)
        recorder.wait_for_samples(mark, seconds=0.05, timeout=30)
        heard = time.monotonic()
        while not isinstance(event := inbox.wait(time.monotonic() + 30), SpeechFinished):
            assert event is not None
        assert returned and heard < returned[0] - 0.2  # heard well before it was all made
        whole = synth.synthesize(LONG, rate=130, language="en", voice="joe")
        samples = recorder.samples(mark)
        onset, last = first_loud(samples), last_loud(samples)
        assert onset is not None and last is not None
        assert (last - onset) / RATE == pytest.approx(whole.seconds, abs=1.0)
    finally:
        voice.close()
        synth.close()


def test_quitting_while_a_sentence_still_renders_says_nothing_more(recorder: Recorder) -> None:
    """q while the rest of a streamed sentence renders: the child is ended on purpose, so no
    "the natural voice stopped" line, no espeak-ng taking over, and no new child."""
    lines: list[str] = []
    synth = Engines(make_espeak(), warn=lines.append)
    synth.synthesize("Yes.", rate=130, language="en", voice="joe")  # the model loaded
    voice = SpeakerVoice(synth, AplayOutput(), QueueInbox().post, language="en", voice="joe")
    mark = recorder.mark()
    voice.say(LONG, rate=130, volume=1.0)
    recorder.wait_for_samples(mark, seconds=0.05, timeout=30)
    voice.cut()
    voice.close()
    synth.close()
    for thread in threading.enumerate():
        if thread.name == "nightvoice-render":
            thread.join(10)
            assert not thread.is_alive()
    assert lines == []
    assert synth._natural == {}  # nothing started again after the close
