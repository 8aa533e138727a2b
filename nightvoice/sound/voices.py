"""Voice names: the one list `nightvoice voices` prints and the one resolver every path uses.

`--voice`, `config set voice` and a routine's `voice:` all end here, so a name `voices` shows is
accepted everywhere and nowhere else. Each voice has one short name (espeak-ng's file name:
`en-gb-scotland`); its long name (`English (Scotland)`) and espeak-ng's identifier
(`gmw/en-GB-scotland`) are accepted too, in any case, with `_` for `-`. An espeak-ng variant is
added with `+` (`en+f3`, `en-gb-scotland+klatt`). A second engine adds its rows with its own
`engine` column value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nightvoice.core.errors import ConfigError, shown

ESPEAK = "espeak-ng"


@dataclass(frozen=True)
class VoiceInfo:
    name: str  # the engine's long name ("English (Scotland)")
    languages: tuple[str, ...]
    gender: str | None = None  # "male", "female" or None when the engine does not say
    identifier: str = ""  # the engine's own id ("gmw/en-GB-scotland")


@dataclass(frozen=True)
class VoiceName:
    """One row of `nightvoice voices`: the name to type, and what the engine is given."""

    name: str  # what --voice, `config set voice` and `voice:` take ("en-gb-scotland")
    engine: str
    languages: tuple[str, ...]
    description: str  # the engine's long name
    target: str  # what the engine selects it by


def _key(text: str) -> str:
    return " ".join(text.split()).lower().replace("_", "-")


def short_name(info: VoiceInfo) -> str:
    """espeak-ng's file name, lower-cased: `gmw/en-GB-scotland` -> `en-gb-scotland`."""
    base = (info.identifier or info.name).rsplit("/", 1)[-1]
    return _key(base).replace(" ", "-")


@dataclass
class VoiceCatalog:
    """The installed voices (and espeak-ng's variants) by every name they are known by."""

    voices: list[VoiceName]
    variants: dict[str, str] = field(default_factory=dict)  # short name -> engine's file name

    @classmethod
    def from_engine(
        cls, infos: list[VoiceInfo], variants: Sequence[str] = (), engine: str = ESPEAK
    ) -> VoiceCatalog:
        rows = [
            VoiceName(
                name=short_name(info),
                engine=engine,
                languages=info.languages,
                description=info.name,
                target=info.identifier or info.name,
            )
            for info in infos
        ]
        rows.sort(key=lambda row: row.name)
        return cls(rows, {_key(v).replace(" ", "-"): v for v in variants})

    def _by_key(self) -> dict[str, VoiceName]:
        found: dict[str, VoiceName] = {}
        for row in self.voices:  # short names win over long names and identifiers
            for alias in (row.target, row.description):
                found.setdefault(_key(alias), row)
        found.update({row.name: row for row in self.voices})
        return found

    def resolve(self, text: str) -> VoiceName:
        """The voice `text` names, with its variant, or ConfigError saying what does exist."""
        base, plus, variant = text.strip().partition("+")
        row = self._by_key().get(_key(base))
        if row is None:
            raise ConfigError(
                f"there is no voice named `{shown(base.strip())}`"
                f"{_suggest(_key(base), self.names())} "
                "(`nightvoice voices` lists the names to use)"
            )
        if not plus:
            return row
        if row.engine != ESPEAK:  # the variants are espeak-ng's own: no other voice has them
            raise ConfigError(
                f"the voice `{row.name}` has no variants: `+{shown(variant.strip())}` is for "
                f"espeak-ng's voices; write `{row.name}` alone"
            )
        wanted = _key(variant).replace(" ", "-")
        if wanted not in self.variants:
            raise ConfigError(
                f"there is no voice variant `{shown(variant.strip())}`"
                f"{_suggest(wanted, sorted(self.variants))} (`nightvoice voices` lists them "
                f"after the voices; write it as {row.name}+VARIANT)"
            )
        return VoiceName(
            name=f"{row.name}+{wanted}",
            engine=row.engine,
            languages=row.languages,
            description=f"{row.description} + {self.variants[wanted]}",
            target=f"{row.target}+{self.variants[wanted]}",
        )

    def language_hint(self, language: str) -> str:
        """`; did you mean `en-gb`?` for a language no voice speaks ("" if none is close)."""
        from nightvoice.core.suggest import close_names

        spoken = sorted({lang for row in self.voices for lang in row.languages})
        hint = _suggest(_key(language), spoken)
        if hint:
            return hint
        # By its name in English, as a person would guess it: `english` -> `en`.
        by_name: dict[str, str] = {}
        for row in self.voices:  # "English (Great Britain)" is english
            if row.languages:
                by_name.setdefault(_key(row.description.split("(")[0]), row.languages[0])
        close = close_names(_key(language), list(by_name), most=1)
        return f"; did you mean `{by_name[close[0]]}` ({close[0]})?" if close else ""

    def names(self) -> list[str]:
        return [row.name for row in self.voices]


def _suggest(word: str, choices: list[str]) -> str:
    from nightvoice.core.suggest import did_you_mean

    return did_you_mean(word, choices)
