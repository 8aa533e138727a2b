"""The command line: parses options and wires the core; every error becomes a message."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from nightvoice import __version__
from nightvoice.boundary import INTERRUPTED, guarded
from nightvoice.core.errors import NightvoiceError, RoutineError
from nightvoice.core.routine import RATE_RANGE

if TYPE_CHECKING:
    from nightvoice.startup import EarlyStart

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


class _Preference(click.ParamType):  # type: ignore[type-arg]  # generic only in click 8.2+
    """A number for a voice setting, as playing takes it: one that is not a number, or out of
    range, is no reason for silence. It goes on as typed to the night's one rule
    (user/night.py), which passes it over in one line and speaks with the next one."""

    def __init__(self, kind: type[int] | type[float]) -> None:
        self.kind = kind
        self.name = kind.__name__

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return self.kind(value)
        except (TypeError, ValueError):
            return value


def voice_options(*, device: bool = True, strict: bool = False) -> Callable[[F], F]:
    """The voice options of `nightvoice`, `play`, `say`, `standby` and `export` (no device
    for a file). Playing forgives a rate or volume that cannot be used (see _Preference);
    `strict` (export, by day) refuses it at once."""
    low, high = RATE_RANGE
    rate: Any = click.IntRange(low, high) if strict else _Preference(int)
    volume: Any = click.FloatRange(0.0, 1.0) if strict else _Preference(float)
    decorators = [
        click.option("--rate", type=rate, help=f"Words per minute ({low}-{high})."),
        click.option("--volume", type=volume, help="Volume from 0 to 1."),
        click.option(
            "--voice",
            help="A voice: an espeak-ng name, or joe (the natural voice); see `nightvoice voices`.",
        ),
        click.option("--language", help="A language code such as en, en-gb, de."),
    ]
    if device:
        decorators.append(
            click.option(
                "--device", help="Audio output: an ALSA device or pulse:SINK (see `devices`)."
            )
        )

    def apply(command: F) -> F:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return apply


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
        click.option(
            "--verbose", is_flag=True, help="Say why the media keys are off, if they are."
        ),
        voice_options(),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def _play(target: str | None, **options: Any) -> int:
    from nightvoice.session import PlayRequest, play_exit_code

    flags = {key: options.pop(key) for key in ("rate", "volume", "voice", "language")}
    request = PlayRequest(
        target=target,
        text_only=options["text_only"],
        step_mode=options["step"],
        blank=options["blank"],
        hands_free=options["hands_free"],
        verbose=options["verbose"],
        device=options["device"],
        flags={key: value for key, value in flags.items() if value is not None},
    )
    return play_exit_code(request, early=_early())


def _early() -> EarlyStart | None:
    """What the fast start began for this command (nightvoice/startup/), if anything."""
    early = click.get_current_context().find_root().obj
    return early if early is not None else None


class _Commands(click.Group):
    """click's group, and a routine's name typed as a command (`nightvoice calf-cramp`) says
    how to play it instead of only "No such command"."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            word = args[0] if args else ""
            hint = _routine_hint(word) if word and not word.startswith("-") else ""
            if not hint:
                raise
            raise click.UsageError(f"{error.message} {hint}", ctx) from None


def _routine_hint(word: str) -> str:
    """`To play the routine: nightvoice play NAME` when `word` is (or begins) a routine's name."""
    from nightvoice.core.suggest import close_names
    from nightvoice.user.catalog import all_routines

    names = [ref.name for ref in all_routines()]
    close = [word] if word in names else close_names(word, names)
    if not close:
        return ""
    plays = " or ".join(f"`nightvoice play {name}`" for name in close)
    return f"To play a routine: {plays}."


@click.group(
    cls=_Commands,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "-V", "--version", prog_name="nightvoice")
@play_options
@click.pass_context
def cli(ctx: click.Context, /, **options: Any) -> int | None:
    """A calm offline voice that talks you through a night leg cramp.

    With no command it plays the calf-cramp routine at once. Keys while it plays:
    Space pause, Enter/Right next, Left back, r repeat, 9/0 quieter/louder,
    [/] slower/faster, h help, q quit.

    `nightvoice help COMMAND` explains a command; `nightvoice help format` prints the guide
    to writing your own routines, `nightvoice help keys` the keys and exit codes.
    """
    if ctx.invoked_subcommand is None:
        return _play(None, **options)
    given = [
        p for p in ctx.command.params if p.name in options and options[p.name] not in (None, False)
    ]
    if given:  # they would be silently ignored: say where they go instead
        flag, name = given[0].opts[-1], ctx.invoked_subcommand
        command = cli.get_command(ctx, name)
        takes = command is not None and any(flag in p.opts for p in command.params)
        where = (
            f"put it after the command: nightvoice {name} {flag} ..."
            if takes
            else f"`{name}` takes no {flag}"
        )
        raise click.UsageError(
            f"{flag} before a command is for plain `nightvoice` only; {where}", ctx
        )
    return None


@cli.command(short_help="Play a routine by NAME (see `list`) or from a FILE.")
@click.argument("routine", required=False)
@play_options
def play(routine: str | None, **options: Any) -> int:
    """Play a routine by NAME (see `list`) or from a FILE."""
    return _play(routine, **options)


@cli.command("list", short_help="Built-in and your own routines, with how long each takes.")
def list_routines() -> int:
    """List built-in and your own routines with how long each takes.

    A length not measured yet is an estimate, shown as `~5:20`; it is measured in the
    background, and the next `list` gives the exact length.
    """
    from nightvoice.core.describe import clock_time
    from nightvoice.user.catalog import PENDING
    from nightvoice.user.catalog import list_routines as listings
    from nightvoice.user.config import load_config_or_defaults

    found = listings(config=load_config_or_defaults())
    width = max((len(item.ref.name) for item in found), default=10)
    lines = []
    for item in found:
        ref = item.ref
        origin = ref.origin + (" (replaces the built-in)" if ref.shadows_builtin else "")
        if item.problem is not None:
            more = f" (+{item.more_problems} more)" if item.more_problems else ""
            lines.append(f"{ref.name:<{width}}  BROKEN  {origin}: {item.problem}{more}")
            continue
        length = ("~" if item.approximate else "") + clock_time(item.seconds)
        lines.append(f"{ref.name:<{width}}  {length:>6}  {item.title}  [{origin}]")
    if lines:
        click.echo("\n".join(lines))  # one write, not one (and a flush) per routine
    if any(item.length == PENDING for item in found):
        from nightvoice.user import listlengths

        listlengths.start()
    return 0


@cli.command(short_help="A routine as text with timings, for reading by day.")
@click.argument("routine")
def show(routine: str) -> int:
    """Print a routine as text with timings, for reading by day."""
    from nightvoice.core.describe import describe
    from nightvoice.core.planner import compile_plan
    from nightvoice.user.catalog import load_routine, resolve
    from nightvoice.user.config import load_config, resolve_settings

    loaded = load_routine(resolve(routine).path)
    config = load_config()
    settings = resolve_settings(loaded.voice, config, {}).settings
    from nightvoice.sound.lengths import SpeechLengths

    lengths = SpeechLengths()
    plan = compile_plan(loaded, settings, chime=config.get("chime"), phrases=_phrases(settings))
    _say_if_measuring_is_slow(plan, settings, lengths)
    try:
        click.echo(describe(loaded, plan, lengths.for_settings(settings)))
        lengths.save()
    finally:
        lengths.close()
    return 0


def _phrases(settings: Any) -> Any:
    """nightvoice's own words in the routine's language; a broken catalog warns in one line."""
    from nightvoice.user.languages import phrase_book

    return phrase_book(settings, lambda message: click.echo(f"nightvoice: {message}", err=True))


def _say_if_measuring_is_slow(plan: Any, settings: Any, lengths: Any) -> None:
    """A natural voice measures ~0.3 s a sentence (espeak-ng ~5 ms): say so, not a silent wait."""
    from nightvoice.sound.export import sentences
    from nightvoice.sound.naturalvoices import missing, natural_voice

    natural = natural_voice(settings.voice)
    if natural is None or missing(natural) is not None:
        return
    unknown = [line for line in sentences(plan) if lengths.known(settings, *line) is None]
    if unknown:
        click.echo(
            f"nightvoice: measuring {len(unknown)} sentence(s) in {natural.name}'s voice, once "
            f"(about {max(1, round(len(unknown) * 0.4))} s); the next show is instant",
            err=True,
        )


@cli.command(short_help="Check routines and catalogs: every problem as file:line:col.")
@click.argument("routines", metavar="FILE|NAME...", nargs=-1, required=True)
def check(routines: tuple[str, ...]) -> int:
    """Check routine files, or routines by NAME as `play` and `show` take them, and phrase
    catalogs (LANG.po, from `nightvoice translate`); print every problem as file:line:column.

    For a routine in another language it says which of nightvoice's own phrases will be
    said in English, and how to translate them.
    """
    from nightvoice.core.errors import RoutineNotFound, shown
    from nightvoice.user.catalog import load_routine, resolve
    from nightvoice.user.config import voice_problems

    bad = 0
    files = routines
    said: set[str] = set()  # notes about a language's catalog: each said once

    def note(text: str | None) -> None:
        if text is not None and text not in said:
            said.add(text)
            click.echo(text, err=True)

    for given in routines:
        path = Path(given)
        if path.suffix.lower() in (".po", ".pot"):  # a catalog (`nightvoice translate`)
            from nightvoice.user.languages import check_file

            problems, notes, summary = check_file(path)
            for line in problems:
                click.echo(line, err=True)
            for line in notes:
                note(line)
            if problems:
                bad += 1
            else:
                click.echo(summary)
            continue
        try:
            if not os.path.lexists(path) and not _looks_like_path(given):  # a name, as for `play`
                path = resolve(given).path
            routine = load_routine(path)
        except RoutineNotFound as error:
            bad += 1
            click.echo(f"nightvoice: {error}", err=True)
            continue
        except RoutineError as error:
            bad += 1
            for problem in error.problems:
                click.echo(str(problem), err=True)
            continue
        except Exception as error:  # a bug, not the user's fault: still check the other files
            bad += 1
            reason = shown(" ".join(str(error).split()), 200) or type(error).__name__
            click.echo(
                f"{shown(str(path))}:1:1: nightvoice failed to check this file "
                f"({type(error).__name__}: {reason}); please report it",
                err=True,
            )
            continue
        wrong, notes = voice_problems(routine, str(path))
        for line in notes:
            note(line)
        if wrong:
            bad += 1
            for line in wrong:
                click.echo(line, err=True)
            continue
        note(_english_note(routine))
        click.echo(f"{shown(str(path))}: ok ({shown(routine.title)})")
    if bad:
        click.echo(f"{bad} of {len(files)} file(s) have problems", err=True)
    return 1 if bad else 0


def _english_note(routine: Any) -> str | None:
    """Which of nightvoice's own phrases a routine will say in English (another language with
    no translation for them), as it would play with the user's config."""
    import io

    from nightvoice.user.config import load_config_or_defaults, resolve_settings
    from nightvoice.user.languages import english_note

    config = load_config_or_defaults(io.StringIO())  # `config` reports its own problems
    return english_note(resolve_settings(routine.voice, config, {}).settings)


def _looks_like_path(text: str) -> bool:
    return "/" in text or os.sep in text or text.endswith((".yaml", ".yml"))


@cli.command(short_help="The voices, by the names --voice and `voice:` take.")
def voices() -> int:
    """List the installed voices by the one name that `--voice`, `config set voice` and a
    routine's `voice:` all take, with their languages and the engine that speaks them.

    Any espeak-ng voice can take a variant after a `+` (en+f3); the variants follow the list.
    """
    import textwrap

    from nightvoice.sound.engines import make_synthesizer

    catalog = make_synthesizer().catalog()
    rows = [("VOICE", "LANGUAGES", "ENGINE", "DESCRIPTION")]
    rows += [(v.name, ", ".join(v.languages), v.engine, v.description) for v in catalog.voices]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [f"{cell:<{width}}" for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[3]]).rstrip())
    if catalog.variants:
        names = catalog.names()
        example = f"{'en' if 'en' in names or not names else names[0]}+f3"
        click.echo(f"\nVariants: add one to any espeak-ng voice after a `+`, as in {example}:")
        click.echo(
            textwrap.fill(
                ", ".join(sorted(catalog.variants)), 96, initial_indent="  ", subsequent_indent="  "
            )
        )
    return 0


@cli.command(short_help="The audio outputs that can play now (* the one used).")
def devices() -> int:
    """List the audio outputs that can play now, as `--device` takes them; * marks the one
    used when none is given.

    Each is opened for a moment to make sure (20 ms of silence: nothing is heard).
    """
    from nightvoice.core.errors import shown
    from nightvoice.sound.audio import playable_devices
    from nightvoice.user.config import load_config_or_defaults

    chosen = load_config_or_defaults().get("device") or "default"
    found, silent = playable_devices()
    if chosen not in {d.name for d in found}:
        click.echo(f"note: the configured device `{shown(chosen)}` cannot play now", err=True)
    if silent:
        names = ", ".join(d.name for d in silent)
        click.echo(f"note: not listed, as they cannot play now: {names}", err=True)
    if not found:
        raise NightvoiceError(
            "no audio output can play now. Check that a sound server is running "
            "(`pulseaudio --start`) or that a sound card is there (`aplay -l`)"
        )
    width = max(len(d.name) for d in found)
    for device in found:
        mark = "*" if device.name == chosen else " "
        click.echo(f"{mark} {device.name:<{width}}  {device.description}")
    return 0


@cli.command(short_help="Say TEXT once, to test the voice and the output.")
@click.argument("text", nargs=-1, required=True)
@voice_options()
def say(text: tuple[str, ...], **options: Any) -> int:
    """Say TEXT once, to test the voice and the output."""
    if not " ".join(text).strip():
        raise click.BadParameter(
            "there is nothing to say; give some words, e.g. nightvoice say 'Hello there.'",
            param_hint="TEXT",
        )
    from nightvoice.session import say as say_once

    flags = {k: v for k, v in options.items() if v is not None and k != "device"}
    return say_once(" ".join(text), flags, options["device"], _early())


@cli.command(short_help="Write a commented starter routine NAME; print its path.")
@click.argument("name")
@click.option("--edit", is_flag=True, help="Open it in $EDITOR, then check it.")
@click.option("--force", is_flag=True, help="Replace an existing file (a backup is kept).")
@click.option(
    "--shadow", is_flag=True, help="Allow a built-in's name: your copy replaces the built-in."
)
def new(name: str, edit: bool, force: bool, shadow: bool) -> int:
    """Write a commented starter routine NAME into your routines folder and print its path."""
    from nightvoice.user.starter import create

    created = create(name, force=force, shadow=shadow)
    if created.backup is not None:
        click.echo(f"kept the previous file as {created.backup}", err=True)
    click.echo(str(created.path))
    if not edit:
        return 0
    click.edit(filename=str(created.path))
    from nightvoice.user.catalog import load_routine

    load_routine(created.path)  # problems are reported as file:line:column, exit 2
    click.echo(f"{created.path}: ok")
    return 0


@cli.command(short_help="Write a catalog to translate nightvoice's own words into LANG.")
@click.argument("language", metavar="LANG")
@click.option("--force", is_flag=True, help="Replace an existing file (a backup is kept).")
def translate(language: str, force: bool) -> int:
    """Write a starter catalog for LANG (de, fr, pt-br...) into your languages folder and
    print its path: every phrase nightvoice says or shows itself while a routine plays, each
    with a comment saying where it is heard, to translate in any editor, Poedit or Weblate.

    Routines in LANG then use it; `nightvoice check FILE.po` checks it. It never replaces a
    file unless --force (then the old one is kept as a backup).
    """
    from nightvoice.user.starter import translate as write_catalog

    created, note = write_catalog(language, force=force)
    if note:
        click.echo(note, err=True)
    if created.backup is not None:
        click.echo(f"kept the previous file as {created.backup}", err=True)
    click.echo(str(created.path))
    return 0


def _show_value(key: str, value: Any) -> str:
    if value is None:
        return {"device": "(the system default)", "voice": "(the language's own voice)"}.get(
            key, "(none)"
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@cli.group(
    "config",
    invoke_without_command=True,
    short_help="Your settings and where each comes from; `config set KEY VALUE`.",
)
@click.option("--routine", help="Show the settings as this routine would play.")
@click.pass_context
def config_command(ctx: click.Context, routine: str | None) -> int | None:
    """Show the effective settings and where each comes from; `config set KEY VALUE` sets one."""
    if ctx.invoked_subcommand is not None:
        return None
    from nightvoice.base import paths
    from nightvoice.core.routine import Voice
    from nightvoice.user.config import KEYS, load_config, resolve_settings

    voice = Voice()
    if routine:
        from nightvoice.user.catalog import load_routine, resolve

        voice = load_routine(resolve(routine).path).voice
    resolved = resolve_settings(voice, load_config(), {})
    path = paths.config_file()
    # One label whether or not the file exists yet; only what follows the path differs.
    written = path.exists()
    click.echo(
        f"config file: {path}{'' if written else ' (not written yet: `config set` makes it)'}"
    )
    for key in KEYS:
        value = _show_value(key, resolved.values[key])
        click.echo(f"  {key:<9} {value:<28} ({resolved.sources[key]})")
    return 0


@config_command.command("set", short_help="Check and save one setting.")
@click.argument("key")
@click.argument("value")
def config_set(key: str, value: str) -> int:
    """Set KEY to VALUE in your config file (checked first; written atomically).

    Keys: rate (80-300), volume (0-1), voice, language, device, chime (true/false).
    """
    from nightvoice.user.config import check_with_engine, parse_value, set_value

    parsed, note = check_with_engine(key, parse_value(key, value))
    if note:
        click.echo(note, err=True)
    path = set_value(key, parsed)
    click.echo(f"{key} = {_show_value(key, parsed)} (in {path})")
    return 0


@config_command.command("unset", short_help="Remove a setting from your config file.")
@click.argument("key")
def config_unset(key: str) -> int:
    """Remove KEY from your config file, so the routine's or the night default applies."""
    from nightvoice.base import paths
    from nightvoice.user.config import unset_value

    path = paths.config_file()
    if unset_value(key, path):  # any key, even one nightvoice does not know (a typo)
        click.echo(f"{key} removed from {path}")
    else:
        click.echo(f"{key} was not set in {path}")
    return 0


@cli.command(short_help="Render a routine to one WAV file, pauses and chimes included.")
@click.argument("routine")
@click.option(
    "-o",
    "--output",
    help="The WAV file to write (default: NAME.wav here); - writes the WAV to stdout.",
)
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--parents", is_flag=True, help="Create the output's folder if it is missing.")
@voice_options(device=False, strict=True)
def export(routine: str, output: str | None, force: bool, parents: bool, **flags: Any) -> int:
    """Render ROUTINE (a NAME or FILE) to one WAV file, pauses and chimes included.

    Waits for a key become short spoken pauses, and the start question takes its default.
    The file is streamed as it is rendered, so memory stays small however long the routine.
    """
    import time

    from nightvoice.base import paths
    from nightvoice.core.describe import clock_time
    from nightvoice.core.planner import compile_plan
    from nightvoice.sound.engines import make_synthesizer
    from nightvoice.sound.export import CACHE_FOLDER, check_wav_name, export_wav
    from nightvoice.sound.naturalvoices import natural_voice
    from nightvoice.user import outputs
    from nightvoice.user.catalog import load_routine, resolve
    from nightvoice.user.config import load_config_or_defaults, resolve_settings

    started = time.perf_counter()
    ref = resolve(routine)
    loaded = load_routine(ref.path)
    chosen = {key: value for key, value in flags.items() if value is not None}
    config = load_config_or_defaults()
    settings = resolve_settings(loaded.voice, config, chosen).settings
    to_stdout = output == "-"
    target = Path(output or f"{ref.name}.wav")
    if to_stdout:
        if sys.stdout.isatty():
            raise NightvoiceError(
                "-o - writes the WAV to stdout, which is a terminal here; "
                "pipe it (`| aplay`) or redirect it (`> routine.wav`)"
            )
    else:
        check_wav_name(target)  # early, to spare the rendering
        outputs.check_output(target, force=force, parents=parents)
    progress = None
    if sys.stderr.isatty():

        def progress(items: Any) -> Any:
            return click.progressbar(items, label="Synthesising speech", file=sys.stderr)

    # Strict: an export asked for in the natural voice is never quietly made in another one.
    early = _early()
    started_voice = early.take_natural(natural_voice(settings.voice)) if early else None
    synth = make_synthesizer(settings.voice, strict=True, started=started_voice)

    phrases = _phrases(settings)

    def write(out: Any) -> Any:
        return export_wav(
            compile_plan(
                loaded, settings, chime=config.get("chime"), phrases=phrases, hands_free=True
            ),  # a recording: no key to press
            synth,
            out,
            cache_folder=paths.cache_dir() / CACHE_FOLDER,
            progress=progress,
            phrases=phrases,
        )

    try:
        if to_stdout:
            written = write(sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            written = outputs.write_output(target, write, force=force)
    finally:
        synth.close()
    took = time.perf_counter() - started
    click.echo(
        f"{'stdout' if to_stdout else target}: {clock_time(written.seconds)} of audio "
        f"({written.synthesized + written.cached} sentences, {written.cached} from the cache) "
        f"in {took:.2f} s",
        err=to_stdout,  # stdout is the WAV itself
    )
    return 0


@cli.command("log", short_help="Your recent night episodes (--csv: as CSV).")
@click.option(
    "--csv", "as_csv", is_flag=True, help="Write the episodes as CSV to stdout (all, unless -n)."
)
@click.option(
    "-n",
    "--last",
    type=click.IntRange(1),
    help="How many of the latest episodes  [default: 20; with --csv, all]",
)
def log_command(as_csv: bool, last: int | None) -> int:
    """Print recent night episodes (when, routine, how long, whether it helped)."""
    from nightvoice.base import paths
    from nightvoice.user.episodes import format_table, read, to_csv

    episodes, unreadable = read()
    if as_csv:
        click.echo(to_csv(episodes[-last:] if last else episodes), nl=False)
    else:
        shown = episodes[-(last or 20) :]
        click.echo(format_table(shown))
        if len(episodes) > len(shown):
            click.echo(f"({len(episodes) - len(shown)} earlier; --last N or --csv for all)")
        click.echo(f"log: {paths.log_file()}")
    if unreadable:
        click.echo(f"nightvoice: skipped {unreadable} unreadable line(s) in the log", err=True)
    return 0


@cli.command(short_help="Your episodes as one printable page with charts.")
@click.option(
    "--since",
    metavar="WHEN",
    help="Only episodes on or after this day: 2026-03-01, today, yesterday, 2 weeks ago...",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The HTML file to write (default: report.html in your data folder).",
)
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--open", "open_it", is_flag=True, help="Open the page in your web browser.")
def report(since: str | None, output: Path | None, force: bool, open_it: bool) -> int:
    """Write your night episodes as one printable page with charts, for your doctor."""
    from nightvoice.base import paths
    from nightvoice.user import outputs
    from nightvoice.user import report as reporting
    from nightvoice.user.episodes import read

    try:
        day = reporting.parse_since(since) if since is not None else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--since'") from None
    reporting.require_charts()
    episodes, unreadable = read()
    if unreadable:
        click.echo(f"nightvoice: skipped {unreadable} unreadable line(s) in the log", err=True)
    page = reporting.build(episodes, day)
    if page is None:
        where = f"since {day}" if day and episodes else "logged yet"
        raise NightvoiceError(
            f"no episodes {where} (log: {paths.log_file()}), so no report was written"
        )
    if output is None:
        output, force = reporting.default_output(), True  # nightvoice's own file: regenerated
    outputs.write_output(output, page.encode("utf-8"), force=force)
    click.echo(str(output))
    if open_it:
        import webbrowser

        if not webbrowser.open(output.resolve().as_uri()):
            click.echo(f"could not open a web browser; open {output} yourself", err=True)
    return 0


@cli.command(short_help="A daily bedtime reminder at HH:MM (--off removes it).")
@click.argument("when", metavar="[HH:MM]", required=False)
@click.option(
    "--say", "say_text", metavar="TEXT", help="Speak this short reminder instead of the routine."
)
@click.option("--off", is_flag=True, help="Remove the reminder.")
@click.option("--fire", is_flag=True, hidden=True, help="Go off now (what the timer runs).")
@click.pass_context
def remind(
    ctx: click.Context, when: str | None, say_text: str | None, off: bool, fire: bool
) -> int:
    """Set a daily bedtime reminder at HH:MM: the bedtime routine plays (or --say TEXT).

    With no time it shows what is set and when it next goes off. It never plays over a
    routine that is playing, and logs no episode.
    """
    from nightvoice.user import remind as reminders

    if fire:
        return _fire_reminder(ctx, say_text)
    if off:
        if when or say_text:
            raise click.UsageError("--off takes no time and no --say")
        lines = reminders.remove()
    elif when is None:
        if say_text:
            raise click.UsageError("give the time for the reminder, like: remind 22:30 --say TEXT")
        lines = reminders.show()
    else:
        hour, minute = reminders.parse_time(when)
        lines = reminders.set_reminder(hour, minute, say_text)
    for line in lines:
        click.echo(line)
    return 0


def _fire_reminder(ctx: click.Context, text: str | None) -> int:
    """The reminder going off: quiet while a routine plays; never asks, never logs."""
    from nightvoice.base import playing
    from nightvoice.user.remind import ROUTINE

    if playing.someone_playing():
        click.echo("nightvoice: a routine is playing; the bedtime reminder stays quiet", err=True)
        return 0
    if text:
        from nightvoice.session import say as say_once

        click.echo(f"reminder: {text}")
        return say_once(text, {}, playing=True)  # a press of standby stops it, newer over older
    from nightvoice.session import PlayRequest, play_exit_code

    # Hands-free: no question, so no "did it help?" and no episode; settings from the config.
    return play_exit_code(PlayRequest(target=ROUTINE, hands_free=True))


@cli.command(short_help="Wait, idle, for one press (a media key, a button) to play.")
@click.option("--routine", metavar="NAME|FILE", help="The routine a press plays (the default one).")
@click.option(
    "--button",
    metavar="DEVICE",
    help="A bedside input device, e.g. /dev/input/by-id/usb-...-event-kbd.",
)
@click.option("--grab", is_flag=True, help="Keep the button's keys from every other program.")
@click.option("--install", is_flag=True, help="Install it as a user service (these options).")
@click.option("--off", is_flag=True, help="Remove the user service.")
@click.option("--status", is_flag=True, help="Say what runs: the standby and the service.")
@voice_options()
def standby(**options: Any) -> int:
    """Wait, idle, until one press plays the night routine: a media key (also on a locked
    screen), a headset's button, `playerctl play`, or a key of a bedside --button device.

    While it plays, those keys work as they do for any routine; then it is ready again. It
    needs a session bus or a --button (or both). --install makes it a user service that starts
    with your session; --off removes it; --status says what runs. `nightvoice help bedside`
    prints the guide (how presses reach it, a bedside box with a button).
    """
    from nightvoice.standby import service

    install, off, status = (options.pop(name) for name in ("install", "off", "status"))
    routine, button, grab = (options.pop(name) for name in ("routine", "button", "grab"))
    if sum((install, off, status)) > 1:
        raise click.UsageError("give one of --install, --off and --status")
    given = _standby_options(routine, button, grab, options)
    if off or status:
        if given:
            raise click.UsageError(f"--{'off' if off else 'status'} takes no other options")
        lines = service.remove() if off else service.status()
    elif install:
        from nightvoice.user.night import prepare

        prepare(routine, {}, None)  # a routine that cannot play is said now, not at 3 a.m.
        lines = service.install(given)
    else:
        from nightvoice.session import PlayRequest
        from nightvoice.standby import resident

        flags = {k: v for k, v in options.items() if k != "device" and v is not None}
        request = PlayRequest(target=routine, device=options["device"], flags=flags)
        return resident.run(request, button=button, grab=grab)
    for line in lines:
        click.echo(line)
    return 0


def _standby_options(
    routine: str | None, button: str | None, grab: bool, voice: dict[str, Any]
) -> list[str]:
    """The options as a service runs them: paths made absolute (it starts in another folder)."""
    from nightvoice.user.catalog import SUFFIXES

    options: list[str] = []
    if routine is not None:
        is_path = routine.endswith(SUFFIXES) or "/" in routine or "\\" in routine
        options += ["--routine", os.path.abspath(routine) if is_path else routine]
    if button is not None:
        from nightvoice.console.button import check_device

        check_device(button)  # never a regular file read as presses, over and over
        options += ["--button", os.path.abspath(button)]
    if grab:
        options.append("--grab")
    for name, value in voice.items():
        if value is not None:
            options += [f"--{name}", str(value)]
    return options


# The guides installed with the package (docs/ in a source checkout): topic -> file, summary.
GUIDES = {
    "format": ("routine-format.md", "writing a routine: every key, its limits, how timing works"),
    "keys": ("keys.md", "the keys while it plays, and every way it ends (exit codes)"),
    "audio": ("audio.md", "choosing the sound output; PulseAudio, PipeWire, ALSA"),
    "languages": ("languages.md", "nightvoice's own words in your language: writing a catalog"),
    "bedside": ("standby.md", "one press: standby, media keys, a bedside button box"),
}


def guide_text(topic: str) -> str:
    """A guide as installed with nightvoice (from docs/ when run from a source checkout)."""
    name = GUIDES[topic][0]
    package = Path(__file__).resolve().parent
    for path in (package / "guides" / name, package.parent / "docs" / name):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise NightvoiceError(f"the {topic} guide ({name}) is missing from this installation")


@cli.command("help", short_help="Help on a command, or a guide: help format, help keys.")
@click.argument("topic", nargs=-1)
@click.pass_context
def help_command(ctx: click.Context, topic: tuple[str, ...]) -> int:
    """Show help on a COMMAND (`nightvoice help config set`), or print a guide installed with
    nightvoice: `format` (writing routines), `keys` (keys and exit codes), `audio` (outputs),
    `languages` (catalogs), `bedside` (standby: one press, a bedside button box).
    """
    from nightvoice.core.errors import shown
    from nightvoice.core.suggest import did_you_mean

    context = ctx.find_root()
    if len(topic) == 1 and topic[0] in GUIDES:
        click.echo_via_pager(guide_text(topic[0]))
        return 0
    command: click.Command = cli
    for word in topic:
        found = command.get_command(context, word) if isinstance(command, click.Group) else None
        if found is None:
            names = list(command.list_commands(context)) if isinstance(command, click.Group) else []
            if command is cli:
                names += list(GUIDES)
            raise click.UsageError(
                f"no command or guide named `{shown(' '.join(topic))}`"
                f"{did_you_mean(word, names)} "
                f"(commands: {', '.join(cli.list_commands(context))}; guides: "
                f"{', '.join(GUIDES)})"
            )
        context = click.Context(found, info_name=word, parent=context)
        command = found
    click.echo(command.get_help(context))
    if command is cli:
        click.echo("\nGuides (`nightvoice help TOPIC`):")
        for name, (_, summary) in GUIDES.items():
            click.echo(f"  {name:<8} {summary}")
    return 0


def run(argv: list[str] | None = None, early: EarlyStart | None = None) -> int:
    """Run the CLI and return its exit code; `early` is what the fast start began for it."""
    return guarded(lambda: _main(argv, early))


def _main(argv: list[str] | None, early: EarlyStart | None) -> int:
    try:
        result = cli.main(args=argv, prog_name="nightvoice", standalone_mode=False, obj=early)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Abort:
        return INTERRUPTED
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
