"""The fast start's reading of the command line is held to click's own options."""

from __future__ import annotations

import click
import pytest

from nightvoice.cli import cli
from nightvoice.startup.commandline import SILENT, SPEAKING, WITH_VALUE, speaks, split


def options_of(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option)]


def speaking_commands() -> list[click.Command]:
    return [cli, *(cli.commands[name] for name in SPEAKING)]


def test_the_options_that_take_a_value_are_clicks() -> None:
    """A new option with a value (say `--speed 120`) must be known here, or its value would be
    read as a routine's name and the early guess would look in the wrong file."""
    taking = {
        name
        for command in speaking_commands()
        for option in options_of(command)
        if not option.is_flag and option.nargs == 1
        for name in option.opts + option.secondary_opts
    }
    assert taking == WITH_VALUE


def test_the_silent_options_are_clicks_help_version_and_text() -> None:
    context = cli.make_context("nightvoice", [], resilient_parsing=True)
    version = next(o for o in options_of(cli) if o.name == "version")
    text_only = next(o for o in options_of(cli.commands["play"]) if o.name == "text_only")
    assert {*context.help_option_names, *version.opts, *text_only.opts} == SILENT


def test_the_speaking_commands_are_commands() -> None:
    assert set(SPEAKING) <= set(cli.commands)


@pytest.mark.parametrize(
    ("argv", "words", "options"),
    [
        ([], [], {}),
        (["play", "--rate", "120", "calf-cramp"], ["play", "calf-cramp"], {"--rate": "120"}),
        (["play", "--voice=joe", "x.yaml"], ["play", "x.yaml"], {"--voice": "joe"}),
        (["export", "a", "-o", "-"], ["export", "a"], {"-o": "-"}),
        (["play", "--", "--odd-name"], ["play", "--odd-name"], {}),
        (["play", "--step", "a"], ["play", "a"], {"--step": ""}),
    ],
)
def test_split_reads_words_and_options_as_click_does(
    argv: list[str], words: list[str], options: dict[str, str]
) -> None:
    assert split(argv) == (words, options)


@pytest.mark.parametrize(
    ("argv", "speaking"),
    [
        ([], True),
        (["play", "x"], True),
        (["say", "hi"], True),
        (["export", "x"], True),
        (["list"], False),
        (["play", "x", "--text"], False),
        (["--help"], False),
        (["-V"], False),
    ],
)
def test_speaks(argv: list[str], speaking: bool) -> None:
    assert speaks(*split(argv)) is speaking
