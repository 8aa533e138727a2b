"""A routine as text for daytime reading: every step with its time and a total."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `list` needs only clock_time: not the planner's import time
    from nightvoice.core.plan import Entry, Plan
    from nightvoice.core.planner import SpeechSeconds
    from nightvoice.core.routine import Routine


# How `show` names the voice of a line said in another language than the routine's.
_LANGUAGES = {"en": "in English, by an English voice"}


def clock_time(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def estimated_timeline(plan: Plan) -> list[Entry]:
    from nightvoice.core.planner import estimate_speech_seconds, timeline

    rate = plan.settings.rate
    return timeline(plan, lambda text, _language: estimate_speech_seconds(text, rate))


def describe(routine: Routine, plan: Plan, speech_seconds: SpeechSeconds | None = None) -> str:
    """`speech_seconds` gives each sentence's real length (the export's); else an estimate."""
    from nightvoice.core.planner import timeline, total_seconds

    entries = timeline(plan, speech_seconds) if speech_seconds else estimated_timeline(plan)
    lines = [routine.title, "=" * len(routine.title)]
    if routine.description:
        lines += ["", routine.description]
    if routine.ask:
        choices = ", ".join(f"{key} = {value}" for key, value in routine.ask.choices.items())
        lines += [
            "",
            f'First it asks: "{routine.ask.say}" ({choices}; '
            f"after {routine.ask.timeout:g} s: {routine.ask.default})",
        ]
    settings = plan.settings
    lines += [
        "",
        f"Voice: {settings.voice or settings.language}, {settings.rate} words a minute, "
        f"volume {settings.volume:g}",
        "",
    ]
    titles = {step.number: step for step in plan.steps}
    section = ""
    for entry in entries:
        step = titles[entry.step]
        if step.section != section and step.section:
            section = step.section
            lines += ["", f"  {section}"]
        at = clock_time(entry.offset)
        # A phrase said by another language's voice (an untranslated one) says so.
        voice = f" ({_LANGUAGES.get(entry.language, entry.language)})" if entry.language else ""
        if entry.kind == "say":
            lines.append(f"  {at}  {entry.text}{voice}")
        elif entry.kind == "cue":
            lines.append(f"  {at}      “{entry.text}”{voice}")
        elif entry.kind == "hold":
            lines.append(f"  {at}    {entry.text} {entry.duration:g} s")
        elif entry.kind == "wait":
            lines.append(f"  {at}    wait for a key (hands-free: {entry.duration:g} s)")
        elif entry.kind == "until-eased":
            lines.append(f"  {at}    hold until it eases (Enter), at most {entry.duration:g} s")
        elif entry.kind == "chime":
            lines.append(f"  {at}    ♪")
    lines += ["", f"Total: about {clock_time(total_seconds(entries))} (holds to their maximum)"]
    if routine.safety:
        lines += ["", f"Safety: {routine.safety}"]
    return "\n".join(lines)
