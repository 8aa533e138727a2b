"""The optional extras some tests need: the natural voice and the report's charts.

CI installs both (`.ci/setup` installs `.[test,report,natural]`), so a test that needs one
FAILS without it, naming the fix, and is never skipped: a skipped test proves nothing, and a
missing extra in CI would otherwise pass every test of the feature unseen. The fixtures are
in conftest.py's namespace; a module asks for one with `pytest.mark.usefixtures`.
"""

from __future__ import annotations

import importlib.util

import pytest

SETUP = "run `.ci/setup` (it installs `.[test,report,natural]`)"


def natural_voice_missing() -> str | None:
    """Why the natural voice cannot be tested here, or None."""
    from nightvoice.sound.naturalvoices import NATURAL_VOICES, missing

    return missing(NATURAL_VOICES[0])


def require_natural_voice() -> None:
    """Fail the calling test, naming the fix, unless the natural voice is installed."""
    problem = natural_voice_missing()
    if problem is not None:
        pytest.fail(f"this test needs the natural voice: {problem}; {SETUP}", pytrace=False)


def report_extra_missing() -> bool:
    return importlib.util.find_spec("matplotlib") is None


def require_report_extra() -> None:
    """Fail the calling test, naming the fix, unless the report's charts can be drawn."""
    if report_extra_missing():
        pytest.fail(f"this test needs the report extra (matplotlib); {SETUP}", pytrace=False)


# Session-wide, so they are checked before any module-wide fixture starts the voice itself.
@pytest.fixture(scope="session")
def natural_voice() -> None:
    require_natural_voice()


@pytest.fixture(scope="session")
def report_extra() -> None:
    require_report_extra()
