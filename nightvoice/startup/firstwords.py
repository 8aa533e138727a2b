"""Render what plain `nightvoice` says first, for the head start (headstart.py).

Run as `python -m nightvoice.startup.firstwords`: a quiet background process that any nightvoice
command starts when it ends and finds the record missing or stale. It loads the default routine
and the config as the session would, lets the real player run up to its first sound (with a
voice that only notes what it was asked to say), renders that sentence through the speech cache
exactly as the speaker would play it, and saves it with the stamps of every file it depends on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from nightvoice.base.reading import file_stamps
from nightvoice.startup import headstart

if TYPE_CHECKING:
    from nightvoice.sound.export import SpeechCache
    from nightvoice.user.night import Prepared

# The rest is imported where it is used: as a background process this first lowers its own
# priority (main), and only then loads the program.


class FirstSay(NamedTuple):
    """The first thing the player says, at the very start: the arguments of `Voice.say`."""

    text: str
    rate: int
    volume: float
    language: str | None = None  # as Line.language: None in the routine's own voice


class _Noted(Exception):
    def __init__(self, first: FirstSay | None) -> None:
        self.first = first


class _NotingVoice:
    """A Voice that stops the player at its first sound, noting it if it is a sentence."""

    def say(self, text: str, *, rate: int, volume: float, language: str | None = None) -> int:
        raise _Noted(FirstSay(text, rate, volume, language))

    def chime(self, *, volume: float) -> int:
        raise _Noted(None)  # a chime first: nothing worth a head start

    def cut(self) -> None:
        pass


class _StillClock:
    def now(self) -> float:
        return 0.0


class _EmptyInbox:
    def wait(self, deadline: float | None) -> None:
        raise _Noted(None)  # a wait before any sound: the first sound is not at the start


def first_say(prepared: Prepared, *, interactive: bool) -> FirstSay | None:
    """What the session's player says first for this routine, if it says it at once."""
    from nightvoice.console.screen import BlankScreen
    from nightvoice.core.player import Player, PlayerOptions, plan_after_question

    player = Player(
        clock=_StillClock(),
        inbox=_EmptyInbox(),
        voice=_NotingVoice(),
        screen=BlankScreen(),
        rate=prepared.settings.rate,
        volume=prepared.settings.volume,
        options=PlayerOptions(interactive=interactive),
        phrases=prepared.phrases,
    )
    try:
        plan = plan_after_question(
            player, prepared.routine, prepared.settings, chime=prepared.config.get("chime")
        )
        if plan is not None:
            player.play(plan)
    except _Noted as noted:
        return noted.first
    return None


def deciding_files() -> list[str]:
    """Files whose change could change the default routine's first words (engine's aside)."""
    from nightvoice.base import paths
    from nightvoice.user import catalog

    name = catalog.DEFAULT_ROUTINE
    files = [
        str(paths.routines_dir() / f"{name}{suffix}") for suffix in catalog.SUFFIXES
    ]  # a routine of the user's that replaces the built-in, now or later
    files += [str(catalog.builtin_dir() / f"{name}{suffix}") for suffix in catalog.SUFFIXES]
    files.append(str(paths.config_file()))
    return files


def render() -> dict[bool, headstart.Utterance | None] | None:
    """The first words of plain `nightvoice`, with keys and hands-free, as the speaker plays
    them; None when no engine can speak here (nothing is kept then)."""
    import io

    from nightvoice.base import paths
    from nightvoice.core.errors import NightvoiceError
    from nightvoice.sound.engines import make_synthesizer
    from nightvoice.sound.export import CACHE_FOLDER, SpeechCache
    from nightvoice.user.night import prepare

    # The settings as the session chooses them, against the same engine.
    synth = make_synthesizer(strict=True)
    try:
        prepared = prepare(err=io.StringIO(), usable=synth.cannot_use)
    except NightvoiceError:
        synth.close()
        return {True: None, False: None}  # a broken routine has no first words to keep
    try:
        # In the voice the night speaks in, the natural one too (strict: espeak-ng's sound is
        # never kept for a natural voice that cannot speak here).
        synth.use(prepared.settings.voice)
    except NightvoiceError:
        synth.close()
        return None
    try:
        cache = SpeechCache(synth, paths.cache_dir() / CACHE_FOLDER, synth.engine_version())
        return {mode: rendered(prepared, cache, interactive=mode) for mode in (True, False)}
    except NightvoiceError:
        return None
    finally:
        synth.close()  # the natural voice's child, if it was started


def rendered(
    prepared: Prepared,
    cache: SpeechCache,
    *,
    interactive: bool,
    lead_in: float | None = None,
) -> headstart.Utterance | None:
    """What the session says first for this kind of run, rendered through `cache` exactly as
    the speaker plays it (its language and voice, lead-in and volume applied); None if it says
    nothing at once.

    Standby (standby/resident.py) keeps its first words ready the same way, with a shorter
    `lead_in` of its own.
    """
    from nightvoice.core.plan import voice_for
    from nightvoice.sound.speaker import LEAD_IN_SECONDS, volume_gain

    said = first_say(prepared, interactive=interactive)
    if said is None:
        return None
    settings = prepared.settings
    language, voice = voice_for(said.language, settings.language, settings.voice)
    pcm = cache.synthesize(said.text, rate=said.rate, language=language, voice=voice)
    gain = volume_gain(said.volume)
    pcm = pcm.with_lead_in(LEAD_IN_SECONDS if lead_in is None else lead_in).scaled(gain)
    return headstart.Utterance(
        text=said.text,
        rate=said.rate,
        volume=gain,
        language=language,
        voice=voice,
        engine=cache.engine,
        device=prepared.device,
        samples=pcm.samples,
        sample_rate=pcm.rate,
    )


def refresh() -> None:
    """Render the first words and keep them, stamped with every file they depend on."""
    files = deciding_files()  # stamped as they were before reading them: a change meanwhile
    stamps = file_stamps(files)  # makes the record stale, never wrongly fresh
    first = render()
    if first is None:
        return
    from nightvoice.sound.engines import make_synthesizer
    from nightvoice.sound.lengths import engine_files

    files += engine_files(make_synthesizer())
    if file_stamps(files[: len(stamps)]) != stamps:
        return  # something changed while rendering: the next command renders again
    headstart.save(files, first)


def main() -> None:
    """In the background, after a command: never compete with anything for the CPU."""
    from nightvoice.base import jobs

    jobs.as_idle()
    refresh()


if __name__ == "__main__":
    main()
