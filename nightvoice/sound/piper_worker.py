"""The natural voice's synthesis child: a Piper voice (VITS in ONNX) kept loaded between sentences.

Run as `python -m nightvoice.sound.piper_worker MODEL.onnx MODEL.onnx.json` by `piper_client.py`; it
is a separate process so the parent stays small and quick (onnxruntime and the model are ~180 MB
and ~0.7 s to load, done here in parallel with the parent's own start), it never talks to the
sound server, and quitting kills it at once. It exits when its stdin closes, so it cannot
outlive the program.

Protocol, one request at a time. Requests are JSON lines on stdin:
`{"text": ..., "length_scale": 1.3}`, optionally with `"first_piece_seconds": 1.0`. The text
comes back a piece at a time as each is rendered: each answer is one JSON line on stdout,
`{"rate": 22050, "bytes": N, "more": true}` followed by N bytes of signed 16-bit little-endian
mono PCM, then an empty one with `"more": false` ends the text; an `{"error": ...}` ends it
early. The first line, before any request, is `{"ready": true, "rate": 22050}` or
`{"error": ...}`.

Phonemes come from the system libespeak-ng (the library the default voice already uses, here in
its retrieval mode: no audio device), read with espeak_TextToPhonemes as IPA, a clause at a time
with the clause's punctuation kept as Piper voices expect. Inference runs on onnxruntime (MIT).
No piper-tts code is used: see docs/natural-voice.md for why.
"""

from __future__ import annotations

import ctypes
import json
import re
import sys
import threading
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import BinaryIO

# Piper's phoneme-id conventions (from the voice's own .onnx.json): BOS, EOS, and a pad after
# every phoneme.
BOS, EOS, PAD = "^", "$", "_"
SENTENCE_END = frozenset(".!?")
PEAK = 0.85  # each sentence's loudest sample, as a fraction of full scale: never clips
PAUSE_BETWEEN_SENTENCES = 0.25  # seconds at length_scale 1, inside one text

# The model's working memory grows with the length of what it says at once (~23 MB a second of
# speech: a 13 s sentence took the child to 440 MB), so a long sentence is said in pieces of at
# most ~2.5 s, split after a comma where it has one (where a speaker pauses anyway), else between
# words. A symbol lasts ~0.041 s at length scale 1 (joe: 58 symbols made 3.7 s at 1.56).
# Measured on calf-cramp at the night rate: peak 235 MB in pieces of 3 s, 208 in pieces of 2.5 s.
MAX_PIECE_SECONDS = 2.5
SECONDS_PER_SYMBOL = 0.041
MIN_PIECE = 12  # symbols: never split into scraps, whatever the scale
CLAUSE_ENDS = frozenset(",;:")
STRESS_MARKS = frozenset("\u02c8\u02cc")  # espeak-ng's primary and secondary stress

_CLAUSES = re.compile(r"([.,;:!?]+)(?=\s|$)")
_LANGUAGE_SWITCH = re.compile(r"\([^)]+\)")  # espeak's "(fr)" marks around foreign words

ESPEAK_CHARS_UTF8 = 1
ESPEAK_PHONEMES_IPA = 0x02
AUDIO_OUTPUT_RETRIEVAL = 1
ESPEAK_INITIALIZE_DONT_EXIT = 0x8000


class Phonemizer:
    """Text to Piper's phoneme symbols through libespeak-ng, one clause at a time."""

    def __init__(self, espeak_voice: str) -> None:
        try:
            lib = ctypes.CDLL("libespeak-ng.so.1")
        except OSError:  # ctypes.util runs `ldconfig -p` (and imports ~30 ms): only when needed
            from ctypes.util import find_library

            lib = ctypes.CDLL(find_library("espeak-ng") or "libespeak-ng.so")
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.c_int,
            ctypes.c_int,
        ]
        if lib.espeak_Initialize(AUDIO_OUTPUT_RETRIEVAL, 0, None, ESPEAK_INITIALIZE_DONT_EXIT) <= 0:
            raise RuntimeError("libespeak-ng did not start (is espeak-ng-data installed?)")
        if lib.espeak_SetVoiceByName(espeak_voice.encode()) != 0:
            raise RuntimeError(f"espeak-ng has no voice {espeak_voice!r} for the phonemes")
        self._lib = lib

    def _clause(self, text: str) -> str:
        buffer = ctypes.create_string_buffer(text.encode("utf-8"))
        pointer = ctypes.c_void_p(ctypes.addressof(buffer))
        parts = []
        while pointer.value:
            # Each call reads one clause and moves the pointer on (NULL at the end).
            result = self._lib.espeak_TextToPhonemes(
                ctypes.byref(pointer), ESPEAK_CHARS_UTF8, ESPEAK_PHONEMES_IPA
            )
            if result:
                parts.append(result.decode("utf-8", errors="replace"))
        return _LANGUAGE_SWITCH.sub("", " ".join(parts)).strip()

    def sentences(self, text: str) -> list[list[str]]:
        """Phoneme symbols per sentence; a clause keeps its punctuation, as in Piper's training."""
        pieces = _CLAUSES.split(text)
        result: list[list[str]] = []
        current: list[str] = []
        for index in range(0, len(pieces), 2):
            clause = pieces[index]
            terminator = pieces[index + 1][:1] if index + 1 < len(pieces) else ""
            phonemes = self._clause(clause) if clause.strip() else ""
            if phonemes:
                phonemes += terminator
                if terminator and terminator not in SENTENCE_END:
                    phonemes += " "
                current.extend(unicodedata.normalize("NFD", phonemes))
            if terminator in SENTENCE_END and current:
                result.append(current)
                current = []
        if current:
            result.append(current)
        return result


def split_long(phonemes: list[str], limit: int, first: int | None = None) -> list[list[str]]:
    """One sentence's symbols in pieces of at most `limit` symbols, cut where a speaker could
    pause: after a clause mark (`, ` and the like) where one fits, else where a phrase begins
    (an unstressed word after a stressed one: "legs | in front") nearest an even share, else
    between any two words nearest it, else at the limit.

    `first`: the first piece ends by then where a phrase allows ("Sit up | and stretch..."),
    so it is rendered, and heard, sooner.
    """
    pieces: list[list[str]] = []
    rest = phonemes
    if first is not None and len(rest) > limit:  # only a sentence said in pieces anyway
        cut = _cut(rest, first, share=first, last=True)
        if cut is not None:
            pieces.append(rest[:cut])
            rest = _without_leading_spaces(rest[cut:])
    while len(rest) > limit:
        share = len(rest) / -(-len(rest) // limit)  # the length of each of the fewest pieces
        cut = _cut(rest, limit, share=share, last=False)
        pieces.append(rest[: cut or limit])
        rest = _without_leading_spaces(rest[cut or limit :])
    if rest:
        pieces.append(rest)
    return pieces


def _cut(rest: list[str], limit: int, *, share: float, last: bool) -> int | None:
    """Where to end a piece of at most `limit` symbols (see split_long); `last`: as late as
    possible rather than nearest `share`. None where no word ends in time."""
    spaces = [i for i in range(1, limit + 1) if rest[i] == " "]
    after_clause = [i for i in spaces if rest[i - 1] in CLAUSE_ENDS and i >= share / 2]
    # Where a phrase begins: an unstressed word after a stressed one ("legs | in front").
    before_unstressed = [
        i for i in spaces if not _stressed(rest, i + 1) and _stressed(rest, _start(rest, i))
    ]
    if after_clause:
        return after_clause[-1]
    if last:  # a first piece: as late as it may be, and never one short word ("Pull |")
        before_unstressed = [i for i in before_unstressed if i >= limit / 2]
        spaces = [i for i in spaces if i >= limit / 2]
    candidates = before_unstressed or spaces
    if not candidates:
        return None
    return candidates[-1] if last else min(candidates, key=lambda i: abs(i - share))


def _without_leading_spaces(symbols: list[str]) -> list[str]:
    start = 0
    while start < len(symbols) and symbols[start] == " ":
        start += 1
    return symbols[start:]


def _start(symbols: list[str], space: int) -> int:
    """Where the word before the space at `space` starts."""
    start = space
    while start > 0 and symbols[start - 1] != " ":
        start -= 1
    return start


def _stressed(symbols: list[str], start: int) -> bool:
    """Whether the word starting at `start` carries a stress mark (espeak-ng's IPA)."""
    for symbol in symbols[start:]:
        if symbol == " ":
            return False
        if symbol in STRESS_MARKS:
            return True
    return False


def _load(model: str) -> Any:
    """(numpy, the model's session, its run options), or the exception that stopped the load."""
    try:
        import numpy as np
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # Measured on 2 cores: graph optimisation doubles the load time (0.44 s -> 1.1 s) and
        # gains nothing per sentence for this model.
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.log_severity_level = 3  # errors only: warnings would land on the night screen
        # Idle threads sleep instead of spinning: the player, aplay and other programs share
        # these cores (spinning made a sentence 1.4x slower on a loaded 2-core machine).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Pre-packed weights are a second copy: measured, a long sentence peaked at 371 MB
        # with them and 334 MB without, with loading and sentences no slower (within noise).
        options.add_session_config_entry("session.disable_prepacking", "1")
        session = onnxruntime.InferenceSession(
            model, sess_options=options, providers=["CPUExecutionProvider"]
        )
        # Each sentence's working memory goes back once it is said: without this the arena
        # keeps growing by powers of two as sentence lengths vary (measured: peak 223 -> 212 MB
        # over four sentences, and ~150 MB between sentences instead of ~220).
        run_options = onnxruntime.RunOptions()
        run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    except BaseException as exc:  # handed to the thread that reports it
        return exc
    return np, session, run_options


class PiperVoice:
    """A Piper voice on onnxruntime: phoneme symbols to float audio."""

    def __init__(self, model: str, config_file: str) -> None:
        with open(config_file, encoding="utf-8") as handle:
            config = json.load(handle)
        self.rate = int(config["audio"]["sample_rate"])
        self._ids: dict[str, list[int]] = config["phoneme_id_map"]
        inference = config.get("inference", {})
        self.noise_scale = float(inference.get("noise_scale", 0.667))
        self.length_scale = float(inference.get("length_scale", 1.0))
        self.noise_w = float(inference.get("noise_w", 0.8))
        # The model loads (~0.5 s, mostly in C++) while espeak-ng starts on this thread: on a
        # first run the load is the wait for the first words.
        loaded: list[Any] = []
        loader = threading.Thread(target=lambda: loaded.append(_load(model)), daemon=True)
        loader.start()
        self.phonemizer = Phonemizer(str(config.get("espeak", {}).get("voice", "en-us")))
        loader.join()
        if not loaded or isinstance(loaded[0], BaseException):
            raise loaded[0] if loaded else RuntimeError("the model did not load")
        self._np, self._session, self._run_options = loaded[0]

    def _phoneme_ids(self, phonemes: list[str]) -> list[int]:
        ids = [*self._ids[BOS], *self._ids[PAD]]
        for symbol in phonemes:
            known = self._ids.get(symbol)
            if known:  # a symbol the voice never learnt is skipped, as Piper does
                ids.extend(known)
                ids.extend(self._ids[PAD])
        ids.extend(self._ids[EOS])
        return ids

    def _infer(self, phonemes: list[str], length_scale: float) -> Any:
        np = self._np
        ids = np.array([self._phoneme_ids(phonemes)], dtype=np.int64)
        scales = np.array([self.noise_scale, length_scale, self.noise_w], dtype=np.float32)
        inputs = {
            "input": ids,
            "input_lengths": np.array([ids.shape[1]], dtype=np.int64),
            "scales": scales,
        }
        return self._session.run(None, inputs, self._run_options)[0].reshape(-1).astype(np.float32)

    def pieces(
        self, text: str, length_scale: float, first_seconds: float | None = None
    ) -> Iterator[bytes]:
        """The text as 16-bit PCM at self.rate, a piece at a time as each is rendered, so the
        first can play while the rest render. A sentence's first piece peaks at PEAK of full
        scale and its others keep that gain (lowered only where they would clip), so a
        sentence keeps one loudness; the pause between two sentences leads the second."""
        np = self._np
        pause = np.zeros(int(self.rate * PAUSE_BETWEEN_SENTENCES * length_scale), np.float32)
        per_symbol = SECONDS_PER_SYMBOL * length_scale
        limit = max(MIN_PIECE, int(MAX_PIECE_SECONDS / per_symbol))
        first = None if first_seconds is None else max(MIN_PIECE, int(first_seconds / per_symbol))
        for index, phonemes in enumerate(self.phonemizer.sentences(text)):
            gain = None
            cut_first = first if not index else None
            for number, piece in enumerate(split_long(phonemes, limit, cut_first)):
                audio = self._infer(piece, length_scale)
                peak = float(np.max(np.abs(audio))) if audio.size else 0.0
                if peak > 1e-6:
                    gain = PEAK / peak if gain is None else min(gain, PEAK / peak)
                    audio *= gain
                if index and not number:
                    audio = np.concatenate([pause, audio])
                yield bytes(np.clip(audio * 32767.0, -32767, 32767).astype("<i2").tobytes())


def _answer(out: BinaryIO, header: dict[str, Any], data: bytes = b"") -> None:
    out.write(json.dumps(header).encode() + b"\n" + data)
    out.flush()


def serve(model: str, config_file: str, stdin: BinaryIO, stdout: BinaryIO) -> int:
    try:
        voice = PiperVoice(model, config_file)
    except Exception as exc:  # any load failure is reported, then the parent falls back
        _answer(stdout, {"error": f"the natural voice did not load: {exc}"})
        return 1
    _answer(stdout, {"ready": True, "rate": voice.rate})
    for line in stdin:
        try:
            request = json.loads(line)
            scale = float(request.get("length_scale") or voice.length_scale)
            text = str(request["text"])
            # Each piece as soon as it is rendered, then an empty answer that ends the text.
            first = request.get("first_piece_seconds")
            first = float(first) if isinstance(first, (int, float)) else None
            for piece in voice.pieces(text, scale, first):
                _answer(stdout, {"rate": voice.rate, "bytes": len(piece), "more": True}, piece)
            _answer(stdout, {"rate": voice.rate, "bytes": 0, "more": False})
        except Exception as exc:  # one bad sentence must not end the voice
            _answer(stdout, {"error": f"{type(exc).__name__}: {exc}"})
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m nightvoice.sound.piper_worker MODEL.onnx MODEL.onnx.json")
        return 2
    import os

    # The protocol gets its own copy of stdout; fd 1 then points at stderr, so nothing a
    # library prints can corrupt the stream of PCM.
    protocol = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        return serve(argv[0], argv[1], sys.stdin.buffer, protocol)
    except (BrokenPipeError, KeyboardInterrupt):
        return 0  # the program has gone (or quit): nothing left to answer


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
