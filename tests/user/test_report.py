"""`nightvoice report`: the episode log as one offline page, checked in a real headless browser."""

from __future__ import annotations

import datetime
import os
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nightvoice.base import paths
from nightvoice.cli import run
from nightvoice.user import episodes, report
from nightvoice.user.episodes import Episode
from tests.browser import MISSING, Browser, Page, find_chromium
from tests.extras import require_report_extra

needs_charts = pytest.mark.usefixtures("report_extra")  # fails without it, never skips
BERLIN = datetime.timezone(datetime.timedelta(hours=1))
HOSTILE = '<script>alert("x")</script> & \'quoted\' "</svg>" $x^2$ &amp;'


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test in Europe/Berlin (it changes from CEST to CET on 25 Oct 2026)."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield "Europe/Berlin"
    monkeypatch.undo()
    time.tzset()


def at(day: str, clock: str) -> datetime.datetime:
    """A moment in Berlin's local time, stored in the log as UTC, as another machine might."""
    naive = datetime.datetime.fromisoformat(f"{day}T{clock}")
    offset = 2 if naive < datetime.datetime(2026, 10, 25, 3) else 1
    return naive.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=offset))).astimezone(
        datetime.timezone.utc
    )


# Three weeks with episodes and one without between them; times of night around midnight.
LOG = [
    Episode(at("2026-10-19", "23:40"), "calf-cramp", 300, "yes", "left"),
    Episode(at("2026-10-20", "02:10"), "calf-cramp", 420, "yes", "right"),
    Episode(at("2026-10-22", "02:55"), "foot-cramp", 180, "no", "left"),
    Episode(at("2026-10-24", "03:30"), HOSTILE, 600, "unanswered", ""),
    # (week of 26 Oct: none)
    Episode(at("2026-11-03", "02:20"), "calf-cramp", 240, "yes", "left"),
    Episode(at("2026-11-04", "04:05"), "calf-cramp", 360, "no", 'right"><img src=x>'),
]


def write_log(entries: list[Episode] = LOG) -> None:
    for entry in entries:
        episodes.append(entry)


# --- the numbers (no browser) ----------------------------------------------------------------


def test_the_summary_counts_weeks_hours_legs_answers_and_routines(local_zone: str) -> None:
    """Weeks run Monday to Sunday in local time, empty weeks included; hours are local."""
    summary = report.summarize(LOG)
    assert summary is not None
    assert (summary.first, summary.last) == (
        datetime.date(2026, 10, 19),
        datetime.date(2026, 11, 4),
    )
    assert summary.weeks == (
        (datetime.date(2026, 10, 19), 4),
        (datetime.date(2026, 10, 26), 0),
        (datetime.date(2026, 11, 2), 2),
    )
    assert {h: n for h, n in summary.hours.items() if n} == {23: 1, 2: 3, 3: 1, 4: 1}
    assert summary.sides == {"left": 3, "right": 1, 'right"><img src=x>': 1, "not recorded": 1}
    assert summary.helped == {"yes": 3, "no": 2, "unanswered": 1}
    assert summary.routines == (("calf-cramp", 4), (HOSTILE, 1), ("foot-cramp", 1))
    assert summary.zones == ("CEST (UTC+02:00)", "CET (UTC+01:00)")  # summer time ended
    assert summary.median_minutes == 5.5


def test_since_keeps_episodes_from_that_local_day_on(local_zone: str) -> None:
    """`--since` compares local dates: 23:40 on the 19th is the 19th, though UTC says so too."""
    summary = report.summarize(LOG, since=datetime.date(2026, 10, 22))
    assert summary is not None and summary.total == 4
    assert report.summarize(LOG, since=datetime.date(2026, 11, 5)) is None


def test_an_empty_log_is_one_clear_line_and_writes_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No episodes: one line saying so and where the log is, exit 1, no page."""
    require_report_extra()  # without it, the missing-extra message would come first
    assert run(["report"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no episodes logged yet" in err
    assert str(paths.log_file()) in err
    assert not report.default_output().exists()


@needs_charts
@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2026-03-01", datetime.date(2026, 3, 1)),
        ("2026/03/01", datetime.date(2026, 3, 1)),
        ("today", datetime.date(2026, 3, 31)),
        (" Yesterday ", datetime.date(2026, 3, 30)),
        ("3 days ago", datetime.date(2026, 3, 28)),
        ("2 weeks ago", datetime.date(2026, 3, 17)),
        ("2w", datetime.date(2026, 3, 17)),
        ("last week", datetime.date(2026, 3, 24)),
        ("a month ago", datetime.date(2026, 2, 28)),  # no 31 February
        ("14 months", datetime.date(2025, 1, 31)),
    ],
)
def test_since_takes_the_forms_people_type(typed: str, day: datetime.date) -> None:
    assert report.parse_since(typed, today=datetime.date(2026, 3, 31)) == day


@pytest.mark.parametrize("typed", ["fortnight", "2026-02-30", "%Y-%m-%d", "03/01/2026"])
def test_since_says_the_accepted_forms_in_words(
    capsys: pytest.CaptureFixture[str], typed: str
) -> None:
    assert run(["report", "--since", typed]) == 2
    err = capsys.readouterr().err
    assert (
        "Invalid value for '--since': give a date like 2026-03-01, or today, yesterday, "
        f"3 days ago, 2 weeks ago, 1 month ago (not `{typed}`)"
    ) in err
    assert "%Y" not in err.replace(f"`{typed}`", "")  # no strptime format to decode


def test_since_after_the_last_episode_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    write_log()
    assert run(["report", "--since", "2030-01-01"]) == 1
    assert "no episodes since 2030-01-01" in capsys.readouterr().err


def test_without_the_extra_it_names_the_exact_install_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With matplotlib missing the command says what to install, in one line, exit 3."""
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    write_log()
    assert run(["report"]) == 3
    err = capsys.readouterr().err
    assert err == (
        "nightvoice: the report's charts need matplotlib, which is not installed: "
        f"{sys.executable} -m pip install 'nightvoice[report]'\n"
    )
    assert not report.default_output().exists()


@needs_charts
def test_the_default_page_is_in_the_data_folder_and_its_path_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_log()
    assert run(["report"]) == 0
    out = capsys.readouterr().out
    assert out == f"{paths.data_dir() / 'report.html'}\n"
    assert run(["report"]) == 0  # its own file: written again without --force


@needs_charts
def test_unreadable_lines_are_skipped_with_a_warning_and_the_rest_reported(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A damaged line in the log never stops the report: it is counted, the others shown."""
    paths.log_file().parent.mkdir(parents=True)
    paths.log_file().write_bytes(
        b"start,routine,seconds,helped\n"
        b"2026-03-01T03:12:00+00:00,calf-cramp,275,yes\n"  # version 1: leg not recorded
        b"2026-03-02T03:\xff,broken\n"
    )
    write_log(LOG[:1])
    assert run(["report"]) == 0
    assert capsys.readouterr().err == "nightvoice: skipped 1 unreadable line(s) in the log\n"
    page = report.default_output().read_text()
    assert 'data-fact="episodes">2<' in page and "not recorded: 1" in page


@needs_charts
def test_an_existing_output_file_is_kept_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log()
    mine = tmp_path / "notes.html"
    mine.write_text("my notes")
    assert run(["report", "-o", str(mine)]) == 1
    assert "already exists; pass --force" in capsys.readouterr().err
    assert mine.read_text() == "my notes"
    assert run(["report", "-o", str(mine), "--force"]) == 0
    assert mine.read_text().startswith("<!DOCTYPE html>")


@needs_charts
def test_open_hands_the_page_to_the_system_browser(tmp_path: Path) -> None:
    """`--open` goes through the standard library's webbrowser (here BROWSER, a recorder)."""
    write_log()
    opened = tmp_path / "opened.txt"
    recorder = tmp_path / "browser.py"
    recorder.write_text(f"import sys; open({str(opened)!r}, 'w').write(sys.argv[1])\n")
    env = {**os.environ, "BROWSER": f"{sys.executable} {recorder} %s"}
    page = tmp_path / "page.html"
    done = subprocess.run(
        [sys.executable, "-m", "nightvoice", "report", "-o", str(page), "--open"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert opened.read_text() == page.resolve().as_uri()


# --- the page, as a person sees it -----------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if find_chromium() is None:
        pytest.fail(MISSING, pytrace=False)
    chromium = Browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def page(browser: Browser, tmp_path: Path, local_zone: str) -> Page:
    """The report for LOG, written by the command and opened in Chromium."""
    write_log()
    output = tmp_path / "report.html"
    assert run(["report", "-o", str(output)]) == 0
    return browser.open(output)


CHART_BARS = """(chart) => [...document.querySelectorAll(`figure[data-chart="${chart}"] g[id^="${chart}-bar-"]`)]
    .map(g => { const b = g.getBBox(); return [g.id, b.width, b.height]; })"""


def bars(page: Page, chart: str) -> dict[str, tuple[float, float]]:
    found = page.evaluate(f"({CHART_BARS})({chart!r})")
    return {name: (width, height) for name, width, height in found}


def proportional(sizes: list[float], counts: list[int]) -> bool:
    unit = max(sizes) / max(counts)
    return all(abs(size - count * unit) < 0.5 for size, count in zip(sizes, counts, strict=True))


@needs_charts
def test_the_page_loads_offline_with_no_error_and_no_request(page: Page) -> None:
    """Nothing is fetched but the page itself, nothing complains, no script exists in it."""
    seen = page.loaded()
    assert seen.console == []
    assert seen.requests == [page.url]
    assert page.evaluate("document.querySelectorAll('script, img, iframe, link').length") == 0
    ids = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids))  # six inline SVGs, no clashing ids


@needs_charts
def test_the_charts_are_drawn_and_match_the_log(page: Page) -> None:
    """Six charts with real size; each bar's length is its count from the test's log."""
    charts = page.evaluate(
        """[...document.querySelectorAll('figure.chart')].map(f => {
            const r = f.querySelector('svg').getBoundingClientRect();
            return [f.dataset.chart, Math.round(r.width), Math.round(r.height)]; })"""
    )
    assert [name for name, _, _ in charts] == list(report.CHARTS)
    assert all(width > 300 and height > 100 for _, width, height in charts)
    weeks = bars(page, "weeks")
    assert list(weeks) == ["weeks-bar-0", "weeks-bar-1", "weeks-bar-2"]
    assert proportional([h for _, h in weeks.values()], [4, 0, 2])
    hours = bars(page, "hours")
    assert len(hours) == 24
    expected = {"23": 1, "02": 3, "03": 1, "04": 1}
    counts = [expected.get(name.split("-")[-1], 0) for name in hours]
    assert proportional([h for _, h in hours.values()], counts)
    assert proportional([w for w, _ in bars(page, "helped").values()], [3, 2, 1])
    assert proportional([w for w, _ in bars(page, "sides").values()], [3, 1, 1, 1])
    assert proportional([w for w, _ in bars(page, "routines").values()], [4, 1, 1])
    points = page.evaluate(
        "document.querySelectorAll('#durations-points use, #durations-points path').length"
    )
    assert points >= len(LOG)


@needs_charts
def test_the_numbers_and_table_match_the_log_in_local_time(page: Page) -> None:
    """The facts, the period, the time zone named, and one table row per episode (local)."""
    facts = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('[data-fact]')]"
        ".map(e => [e.dataset.fact, e.textContent]))"
    )
    assert facts == {
        "episodes": "6",
        "weeks": "3",
        "per-week": "2.0",
        "median": "5.5 min",
        "helped-yes": "3",
        "helped-no": "2",
        "helped-unanswered": "1",
    }
    assert page.evaluate("document.getElementById('period').textContent") == (
        "Mon 19 Oct 2026 to Wed 4 Nov 2026"
    )
    assert page.evaluate("document.getElementById('zone').textContent") == (
        "Times are local, in Europe/Berlin: CEST (UTC+02:00) / CET (UTC+01:00)."
    )
    rows = page.evaluate(
        "[...document.querySelectorAll('#episodes tbody tr')]"
        ".map(r => [...r.cells].map(c => c.textContent))"
    )
    assert rows[0] == ["Mon 2026-10-19", "23:40", "calf-cramp", "left", "5:00", "yes"]
    assert rows[3] == ["Sat 2026-10-24", "03:30", HOSTILE, "-", "10:00", "unanswered"]
    assert rows[5][1:4] == ["04:05", "calf-cramp", 'right"><img src=x>']
    assert len(rows) == len(LOG)


@needs_charts
def test_text_from_the_log_is_shown_as_text_everywhere(page: Page) -> None:
    """Markup, quotes, `&` and `$math$` in names stay literal, in the table and the charts."""
    texts = page.evaluate(
        "[...document.querySelectorAll('figure[data-chart=routines] svg text')]"
        ".map(t => t.textContent)"
    )
    assert report._shorten(HOSTILE) in texts  # drawn as written, not as a formula
    notes = page.evaluate("document.querySelector('figure[data-chart=routines] p').textContent")
    assert HOSTILE in notes
    assert page.evaluate("document.querySelectorAll('svg').length") == len(report.CHARTS)


@needs_charts
def test_a_screenshot_and_printing_on_a4_and_letter(page: Page, tmp_path: Path) -> None:
    """The page renders to a full-size image and prints; print puts two charts a row."""
    png = page.screenshot()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == 1000 and height > 1500  # the charts and the table, not a blank top
    (tmp_path / "report.png").write_bytes(png)
    for paper, (w, h), box in (("A4", (8.27, 11.69), b"595"), ("Letter", (8.5, 11.0), b"612")):
        pdf = page.pdf(w, h)
        assert pdf.startswith(b"%PDF-"), paper
        assert b"/MediaBox [0 0 " + box in pdf, paper
        assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>") >= 1
    page.emulate_print()
    try:
        columns = page.evaluate(
            "getComputedStyle(document.querySelector('.charts')).gridTemplateColumns"
        )
    finally:
        page.emulate_print(False)
    assert len(columns.split()) == 2
