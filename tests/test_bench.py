"""bench/run.py stays importable and its pure helpers stay right (the bench itself is never
run by pytest: timings belong in the bench, not in tests)."""

from __future__ import annotations

import importlib.util
import math
import random
import sys
from array import array
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"
RATE = 22050


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nightvoice_bench", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["nightvoice_bench"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_median_of_runs_and_of_nothing(bench: ModuleType) -> None:
    assert bench.median([3.0, 1.0, 2.0]) == 2.0
    assert bench.median([1.0, 2.0]) == 1.5
    assert bench.median([]) is None


def test_targets_are_judged_both_ways(bench: ModuleType) -> None:
    assert bench.judged(150.0, 150) is True
    assert bench.judged(151.0, 150) is False
    assert bench.judged(49.0, 50, at_most=False) is False
    assert bench.judged(None, 50) is None


def test_cpu_percent_from_ticks(bench: ModuleType) -> None:
    ticks = bench.CLK_TCK
    assert bench.cpu_percent(100, 100 + ticks, 10.0) == pytest.approx(10.0)


def test_the_table_and_the_json_have_every_figure(bench: ModuleType) -> None:
    figures = [
        bench.Figure(
            "first_sound_ms", "first sound", 46.8, "ms", "<= 150 ms", 150, anchors="pyttsx3 60 ms"
        ),
        bench.Figure("drift_ms", "drift", 138.0, "ms", "<= 100 ms", 100),
        bench.Figure("export_x_realtime", "export", 487.0, "x", ">= 50x", 50, at_most=False),
        bench.Figure("anchor_ms", "anchor", None, "ms"),
        bench.Figure("natural_ms", "natural", None, "ms", "<= 1000 ms", 1000, why="not installed"),
    ]
    table = bench.format_table(figures).splitlines()
    assert table[0].split() == ["figure", "median", "anchors", "(same", "run)", "target"]
    assert "46.8 ms" in table[2]
    assert "pyttsx3 60 ms" in table[2]
    assert table[2].endswith("PASS")
    assert "138 ms" in table[3]
    assert table[3].endswith("FAIL")
    assert "487.00x" in table[4]
    assert "n/a" in table[5] and table[5].rstrip().endswith("n/a")  # an anchor: no verdict
    assert "not installed" in table[6] and table[6].endswith("NOT MEASURED")
    assert bench.as_json(figures) == {
        "first_sound_ms": 46.8,
        "first_sound_ms_ok": True,
        "first_sound_ms_verdict": "pass",
        "drift_ms": 138.0,
        "drift_ms_ok": False,
        "drift_ms_verdict": "fail",
        "export_x_realtime": 487.0,
        "export_x_realtime_ok": True,
        "export_x_realtime_verdict": "pass",
        "anchor_ms": None,
        "natural_ms": None,
        "natural_ms_ok": None,
        "natural_ms_verdict": "not measured",
    }


# -- a figure nothing measured is no pass; a failed run is a failure ------------------------


def runs_of(bench: ModuleType, *values: float, failed: tuple[str, ...] = ()) -> object:
    runs = bench.Runs()
    for value in values:
        runs.add(value)
    for why in failed:
        runs.fail(why)
    return runs


def test_a_figure_with_no_run_measured_is_not_measured_and_says_why(bench: ModuleType) -> None:
    runs = runs_of(bench, failed=("nothing was heard within 5 s", "nothing was heard within 5 s"))
    shown = bench.figure("first_ms", "first", runs, "ms", target="<= 150 ms", limit=150)
    assert shown.value is None
    assert shown.verdict == bench.NOT_MEASURED
    assert shown.why == "nothing was heard within 5 s"
    assert "2 of 2 runs failed" in shown.anchors
    empty = bench.figure("first_ms", "first", bench.Runs(), "ms", target="<= 150 ms", limit=150)
    assert (empty.verdict, empty.why) == (bench.NOT_MEASURED, "nothing was measured")


def test_a_failed_run_fails_the_figure_even_when_the_median_is_within_target(
    bench: ModuleType,
) -> None:
    """Dropping it would leave a better median: it counts, as a failure."""
    runs = runs_of(bench, 40.0, 41.0, 42.0, failed=("no sound",))
    shown = bench.figure("cut_ms", "cut", runs, "ms", target="<= 150 ms", limit=150)
    assert shown.value == 41.0
    assert shown.verdict == bench.FAIL
    assert bench.as_json([shown])["cut_ms_failed_runs"] == 1
    assert "1 of 4 runs failed" in bench.format_table([shown])
    clean = bench.figure("cut_ms", "cut", runs_of(bench, 40.0), "ms", target="<= 150", limit=150)
    assert clean.verdict == bench.PASS


def test_a_ratio_to_an_anchor_never_measured_is_not_measured(bench: ModuleType) -> None:
    runs = runs_of(bench, 80.0, 90.0)
    ratio = bench.figure("r", "ratio", runs, "ratio", target="<= 1.2", limit=1.2, per=None)
    assert (ratio.value, ratio.verdict) == (None, bench.NOT_MEASURED)
    halved = bench.figure("r", "ratio", runs, "ratio", target="<= 1.2", limit=1.2, per=100.0)
    assert halved.value == pytest.approx(0.85)
    assert halved.verdict == bench.PASS


def test_the_worst_run_is_the_figure_for_a_worst_case_target(bench: ModuleType) -> None:
    errors = runs_of(bench, 3.0, 60.0, 5.0)
    worst = bench.figure("e", "error", errors, "ms", target="<= 50 ms", limit=50, worst=True)
    assert (worst.value, worst.verdict) == (60.0, bench.FAIL)
    speed = runs_of(bench, 30.0, 4.0)
    slowest = bench.figure("x", "x", speed, "x", target=">= 5x", limit=5, at_most=False, worst=True)
    assert (slowest.value, slowest.verdict) == (4.0, bench.FAIL)


@pytest.mark.parametrize(
    ("verdicts", "code"),
    [
        ([], 0),
        (["pass", "anchor"], 0),
        (["pass", "fail"], 1),
        (["pass", "not measured"], 4),
        (["fail", "not measured", "pass"], 5),
    ],
)
def test_the_exit_code_tells_a_missed_target_from_a_figure_not_measured(
    bench: ModuleType, verdicts: list[str], code: int
) -> None:
    made = {
        "pass": bench.Figure("a", "a", 1.0, "ms", "<= 2", 2),
        "fail": bench.Figure("b", "b", 3.0, "ms", "<= 2", 2),
        "not measured": bench.Figure("c", "c", None, "ms", "<= 2", 2, why="not installed"),
        "anchor": bench.Figure("d", "d", None, "ms"),
    }
    assert bench.exit_code([made[v] for v in verdicts]) == code
    assert bench.EXIT_MISSED != bench.EXIT_NOT_MEASURED
    assert 2 not in (bench.EXIT_MISSED, bench.EXIT_NOT_MEASURED)  # argparse's usage error


def test_a_step_that_broke_off_is_not_measured(bench: ModuleType) -> None:
    broken = bench.step_failed("media keys", RuntimeError("no dbus-daemon"))
    assert broken.verdict == bench.NOT_MEASURED
    assert "no dbus-daemon" in broken.why
    assert bench.exit_code([broken]) == bench.EXIT_NOT_MEASURED


def test_the_natural_voice_not_installed_is_four_figures_not_measured(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Its figures are named in the table as not measured, not left out as if passed."""
    monkeypatch.setattr(bench, "natural_missing", lambda: "the natural voice is not installed")
    figures, _ = bench.natural_voice(None, 1, tmp_path)
    assert [f.key for f in figures] == [spec[0] for spec in bench.NATURAL_FIGURES.values()]
    assert {f.verdict for f in figures} == {bench.NOT_MEASURED}
    assert all(f.why == "the natural voice is not installed" for f in figures)
    assert bench.exit_code(figures) == bench.EXIT_NOT_MEASURED


# -- telling a key's cut from a pause between words ------------------------------------------


def silence(seconds: float) -> array[int]:
    return array("h", [0] * round(seconds * RATE))


def words(seed: int, count: int, *, pause_after: int | None = None) -> array[int]:
    """A made-up sentence: `count` words of a 220 Hz voice, each its own length and loudness,
    2 ms apart (no gap of 10 ms: one unbroken sound), a 120 ms pause after word `pause_after`."""
    chance = random.Random(seed)
    out = silence(0.025)  # the player's lead-in
    for n in range(count):
        length = round(chance.uniform(0.08, 0.3) * RATE)
        loudness = chance.uniform(2000, 9000)
        out += array(
            "h", [round(loudness * math.sin(2 * math.pi * 220 * i / RATE)) for i in range(length)]
        )
        out += silence(0.12 if n == pause_after else 0.002)
    return out


@pytest.fixture(scope="module")
def sentence() -> array[int]:
    return words(1, 16, pause_after=7)


@pytest.fixture(scope="module")
def following() -> array[int]:
    return words(2, 4)


def pause_start(sentence: array[int]) -> int:
    """Where the sentence's own pause (the only gap of 100 ms) begins."""
    run = 0
    for i, value in enumerate(sentence):
        run = run + 1 if value == 0 else 0
        if run == round(0.1 * RATE) and i > RATE // 10:
            return i - run + 1
    raise AssertionError("no pause")


def recording(*parts: array[int]) -> array[int]:
    out = silence(0.3)  # the recorder started before the sentence
    for part in parts:
        out += part
    return out


def test_a_key_that_cut_the_sentence_mid_word_is_proven_a_cut(
    bench: ModuleType, sentence: array[int], following: array[int]
) -> None:
    cut_at = round(1.0 * RATE)
    assert max(abs(v) for v in sentence[cut_at : cut_at + 100]) > 2000  # inside a word
    heard = recording(sentence[:cut_at], silence(0.06), following, silence(0.5))
    pressed = round(0.3 * RATE) + cut_at - round(0.01 * RATE)
    cut = bench.judge_cut(heard, sentence, pressed, following)
    assert cut.proven, cut
    assert cut.end is not None and abs(cut.end - (round(0.3 * RATE) + cut_at)) < 60
    next_words = round(0.3 * RATE) + cut_at + round(0.06 * RATE) + bench.first_loud(following)
    assert cut.next_onset == next_words


def test_a_cut_after_a_stall_that_shifted_the_sentence_is_still_proven(
    bench: ModuleType, sentence: array[int], following: array[int]
) -> None:
    """The sound server stalled 80 ms mid-sentence: the rest plays that much later."""
    cut_at = round(1.8 * RATE)
    stall = round(0.8 * RATE)
    heard = recording(
        sentence[:stall], silence(0.08), sentence[stall:cut_at], silence(0.06), following
    )
    heard += silence(0.5)
    pressed = round((0.3 + 0.08) * RATE) + cut_at - 200
    cut = bench.judge_cut(heard, sentence, pressed, following)
    assert cut.proven, cut
    assert cut.end is not None and abs(cut.end - (pressed + 200)) < 60


def test_a_pause_in_the_sentence_is_not_taken_for_a_cut_when_the_key_did_nothing(
    bench: ModuleType, sentence: array[int], following: array[int]
) -> None:
    """The old measure took any 20 ms of silence after the key as the cut: this pause."""
    pressed = round(0.3 * RATE) + pause_start(sentence) - round(0.05 * RATE)
    heard = recording(sentence, silence(0.2))  # the key did nothing: the sentence went on
    cut = bench.judge_cut(heard, sentence, pressed, following)
    assert cut.failure == "the next step's words were not heard after the key"
    assert not cut.proven


def test_a_cut_that_fell_in_a_pause_between_words_cannot_be_told(
    bench: ModuleType, sentence: array[int], following: array[int]
) -> None:
    """Silent from the pause on, then the next words: cut, but when in the pause is unknown."""
    pause = pause_start(sentence)
    heard = recording(sentence[:pause], silence(0.1), following, silence(0.5))
    cut = bench.judge_cut(heard, sentence, round(0.3 * RATE) + pause - 100, following)
    assert cut.failure == ""
    assert cut.untold == "the sentence was between words where it went silent"
    assert not cut.proven


def test_other_words_after_the_key_are_not_the_next_step(
    bench: ModuleType, sentence: array[int], following: array[int]
) -> None:
    """The sentence said again (or any other sound) is not the next step's own first words."""
    cut_at = round(1.0 * RATE)
    again = recording(sentence[:cut_at], silence(0.06), sentence[: len(following)], silence(0.5))
    pressed = round(0.3 * RATE) + cut_at - 200
    assert bench.judge_cut(again, sentence, pressed, following).failure == (
        "the next step's words were not heard after the key"
    )


def test_the_sentence_going_on_under_the_next_words_is_no_cut(
    bench: ModuleType, sentence: array[int], following: array[int]
) -> None:
    cut_at = round(1.0 * RATE)
    rest = sentence[cut_at:]
    mixed = array(
        "h",
        [
            max(-32768, min(32767, a + b // 8))
            for a, b in zip(following, rest[: len(following)], strict=True)
        ],
    )
    heard = recording(sentence[:cut_at], silence(0.06), mixed, rest[len(following) :], silence(0.5))
    cut = bench.judge_cut(heard, sentence, round(0.3 * RATE) + cut_at - 200, following)
    assert cut.failure == "sound went on after the next step's words"


def test_a_pause_call_that_silenced_the_sentence_is_proven_and_one_that_did_not_fails(
    bench: ModuleType, sentence: array[int]
) -> None:
    """Media keys: PlayPause pauses, so silence follows and no next words are expected."""
    cut_at = round(1.0 * RATE)
    pressed = round(0.3 * RATE) + cut_at - 200
    paused = bench.judge_cut(recording(sentence[:cut_at], silence(1.0)), sentence, pressed)
    assert paused.proven and paused.next_onset is None
    going_on = bench.judge_cut(recording(sentence), sentence, pressed)
    assert going_on.failure == "the sentence went on after the key"
    early = bench.judge_cut(recording(sentence[:cut_at], silence(1.0)), sentence, pressed + RATE)
    assert early.failure == "the sentence went silent before the key"


def test_nothing_heard_or_another_sound_is_no_cut(
    bench: ModuleType, sentence: array[int], following: array[int]
) -> None:
    assert bench.judge_cut(silence(2.0), sentence, RATE).failure == "nothing was heard"
    other = recording(words(3, 6), silence(1.0))
    cut = bench.judge_cut(other, sentence, round(0.5 * RATE))
    assert cut.failure == "the sound before the key is not the sentence"


def test_keys_are_pressed_inside_long_words_after_the_first_second(
    bench: ModuleType, sentence: array[int]
) -> None:
    points = bench.press_points(sentence)
    assert points
    onset = bench.first_loud(sentence)
    for point in points:
        assert point - onset >= RATE
        span = sentence[point - round(0.04 * RATE) : point + round(0.21 * RATE)]
        assert all(
            max(abs(v) for v in span[i : i + 220]) > bench.THRESHOLD
            for i in range(0, len(span) - 220, 220)
        )  # no 10 ms of silence in the word it lands in
    assert bench.press_points(silence(1.0)) == []


def test_find_sound_gives_where_a_known_sound_starts(
    bench: ModuleType, following: array[int]
) -> None:
    heard = recording(silence(0.4), following, silence(0.3))
    found = bench.find_sound(heard, following)
    assert found is not None
    at, match = found
    assert at == round(0.7 * RATE) + bench.first_loud(following)
    assert match > 0.99


def test_what_a_process_holds_is_read_from_proc(bench: ModuleType) -> None:
    """The standby figures: resident memory, open descriptors and children of a process."""
    import os
    import subprocess

    me = os.getpid()
    assert bench.rss_mb(me) is not None and bench.rss_mb(me) > 1
    fds = bench.open_fds(me)
    read, write = os.pipe()
    assert bench.open_fds(me) == fds + 2
    os.close(read)
    os.close(write)
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert child.pid in bench.children_of(me)
    finally:
        child.kill()
        child.wait()
    assert child.pid not in bench.children_of(me)
