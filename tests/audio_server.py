"""pytest fixtures for a private PulseAudio with a null sink and a recorder of what it plays.

The machinery is in `tests/sink.py` (shared with the bench); this module adds the fixtures and
re-exports the helpers the tests use. Import the fixtures `pulse_server` and `recorder` into a
test module. A machine without the sound-server programs FAILS these tests with a message naming
`.ci/setup` (which installs them): real-audio tests are never skipped by default.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sink import (
    MISSING_TOOLS,
    RATE,
    SILENCE,
    SINK,
    PulseServer,
    Recorder,
    correlation,
    first_loud,
    goertzel,
    last_loud,
    locate,
    loud_stretches,
    missing_tools,
    private_server,
    rms,
)

__all__ = [
    "RATE",
    "SILENCE",
    "SINK",
    "PulseServer",
    "Recorder",
    "correlation",
    "first_loud",
    "goertzel",
    "last_loud",
    "locate",
    "loud_stretches",
    "pulse_server",
    "recorder",
    "rms",
]


@pytest.fixture(scope="session")
def pulse_server() -> Iterator[PulseServer]:
    """One private sound server for the session; clients in this process and children use it."""
    missing = missing_tools()
    if missing:
        pytest.fail(MISSING_TOOLS.format(missing=", ".join(missing)), pytrace=False)
    with private_server() as server:
        yield server


@pytest.fixture
def recorder(pulse_server: PulseServer) -> Iterator[Recorder]:
    rec = Recorder(pulse_server)
    try:
        yield rec
    finally:
        rec.close()
