"""The tests of an optional extra never skip: without it they fail, naming `.ci/setup`."""

from __future__ import annotations

import pytest

from nightvoice.sound import naturalvoices
from tests import extras

pytest_plugins = ["pytester"]

USES_BOTH = """
import pytest
from tests.extras import natural_voice, report_extra

@pytest.mark.usefixtures("natural_voice")
def test_needs_the_voice():
    pass

@pytest.mark.usefixtures("report_extra")
def test_needs_the_charts():
    pass
"""


def test_a_missing_extra_fails_its_tests_naming_ci_setup(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(naturalvoices, "missing", lambda voice: "joe is not installed here")
    monkeypatch.setattr(extras, "report_extra_missing", lambda: True)
    pytester.makepyfile(test_uses_extras=USES_BOTH)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    assert result.parseoutcomes().get("skipped", 0) == 0
    result.stdout.fnmatch_lines(
        [
            "*this test needs the natural voice: joe is not installed here; run `.ci/setup`*",
            "*this test needs the report extra (matplotlib); run `.ci/setup`*",
        ]
    )


def test_with_the_extras_installed_their_tests_run(pytester: pytest.Pytester) -> None:
    """As in CI: the check itself lets them through."""
    pytester.makepyfile(test_uses_extras=USES_BOTH)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
