"""Export renders the whole routine to one WAV; its timing is checked from the file itself.

Real espeak-ng throughout: the expected timeline is laid out again here from freshly
synthesised sentences, and the WAV must have speech, silence and chimes exactly there.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from array import array
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from nightvoice.base import paths
from nightvoice.cli import run
from nightvoice.core.errors import SpeechUnavailable
from nightvoice.core.plan import Entry, Plan, Settings, voice_for
from nightvoice.core.planner import compile_plan, timeline, total_seconds
from nightvoice.core.player import PlayerOptions, night_volume
from nightvoice.sound.audio import DEFAULT_RATE, Pcm, read_wav
from nightvoice.sound.export import (
    CACHE_FOLDER,
    TAKE_YOUR_TIME,
    SpeechCache,
    export_plan,
    render,
)
from nightvoice.sound.speaker import LEAD_IN_SECONDS, volume_gain
from nightvoice.sound.synth import EspeakSynthesizer
from nightvoice.user.catalog import load_routine, resolve
from nightvoice.user.config import resolve_settings

SILENCE_PEAK = 8


@pytest.fixture(scope="module")
def synth() -> EspeakSynthesizer:
    engine = EspeakSynthesizer()
    try:
        engine.warm_up()
    except SpeechUnavailable as exc:  # never skipped: .ci/setup installs espeak-ng
        pytest.fail(f"{exc}: run `.ci/setup`, which installs espeak-ng", pytrace=False)
    return engine


def calf_plan() -> Plan:
    routine = load_routine(resolve("calf-cramp").path)
    return compile_plan(routine, resolve_settings(routine.voice, {}, {}).settings)


def expected_timeline(plan: Plan, synth: EspeakSynthesizer) -> list[Entry]:
    """planner.timeline fed the real synthesised lengths of the sentences the export used.

    espeak-ng does not render a sentence bit-identically every time (the first call after
    start-up differs most), so the lengths are read back from the export's speech cache,
    which must hold every sentence: nothing new is synthesised here.
    """
    settings = plan.settings
    cache = SpeechCache(synth, paths.cache_dir() / CACHE_FOLDER, synth.engine_version())

    def seconds(text: str, language: str | None) -> float:
        spoken_in, voice = voice_for(language, settings.language, settings.voice)
        pcm = cache.synthesize(text, rate=settings.rate, language=spoken_in, voice=voice)
        return pcm.resampled(DEFAULT_RATE).with_lead_in(LEAD_IN_SECONDS).seconds

    entries = timeline(export_plan(plan), seconds)
    assert cache.misses == 0, "the export did not cache (or did not use) every sentence"
    return entries


def window(values: array[int], start: float, end: float) -> array[int]:
    return values[round(start * DEFAULT_RATE) : round(end * DEFAULT_RATE)]


def rms(values: array[int]) -> float:
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0


def tone_share(values: array[int], frequency: float) -> float:
    """Goertzel: the share of the window's energy at `frequency` (1.0 = a pure tone)."""
    n = len(values)
    k = 2 * math.cos(2 * math.pi * frequency / DEFAULT_RATE)
    s1 = s2 = 0.0
    for v in values:
        s1, s2 = v + k * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    energy = sum(v * v for v in values)
    return 2 * power / (n * energy) if energy else 0.0


SOUNDS = ("say", "cue", "chime")


def sound_intervals(entries: list[Entry]) -> list[tuple[float, float]]:
    return [(e.offset, e.offset + e.duration) for e in entries if e.kind in SOUNDS]


def quiet_gaps(entries: list[Entry], margin: float = 0.02) -> list[tuple[float, float]]:
    """Stretches inside holds, rests and waits where nothing is said or chimed."""
    sounds = sound_intervals(entries)
    gaps = []
    for e in entries:
        if e.kind not in ("hold", "wait", "until-eased"):
            continue
        cursor = e.offset
        for start, end in sorted(sounds):
            if end <= cursor or start >= e.offset + e.duration:
                continue
            if start - cursor > 2 * margin:
                gaps.append((cursor + margin, start - margin))
            cursor = max(cursor, end)
        if e.offset + e.duration - cursor > 2 * margin:
            gaps.append((cursor + margin, e.offset + e.duration - margin))
    return gaps


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture
def exported(
    shared_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Pcm, Path]:
    """calf-cramp exported once by the CLI; the tests share its home (and speech cache)."""
    monkeypatch.setenv("NIGHTVOICE_HOME", str(shared_home))
    out = shared_home / "calf.wav"
    if not out.exists():
        assert run(["export", "calf-cramp", "-o", str(out)]) == 0
    return read_wav(out), out


def test_the_file_is_22050_hz_mono_and_as_long_as_the_timeline(
    exported: tuple[Pcm, Path], synth: EspeakSynthesizer
) -> None:
    pcm, _ = exported
    entries = expected_timeline(calf_plan(), synth)
    assert pcm.rate == 22050
    assert abs(pcm.seconds - total_seconds(entries)) <= 0.050
    assert pcm.seconds > 240  # holds and rests are in it, not just the words


def assert_sentences_as_played(samples: bytes, plan: Plan, synth: EspeakSynthesizer) -> int:
    """At each say and cue offset of the export of `plan`, the very sentence as the player
    plays it (its lead-in, the night's rising volume), sample for sample up to where the next
    sound starts: not just some sound. How many sentences there were."""
    entries = expected_timeline(plan, synth)
    settings = export_plan(plan).settings
    cache = SpeechCache(synth, paths.cache_dir() / CACHE_FOLDER, synth.engine_version())
    starts = [round(e.offset * DEFAULT_RATE) for e in entries if e.kind in SOUNDS]
    spoken = 0
    for entry in entries:
        if entry.kind not in ("say", "cue"):
            continue
        pcm = cache.synthesize(
            entry.text, rate=settings.rate, language=settings.language, voice=settings.voice
        )
        gain = volume_gain(night_volume(settings.volume, spoken, PlayerOptions()))
        sound = pcm.resampled(DEFAULT_RATE).with_lead_in(LEAD_IN_SECONDS).scaled(gain).samples
        spoken += 1
        at = round(entry.offset * DEFAULT_RATE)
        until = min([s for s in starts if s > at] + [at + len(sound) // 2])
        assert until - at > 0.3 * DEFAULT_RATE, entry  # most of it, at least, is compared
        assert samples[2 * at : 2 * until] == sound[: 2 * (until - at)], entry
    assert cache.misses == 0  # the very sentences the export used
    return spoken


def test_each_sentence_is_where_the_timeline_says_sample_for_sample(
    exported: tuple[Pcm, Path], synth: EspeakSynthesizer
) -> None:
    assert assert_sentences_as_played(exported[0].samples, calf_plan(), synth) > 30


def test_silence_is_where_the_timeline_says_silence(
    exported: tuple[Pcm, Path], synth: EspeakSynthesizer
) -> None:
    values = exported[0].values()
    entries = expected_timeline(calf_plan(), synth)
    gaps = quiet_gaps(entries)
    assert sum(end - start for start, end in gaps) > 150  # most of the routine is holding
    for start, end in gaps:
        assert max(abs(v) for v in window(values, start, end)) <= SILENCE_PEAK, (start, end)


def test_chimes_ring_where_the_timeline_puts_them(
    exported: tuple[Pcm, Path], synth: EspeakSynthesizer
) -> None:
    values = exported[0].values()
    chimes = [e for e in expected_timeline(calf_plan(), synth) if e.kind == "chime"]
    assert len(chimes) > 10
    for entry in chimes:
        ring = window(values, entry.offset + 0.02, entry.offset + 0.3)
        assert rms(ring) > 500, entry
        assert tone_share(ring, 660.0) > 0.3, entry  # the chime's main partial


def test_keys_only_steps_become_spoken_pauses_and_the_question_is_not_spoken(
    exported: tuple[Pcm, Path], synth: EspeakSynthesizer
) -> None:
    entries = expected_timeline(calf_plan(), synth)
    texts = [e.text for e in entries if e.kind in ("say", "cue")]
    assert TAKE_YOUR_TIME.english in texts
    assert any("Press Enter when it eases" in text for text in texts)  # the check-ins
    assert not any("Which leg" in text for text in texts)
    assert any("left" in text for text in texts)  # the question's default fills {side}
    assert not [e for e in entries if e.kind == "wait"]


def test_sentences_come_from_the_cache_the_second_time(synth: EspeakSynthesizer) -> None:
    plan = calf_plan()
    folder = paths.cache_dir() / CACHE_FOLDER
    first = render(plan, synth, cache_folder=folder)
    second = render(plan, synth, cache_folder=folder)
    assert first.synthesized > 20
    assert (second.synthesized, second.cached) == (0, first.synthesized)
    assert second.pcm == first.pcm


def test_the_cache_key_includes_the_rate(synth: EspeakSynthesizer) -> None:
    folder = paths.cache_dir() / CACHE_FOLDER
    routine = load_routine(resolve("calm-breathing").path)
    slow = resolve_settings(routine.voice, {}, {"rate": 100}).settings
    fast = resolve_settings(routine.voice, {}, {"rate": 200}).settings
    a = render(compile_plan(routine, slow), synth, cache_folder=folder)
    b = render(compile_plan(routine, fast), synth, cache_folder=folder)
    assert b.cached == 0
    assert b.seconds < a.seconds


def test_an_existing_output_is_kept_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine.wav"
    out.write_bytes(b"not yours to overwrite")
    assert run(["export", "calm-breathing", "-o", str(out)]) == 1
    assert "--force" in capsys.readouterr().err
    assert out.read_bytes() == b"not yours to overwrite"
    assert run(["export", "calm-breathing", "-o", str(out), "--force"]) == 0
    assert read_wav(out).seconds > 60
    assert not list(tmp_path.glob(".*"))  # no temporary left behind


@pytest.mark.parametrize("force", [False, True])
def test_an_unwritable_output_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], force: bool
) -> None:
    (tmp_path / "a-file").write_text("")
    out = tmp_path / "a-file" / "x.wav"
    assert run(["export", "calm-breathing", "-o", str(out), *(["--force"] if force else [])]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"cannot write {out}" in err and "is not a folder" in err


def test_the_write_itself_never_replaces_a_file_that_appeared_meanwhile(tmp_path: Path) -> None:
    from nightvoice.core.errors import NightvoiceError
    from nightvoice.user.outputs import write_output

    out = tmp_path / "x.wav"
    out.write_bytes(b"appeared after the early check")
    with pytest.raises(NightvoiceError, match="already exists"):
        write_output(out, lambda f: f.write(b"RIFF"), force=False)
    assert out.read_bytes() == b"appeared after the early check"
    write_output(out, lambda f: f.write(b"RIFF"), force=True)
    assert out.read_bytes() == b"RIFF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.wav"]


def test_the_synthesizer_names_its_engine_build_and_the_cache_keys_on_it(
    synth: EspeakSynthesizer,
) -> None:
    from nightvoice.sound.synth import Pyttsx3FileSynthesizer

    assert synth.engine_version().startswith("EspeakSynthesizer/espeak-ng-1.")
    assert Pyttsx3FileSynthesizer().engine_version().startswith("Pyttsx3FileSynthesizer/pyttsx3-")

    class Upgraded(EspeakSynthesizer):
        def engine_version(self) -> str:
            return "EspeakSynthesizer/espeak-ng-99"

    folder = paths.cache_dir() / CACHE_FOLDER
    plan = compile_plan(load_routine(resolve("calm-breathing").path), calf_plan().settings)
    first = render(plan, synth, cache_folder=folder)
    assert render(plan, synth, cache_folder=folder).synthesized == 0
    upgraded = render(plan, Upgraded(), cache_folder=folder)  # a new build: nothing reused
    assert (upgraded.synthesized, upgraded.cached) == (first.synthesized, 0)


def test_the_timeline_is_laid_out_once_with_the_real_lengths(
    synth: EspeakSynthesizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nightvoice.sound import export

    plan = calf_plan()
    calls: list[object] = []

    def counted(*args: object, **kwargs: object) -> list[Entry]:
        calls.append(args)
        return timeline(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(export, "timeline", counted)
    render(plan, synth, cache_folder=paths.cache_dir() / CACHE_FOLDER)
    assert len(calls) == 1
    said = {e.text for e in expected_timeline(plan, synth) if e.kind in ("say", "cue")}
    texts = [text for text, _language in export.sentences(export.export_plan(plan))]
    assert len(texts) == len(set(texts)) and set(texts) == said


# -- the output: stdout, never a non-regular file, no silent folders or formats ---------------


def export_child(tmp_path: Path, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "nightvoice", "export", *args],
        env={**os.environ, "NIGHTVOICE_HOME": str(tmp_path / "home")},
        capture_output=True,
        check=False,
        timeout=120,
        **kwargs,
    )


def test_dash_writes_the_same_wav_to_stdout_and_the_summary_to_stderr(tmp_path: Path) -> None:
    out = tmp_path / "file.wav"
    assert export_child(tmp_path, "calm-breathing", "-o", str(out)).returncode == 0
    piped = export_child(tmp_path, "calm-breathing", "-o", "-")
    assert piped.returncode == 0
    assert piped.stdout == out.read_bytes()
    assert piped.stderr.decode().startswith("stdout: 3:")


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_device_link(path: Path) -> None:
    path.symlink_to(os.devnull)


def make_socket(path: Path) -> None:
    import socket

    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (make_fifo, "a FIFO (named pipe)"),
        (make_device_link, "a device"),
        (make_socket, "a socket"),
        (lambda path: path.mkdir(), "a folder"),
    ],
)
def test_force_never_replaces_what_is_not_a_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, kind: str
) -> None:
    out = tmp_path / "x.wav"
    make(out)
    before = os.lstat(out)
    assert run(["export", "calm-breathing", "-o", str(out), "--force"]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"nightvoice: cannot write {out}: it is {kind}, not a regular file; "
        "nightvoice only replaces regular files\n"
    )
    after = os.lstat(out)
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert os.stat(os.devnull).st_mode == os.stat("/dev/null").st_mode  # untouched


def test_force_never_replaces_dev_null_itself(capsys: pytest.CaptureFixture[str]) -> None:
    """As root this would have replaced the device node with a WAV file."""
    import stat

    assert run(["export", "calm-breathing", "-o", os.devnull, "--force"]) == 1
    assert "it is a device, not a regular file" in capsys.readouterr().err
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_missing_folder_is_an_error_unless_parents_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "new" / "sub" / "x.wav"
    assert run(["export", "calm-breathing", "-o", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"nightvoice: cannot write {out}: {out.parent} does not exist; "
        "create it or pass --parents\n"
    )
    assert not (tmp_path / "new").exists()
    assert run(["export", "calm-breathing", "-o", str(out), "--parents"]) == 0
    assert read_wav(out).seconds > 60


@pytest.mark.parametrize("name", ["x.mp3", "x.ogg", "x.OPUS", "x.flac", "x.txt"])
def test_a_name_promising_another_format_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    out = tmp_path / name
    assert run(["export", "calm-breathing", "-o", str(out)]) == 1
    assert "export writes WAV only; name the file x.wav" in capsys.readouterr().err
    assert not out.exists()


def test_export_streams_so_memory_stays_flat_for_a_long_routine(tmp_path: Path) -> None:
    """20 minutes of audio (53 MB of PCM): the old whole-buffer export peaked near 200 MB."""
    routine = tmp_path / "long.yaml"
    routine.write_text(
        "nightvoice: 1\ntitle: Long\nsteps:\n  - repeat: 20\n    steps:\n"
        "      - say: Round {round} of {rounds}. Hold it gently.\n        hold: 55\n"
    )
    probe = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run([sys.executable, '-m', 'nightvoice', 'export', sys.argv[1], "
        "'-o', '-'], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "assert done.returncode == 0, done.stderr\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(routine)],
        env={**os.environ, "NIGHTVOICE_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        check=True,
        timeout=180,
    )
    peak_mb = int(done.stdout) / 1024
    assert peak_mb < 90, f"export peaked at {peak_mb:.0f} MB"


def test_show_and_list_give_the_length_the_export_has(
    tmp_path: Path, private_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """At a slow rate with long sentences a words-per-minute guess was minutes off."""
    import re

    folder = private_home / "scripts"
    folder.mkdir(parents=True)
    sentence = "Slowly bring your toes back toward your knee, and breathe out as you go"
    body = "nightvoice: 1\ntitle: Slow\nrate: 80\nsteps:\n" + "".join(
        f"  - say: {sentence}, part {n}.\n    hold: 3\n" for n in range(12)
    )
    (folder / "slow.yaml").write_text(body)
    out = tmp_path / "slow.wav"
    assert run(["export", "slow", "-o", str(out)]) == 0
    exported = read_wav(out).seconds
    capsys.readouterr()
    assert run(["show", "slow"]) == 0
    shown = re.search(r"Total: about (\d+):(\d\d)", capsys.readouterr().out)
    assert shown is not None
    assert abs(int(shown[1]) * 60 + int(shown[2]) - exported) <= 1
    assert run(["list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("slow "))
    minutes, seconds = line.split()[1].split(":")
    assert abs(int(minutes) * 60 + int(seconds) - exported) <= 1
    plan = compile_plan(load_routine(folder / "slow.yaml"), calf_plan().settings)
    words_per_minute = total_seconds(
        timeline(
            replace(plan, settings=Settings(rate=80)),
            lambda t, _language: len(t.split()) * 0.6 + 0.3,
        )
    )
    assert abs(words_per_minute - exported) > 5  # the words-per-minute guess this replaced
