"""A stop (Ctrl-C, SIGTERM's exception) that CPython swallowed is kept for the next wait."""

from __future__ import annotations

import subprocess
import sys
import threading
import types
from pathlib import Path

import pytest

from nightvoice.base import stops


def report(error: BaseException) -> types.SimpleNamespace:
    """What CPython hands `sys.unraisablehook` for an exception it ignores."""
    return types.SimpleNamespace(exc_value=error, exc_traceback=error.__traceback__)


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[BaseException | None]:
    """The reports that reach the hook installed before ours."""
    reached: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda r: reached.append(r.exc_value))
    monkeypatch.setattr(stops, "_rescued", [])
    stops.keep_swallowed_stops()
    return reached


def test_a_swallowed_stop_is_raised_once_on_the_main_thread(
    seen: list[BaseException | None],
) -> None:
    sys.unraisablehook(report(KeyboardInterrupt()))
    sys.unraisablehook(report(KeyboardInterrupt()))  # a second Ctrl-C asks the same

    on_a_helper: list[BaseException] = []

    def helper() -> None:
        try:
            stops.raise_swallowed()
        except BaseException as error:  # the test looks at what it is
            on_a_helper.append(error)

    thread = threading.Thread(target=helper)
    thread.start()
    thread.join()
    assert on_a_helper == []  # the signal was meant for the main thread
    with pytest.raises(KeyboardInterrupt):
        stops.raise_swallowed()
    stops.raise_swallowed()  # once
    assert seen == []  # not printed as "Exception ignored"


def test_an_error_that_is_no_stop_still_reaches_the_hook_before(
    seen: list[BaseException | None],
) -> None:
    error = ValueError("a bug in a __del__")
    sys.unraisablehook(report(error))
    sys.unraisablehook(report(SystemExit(1)))
    assert seen[0] is error and isinstance(seen[1], SystemExit)
    stops.raise_swallowed()  # nothing kept


def test_a_thread_start_cut_by_a_signal_is_not_reported_as_a_traceback(
    seen: list[BaseException | None],
) -> None:
    """SIGTERM landing inside Thread.start makes CPython print a KeyError from the forgotten
    thread on the way out; that one report is dropped, every other still reaches the hook."""

    def _bootstrap_inner() -> None:  # the frame CPython's report ends in
        raise KeyError(threading.Thread())

    def other() -> None:
        raise KeyError("something else")

    for raising in (_bootstrap_inner, other):
        try:
            raising()
        except KeyError as error:
            sys.unraisablehook(report(error))
    assert len(seen) == 1 and seen[0] is not None and seen[0].args == ("something else",)


def test_nightvoice_keeps_swallowed_stops_before_it_starts_anything() -> None:
    """The fast start plays within ~70 ms, long before `exits_cleanly`: a Ctrl-C swallowed
    then must not be lost (seen: the routine played on to its end)."""
    script = (
        "import sys\n"
        "import nightvoice.startup as startup\n"
        "def begin(args):\n"
        "    print(getattr(sys.unraisablehook, 'nightvoice', False))\n"
        "    raise SystemExit(0)\n"
        "startup.begin = begin\n"
        "from nightvoice.__main__ import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    assert done.stdout.strip() == "True"
