"""The audit trail: who changed what in a workspace, when, and from where.

An entry names its actor (a person, an API token, or whoever ran a command on the instance),
the action, the object it touched and a summary of what changed. Summaries hold settings,
names and ids, never a secret or a message's text: `summary_of` keeps only plain values and
drops any key that names a secret.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# Keys a summary never carries, whatever a caller passes: their values are secrets or texts.
_WITHHELD = ("password", "secret", "token", "key", "credential", "body", "text", "code")
LONGEST_SUMMARY_VALUE = 200


class ActorKind(StrEnum):
    PERSON = "person"
    TOKEN = "token"  # noqa: S105 (the kind of actor, not a secret)
    COMMAND_LINE = "command_line"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: `actor_id` is the agent's or the API token's id (None on the command line);
    `name` as it was at the time; `address` the web request's client address, if any."""

    kind: ActorKind
    actor_id: int | None
    name: str
    address: str | None = None


COMMAND_LINE = Actor(ActorKind.COMMAND_LINE, None, "command line")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change, as recorded. `object_id` is text: some objects are named, not numbered."""

    workspace_id: int
    actor: Actor
    action: str
    object_kind: str
    object_id: str | None
    summary: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditRow:
    """An entry as read back: with its id and time."""

    entry_id: int
    at: datetime
    actor_kind: ActorKind
    actor_id: int | None
    actor_name: str
    action: str
    object_kind: str
    object_id: str | None
    summary: Mapping[str, object]
    address: str | None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Narrowing the trail; None means any. `until` is exclusive."""

    actor_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def summary_of(**values: object) -> dict[str, object]:
    """A summary safe to keep: plain values only (long texts cut), secrets' keys dropped."""
    return {
        name: _plain(value)
        for name, value in values.items()
        if not any(word in name.lower() for word in _WITHHELD)
    }


def _plain(value: object) -> object:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value[:LONGEST_SUMMARY_VALUE]
    if isinstance(value, Mapping):
        return summary_of(**{str(k): v for k, v in value.items()})
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_plain(item) for item in list(items)[:50]]
    return str(value)[:LONGEST_SUMMARY_VALUE]


def row_hash(previous: bytes | None, entry: AuditEntry, at: datetime, entry_id: int) -> bytes:
    """The hash that chains a row to the one before it in its workspace: any row removed or
    altered later no longer matches the hash its successor carries."""
    canonical = json.dumps(
        [
            entry.workspace_id,
            entry_id,
            at.isoformat(),
            entry.actor.kind.value,
            entry.actor.actor_id,
            entry.actor.name,
            entry.action,
            entry.object_kind,
            entry.object_id,
            entry.summary,
            entry.actor.address,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256((previous or b"") + canonical.encode()).digest()
