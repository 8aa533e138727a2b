# ruff: noqa: RUF001  (espeak-ng IPA: its stress marks and letters are the test data)
"""The synthesis child's own rules: long sentences said in pieces (bounded memory), cut where a
speaker could pause. The pieces' rules need no model; the memory test runs the real one."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from nightvoice.sound.naturalvoices import NATURAL_VOICES, model_files
from nightvoice.sound.piper_worker import split_long


def symbols(ipa: str) -> list[str]:
    return list(ipa)


def joined(pieces: list[list[str]]) -> str:
    return " ".join("".join(piece) for piece in pieces)


@pytest.mark.parametrize("limit", [12, 20, 39, 46, 73])
@pytest.mark.parametrize(
    "ipa",
    [
        "sˈɪt ˌʌp ænd stɹˈɛtʃ jʊɹ lˈɛɡz ˈaʊt ɪn fɹˈʌnt ʌv juː.",
        "ɐ kˈæf ðæt ɪz swˈoʊlən, ɹˈɛd ɔːɹ wˈɔːɹm, ɔːɹ ðæt hˈɜːts wɛn juː wˈɔːk, nˈiːdz ɐ dˈɑːktɚ.",
        "bɹˈiːð " * 40,
        "ɑː" * 100 + " jˈɛs.",  # one word longer than any limit
        "ɪn.",
    ],
)
def test_pieces_are_within_the_limit_and_lose_nothing(ipa: str, limit: int) -> None:
    pieces = split_long(symbols(ipa.strip()), limit)
    assert all(0 < len(piece) <= limit for piece in pieces)
    assert joined(pieces).replace(" ", "") == ipa.replace(" ", "")  # every symbol, in order
    # Words are never cut (every piece starts and ends at a word's edge), save one longer
    # than the limit, which can only go in parts.
    words = ipa.split()
    too_long = [word for word in words if len(word) > limit]
    for piece in pieces:
        for word in "".join(piece).split():
            assert word in words or any(word in long for long in too_long), (word, piece)


def test_a_sentence_that_fits_is_one_piece() -> None:
    ipa = symbols("kˈiːp ðə lˈɛft lˈɛɡ stˈɪl.")
    assert split_long(ipa, 39) == [ipa]


def test_a_long_sentence_is_cut_after_its_comma() -> None:
    pieces = split_long(symbols("pˈʊl jʊɹ tˈoʊz təwˈɔːɹd jʊɹ nˈiː, ænd hˈoʊld."), 39)
    assert ["".join(p) for p in pieces] == ["pˈʊl jʊɹ tˈoʊz təwˈɔːɹd jʊɹ nˈiː,", "ænd hˈoʊld."]


def test_without_a_comma_it_is_cut_where_a_phrase_begins() -> None:
    """Before an unstressed word after a stressed one ("nose | and out"), not mid-phrase."""
    ipa = "bɹˈiːð ɪn slˈoʊli θɹuː jʊɹ nˈoʊz ænd ˈaʊt θɹuː jʊɹ mˈaʊθ."
    pieces = ["".join(p) for p in split_long(symbols(ipa), 39)]
    assert pieces == ["bɹˈiːð ɪn slˈoʊli θɹuː jʊɹ nˈoʊz", "ænd ˈaʊt θɹuː jʊɹ mˈaʊθ."]


def test_pieces_are_even_so_no_scrap_is_left_at_the_end() -> None:
    ipa = "pɹˈɛs ˈɛntɚ wɛn juː ɑːɹ ɹˈɛdi tə ɡˌoʊ ˈɔn."  # 42 symbols: two pieces, not 39 + 3
    pieces = split_long(symbols(ipa), 39)
    assert len(pieces) == 2 and min(len(p) for p in pieces) >= 10


PEAK_OF = """
import re, sys
from nightvoice.sound.piper_worker import PiperVoice
voice = PiperVoice(sys.argv[1], sys.argv[2])
b"".join(voice.pieces(sys.argv[3], 1.562))
print(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())[1])
"""


def peak_kb(text: str) -> int:
    """The child's peak memory (kB) after saying `text` at the night's length scale."""
    model, config = model_files(NATURAL_VOICES[0])
    result = subprocess.run(
        [sys.executable, "-c", PEAK_OF, model, config, text],
        capture_output=True,
        text=True,
        check=True,
        env={"MALLOC_MMAP_THRESHOLD_": str(1 << 20), "PATH": "/usr/bin:/bin"},
    )
    return int(result.stdout.strip())


@pytest.mark.usefixtures("natural_voice")
def test_a_long_sentence_costs_no_more_memory_than_a_short_one() -> None:
    """Whole, a 400-character sentence took the child ~300 MB above a short one; in pieces the
    model's working memory is that of one piece, whatever the sentence's length."""
    short = "Sit up and stretch your legs out."
    long = re.sub(r"\s+", " ", " ".join(["Breathe in slowly through your nose and out"] * 9))
    assert len(long) > 390
    assert peak_kb(long) - peak_kb(short) < 40_000


def test_a_sentence_someone_waits_for_starts_with_a_short_first_piece() -> None:
    """Heard sooner: the first piece ends by `first` where a phrase allows, never one word."""
    ipa = "sˈɪt ˌʌp ænd stɹˈɛtʃ jʊɹ lˈɛɡz ˈaʊt ɪn fɹˈʌnt ʌv juː."
    pieces = ["".join(p) for p in split_long(symbols(ipa), 39, 15)]
    assert pieces[0] == "sˈɪt ˌʌp" and all(len(p) <= 39 for p in pieces)
    assert " ".join(pieces) == ipa
    pull = [
        "".join(p)
        for p in split_long(symbols("pˈʊl jʊɹ tˈoʊz təwˈɔːɹd jʊɹ nˈiː, ænd hˈoʊld."), 39, 15)
    ]
    assert pull[0] == "pˈʊl jʊɹ tˈoʊz"  # not "Pull |"
    short = symbols("juː ɑːɹ ˈɔːl ɹˈaɪt.")  # said whole anyway: not cut for speed
    assert split_long(short, 39, 15) == [short]
