"""A sound server that is late, or goes away and comes back, with the real program and a real
sound server: the routine keeps its place, the output is tried again about every second, and
as soon as it plays again the voice goes on from where the routine is, each sentence heard in
order and none twice by accident (the cut one again, from its start)."""

from __future__ import annotations

import subprocess
import time
from array import array
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sink import RATE, Recorder, Restarting, first_loud, last_loud, loud_stretches

pytestmark = pytest.mark.real_audio

# Told apart by their lengths (about 1, 3.2 and 1.6 s, in either voice); the second step
# lasts long enough (its sentence, then 1.5 s) for the sound to come back inside it.
SENTENCES = ["Sit up now.", "Pull your toes toward your knee, and hold.", "Now stand up slowly."]
PAUSES = [0.8, 1.5, 0.0]
ROUTINE = "nightvoice: 1\ntitle: Three steps\nchime: false\nsteps:\n" + "".join(
    f"  - say: {sentence}\n" + (f"    pause: {pause}\n" if pause else "")
    for sentence, pause in zip(SENTENCES, PAUSES, strict=True)
)
OUTAGE_SECONDS = 1.5


@pytest.fixture
def server() -> Iterator[Restarting]:
    restarting = Restarting()
    try:
        yield restarting
    finally:
        restarting.close()


def play(server: Restarting, tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    routine = tmp_path / "four.yaml"
    routine.write_text(ROUTINE, encoding="utf-8")
    return subprocess.Popen(
        ["nightvoice", "play", str(routine), "--hands-free", "--blank", *extra],
        env={**server.env(), "NIGHTVOICE_HOME": str(tmp_path / "home")},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_sentence(recorder: Recorder, number: int, into: float, timeout: float = 60) -> None:
    """Until the `number`th sentence (1-based) has been playing for `into` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        values = recorder.samples()
        stretches = loud_stretches(values, gap=0.6)
        if len(stretches) >= number and len(values) - stretches[number - 1][0] >= into * RATE:
            return
        time.sleep(0.01)
    raise TimeoutError(f"sentence {number} was not heard")


def audible_seconds(values: array[int]) -> float:
    start, end = first_loud(values), last_loud(values)
    return 0.0 if start is None or end is None else (end - start) / RATE


RENDERS = 3  # the natural voice's lengths vary from one rendering to the next (~±5 %)


def renderings(voice: list[str]) -> dict[str, list[float]]:
    """Each sentence's audible lengths as the program's engine says it at the night rate, over
    several renderings: one of the natural voice's could be 10 % off the one that played."""
    from nightvoice.sound.engines import make_synthesizer

    synth = make_synthesizer(voice[-1] if voice else None, strict=True)
    name = voice[-1] if voice else None
    try:
        return {
            text: [
                audible_seconds(
                    synth.synthesize(text, rate=130, language="en", voice=name).values()
                )
                for _ in range(RENDERS)
            ]
            for text in SENTENCES
        }
    finally:
        synth.close()


def heard(recorder: Recorder, lengths: dict[str, list[float]]) -> list[str]:
    """Which sentence each stretch of sound is, by its length (within 12 % of one of its
    renderings), or "?"."""

    def off(text: str, seconds: float) -> float:
        """How far `seconds` is from the sentence's nearest rendering, as a share of it."""
        return min(abs(length - seconds) / length for length in lengths[text])

    found = []
    for start, end in loud_stretches(recorder.samples(), gap=0.6):
        seconds = (end - start) / RATE
        text = min(lengths, key=lambda t: off(t, seconds))
        found.append(text if off(text, seconds) <= 0.12 else "?")
    return found


def ended(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, list[str]]:
    try:
        _, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err.splitlines()


VOICES = [
    pytest.param([], id="espeak-ng"),
    pytest.param(["--voice", "joe"], id="natural"),  # the natural extra: .ci/setup has it
]


@pytest.mark.parametrize("voice", VOICES)
def test_a_server_that_restarts_mid_routine_is_waited_for_and_the_cut_step_said_again(
    server: Restarting, tmp_path: Path, voice: list[str]
) -> None:
    lengths = renderings(voice)
    before = server.start()
    proc = play(server, tmp_path, *voice)
    wait_for_sentence(before, 2, into=0.5)  # halfway through the second step's sentence
    server.stop()  # a crash: its clients' connections go, and no server answers
    time.sleep(OUTAGE_SECONDS)  # the outage itself: real time passing is the point here
    after = server.start()
    back = time.monotonic()
    code, lines = ended(proc)
    assert code == 0, lines
    lost = [line for line in lines if "trying again" in line]
    returned = [line for line in lines if "sound is back" in line]
    assert len(lost) == 1 and len(returned) == 1, lines
    assert "Traceback" not in "\n".join(lines)
    # Speech before (the first sentence whole, then the second cut short) ...
    assert heard(before, lengths)[:2] == [SENTENCES[0], "?"]
    # ... nothing while the server was away, and as soon as it was back, the cut step again
    # from its start, then the rest in order, each once.
    assert heard(after, lengths) == SENTENCES[1:]
    onset = first_loud(after.samples())
    assert onset is not None
    assert after.time_of(onset) - back < 2.0  # tried every second: back within about one


def test_a_server_that_is_not_there_yet_at_the_start_is_waited_for(
    server: Restarting, tmp_path: Path
) -> None:
    """The laptop lid opens and the desktop's sound comes a moment after the command: it does
    not exit 3, it waits. The routine keeps its time meanwhile (on screen), and the step it is
    in when the sound comes is said from its start, then the rest in order, each once."""
    lengths = renderings([])
    proc = play(server, tmp_path)
    assert proc.stderr is not None
    lost = proc.stderr.readline()  # no server yet: one line, and it waits
    assert "trying again" in lost, lost
    time.sleep(OUTAGE_SECONDS)  # the outage itself: real time passing is the point here
    assert proc.poll() is None, ended(proc)
    recorder = server.start()
    code, lines = ended(proc)
    assert code == 0, lines
    said = heard(recorder, lengths)
    assert said in (SENTENCES, SENTENCES[1:]), said  # from the step it was in, in order
    assert [bool("trying again" in line) for line in lines].count(True) == 0, lines
    assert [bool("sound is back" in line) for line in lines].count(True) == 1, lines


def test_an_output_that_cannot_play_is_passed_over_for_the_default_and_heard(
    server: Restarting, tmp_path: Path
) -> None:
    """A `device` naming an output this machine lacks (a typo, last year's USB headset) is a
    setting like any other: one located line, and the whole routine is heard on the system's
    default output, the first step from its start. (Where the line says it was written is
    the one rule's, the same for a flag: tests/user/test_night.py.)"""
    lengths = renderings([])
    recorder = server.start()
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text("device: no-such-output\n", encoding="utf-8")
    code, lines = ended(play(server, tmp_path))
    assert code == 0, lines
    (line,) = [line for line in lines if "cannot play" in line]
    located = f"{home / 'config.yaml'}:1:9: "
    assert line.startswith(f"nightvoice: {located}the output `no-such-output` cannot play ("), line
    assert line.endswith("playing on the system's default output instead"), line
    assert not [line for line in lines if "sound is back" in line], lines
    assert heard(recorder, lengths) == SENTENCES


def test_a_chosen_output_that_played_is_waited_for_before_the_default_takes_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Headphones switched off mid-routine may come back: the default output takes over only
    after DEFAULT_OUTPUT_AFTER; one that never played is left at once (while the default
    plays: with no default either, there is nothing to switch to)."""
    import io

    from nightvoice import session
    from nightvoice.console.screen import BlankScreen
    from nightvoice.sound import audio

    default_plays = [True]
    monkeypatch.setattr(
        audio, "output_problem", lambda device, timeout: None if default_plays[0] else "gone"
    )
    output = audio.AplayOutput("headset")
    outage = session.Outage(
        session.BlankScreen(),  # type: ignore[arg-type]  # never spoken to here
        BlankScreen(),
        lambda event: None,
        output,
        io.StringIO(),
        interactive=False,
    )
    assert outage._may_leave("headset")  # never played: a setting passed over
    output.heard = True
    outage._lost_at = time.monotonic()
    assert not outage._may_leave("headset")  # played: it may come back
    outage._lost_at = time.monotonic() - session.DEFAULT_OUTPUT_AFTER
    assert outage._may_leave("headset")
    default_plays[0] = False
    assert not outage._may_leave("headset")  # the default cannot play either: wait on
    assert not outage._may_leave(None) and not outage._may_leave("default")
