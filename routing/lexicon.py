"""The lexicons a classifier uses: those shipped (English, French) and a workspace's additions.

A workspace extends them in JSON:

    {"cues": {"fr": {"complaint": ["c'est la cata"], "outage": {"plus de tonalite": 1}}},
     "topics": {"roaming": ["roaming", "itinerance", "etranger"]},
     "large_audience": 10000, "very_large_audience": 100000}

A list gives its phrases a weight of 2 (a workspace adds a cue because it means something);
an object gives each phrase its own weight. Topics apply whatever the language.

Additions are bounded (phrases of at most `MAX_PHRASE_CHARACTERS`, `MAX_ADDED_PHRASES` in all,
finite weights): each phrase is a candidate wherever its first word appears, so the cost of
reading a message grows with them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from routing import lexicon_en, lexicon_fr
from routing.cues import Cue, CueIndex

SHIPPED: dict[str, tuple[dict[str, dict[float, tuple[str, ...]]], dict[str, tuple[str, ...]]]] = {
    "en": (lexicon_en.CUES, lexicon_en.TOPICS),
    "fr": (lexicon_fr.CUES, lexicon_fr.TOPICS),
}
GROUPS = frozenset(
    {"complaint", "question", "praise", "spam", "negator", "conditional", "outage", "churn",
     "safety", "legal", "resolved"}
)  # fmt: skip
WORKSPACE_WEIGHT = 2.0
MAX_PHRASE_CHARACTERS = 100  # the longest shipped phrase has 29
MAX_ADDED_PHRASES = 2_000  # about the size of the shipped lexicons together
MAX_WEIGHT = 10.0  # shipped cues weigh 0.5 to 2

Phrase = Annotated[str, StringConstraints(max_length=MAX_PHRASE_CHARACTERS)]
Weight = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_WEIGHT, le=MAX_WEIGHT)]


class LexiconExtension(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cues: dict[str, dict[str, list[Phrase] | dict[Phrase, Weight]]] = Field(default_factory=dict)
    topics: dict[str, list[Phrase]] = Field(default_factory=dict)
    large_audience: int = Field(default=10_000, ge=1)
    very_large_audience: int = Field(default=100_000, ge=1)

    @field_validator("cues")
    @classmethod
    def _known_groups(
        cls, value: dict[str, dict[str, list[str] | dict[str, float]]]
    ) -> dict[str, dict[str, list[str] | dict[str, float]]]:
        for language, groups in value.items():
            if language not in SHIPPED:
                raise ValueError(f"cues: no lexicon for {language!r}; use {sorted(SHIPPED)}")
            unknown = set(groups) - GROUPS
            if unknown:
                raise ValueError(
                    f"cues.{language}: unknown groups {sorted(unknown)}; use {sorted(GROUPS)}"
                )
        return value

    @field_validator("topics")
    @classmethod
    def _named_topics(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name in value:
            if not name.strip() or ":" in name:
                raise ValueError(f"topic name {name!r} must be a non-empty word without ':'")
        return value

    @model_validator(mode="after")
    def _bounded(self) -> LexiconExtension:
        added = sum(len(phrases) for groups in self.cues.values() for phrases in groups.values())
        added += sum(len(phrases) for phrases in self.topics.values())
        if added > MAX_ADDED_PHRASES:
            raise ValueError(f"{added} phrases added; at most {MAX_ADDED_PHRASES}")
        return self


class Lexicon:
    """Compiled cue indexes: one per language, and one for languages it does not know."""

    def __init__(self, extension: LexiconExtension | None = None) -> None:
        self.extension = extension or LexiconExtension()
        self.languages = tuple(SHIPPED)
        self._indexes = {language: CueIndex(self._cues(language)) for language in (*SHIPPED, "*")}

    def index(self, language: str | None) -> CueIndex:
        return self._indexes.get(language or "*", self._indexes["*"])

    def language_index(self, language: str) -> CueIndex:
        return self._indexes[language]

    def _cues(self, language: str) -> Iterator[Cue]:
        languages = SHIPPED if language == "*" else (language,)
        for name in languages:
            cues, topics = SHIPPED[name]
            yield from _weighted(cues)
            for topic, phrases in topics.items():
                yield from (Cue(p, f"topic:{topic}") for p in phrases)
            for group, added in self.extension.cues.get(name, {}).items():
                yield from _added(group, added)
        for topic, added_phrases in self.extension.topics.items():
            yield from (Cue(p, f"topic:{topic}") for p in added_phrases)


def _weighted(cues: Mapping[str, Mapping[float, tuple[str, ...]]]) -> Iterator[Cue]:
    for group, by_weight in cues.items():
        for weight, phrases in by_weight.items():
            yield from (Cue(p, group, weight) for p in phrases)


def _added(group: str, added: list[str] | dict[str, float]) -> Iterator[Cue]:
    if isinstance(added, list):
        yield from (Cue(p, group, WORKSPACE_WEIGHT) for p in added)
    else:
        yield from (Cue(p, group, w) for p, w in added.items())
