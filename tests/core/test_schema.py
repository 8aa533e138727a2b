"""The published JSON Schema: valid itself, accepts every built-in routine, rejects bad ones.

Also checks that the built-in routines stay calm: short sentences, a spoken doctor note in
each relief routine, and no advice to walk a cramp off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "nightvoice" / "schema" / "routine-v1.schema.json"
SCRIPTS = sorted((ROOT / "scripts").glob("*.yaml"))
RELIEF = ("calf-cramp", "foot-cramp", "thigh-cramp", "thigh-cramp-front")
MAX_WORDS = 25


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def spoken(routine: dict[str, Any]) -> Iterator[str]:
    """Every text the routine speaks aloud."""
    if "ask" in routine:
        yield routine["ask"]["say"]
    yield from _spoken_steps(routine["steps"])


def _spoken_steps(steps: list[Any]) -> Iterator[str]:
    for step in steps:
        if isinstance(step, str):
            yield step
            continue
        if isinstance(step.get("say"), str):
            yield step["say"]
        if "steps" in step:
            yield from _spoken_steps(step["steps"])
        release = step.get("cues", {}).get("release")
        if isinstance(release, str):
            yield release
        if "until_eased" in step:
            yield step["until_eased"].get("check_in", "")
        yield from step.get("breathe", {}).get("words", {}).values()


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/routine-v1.schema.json")


def test_every_property_has_editor_help() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    missing = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if "$ref" not in prop and not ("title" in prop and "description" in prop):
                    missing.append(f"{where}/{name}")
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    walk(schema, "#")
    assert missing == []


def test_the_built_in_routines_are_all_there() -> None:
    names = {path.stem for path in SCRIPTS}
    assert {
        "calf-cramp",
        "foot-cramp",
        "thigh-cramp",
        "bedtime-stretches",
        "aftercare",
        "calm-breathing",
    } <= names


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_built_in_routine_matches_the_schema(path: Path, validator: Draft202012Validator) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(load(path))]
    assert errors == []


def test_every_step_kind_appears_in_the_built_ins() -> None:
    seen: set[str] = set()

    def walk(steps: list[Any]) -> None:
        for step in steps:
            if isinstance(step, str):
                seen.add("string")
                continue
            seen.update(step)
            seen.update(f"cues.{key}" for key in step.get("cues", {}))
            if "steps" in step:
                walk(step["steps"])

    for path in SCRIPTS:
        routine = load(path)
        seen.update(f"top.{key}" for key in routine)
        walk(routine["steps"])
    wanted = {
        "string",
        "say",
        "title",
        "chime",
        "pause",
        "hold",
        "rest",
        "breathe",
        "wait_for_key",
        "until_eased",
        "section",
        "repeat",
        "each_side",
        "cues.count",
        "cues.halfway",
        "cues.countdown",
        "cues.release",
        "top.ask",
        "top.safety",
        "top.log_episode",
        "top.chime",
    }
    assert wanted - seen == set()


VALID = {"nightvoice": 1, "title": "T", "steps": ["Hello."]}


def with_steps(*steps: Any) -> dict[str, Any]:
    return {**VALID, "steps": list(steps)}


INVALID = {
    "unknown top-level key": {**VALID, "titel": "T"},
    "unknown step key": with_steps({"say": "Hi.", "holt": 5}),
    "negative hold": with_steps({"say": "Hold.", "hold": -5}),
    "zero pause": with_steps({"say": "Wait.", "pause": 0}),
    "hold too long": with_steps({"hold": 3601}),
    "two actions in one step": with_steps({"say": "Hi.", "hold": 5, "pause": 2}),
    "missing title": {"nightvoice": 1, "steps": ["Hello."]},
    "missing steps": {"nightvoice": 1, "title": "T"},
    "missing version": {"title": "T", "steps": ["Hello."]},
    "version 2": {**VALID, "nightvoice": 2},
    "version as text": {**VALID, "nightvoice": "1"},
    "volume 1.5": {**VALID, "volume": 1.5},
    "rate too slow": {**VALID, "rate": 40},
    "cues on a pause": with_steps({"say": "Hi.", "pause": 3, "cues": {"halfway": True}}),
    "cues without a hold": with_steps({"say": "Hi.", "cues": {"count": 5}}),
    "countdown over 10": with_steps({"hold": 30, "cues": {"countdown": 11}}),
    "empty steps": {**VALID, "steps": []},
    "empty container steps": with_steps({"section": "A", "steps": []}),
    "empty leaf": with_steps({}),
    "chime only": with_steps({"chime": False}),
    "blank sentence": with_steps("   "),
    "repeat zero": with_steps({"repeat": 0, "steps": ["Hi."]}),
    "repeat with say": with_steps({"repeat": 2, "say": "Hi.", "steps": ["Hi."]}),
    "each_side false": with_steps({"each_side": False, "steps": ["Hi."]}),
    "section and repeat": with_steps({"section": "A", "repeat": 2, "steps": ["Hi."]}),
    "breathe without times": with_steps({"breathe": {"in": 4, "out": 6}}),
    "until_eased without max": with_steps({"until_eased": {"every": 10}}),
    "until_eased too long": with_steps({"until_eased": {"max": 601}}),
    "wait_for_key false": with_steps({"say": "Hi.", "wait_for_key": False}),
    "a say over 1000 characters": with_steps({"say": "a" * 1001}),
    "a sentence over 1000 characters": {**VALID, "steps": ["a" * 1001]},
    "a description over 4000 characters": {**VALID, "description": "a" * 4001},
    "counting every half second": with_steps({"hold": 30, "cues": {"count": 0.5}}),
    "over 1000 steps as written": {**VALID, "steps": ["Hi."] * 1001},
    "ask with one choice": {
        **VALID,
        "ask": {"name": "side", "say": "Which?", "choices": {"l": "left"}, "default": "left"},
    },
    "ask with a long key": {
        **VALID,
        "ask": {
            "name": "side",
            "say": "Which?",
            "choices": {"left": "left", "r": "right"},
            "default": "left",
        },
    },
    "ask name not a word": {
        **VALID,
        "ask": {
            "name": "my side",
            "say": "Which?",
            "choices": {"l": "left", "r": "right"},
            "default": "left",
        },
    },
}


@pytest.mark.parametrize("document", INVALID.values(), ids=INVALID.keys())
def test_invalid_document_is_rejected(document: Any, validator: Draft202012Validator) -> None:
    assert not validator.is_valid(document)


def test_a_small_valid_document_is_accepted(validator: Draft202012Validator) -> None:
    document = {
        **VALID,
        "ask": {
            "name": "side",
            "say": "Which leg?",
            "choices": {"l": "left", "r": "right"},
            "default": "left",
        },
        "steps": [
            "Hello.",
            {"title": "Only a title"},
            {"say": "Hold.", "hold": 30, "cues": {"halfway": True, "release": False}},
            {"rest": 10, "cues": {"count": 5}},
            {"breathe": {"in": 4, "out": 6, "times": 3}},
            {"wait_for_key": True},
            {"until_eased": {"max": 60}},
            {"section": "S", "say": "Now.", "steps": [{"repeat": 2, "steps": ["Round {round}."]}]},
            {"each_side": True, "steps": ["{side}, then {other_side}."]},
        ],
    }
    assert validator.is_valid(document)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_built_in_sentences_are_short(path: Path) -> None:
    long = [s for text in spoken(load(path)) for s in sentences(text) if len(s.split()) > MAX_WORDS]
    assert long == []


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_built_in_routine_is_slow_and_quiet(path: Path) -> None:
    routine = load(path)
    assert 110 <= routine["rate"] <= 140
    assert 0.5 <= routine["volume"] <= 0.7
    assert routine["safety"].strip()


@pytest.mark.parametrize("name", RELIEF)
def test_relief_routine_speaks_the_safety_note_at_the_end(name: str) -> None:
    routine = load(ROOT / "scripts" / f"{name}.yaml")
    assert routine["log_episode"] is True
    assert "doctor" in routine["safety"]
    last_section = list(spoken({"steps": routine["steps"][-1:]}))
    assert any("doctor" in text for text in last_section)
    assert any("not medical advice" in text for text in last_section)


def test_calf_cramp_never_tells_you_to_walk() -> None:
    routine = load(ROOT / "scripts" / "calf-cramp.yaml")
    # "Do not walk on it" is fine; any other mention of walking is advice to walk.
    unnegated = re.compile(r"(?<!not )(?<!never )(?<!don't )\bwalk", re.IGNORECASE)
    assert any("walk" in text.lower() for text in spoken(routine))  # it does warn against it
    assert [text for text in spoken(routine) if unnegated.search(text)] == []


@pytest.mark.parametrize("count", [0, 1, 2.5])
def test_the_limits_in_the_schema_let_real_values_through(
    count: float, validator: Draft202012Validator
) -> None:
    document = {**VALID, "steps": [{"hold": 30, "cues": {"count": count}}, "a" * 1000]}
    assert validator.is_valid(document)
