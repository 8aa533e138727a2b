"""The real-audio fixtures never skip: without the sound-server programs they fail, naming the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sink import missing_tools

pytest_plugins = ["pytester"]


def test_missing_sound_server_programs_fail_the_real_audio_tests_naming_ci_setup(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert missing_tools() == ["pulseaudio", "pactl", "parec"]
    pytester.makepyfile(
        test_uses_sink="""
        from tests.audio_server import pulse_server

        def test_needs_sound(pulse_server):
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    assert result.parseoutcomes().get("skipped", 0) == 0
    result.stdout.fnmatch_lines(["*pulseaudio, pactl, parec*.ci/setup*"])
