"""The record the team keeps about a customer, and the decisions about one person across
networks: how strong the evidence that two customers are one person is, and what a merge
keeps when both records say something different. Pure: no I/O, no clock."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Literal

from inbox.domain.errors import ConfigurationError, ConflictError
from inbox.domain.text import is_storable

LANGUAGE = re.compile(r"[a-z]{2,3}")
MAX_TAGS = 20
MAX_TAG = 40
MAX_CRM_ID = 100
MAX_REASON = 500


class Strength(IntEnum):
    """How sure the evidence makes us; the order is the comparison."""

    WEAK = 1
    STRONG = 2
    CERTAIN = 3

    @property
    def word(self) -> str:
        return self.name.lower()


class EvidenceKind(StrEnum):
    SAME_HANDLE = "same_handle"  # the same handle on two networks: anyone may take a name
    PROFILE_LINK = "profile_link"  # one profile links to the other (fields, site, domain)
    SAME_EMAIL = "same_email"  # given in private messages by both
    SAME_PHONE = "same_phone"
    SAME_CRM_ID = "same_crm_id"  # the CRM already says they are one

    @property
    def strength(self) -> Strength:
        return STRENGTHS[self]

    @property
    def words(self) -> str:
        """The evidence as the pages say it, before what matched."""
        return EVIDENCE_WORDS[self]


STRENGTHS = {
    EvidenceKind.SAME_HANDLE: Strength.WEAK,
    EvidenceKind.PROFILE_LINK: Strength.STRONG,
    EvidenceKind.SAME_EMAIL: Strength.STRONG,
    EvidenceKind.SAME_PHONE: Strength.STRONG,
    EvidenceKind.SAME_CRM_ID: Strength.CERTAIN,
}
EVIDENCE_WORDS = {
    EvidenceKind.SAME_HANDLE: "same handle",
    EvidenceKind.PROFILE_LINK: "a profile links to",
    EvidenceKind.SAME_EMAIL: "same e-mail in private messages",
    EvidenceKind.SAME_PHONE: "same phone number in private messages",
    EvidenceKind.SAME_CRM_ID: "same CRM id",
}
# What a workspace may accept as enough to merge without a person: never a handle (a name).
AUTO_MERGEABLE = frozenset(kind for kind, s in STRENGTHS.items() if s >= Strength.STRONG)
DEFAULT_AUTO_MERGE = frozenset({EvidenceKind.SAME_CRM_ID})


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason to think customers `first` and `second` (first < second) are one person;
    `detail` says what matched, for the person who decides (untrusted network text)."""

    first: int
    second: int
    kind: EvidenceKind
    detail: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Two customers that may be one person, with every piece of evidence found."""

    first: int
    second: int
    evidence: tuple[Evidence, ...]

    @property
    def strength(self) -> Strength:
        return max(e.kind.strength for e in self.evidence)

    def other(self, customer_id: int) -> int:
        return self.second if customer_id == self.first else self.first

    def mergeable_by_itself(self, accepted: frozenset[EvidenceKind]) -> bool:
        """Whether the workspace merges these without a person: some evidence of a kind it
        accepts (and only kinds that may be accepted at all)."""
        return any(e.kind in accepted and e.kind in AUTO_MERGEABLE for e in self.evidence)


def suggestions(evidence: Iterable[Evidence]) -> list[Suggestion]:
    """The evidence grouped by pair of customers, strongest pair first."""
    pairs: dict[tuple[int, int], list[Evidence]] = {}
    for item in evidence:
        if item.first == item.second:
            continue
        key = (min(item.first, item.second), max(item.first, item.second))
        found = pairs.setdefault(key, [])
        if all((e.kind, e.detail) != (item.kind, item.detail) for e in found):
            found.append(item)
    grouped = [Suggestion(a, b, tuple(sorted(e, key=_by_strength))) for (a, b), e in pairs.items()]
    return sorted(grouped, key=lambda s: (-s.strength, s.first, s.second))


def _by_strength(evidence: Evidence) -> tuple[int, str, str]:
    return (-evidence.kind.strength, evidence.kind.value, evidence.detail)


def accepted_auto_merge(kinds: Iterable[str]) -> frozenset[EvidenceKind]:
    """A workspace's setting checked: only strong evidence may merge by itself."""
    accepted: set[EvidenceKind] = set()
    for kind in kinds:
        try:
            evidence = EvidenceKind(kind)
        except ValueError:
            raise ConfigurationError(
                "auto_merge", f"{kind!r} is not evidence; one of {sorted(AUTO_MERGEABLE)}"
            ) from None
        if evidence not in AUTO_MERGEABLE:
            raise ConfigurationError("auto_merge", f"{kind} is too weak to merge without a person")
        accepted.add(evidence)
    return frozenset(accepted)


# --- The record ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordFields:
    """What the team sets on a customer; `owner_agent_id`: the agent who follows them."""

    vip: bool = False
    owner_agent_id: int | None = None
    crm_id: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None


MergeField = Literal["vip", "owner", "crm_id", "language"]
MERGE_FIELDS: tuple[MergeField, ...] = ("vip", "owner", "crm_id", "language")
Side = Literal["kept", "other"]
# Given the kept and the other record, the record after the merge (see `merged_fields`).
Decide = Callable[["RecordFields", "RecordFields"], "RecordFields"]
# Given a record, the record once an edit is applied.
Patch = Callable[["RecordFields"], "RecordFields"]


class MergeConflictError(ConflictError):
    """Both records say something different and nobody chose; `fields` names them."""

    def __init__(self, fields: tuple[MergeField, ...]) -> None:
        super().__init__(
            f"both customers differ on {', '.join(fields)}: choose which to keep for each"
        )
        self.fields = fields


def _value(record: RecordFields, name: MergeField) -> object:
    return record.owner_agent_id if name == "owner" else getattr(record, name)


def conflicts(kept: RecordFields, other: RecordFields) -> tuple[MergeField, ...]:
    """The fields both records set to different values (VIP: when only one is VIP)."""
    found: list[MergeField] = []
    for name in MERGE_FIELDS:
        mine, theirs = _value(kept, name), _value(other, name)
        both_set = name == "vip" or (mine is not None and theirs is not None)
        if both_set and mine != theirs:
            found.append(name)
    return tuple(found)


def merged_fields(
    kept: RecordFields, other: RecordFields, choices: Mapping[str, str]
) -> RecordFields:
    """The record after folding `other` into `kept`: a value only one of them has is kept;
    where both differ, the choice says which (refused when it is missing); tags are joined."""
    missing = tuple(f for f in conflicts(kept, other) if choices.get(f) not in ("kept", "other"))
    if missing:
        raise MergeConflictError(missing)

    def pick(name: MergeField) -> object:
        mine, theirs = _value(kept, name), _value(other, name)
        if choices.get(name) == "other" or (mine is None and name != "vip"):
            return theirs
        return mine

    owner, crm_id, language = pick("owner"), pick("crm_id"), pick("language")
    return RecordFields(
        vip=bool(pick("vip")),
        owner_agent_id=owner if isinstance(owner, int) else None,
        crm_id=crm_id if isinstance(crm_id, str) else None,
        tags=tuple(dict.fromkeys((*kept.tags, *other.tags))),
        language=language if isinstance(language, str) else None,
    )


def checked_tags(raw: Iterable[str]) -> tuple[str, ...]:
    tags = tuple(dict.fromkeys(t.strip().casefold() for t in raw if t.strip()))
    if len(tags) > MAX_TAGS:
        raise ConfigurationError("tags", f"at most {MAX_TAGS}")
    for tag in tags:
        if len(tag) > MAX_TAG or not is_storable(tag) or not tag.isprintable():
            raise ConfigurationError("tags", f"{tag[:MAX_TAG]!r}: at most {MAX_TAG} characters")
    return tags


def checked_language(raw: str | None) -> str | None:
    text = (raw or "").strip().lower()
    if text and not LANGUAGE.fullmatch(text):
        raise ConfigurationError("language", "a 2 or 3 letter code (fr, en, deu)")
    return text or None


def checked_crm_id(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if len(text) > MAX_CRM_ID or not is_storable(text) or not text.isprintable():
        raise ConfigurationError("crm_id", f"printable text of at most {MAX_CRM_ID} characters")
    return text or None


def checked_reason(raw: str) -> str:
    text = raw.strip()
    if not text or len(text) > MAX_REASON or not is_storable(text):
        raise ConfigurationError("reason", f"say why, in at most {MAX_REASON} characters")
    return text


# --- What is read back -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordIdentity:
    id: int
    network: str
    external_user_id: str
    handle: str | None
    display_name: str | None


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: int
    display_name: str | None
    fields: RecordFields
    owner_name: str | None
    owner_email: str | None
    identities: tuple[RecordIdentity, ...]
    merged_into_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerThread:
    """One thread of the customer's, on any of their networks, as the history lists it."""

    id: int
    network: str
    status: str
    excerpt: str
    opened_at: datetime
    last_inbound_at: datetime | None
    handle: str | None


@dataclass(frozen=True, slots=True)
class CustomerChange:
    """A merge or a split, as recorded."""

    id: int
    kind: Literal["merge", "split"]
    customer_id: int
    other_customer_id: int
    identity_ids: tuple[int, ...]
    thread_ids: tuple[int, ...]
    evidence: str
    done_by: str
    reason: str
    created_at: datetime
    undone_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One line of a CSV import: who (network and handle or external id) and what to set;
    None leaves a field as it is."""

    line: int
    network: str
    handle: str | None
    external_id: str | None
    crm_id: str | None = None
    vip: bool | None = None
    owner_email: str | None = None
    tags: tuple[str, ...] | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class ImportChange:
    """What one row changes on one customer: field name to (before, after)."""

    line: int
    customer_id: int
    changes: dict[str, tuple[object, object]] = field(default_factory=dict)
