"""`nightvoice report`: the episode log as one self-contained HTML page to hand a doctor.

The page is a single file with everything inline (styles and SVG charts; no script, no font or
image files, no network), so it opens offline anywhere and prints on A4 or Letter. A Content
Security Policy in the page forbids any fetch or script, so even a slip in escaping could not
run anything. Everything from the log (routine names, answers) is data: it is HTML-escaped
here, and matplotlib escapes it in the SVG (with its `$math$` parsing turned off).

The charts are drawn by matplotlib (an optional extra, `nightvoice[report]`): the bedside
install stays lean, and `chart_svgs` says exactly what to install when it is missing.
"""

from __future__ import annotations

import collections
import datetime
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from nightvoice.base import paths
from nightvoice.core.errors import NightvoiceError
from nightvoice.user.episodes import Episode

if TYPE_CHECKING:  # matplotlib is the optional `report` extra: imported only when drawing
    from matplotlib.axes import Axes
    from matplotlib.container import BarContainer
    from matplotlib.figure import Figure

EXTRA = "report"
SIDES = ("left", "right")
NOT_RECORDED = "not recorded"
HELPED = ("yes", "no", "unanswered")
# The hour-of-night axis runs noon to noon, so a night is one unbroken stretch in the middle.
HOUR_ORDER = tuple((12 + n) % 24 for n in range(24))


class ReportUnavailable(NightvoiceError):
    """The charting library (the `report` extra) is not installed."""

    exit_code = 3


def install_hint() -> str:
    """The one command that installs the report's extra into the Python running nightvoice."""
    from nightvoice.base.extras import install_command

    return install_command(EXTRA)


@dataclass(frozen=True)
class Summary:
    """What the page shows, worked out from the episodes (local times, oldest first)."""

    episodes: tuple[Episode, ...]
    first: datetime.date
    last: datetime.date
    weeks: tuple[tuple[datetime.date, int], ...]  # each week's Monday and its episodes
    hours: dict[int, int]  # local hour 0-23 -> episodes that started in it
    sides: dict[str, int]  # left, right, (other answers), not recorded
    helped: dict[str, int]  # yes, no, unanswered
    routines: tuple[tuple[str, int], ...]  # most used first
    zones: tuple[str, ...]  # the time zones the local times are in, e.g. "CET (UTC+01:00)"
    since: datetime.date | None = None

    @property
    def total(self) -> int:
        return len(self.episodes)

    @property
    def median_minutes(self) -> float:
        minutes = sorted(e.seconds / 60 for e in self.episodes)
        middle = len(minutes) // 2
        if len(minutes) % 2:
            return minutes[middle]
        return (minutes[middle - 1] + minutes[middle]) / 2


def local(episode: Episode) -> Episode:
    """The episode with its start in this computer's local time zone."""
    return Episode(
        episode.start.astimezone(),
        episode.routine,
        episode.seconds,
        episode.helped,
        episode.side,
    )


def helped_key(answer: str) -> str:
    return answer if answer in HELPED else "unanswered"


def summarize(episodes: list[Episode], since: datetime.date | None = None) -> Summary | None:
    """The page's numbers for the episodes on or after `since` (local dates); None if none."""
    chosen = sorted(
        (e for e in map(local, episodes) if since is None or e.start.date() >= since),
        key=lambda e: e.start,
    )
    if not chosen:
        return None
    first, last = chosen[0].start.date(), chosen[-1].start.date()
    per_week = collections.Counter(_monday(e.start.date()) for e in chosen)
    weeks = []
    monday = _monday(first)
    while monday <= last:
        weeks.append((monday, per_week.get(monday, 0)))
        monday += datetime.timedelta(days=7)
    hours = collections.Counter(e.start.hour for e in chosen)
    side_counts = collections.Counter(e.side or NOT_RECORDED for e in chosen)
    sides = {side: side_counts.pop(side, 0) for side in SIDES}
    not_recorded = side_counts.pop(NOT_RECORDED, 0)
    sides.update(sorted(side_counts.items()))
    if not_recorded:
        sides[NOT_RECORDED] = not_recorded
    helped = collections.Counter(helped_key(e.helped) for e in chosen)
    routines = collections.Counter(e.routine for e in chosen)
    zones = dict.fromkeys(_zone(e.start) for e in chosen)
    return Summary(
        episodes=tuple(chosen),
        first=first,
        last=last,
        weeks=tuple(weeks),
        hours={hour: hours.get(hour, 0) for hour in range(24)},
        sides=sides,
        helped={answer: helped.get(answer, 0) for answer in HELPED},
        routines=tuple(sorted(routines.items(), key=lambda item: (-item[1], item[0]))),
        zones=tuple(zones),
        since=since,
    )


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _zone(moment: datetime.datetime) -> str:
    offset = moment.utcoffset() or datetime.timedelta(0)
    sign = "-" if offset < datetime.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    name = moment.tzname() or ""
    utc = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return f"{name} ({utc})" if name and not name.startswith(("UTC", "+", "-")) else utc


def zone_name() -> str | None:
    """This computer's time zone by name (Europe/Berlin), when it says: TZ or /etc/localtime."""
    import os

    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            name = os.readlink("/etc/localtime")
        except OSError:
            return None
    _, found, zone = name.rpartition("zoneinfo/")
    name = zone if found else name
    return name if name and not name.startswith("/") else None  # not a bare file path


# --- charts (matplotlib) ---------------------------------------------------------------------

CHARTS = ("weeks", "hours", "sides", "durations", "helped", "routines")


SINCE_FORMS = "a date like 2026-03-01, or today, yesterday, 3 days ago, 2 weeks ago, 1 month ago"
_AGO = re.compile(r"(\d+|a|an|one)\s*(d|days?|w|weeks?|m|months?)(\s+ago)?")


def parse_since(text: str, today: datetime.date | None = None) -> datetime.date:
    """The first day `--since` means, from the forms people type (ValueError saying them)."""
    today = today or datetime.date.today()
    typed = " ".join(text.strip().lower().split())
    named = {"today": 0, "yesterday": 1, "last week": 7, "a week ago": 7}
    if typed in named:
        return today - datetime.timedelta(days=named[typed])
    if typed == "last month":
        typed = "1 month ago"
    for separator in ("-", "/", "."):
        parts = typed.split(separator)
        if len(parts) == 3 and len(parts[0]) == 4 and all(p.isdigit() for p in parts):
            try:
                return datetime.date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                break  # 2026-02-30: a date's shape, not a day
    match = _AGO.fullmatch(typed)
    if match:
        count = 1 if match[1] in ("a", "an", "one") else int(match[1])
        unit = match[2][0]
        if unit == "d":
            return today - datetime.timedelta(days=count)
        if unit == "w":
            return today - datetime.timedelta(weeks=count)
        import calendar

        year, month = divmod(today.year * 12 + today.month - 1 - count, 12)
        last = calendar.monthrange(year, month + 1)[1]  # 31 March, a month ago: 28/29 Feb
        return datetime.date(year, month + 1, min(today.day, last))
    raise ValueError(f"give {SINCE_FORMS} (not `{text}`)")


def require_charts() -> None:
    """ReportUnavailable, naming the exact install command, when matplotlib is missing."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise ReportUnavailable(
            f"the report's charts need matplotlib, which is not installed: {install_hint()}"
        ) from None


def chart_svgs(summary: Summary) -> dict[str, str]:
    """Each chart as an inline `<svg>` element, by name (ReportUnavailable without matplotlib)."""
    require_charts()
    import matplotlib

    rc: Any = {  # (matplotlib's types list every key; these are checked by running them)
        "svg.fonttype": "none",  # text stays text: small, selectable, readable by a test
        "text.parse_math": False,  # a routine named "$x$" is a name, not a formula
        "text.usetex": False,
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    drawers = {
        "weeks": _weeks_chart,
        "hours": _hours_chart,
        "sides": _sides_chart,
        "durations": _durations_chart,
        "helped": _helped_chart,
        "routines": _routines_chart,
    }
    svgs = {}
    for name in CHARTS:
        # A salt per chart keeps the SVG ids (clip paths) unique within the one page.
        with matplotlib.rc_context({**rc, "svg.hashsalt": f"nightvoice-{name}"}):
            figure = drawers[name](summary)
            buffer = io.StringIO()
            figure.savefig(buffer, format="svg", metadata={"Date": None})
        svg = buffer.getvalue()
        svgs[name] = _own_ids(svg[svg.index("<svg") :].strip(), name)  # no XML prolog inline
    return svgs


_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_ID = re.compile(r'(\bid="|url\(#|href="#)')


def _own_ids(svg: str, chart: str) -> str:
    """Prefix every id (and every reference to one) with the chart's name, so the six SVGs
    in one page never share an id (matplotlib calls each figure `figure_1`). Only tags are
    touched: text from the log is in text nodes, escaped, and stays exactly as written."""
    return _TAG.sub(lambda tag: _ID.sub(rf"\g<1>{chart}-", tag.group(0)), svg)


BAR = "#4a6fa5"
PALE = "#9aa9bd"


def _figure(width: float = 4.2, height: float = 2.4) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    axes: Axes = figure.subplots()
    return figure, axes


def _counts_axis(ax: Axes) -> None:  # type: ignore[no-untyped-def]
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _weeks_chart(summary: Summary) -> Figure:
    figure, ax = _figure()
    mondays = [monday for monday, _ in summary.weeks]
    counts = [count for _, count in summary.weeks]
    bars = ax.bar(cast(Any, mondays), counts, width=5, align="edge", color=BAR)
    _name_bars(bars)
    if len(mondays) <= 16:
        ax.bar_label(bars, labels=[str(c) if c else "" for c in counts], padding=2)
    _date_axis(ax)
    ax.set_ylabel("episodes")
    ax.set_ylim(0, max(counts) * 1.2 + 0.5)
    _counts_axis(ax)
    return figure


def _hours_chart(summary: Summary) -> Figure:
    figure, ax = _figure()
    counts = [summary.hours[hour] for hour in HOUR_ORDER]
    bars = ax.bar(range(24), counts, width=0.8, color=BAR)
    _name_bars(bars, [f"{hour:02d}" for hour in HOUR_ORDER])
    ax.bar_label(bars, labels=[str(c) if c else "" for c in counts], padding=2)
    ax.set_xticks(range(0, 24, 3), [f"{HOUR_ORDER[n]:02d}:00" for n in range(0, 24, 3)])
    ax.set_xlim(-0.7, 23.7)
    ax.set_ylim(0, max(counts) * 1.2 + 0.5)
    ax.set_ylabel("episodes")
    _counts_axis(ax)
    return figure


def _name_bars(bars: BarContainer, keys: list[str] | None = None) -> None:
    """Give each bar an id (`hours-bar-03`, `helped-bar-0`): a test measures it in the page."""
    for n, bar in enumerate(bars):
        bar.set_gid(f"bar-{keys[n] if keys else n}")  # `hours-bar-03` in the page


def _horizontal(labels: list[str], counts: list[int], colors: list[str]) -> Figure:
    figure, ax = _figure(height=max(1.3, 0.45 * len(labels) + 0.6))
    positions = range(len(labels))
    bars = ax.barh(positions, counts, color=colors, height=0.6)
    _name_bars(bars)
    ax.bar_label(bars, labels=[str(c) for c in counts], padding=3)
    ax.set_yticks(list(positions), labels)
    ax.invert_yaxis()  # the first label on top, as it is read
    ax.set_xlim(0, max(counts) * 1.2 + 0.5)
    ax.xaxis.set_visible(False)
    ax.spines["bottom"].set_visible(False)
    return figure


def _sides_chart(summary: Summary) -> Figure:
    labels = list(summary.sides)
    colors = [PALE if label == NOT_RECORDED else BAR for label in labels]
    return _horizontal(labels, list(summary.sides.values()), colors)


def _helped_chart(summary: Summary) -> Figure:
    colors = {"yes": "#4c8c5a", "no": "#b0574f", "unanswered": PALE}
    labels = list(summary.helped)
    return _horizontal(labels, list(summary.helped.values()), [colors[k] for k in labels])


def _routines_chart(summary: Summary) -> Figure:
    shown = list(summary.routines[:10])
    others = sum(count for _, count in summary.routines[10:])
    labels = [_shorten(name) for name, _ in shown]
    counts = [count for _, count in shown]
    if others:
        labels.append(f"{len(summary.routines) - 10} others")
        counts.append(others)
    return _horizontal(labels, counts, [BAR] * len(labels))


def _durations_chart(summary: Summary) -> Figure:
    figure, ax = _figure()
    # Naive local times: matplotlib would otherwise draw them in UTC.
    starts = [e.start.replace(tzinfo=None) for e in summary.episodes]
    minutes = [e.seconds / 60 for e in summary.episodes]
    ax.scatter(cast(Any, starts), minutes, s=18, color=BAR, zorder=3, gid="points")
    _date_axis(ax)
    ax.set_ylim(0, max(minutes) * 1.15 + 1)
    ax.set_ylabel("minutes")
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    return figure


def _date_axis(ax: Axes) -> None:
    """Dates as few, short labels ("Oct", "15", "2026-Nov")."""
    from matplotlib import dates

    locator = dates.AutoDateLocator(maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def _shorten(name: str, width: int = 28) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


# --- the page --------------------------------------------------------------------------------

STYLE = """
:root { color-scheme: light; }
body { font: 15px/1.45 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #1d232b;
  background: #fff; margin: 0 auto; max-width: 60rem; padding: 1.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.meta { color: #4d5866; margin: 0; }
.facts { display: flex; flex-wrap: wrap; gap: .5rem 1rem; margin: 1rem 0; padding: 0; }
.facts div { min-width: 6.5rem; }
.facts dt { color: #4d5866; font-size: .85rem; }
.facts dd { margin: 0; font-size: 1.3rem; font-weight: bold; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 1rem; }
figure { margin: 0; border: 1px solid #e1e5ea; border-radius: 6px; padding: .5rem .75rem; }
figcaption { font-weight: bold; margin-bottom: .25rem; }
figure p { margin: .25rem 0 0; color: #4d5866; font-size: .85rem; }
figure svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid #e1e5ea; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
footer { margin-top: 1.5rem; color: #4d5866; font-size: .85rem; }
@page { margin: 14mm 12mm; }
@media print {
  body { font-size: 10pt; max-width: none; padding: 0; }
  .facts { gap: 2mm 6mm; }
  .facts div { min-width: 0; }
  .facts dd { font-size: 13pt; }
  .charts { grid-template-columns: 1fr 1fr; gap: 4mm; }
  figure { break-inside: avoid; border-color: #bbb; }
  h2 { break-after: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
}
"""

# No fetch, no script, no frame: the page is only itself. Inline styles are its own.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"

CAPTIONS = {
    "weeks": "Episodes per week",
    "hours": "Time of night the episodes started",
    "sides": "Which leg",
    "durations": "How long each episode took",
    "helped": "Did it help?",
    "routines": "Routines used",
}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _minutes(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _day(day: datetime.date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _chart_notes(summary: Summary) -> dict[str, str]:
    """The numbers beside each chart, so they stay readable when the chart is not."""
    busiest = max(summary.weeks, key=lambda week: week[1])
    weeks = len(summary.weeks)
    night = [h for h in HOUR_ORDER if summary.hours[h]]
    peak = max(HOUR_ORDER, key=lambda h: summary.hours[h])
    minutes = [e.seconds / 60 for e in summary.episodes]
    return {
        "weeks": f"{summary.total} episodes over {weeks} week{'s' * (weeks != 1)}; "
        f"most in the week of {_day(busiest[0])}: {busiest[1]}.",
        "hours": f"Most often between {peak:02d}:00 and {(peak + 1) % 24:02d}:00 "
        f"({summary.hours[peak]}); earliest hour {night[0]:02d}:00, latest {night[-1]:02d}:00.",
        "sides": ", ".join(f"{_e(side)}: {count}" for side, count in summary.sides.items()) + ".",
        "durations": f"Median {summary.median_minutes:.1f} min; shortest {min(minutes):.1f}, "
        f"longest {max(minutes):.1f}.",
        "helped": ", ".join(f"{answer}: {count}" for answer, count in summary.helped.items()) + ".",
        "routines": ", ".join(f"{_e(name)}: {count}" for name, count in summary.routines) + ".",
    }


def render_page(
    summary: Summary, svgs: dict[str, str], made: datetime.datetime | None = None
) -> str:
    """The whole page as one string; every value from the log is escaped here."""
    made = (made or datetime.datetime.now()).astimezone()
    place = zone_name()
    zones = f"{place}: " * bool(place) + " / ".join(summary.zones)
    period = f"{_day(summary.first)} to {_day(summary.last)}"
    since = f" (episodes since {_day(summary.since)})" if summary.since else ""
    helped = summary.helped
    facts = [
        ("episodes", "Episodes", summary.total),
        ("weeks", "Weeks covered", len(summary.weeks)),
        ("per-week", "Per week, on average", f"{summary.total / len(summary.weeks):.1f}"),
        ("median", "Median length", f"{summary.median_minutes:.1f} min"),
        ("helped-yes", "Helped: yes", helped["yes"]),
        ("helped-no", "Helped: no", helped["no"]),
        ("helped-unanswered", "Not answered", helped["unanswered"]),
    ]
    notes = _chart_notes(summary)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Night leg cramps: {_e(period)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>Night leg cramps: episode report</h1>",
        f'<p class="meta" id="period">{_e(period)}{_e(since)}</p>',
        f'<p class="meta" id="zone">Times are local, in {_e(zones)}.</p>',
        "</header>",
        '<dl class="facts">',
    ]
    out += [
        f'<div><dt>{_e(label)}</dt><dd data-fact="{key}">{_e(value)}</dd></div>'
        for key, label, value in facts
    ]
    out += ["</dl>", '<section class="charts">']
    for name in CHARTS:
        out += [
            f'<figure class="chart" data-chart="{name}">',
            f"<figcaption>{_e(CAPTIONS[name])}</figcaption>",
            svgs[name],
            f"<p>{notes[name]}</p>",
            "</figure>",
        ]
    out += [
        "</section>",
        "<h2>Every episode</h2>",
        '<table id="episodes">',
        "<thead><tr><th>Date</th><th>Started</th><th>Routine</th><th>Leg</th>"
        '<th class="num">Length (min:s)</th><th>Helped</th></tr></thead>',
        "<tbody>",
    ]
    for e in summary.episodes:
        out.append(
            f"<tr><td>{_e(f'{e.start:%a} {e.start:%Y-%m-%d}')}</td>"
            f"<td>{_e(f'{e.start:%H:%M}')}</td><td>{_e(e.routine)}</td>"
            f"<td>{_e(e.side or '-')}</td><td class=num>{_minutes(e.seconds)}</td>"
            f"<td>{_e(e.helped)}</td></tr>"
        )
    out += [
        "</tbody>",
        "</table>",
        "<footer>",
        f"<p>Made by nightvoice on {_e(f'{made:%Y-%m-%d %H:%M}')} from its local episode log. "
        "Each episode is one relief routine played at night; the leg and whether it helped are "
        "the person's own answers (unanswered: no key pressed).</p>",
        "<p>nightvoice is not medical advice. A calf that is swollen, red or warm, or cramps "
        "that come often, need a doctor.</p>",
        "</footer>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(out)


def default_output() -> Path:
    return paths.data_dir() / "report.html"


def build(episodes: list[Episode], since: datetime.date | None = None) -> str | None:
    """The page for these episodes, or None when there are none to show."""
    summary = summarize(episodes, since)
    if summary is None:
        return None
    return render_page(summary, chart_svgs(summary))
