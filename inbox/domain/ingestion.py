"""What a connector hands to ingestion: a batch of mentions, its rejects and its cursor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from inbox.domain.errors import InboxError
from inbox.domain.mention import Mention
from inbox.domain.sla import TimelineEntry


class ConnectorCursor(BaseModel):
    """How far a connector has read; saved in the transaction of the mentions it covers."""

    model_config = ConfigDict(frozen=True)

    connector: str
    position: str
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RejectedPayload:
    """A payload that could not become a mention: kept whole, with the reason."""

    source: str
    raw: bytes
    error: str


class UnstorableBatchError(InboxError):
    """The database refused a batch for a value in it (the DataError family: a number, a date
    or a text it cannot hold). Ingestion then splits the batch to find the message at fault;
    `reason` is the database's own message, kept as that message's quarantine error."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the database cannot store a value of this batch: {reason}")
        self.reason = reason


class QuarantinedPayload(BaseModel):
    model_config = ConfigDict(frozen=True)

    workspace_id: int
    id: int
    source: str
    raw: bytes
    error: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class NetworkDeletion:
    """A post its author deleted on the network, as a connector saw it: its text goes."""

    network: str
    external_id: str


@dataclass(frozen=True, slots=True)
class IngestBatch:
    mentions: Sequence[Mention]
    rejected: Sequence[RejectedPayload] = ()
    cursor: ConnectorCursor | None = None
    # Applied after the batch's mentions, in its transaction: a post stored and deleted in
    # the same batch is stored without its text.
    deletions: Sequence[NetworkDeletion] = ()


@dataclass(frozen=True, slots=True)
class NewThreadTimeline:
    """The messages a batch wrote into a thread it created, oldest first, and the language of
    the first customer message among them: that thread's whole timeline, since nothing else
    can have written to a thread that did not exist before the batch took the workspace's
    lock. SLA clocks start from it without reading the messages back."""

    messages: list[TimelineEntry]
    language: str | None


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one batch changed. Counts are of rows actually written (duplicates excluded)."""

    mentions_added: int
    duplicates: int
    quarantined: int
    threads_created: int
    threads_reopened: int
    customers_created: int
    changed_thread_ids: frozenset[int] = field(default_factory=frozenset)
    # Of those, the threads this batch created (they have no history: no clocks to look up).
    created_thread_ids: frozenset[int] = field(default_factory=frozenset)
    # The (network, external id) of each message written now: whose they were, when batches
    # of several callers were written together.
    added_keys: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    # The (network, external id) of each message of the batch quarantined rather than stored
    # (it broke a payload limit, or the database refused it); counted in `quarantined`.
    quarantined_keys: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    # The newest `created_at` of the messages written now, as stored: a date the payload
    # limits did not believe is the arrival's. What a channel's health reads (never the
    # network's claim, which a forged post sets to any year). None when none was written.
    newest_added_at: datetime | None = None
    # Of the threads this batch created, the timelines it wrote, for the clocks of its
    # transaction; a thread that took in posts kept unthreaded is not among them (those are
    # read back). Data for the batch's hooks, not a figure of the batch: left out of equality.
    new_thread_timelines: Mapping[int, NewThreadTimeline] = field(
        default_factory=dict, compare=False, repr=False
    )
    # The customers this batch created (a new identity each), for what follows the commit
    # (merging one with a customer it certainly is); left out of equality, as the count is in.
    created_customer_ids: frozenset[int] = field(default_factory=frozenset, compare=False)
