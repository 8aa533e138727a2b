"""The fast start: what runs before click, YAML and the routine are loaded, handed to the session.

A bare pyttsx3 one-liner speaks in ~70 ms; loading click, YAML, the routine and the engine takes
longer than that. So `__main__` calls `begin` first, which, reading only the environment and
the command line (commandline.py), starts the slow things early and hands them over in one
`EarlyStart`:

1. The bare bedside command becomes the one playing process at once (base/playing.py: a session
   already playing is told to stop, so the two never talk over each other), then starts its
   first words playing from the record kept in the cache folder (headstart.py), or, on a
   first-ever run, renders the built-in routine's first sentence through espeak-ng itself.
2. A command that will speak with a natural voice starts that voice's synthesis child on a
   cheap guess at the settings (earlyvoice.py): its model loads while the rest imports.
3. `__main__` passes the EarlyStart to the session (plain `nightvoice`) or to the CLI, which
   passes it on to `play`, `say` or `export`: the speaker adopts the head start if it is what
   the routine says first (and cuts it otherwise), the engine adopts the child if the settings
   name that voice, and the session plays under the lock already held. `close` ends whatever
   nobody adopted and lets the lock go.
4. After any command, `after_command` re-renders the head start's record in the background
   (firstwords.py) if anything it depends on has changed.

The copies the fast start keeps for speed (the built-in routine's first sentence and file size,
the lead-in, the option names that take a value) are held to their owners by tests/startup/.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: nothing heavy before the first words
if TYPE_CHECKING:  # pragma: no cover
    import subprocess
    from collections.abc import Sequence

    from nightvoice.base.playing import Playing
    from nightvoice.sound.naturalvoices import NaturalVoice
    from nightvoice.startup.headstart import HeadStart


class EarlyStart:
    """What the fast start started, for the session to adopt; `close` ends the rest."""

    __slots__ = ("head_start", "natural", "playing")

    def __init__(self) -> None:
        # The playing lock, if the fast start took it (None: not tried; the session takes it).
        self.playing: Playing | None = None
        # The first words, already playing, for the speaker to adopt or cut.
        self.head_start: HeadStart | None = None
        # A natural voice's synthesis child, started on a guess at the settings.
        self.natural: tuple[NaturalVoice, subprocess.Popen[bytes]] | None = None

    def take_head_start(self) -> HeadStart | None:
        """The head start, once: whoever takes it adopts it or cuts it."""
        head, self.head_start = self.head_start, None
        return head

    def take_natural(self, voice: NaturalVoice | None) -> subprocess.Popen[bytes] | None:
        """The child started for `voice`, if the guess named it; a child started for another
        voice is ended now (a wrong guess costs a little CPU, never a wrong voice)."""
        started, self.natural = self.natural, None
        if started is None:
            return None
        guessed, process = started
        if voice is not None and guessed.name == voice.name and process.poll() is None:
            return process
        from nightvoice.sound.naturalvoices import discard

        discard(process)
        return None

    def close(self) -> None:
        """Silence a head start nobody adopted, end an unused child, let the lock go."""
        head = self.take_head_start()
        if head is not None:
            head.stop()
        self.take_natural(None)
        playing, self.playing = self.playing, None
        if playing is not None:
            playing.release()


def begin(argv: Sequence[str]) -> EarlyStart:
    """Start what `argv` will need before anything else is imported."""
    early = EarlyStart()
    if argv:
        from nightvoice.startup import earlyvoice

        early.natural = earlyvoice.start_if_named(argv)  # its load is the wait: first of all
        return early
    # The bedside command itself: the one playing (newer stops older), then its first words,
    # before click and YAML are imported (~100 ms of Python here).
    from nightvoice.base import playing
    from nightvoice.startup import headstart

    early.playing = playing.take_over()
    early.head_start = headstart.start()
    from nightvoice.startup import earlyvoice

    early.natural = earlyvoice.start_if_named(argv)
    return early


def after_command() -> None:
    """Whatever the command was, the next plain `nightvoice` (at 3 a.m.) finds its first words
    ready: re-rendered in the background if anything they depend on has changed."""
    from nightvoice.startup import headstart

    headstart.refresh_if_stale()
