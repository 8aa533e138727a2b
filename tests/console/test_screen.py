"""The low-light screens: what escapes they may write, and what each mode shows."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import pty
import re
import signal
from collections.abc import Iterator

import pytest

from nightvoice.console.screen import (
    BlankScreen,
    NightScreen,
    PlainScreen,
    choose_screen,
    progress_mark,
)

ESCAPE = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")


class Tty(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def sgr_codes(text: str) -> list[int]:
    """Every SGR parameter used, with 38;5;N / 48;5;N colour arguments folded into 38 / 48."""
    codes: list[int] = []
    for params, final in ESCAPE.findall(text):
        if final != "m":
            continue
        numbers = [int(p) if p else 0 for p in params.split(";")]
        i = 0
        while i < len(numbers):
            codes.append(numbers[i])
            i += 3 if numbers[i] in (38, 48) and numbers[i + 1 : i + 2] == [5] else 1
    return codes


def night_session(*, text: bool = True) -> str:
    stream = Tty()
    screen = NightScreen(stream)
    screen.show_step(1, 12, "Sit up, legs out", "Stretch")
    screen.show_status("Hold 30 s")
    screen.show_time_left(17)
    if text:
        screen.show_text("Pull the toes of your left foot toward your knee, and hold. " * 3)
    screen.show_step(12, 12, "Done", "")
    screen.close()
    return stream.getvalue()


def last_line(stream: Tty) -> str:
    """What the night line shows now: the text after the last clear, without escapes."""
    return ESCAPE.sub("", stream.getvalue().split("\r\x1b[2K")[-1]).replace("\r", "")


def test_the_night_screen_uses_only_dim_dark_text() -> None:
    out = night_session()
    codes = sgr_codes(out)
    assert codes, "the night line is drawn dim"
    assert set(codes) <= {0, 2, 38}, codes  # reset, dim, and a 256-colour foreground only
    assert "\x1b[38;5;240m" in out  # a dark grey
    for bright_or_background in ("1", "5", "6", "7", "48", *map(str, range(40, 48))):
        assert int(bright_or_background) not in codes  # no bold, blink, reverse, backgrounds
    assert not re.search(r"\x1b\[(?:4\d|10\d)m", out)  # no 8/16-colour backgrounds
    assert "\x1b[?5h" not in out  # no reverse-video flash of the whole screen
    assert "\a" not in out  # no bell


def test_the_night_screen_stays_on_one_line_and_never_scrolls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = night_session(text=False)
    assert "\n" not in out
    for line in out.split("\r\x1b[2K")[1:]:
        visible = ESCAPE.sub("", line)
        assert len(visible) <= 79


def test_the_night_screen_hides_the_cursor_and_shows_it_again_on_close() -> None:
    out = night_session()
    assert out.startswith("\x1b[?25l")
    assert out.endswith("\x1b[?25h")
    assert out.rfind("\x1b[?25h") > out.rfind("\x1b[?25l")


def test_the_night_line_shows_progress_and_the_step() -> None:
    stream = Tty()
    screen = NightScreen(stream)
    screen.show_step(3, 10, "Stand and shake", "")
    screen.show_status("Hold 20 s")
    last = ESCAPE.sub("", stream.getvalue().split("\r\x1b[2K")[-1])
    assert last == "●●●○○○○○○○ 3/10  Stand and shake  · Hold 20 s"


def test_text_from_a_routine_cannot_inject_escapes_or_new_lines() -> None:
    for screen_type in (NightScreen, PlainScreen):
        stream = Tty()
        screen = screen_type(stream)
        screen.show_step(1, 2, "Red\x1b[41m alert\nsecond line", "")
        screen.show_text("tab\there\r")
        out = stream.getvalue()
        assert "\x1b[41m" not in out
        assert "second line" in out
        assert "\t" not in out
        if screen_type is NightScreen:
            assert out.count("\n") == 1  # the one sentence shown whole (--text), then the line


def test_progress_mark() -> None:
    assert progress_mark(1, 10) == "●○○○○○○○○○ 1/10"
    assert progress_mark(5, 5) == "●●●●●●●●●● 5/5"
    assert progress_mark(0, 0) == "○○○○○○○○○○ 0/0"


@pytest.mark.parametrize(
    ("env", "tty", "kind"),
    [
        ({"TERM": "xterm-256color"}, True, NightScreen),
        ({"TERM": "xterm-256color", "NO_COLOR": "1"}, True, PlainScreen),
        ({"TERM": "xterm-256color", "NO_COLOR": ""}, True, NightScreen),  # empty: not set
        ({"TERM": "dumb"}, True, PlainScreen),
        ({}, True, PlainScreen),  # no TERM at all
        ({"TERM": "xterm-256color"}, False, PlainScreen),  # a pipe or a file
    ],
)
def test_choose_screen(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tty: bool, kind: type
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    stream = Tty() if tty else io.StringIO()
    assert type(choose_screen(stream, blank=False)) is kind
    assert type(choose_screen(stream, blank=True)) is BlankScreen


def test_plain_text_has_no_escapes_at_all() -> None:
    stream = io.StringIO()
    screen = PlainScreen(stream)
    screen.show_step(2, 5, "Massage", "Aftercare")
    screen.show_status("Hold 30 s")
    screen.show_status("")
    screen.show_text("Rub the calf in slow circles.")
    screen.close()
    out = stream.getvalue()
    assert "\x1b" not in out
    assert out == "[2/5] Aftercare: Massage\n  (Hold 30 s)\n  Rub the calf in slow circles.\n"


def test_blank_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    stream = Tty()
    screen = choose_screen(stream, blank=True)
    screen.show_step(1, 3, "Sit up", "")
    screen.show_status("Hold 30 s")
    screen.show_text("Sit up.")
    screen.close()
    assert stream.getvalue() == ""


@pytest.fixture
def hung_up_terminal() -> Iterator[io.TextIOWrapper]:
    master, slave = pty.openpty()
    stream = open(slave, "w", encoding="utf-8", closefd=True)  # noqa: SIM115
    os.close(master)  # the terminal is closed: writes now fail with EIO
    try:
        yield stream
    finally:
        with contextlib.suppress(OSError):
            stream.close()


def test_a_closed_terminal_never_makes_the_screen_fail(hung_up_terminal: io.TextIOWrapper) -> None:
    """A real hung-up terminal: every write to it fails, and no screen call raises."""
    hung_up_terminal.write("x")
    with pytest.raises(OSError, match="Input/output error"):  # it is gone: the calls below
        hung_up_terminal.flush()  # meet the very failure a hang-up gives
    for screen in (NightScreen(hung_up_terminal), PlainScreen(hung_up_terminal)):
        screen.show_step(1, 2, "Sit up", "")
        screen.show_status("Hold 30 s")
        screen.show_time_left(17)
        screen.show_text("Sit up slowly.")
        screen.close()


class HangsUp(Tty):
    """A terminal that works until `gone`, then fails every write as a hung-up one does."""

    gone = False

    def write(self, text: str) -> int:
        if self.gone:
            raise OSError(errno.EIO, "Input/output error")
        return super().write(text)


@pytest.mark.parametrize("kind", [NightScreen, PlainScreen])
def test_a_terminal_that_hangs_up_mid_routine_ends_the_output_not_the_player(kind: type) -> None:
    stream = HangsUp()
    screen = kind(stream)
    screen.show_step(1, 2, "Sit up", "")
    assert "Sit up" in stream.getvalue()  # drawn while the terminal was there
    stream.gone = True
    screen.show_step(2, 2, "Stand", "")  # each of these meets EIO, and returns
    screen.show_status("Hold 30 s")
    screen.show_text("Stand up slowly.")
    screen.close()
    assert "Stand" not in stream.getvalue()


@pytest.mark.parametrize("columns", [30, 40, 60, 100])
def test_at_any_width_the_state_wins_then_the_title_and_the_line_never_wraps(
    monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    stream = Tty()
    screen = NightScreen(stream)
    screen.show_step(3, 10, "Pull the toes toward the knee and hold", "Stretch")
    for state in ("Paused: press Space to go on", "Press Enter for the next step"):
        screen.show_status(state)
        shown = last_line(stream)
        assert state in shown  # whole, however narrow
        assert len(shown) <= columns - 1
        if columns >= 60:
            assert "Pull the toes" in shown  # then the title, cut if it must be
    assert "\n" not in stream.getvalue()


def test_a_hold_shows_the_seconds_left_beside_its_state() -> None:
    stream = Tty()
    screen = NightScreen(stream)
    screen.show_step(3, 10, "Stand", "")
    screen.show_status("Hold 20 s")
    screen.show_time_left(17)
    assert last_line(stream).endswith("· Hold 20 s · 17 s left")
    screen.show_time_left(None)
    assert last_line(stream).endswith("· Hold 20 s")


def test_text_mode_shows_the_whole_sentence_wrapped_and_dim_above_the_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    sentence = "Pull the toes of your left foot toward your knee, and hold it there gently."
    stream = Tty()
    screen = NightScreen(stream)
    screen.show_step(1, 5, "Stretch", "")
    screen.show_text(sentence)
    out = stream.getvalue()
    printed = out.split("\r\x1b[2K")[-2]  # the sentence, before the line is drawn again
    assert printed.startswith("\x1b[2m\x1b[38;5;240m")  # dim
    lines = ESCAPE.sub("", printed).rstrip("\n").split("\n")
    assert " ".join(lines) == sentence  # all of it, not cut
    assert all(len(line) <= 39 for line in lines)
    assert len(lines) > 1
    assert last_line(stream).startswith("●")  # the night line stays below it


def test_a_resize_redraws_the_line_at_the_new_width_leaving_no_fragment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A terminal that reflows wraps the old wide line: every row of it is cleared."""
    monkeypatch.setenv("COLUMNS", "100")
    before = signal.getsignal(signal.SIGWINCH)
    stream = Tty()
    screen = NightScreen(stream)
    try:
        screen.show_step(3, 10, "Pull the toes toward the knee and hold it", "Stretch")
        screen.show_status("Hold 30 s")
        wide = last_line(stream)
        assert 40 < len(wide) <= 80
        monkeypatch.setenv("COLUMNS", "40")
        os.kill(os.getpid(), signal.SIGWINCH)  # handled on this (the main) thread at once
        redraw = stream.getvalue().split("\r\x1b[2K")[-1]
        assert redraw.startswith("\x1b[1A\r\x1b[J")  # up over the 2 rows it now takes, clear
        assert "Hold 30 s" in last_line(stream) and len(last_line(stream)) <= 39
    finally:
        screen.close()
    assert signal.getsignal(signal.SIGWINCH) == before  # closing puts the old handler back
