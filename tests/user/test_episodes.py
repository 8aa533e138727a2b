"""The episode log: one key answers "did it help?", one row is appended, failures only warn."""

from __future__ import annotations

import csv
import datetime
import io

import pytest

from nightvoice.base import paths
from nightvoice.cli import run
from nightvoice.console.terminal import Terminated
from nightvoice.core.plan import Plan, PlanStep, Say
from nightvoice.core.player import Outcome, Player, PlayerOptions
from nightvoice.core.ports import Event, SpeechFinished
from nightvoice.session import after_routine
from nightvoice.user import episodes
from tests.fakes import FakeVoice, FakeWorld, fake_player

PLAN = Plan("Relief", (PlanStep(1, "Stretch", "", (Say("Stretch."),)),), log_episode=True)


def player(world: FakeWorld, interactive: bool = True) -> tuple[Player, FakeVoice]:
    p, voice, _ = fake_player(world, options=PlayerOptions(interactive=interactive))
    return p, voice


def finished(seconds: float = 200.0, **kwargs: object) -> Outcome:
    values: dict[str, object] = {"completed": True, "steps_started": [1], **kwargs}
    return Outcome(started=1000.0, ended=1000.0 + seconds, **values)  # type: ignore[arg-type]


def rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(paths.log_file().read_text())))


def test_y_answers_yes_and_one_row_is_appended() -> None:
    world = FakeWorld()
    p, voice = player(world)
    world.press(4.0, "y")
    before = datetime.datetime.now().astimezone()
    episode = after_routine(PLAN, "calf-cramp", finished(), p, interactive=True, side="right")
    assert episode is not None and episode.helped == "yes"
    assert voice.said()[0][1] == "Did it help? Press Y for yes or N for no."
    header, row = rows()
    assert header == ["start", "routine", "seconds", "helped", "side", "version"]
    start = datetime.datetime.fromisoformat(row[0])
    assert start.utcoffset() is not None  # local time with its offset
    assert abs((before - datetime.timedelta(seconds=200) - start).total_seconds()) < 5
    assert row[1:] == ["calf-cramp", "200", "yes", "right", "2"]


def test_no_key_in_time_is_unanswered_and_rows_accumulate() -> None:
    world = FakeWorld()
    p, _ = player(world)
    after_routine(PLAN, "calf-cramp", finished(), p, interactive=True)
    world.press(world.elapsed + 2.0, "N")
    after_routine(PLAN, "foot-cramp", finished(90), p, interactive=True)
    assert [r[3] for r in rows()[1:]] == ["unanswered", "no"]


def test_quit_at_the_question_is_unanswered() -> None:
    world = FakeWorld()
    p, _ = player(world)
    world.press(1.0, "q")
    episode = after_routine(PLAN, "calf-cramp", finished(), p, interactive=True)
    assert episode is not None and episode.helped == "unanswered"


def test_quit_after_starting_asks_nothing_and_logs_the_episode_unanswered() -> None:
    """`q` quits at once with nothing more: no question, but the night still counts."""
    world = FakeWorld()
    p, voice = player(world)
    world.press(1.0, "y")
    outcome = finished(30, completed=False, quit=True)
    episode = after_routine(PLAN, "calf-cramp", outcome, p, interactive=True)
    assert voice.said() == []
    assert episode is not None and episode.helped == "unanswered"
    assert [r[3] for r in rows()[1:]] == ["unanswered"]


@pytest.mark.parametrize("stop", [KeyboardInterrupt, Terminated], ids=["ctrl-c", "signal"])
def test_ctrl_c_or_a_signal_at_the_question_logs_unanswered_and_goes_on_unwinding(
    stop: type[BaseException],
) -> None:
    class Interrupted(FakeWorld):
        def wait(self, deadline: float | None) -> Event | None:
            event = super().wait(deadline)
            if isinstance(event, SpeechFinished):  # the question has been said
                raise stop(15) if stop is Terminated else stop()
            return event

    p, _ = player(Interrupted())
    with pytest.raises(stop):
        after_routine(PLAN, "calf-cramp", finished(), p, interactive=True)
    assert [r[1:4] for r in rows()[1:]] == [["calf-cramp", "200", "unanswered"]]


@pytest.mark.parametrize(
    ("typed", "helped"),
    [
        ("stty sane", "unanswered"),  # the next shell command, typed while it asks
        ("yes", "unanswered"),
        ("sync\r", "unanswered"),
        ("\r", "unanswered"),  # Enter is not an answer
        ("y", "yes"),
        ("N", "no"),
        ("y\r", "yes"),
    ],
)
def test_only_a_lone_y_or_n_answers_did_it_help(typed: str, helped: str) -> None:
    world = FakeWorld()
    p, _ = player(world)
    for i, char in enumerate(typed):
        world.press(1.0 + 0.08 * i, "enter" if char == "\r" else char)
    episode = after_routine(PLAN, "calf-cramp", finished(), p, interactive=True)
    assert episode is not None and episode.helped == helped


def test_keys_typed_before_did_it_help_was_asked_do_not_answer_it() -> None:
    world = FakeWorld()
    p, screen = fake_player(world, options=PlayerOptions())[0::2]
    world.typed_ahead(0.5, "y", pressed=-1.0)  # typed during the routine's last sentence
    episode = after_routine(PLAN, "calf-cramp", finished(), p, interactive=True)
    assert episode is not None and episode.helped == "unanswered"
    assert screen.statuses[0] == episodes.question().say  # shown as well as said


@pytest.mark.parametrize(
    ("plan", "outcome", "interactive"),
    [
        (PLAN, finished(), False),  # no terminal: nobody to ask
        (Plan("Bedtime", PLAN.steps, log_episode=False), finished(), True),
        (PLAN, Outcome(quit=True), True),  # quit before the first step
    ],
)
def test_nothing_is_asked_or_logged(plan: Plan, outcome: Outcome, interactive: bool) -> None:
    world = FakeWorld()
    p, voice = player(world)
    assert after_routine(plan, "x", outcome, p, interactive=interactive) is None
    assert voice.said() == [] and not paths.log_file().exists()


def test_a_log_that_cannot_be_written_warns_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    paths.log_file().mkdir(parents=True)  # a folder where the file should be
    world = FakeWorld()
    p, _ = player(world)
    world.press(1.0, "y")
    episode = after_routine(PLAN, "calf-cramp", finished(), p, interactive=True)
    assert episode is not None
    err = capsys.readouterr().err
    assert err.startswith("nightvoice: could not write the episode log") and err.count("\n") == 1


def test_log_prints_recent_episodes_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["log"]) == 0
    assert "No episodes logged yet." in capsys.readouterr().out
    start = datetime.datetime(2026, 3, 1, 3, 12, tzinfo=datetime.timezone.utc)
    for n, answer in enumerate(["yes", "no", "unanswered"]):
        episodes.append(
            episodes.Episode(start + datetime.timedelta(days=n), "calf-cramp", 275, answer)
        )
    with paths.log_file().open("a") as f:
        f.write("garbage line\n")
    assert run(["log", "--last", "2"]) == 0
    out, err = capsys.readouterr()
    assert "2026-03-02 03:12" in out and "4:35" in out and "unanswered" in out
    assert "2026-03-01" not in out and "1 earlier" in out
    assert "skipped 1 unreadable" in err
    assert run(["log", "--csv"]) == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert table[0] == ["start", "routine", "seconds", "helped", "side", "version"]
    assert [r[3] for r in table[1:]] == ["yes", "no", "unanswered"]
    assert table[1][0] == "2026-03-01T03:12:00+00:00"


@pytest.mark.parametrize("name", ["x", "calf-cramp", "a-very-long-routine-name-of-mine"])
def test_log_columns_line_up_whatever_the_routines_names(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    start = datetime.datetime(2026, 3, 1, 3, 12, tzinfo=datetime.timezone.utc)
    episodes.append(episodes.Episode(start, name, 275, "yes"))
    episodes.append(episodes.Episode(start, "calf", 7300, "unanswered"))  # over two hours
    assert run(["log"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()[:3]
    for row in rows:  # every column starts where its heading starts (time: ends there)
        assert row.index(" " + name if name in row else " calf") + 1 == header.index("routine")
        assert row.index("yes" if "yes" in row else "unanswered") == header.index("helped")
        time = row.split()[3]
        assert row.index(time) + len(time) == header.index("time") + len("time")


def test_a_log_with_bad_bytes_keeps_its_good_rows_and_is_never_rewritten(
    capsys: pytest.CaptureFixture[str],
) -> None:
    start = datetime.datetime(2026, 3, 1, 3, 12, tzinfo=datetime.timezone.utc)
    episodes.append(episodes.Episode(start, "calf-cramp", 275, "yes"))
    with paths.log_file().open("ab") as f:
        f.write(b"2026-03-02T03:12:00+00:00,calf-\xff\xfe,100,no\n\x00\xc3,\n")
    episodes.append(episodes.Episode(start, "foot-cramp", 60, "no"))
    before = paths.log_file().read_bytes()
    assert run(["log"]) == 0
    out, err = capsys.readouterr()
    assert "calf-cramp" in out and "foot-cramp" in out
    assert "skipped 2 unreadable" in err and "Traceback" not in err
    assert paths.log_file().read_bytes() == before


def test_a_log_that_cannot_be_read_is_one_line_and_a_failure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths.log_file().mkdir(parents=True)  # a folder where the file should be
    assert run(["log"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nightvoice: cannot read the episode log") and err.count("\n") == 1


def test_version_1_and_version_2_rows_are_read_side_by_side() -> None:
    """A log begun before the leg was recorded keeps its rows; new rows carry the leg."""
    paths.log_file().parent.mkdir(parents=True)
    paths.log_file().write_text(
        "start,routine,seconds,helped\n2026-03-01T03:12:00+01:00,calf-cramp,275,yes\n"
    )
    start = datetime.datetime(2026, 3, 2, 4, 0, tzinfo=datetime.timezone.utc)
    episodes.append(episodes.Episode(start, "foot-cramp", 60, "no", "left"))
    with paths.log_file().open("a") as f:
        f.write("2026-03-03T03:00:00+00:00,calf-cramp,90,no,left,3\n")  # a later version
    found, unreadable = episodes.read()
    assert [(e.routine, e.helped, e.side) for e in found] == [
        ("calf-cramp", "yes", ""),
        ("foot-cramp", "no", "left"),
    ]
    assert unreadable == 1
