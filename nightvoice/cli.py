"""The command line: parses options and wires the core; every error becomes a message."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from nightvoice import __version__
from nightvoice.errors import NightvoiceError, RoutineError
from nightvoice.terminal import Terminated

F = TypeVar("F", bound=Callable[..., Any])


def play_options(command: F) -> F:
    """The options shared by `nightvoice` and `nightvoice play`."""
    decorators = [
        click.option("--step", is_flag=True, help="Wait for a key before each next step."),
        click.option(
            "--text", "text_only", is_flag=True, help="No speech: pace the steps on screen."
        ),
        click.option("--blank", is_flag=True, help="Show nothing on screen at all."),
        click.option(
            "--hands-free", is_flag=True, help="Ignore the keyboard; never wait for a key."
        ),
        click.option("--rate", type=click.IntRange(80, 300), help="Words per minute (80-300)."),
        click.option("--volume", type=click.FloatRange(0.0, 1.0), help="Volume from 0 to 1."),
        click.option("--voice", help="An espeak-ng voice name (see `nightvoice voices`)."),
        click.option("--language", help="A language code such as en, en-gb, de."),
        click.option(
            "--device", help="Audio output: an ALSA device or pulse:SINK (see `devices`)."
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def _play(target: str | None, **options: Any) -> int:
    from nightvoice.session import PlayRequest, play_routine

    flags = {key: options.pop(key) for key in ("rate", "volume", "voice", "language")}
    request = PlayRequest(
        target=target,
        text_only=options["text_only"],
        step_mode=options["step"],
        blank=options["blank"],
        hands_free=options["hands_free"],
        device=options["device"],
        flags={key: value for key, value in flags.items() if value is not None},
    )
    outcome = play_routine(request)
    return 0 if outcome.completed or outcome.quit else 1


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="nightvoice")
@play_options
@click.pass_context
def cli(ctx: click.Context, /, **options: Any) -> int | None:
    """A calm offline voice that talks you through a night leg cramp.

    With no command it plays the calf-cramp routine at once. Keys while it plays:
    Space pause, Enter/Right next, Left back, r repeat, 9/0 quieter/louder,
    [/] slower/faster, h help, q quit.
    """
    if ctx.invoked_subcommand is None:
        return _play(None, **options)
    return None


@cli.command()
@click.argument("routine", required=False)
@play_options
def play(routine: str | None, **options: Any) -> int:
    """Play a routine by NAME (see `list`) or from a FILE."""
    return _play(routine, **options)


@cli.command("list")
def list_routines() -> int:
    """List built-in and your own routines with how long each takes."""
    from nightvoice.catalog import all_routines
    from nightvoice.config import resolve_settings
    from nightvoice.describe import clock_time, estimated_timeline
    from nightvoice.loader import load_routine
    from nightvoice.planner import compile_plan, total_seconds

    refs = all_routines()
    width = max((len(ref.name) for ref in refs), default=10)
    for ref in refs:
        origin = ref.origin + (" (replaces the built-in)" if ref.shadows_builtin else "")
        try:
            routine = load_routine(ref.path)
        except RoutineError as error:
            first = error.problems[0]
            more = f" (+{len(error.problems) - 1} more)" if len(error.problems) > 1 else ""
            click.echo(f"{ref.name:<{width}}  BROKEN  {origin}: {first}{more}")
            continue
        settings = resolve_settings(routine.voice, {}, {}).settings
        seconds = total_seconds(estimated_timeline(compile_plan(routine, settings)))
        click.echo(f"{ref.name:<{width}}  {clock_time(seconds):>6}  {routine.title}  [{origin}]")
    return 0


@cli.command()
@click.argument("routine")
def show(routine: str) -> int:
    """Print a routine as text with timings, for reading by day."""
    from nightvoice.catalog import resolve
    from nightvoice.config import load_config, resolve_settings
    from nightvoice.describe import describe
    from nightvoice.loader import load_routine
    from nightvoice.planner import compile_plan

    loaded = load_routine(resolve(routine).path)
    settings = resolve_settings(loaded.voice, load_config(), {}).settings
    click.echo(describe(loaded, compile_plan(loaded, settings)))
    return 0


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def check(files: tuple[Path, ...]) -> int:
    """Check routine FILES; print every problem as file:line:column."""
    from nightvoice.loader import load_routine

    bad = 0
    for path in files:
        try:
            routine = load_routine(path)
        except RoutineError as error:
            bad += 1
            for problem in error.problems:
                click.echo(str(problem), err=True)
            continue
        click.echo(f"{path}: ok ({routine.title})")
    if bad:
        click.echo(f"{bad} of {len(files)} file(s) have problems", err=True)
    return 1 if bad else 0


@cli.command()
def voices() -> int:
    """List the voices the speech engine has."""
    from nightvoice.synth import make_synthesizer

    for info in make_synthesizer().voices():
        languages = ", ".join(info.languages)
        click.echo(f"{info.name:<24} {languages}")
    return 0


@cli.command()
@click.argument("text", nargs=-1, required=True)
@click.option("--rate", type=click.IntRange(80, 300), help="Words per minute (80-300).")
@click.option("--volume", type=click.FloatRange(0.0, 1.0), help="Volume from 0 to 1.")
@click.option("--voice", help="An espeak-ng voice name.")
@click.option("--language", help="A language code such as en, en-gb, de.")
@click.option("--device", help="Audio output: an ALSA device or pulse:SINK.")
def say(text: tuple[str, ...], **options: Any) -> int:
    """Say TEXT once, to test the voice and the output."""
    from nightvoice.audio import AplayOutput
    from nightvoice.config import load_config, resolve_settings
    from nightvoice.ports import SpeechFailed, SpeechFinished
    from nightvoice.realtime import QueueInbox
    from nightvoice.routine import Voice
    from nightvoice.speaker import SpeakerVoice
    from nightvoice.synth import make_synthesizer

    config = load_config()
    flags = {k: v for k, v in options.items() if v is not None and k != "device"}
    settings = resolve_settings(Voice(), config, flags).settings
    inbox = QueueInbox()
    output = AplayOutput(options["device"] or config.get("device"))
    speaker = SpeakerVoice(
        make_synthesizer(), output, inbox.post, language=settings.language, voice=settings.voice
    )
    try:
        utterance = speaker.say(" ".join(text), rate=settings.rate, volume=settings.volume)
        while True:
            event = inbox.wait(None)
            if isinstance(event, SpeechFailed):
                raise NightvoiceError(event.message)
            if isinstance(event, SpeechFinished) and event.utterance == utterance:
                return 0
    finally:
        speaker.close()


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code: the one place errors become messages."""
    try:
        result = cli.main(args=argv, prog_name="nightvoice", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Abort:
        return 130
    except RoutineError as error:
        click.echo(str(error), err=True)
        return error.exit_code
    except NightvoiceError as error:
        click.echo(f"nightvoice: {error}", err=True)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except Terminated as stop:
        return 128 + stop.signum
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
