"""In memory, what ingestion's unit of work writes: threads, clocks, assignments, incidents.

`FakeIngestStore.batch_transaction` opens a `FakeIngestUnitOfWork` on a copy of the store's
`InMemoryInbox`; the copy replaces the store's state when the block ends without an error
(committed), and is dropped otherwise (rolled back), as PostgreSQL would. Each unit of work
records which of the two happened to it, like cosmicpython's FakeUnitOfWork.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from inbox.domain.incidents import ComplaintCount
from inbox.domain.ingestion import (
    ConnectorCursor,
    IngestBatch,
    IngestResult,
    NetworkDeletion,
    NewThreadTimeline,
    RejectedPayload,
    UnstorableBatchError,
)
from inbox.domain.mention import Direction, Mention
from inbox.domain.sla import StoredClock, TimelineEntry
from inbox.domain.threading import place_in_threads
from inbox.ports.incidents import SeriesCount
from inbox.ports.ingest import MentionClassification, StagedRows
from routing.snapshot import Assignment
from tests.fakes.clocks import FakeClockWriter
from tests.fakes.routing import FakeRoutingWriter, RoutingSetup


@dataclass
class FakeThread:
    """A thread row and its messages, as the clocks and routing read them."""

    id: int
    network: str
    key: str
    kind: str = "unclassified"
    priority: str = "normal"
    language: str | None = None
    topics: frozenset[str] = frozenset()
    status: str = "new"
    team_id: int | None = None
    assignee_id: int | None = None
    tags: frozenset[str] = frozenset()
    last_text: str = ""
    last_inbound_at: datetime | None = None
    last_answered_at: datetime | None = None
    # Oldest first: messages, and closures without an answer (`closes`).
    timeline: list[TimelineEntry] = field(default_factory=list)

    def copy(self) -> FakeThread:
        return replace(self, timeline=list(self.timeline))


@dataclass
class InMemoryInbox:
    """What the database holds, for the parts ingestion's unit of work writes."""

    threads: dict[int, FakeThread] = field(default_factory=dict)
    # (network, external id) -> thread id
    mentions: dict[tuple[str, str], int] = field(default_factory=dict)
    quarantine: list[RejectedPayload] = field(default_factory=list)
    cursors: dict[str, str] = field(default_factory=dict)
    notified: list[frozenset[int]] = field(default_factory=list)
    clocks: dict[tuple[int, str, datetime], StoredClock] = field(default_factory=dict)
    closures: list[tuple[int, str, str]] = field(default_factory=list)  # thread, reason, by
    acknowledgements: list[tuple[int, str, str]] = field(default_factory=list)
    assignments: list[tuple[str, Assignment]] = field(default_factory=list)  # source, decision
    rules_fired: dict[str, int] = field(default_factory=dict)
    incident_links: list[int] = field(default_factory=list)
    complaint_counts: list[SeriesCount] = field(default_factory=list)
    # (network, external id): posts deleted on their network, and messages that lost their text.
    network_deletions: set[tuple[str, str]] = field(default_factory=set)
    texts_removed: set[tuple[str, str]] = field(default_factory=set)

    def copy(self) -> InMemoryInbox:
        return InMemoryInbox(
            threads={i: t.copy() for i, t in self.threads.items()},
            mentions=dict(self.mentions),
            quarantine=list(self.quarantine),
            cursors=dict(self.cursors),
            notified=list(self.notified),
            clocks=dict(self.clocks),
            closures=list(self.closures),
            acknowledgements=list(self.acknowledgements),
            assignments=list(self.assignments),
            rules_fired=dict(self.rules_fired),
            incident_links=list(self.incident_links),
            complaint_counts=list(self.complaint_counts),
            network_deletions=set(self.network_deletions),
            texts_removed=set(self.texts_removed),
        )

    def thread_of(self, network: str, external_id: str) -> FakeThread:
        return self.threads[self.mentions[(network, external_id)]]


class FakeBatchWriter:
    """Threads and messages in memory. A message whose external id is in `refuses` makes the
    whole batch unstorable, as a value PostgreSQL refuses does."""

    def __init__(self, inbox: InMemoryInbox, refuses: Collection[str] = ()) -> None:
        self._inbox = inbox
        self._refuses = refuses
        self.batches: list[IngestBatch] = []

    async def write_batch(
        self,
        workspace_id: int,
        batch: IngestBatch,
        classifications: Sequence[MentionClassification] | None = None,
        staged: StagedRows | None = None,
    ) -> IngestResult:
        self.batches.append(batch)
        refused = [m.external_id for m in batch.mentions if m.external_id in self._refuses]
        if refused:
            raise UnstorableBatchError(f"invalid input syntax in message {refused[0]}")
        inbox = self._inbox
        inbox.quarantine.extend(batch.rejected)
        changed: set[int] = set()
        created: set[int] = set()
        added: list[Mention] = []
        for index, (mention, placement) in enumerate(
            zip(batch.mentions, place_in_threads(batch.mentions), strict=True)
        ):
            key = (mention.network.value, mention.external_id)
            if key in inbox.mentions:
                continue
            thread_key = placement.thread_key or self._key_of_parent(
                mention.network.value, placement.parent_outside_batch
            )
            thread = self._thread(mention.network.value, thread_key, created)
            decided = classifications[index] if classifications is not None else None
            if decided is not None and mention.direction is Direction.INBOUND:
                thread.kind, thread.priority = decided.kind.value, decided.priority.value
                thread.language, thread.topics = decided.language, frozenset(decided.topics)
            _add_message(thread, mention)
            inbox.mentions[key] = thread.id
            changed.add(thread.id)
            added.append(mention)
        if batch.cursor is not None:
            inbox.cursors[batch.cursor.connector] = batch.cursor.position
        return IngestResult(
            mentions_added=len(added),
            duplicates=len(batch.mentions) - len(added),
            quarantined=len(batch.rejected),
            threads_created=len(created),
            threads_reopened=0,
            customers_created=0,
            changed_thread_ids=frozenset(changed),
            created_thread_ids=frozenset(created),
            added_keys=frozenset((m.network.value, m.external_id) for m in added),
            newest_added_at=max((m.created_at for m in added), default=None),
            new_thread_timelines={
                t: NewThreadTimeline(list(inbox.threads[t].timeline), inbox.threads[t].language)
                for t in created
            },
        )

    async def notify_threads_changed(self, workspace_id: int, thread_ids: frozenset[int]) -> None:
        self._inbox.notified.append(thread_ids)

    def _key_of_parent(self, network: str, parent: str | None) -> str:
        assert parent is not None
        thread_id = self._inbox.mentions.get((network, parent))
        return parent if thread_id is None else self._inbox.threads[thread_id].key

    def _thread(self, network: str, key: str, created: set[int]) -> FakeThread:
        for thread in self._inbox.threads.values():
            if (thread.network, thread.key) == (network, key):
                return thread
        thread = FakeThread(id=len(self._inbox.threads) + 1, network=network, key=key)
        self._inbox.threads[thread.id] = thread
        created.add(thread.id)
        return thread


def _add_message(thread: FakeThread, mention: Mention) -> None:
    inbound = mention.direction is Direction.INBOUND
    thread.timeline.append(TimelineEntry(mention.created_at, inbound, not mention.automated))
    thread.timeline.sort(key=lambda entry: entry.at)
    if inbound:
        thread.last_text, thread.last_inbound_at = mention.text, mention.created_at
        thread.language = thread.language or mention.language
        if thread.status == "resolved":
            thread.status = "open"
    else:
        thread.last_answered_at = mention.created_at


class FakeIncidentWriter:
    """Complaints are the batch's threads classified as complaints; linking records them."""

    def __init__(self, inbox: InMemoryInbox) -> None:
        self._inbox = inbox

    async def new_complaints(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[ComplaintCount]:
        return [
            ComplaintCount(
                workspace_id=workspace_id,
                at=thread.last_inbound_at,
                topics=tuple(sorted(thread.topics)),
                keyword_groups=(),
            )
            for thread in (self._inbox.threads[t] for t in thread_ids)
            if thread.kind == "complaint" and thread.last_inbound_at is not None
        ]

    async def link_new(self, workspace_id: int, thread_ids: Sequence[int]) -> int:
        self._inbox.incident_links.extend(thread_ids)
        return len(thread_ids)

    async def count_complaints(self, counts: Sequence[SeriesCount]) -> None:
        self._inbox.complaint_counts.extend(counts)


class FakeIngestUnitOfWork:
    """The repositories of one batch transaction, all on the same staged copy."""

    def __init__(
        self, inbox: InMemoryInbox, routing: RoutingSetup, refuses: Collection[str]
    ) -> None:
        self.inbox = inbox
        self.threads = FakeBatchWriter(inbox, refuses)
        self.routing = FakeRoutingWriter(inbox, routing)
        self.clocks = FakeClockWriter(inbox)
        self.incidents = FakeIncidentWriter(inbox)
        self.deletions = FakeDeletionWriter(inbox)
        self.committed = False
        self.rolled_back = False


class FakeDeletionWriter:
    """Deletions recorded, and the stored messages they name marked as without text."""

    def __init__(self, inbox: InMemoryInbox) -> None:
        self.inbox = inbox

    async def remove_deleted(
        self,
        workspace_id: int,
        deletions: Sequence[NetworkDeletion],
        added: Collection[tuple[str, str]],
    ) -> frozenset[int]:
        self.inbox.network_deletions.update((d.network, d.external_id) for d in deletions)
        named = {(d.network, d.external_id) for d in deletions} | set(added)
        gone = {
            key
            for key in named & self.inbox.network_deletions
            if key in self.inbox.mentions and key not in self.inbox.texts_removed
        }
        self.inbox.texts_removed |= gone
        return frozenset(self.inbox.mentions[key] for key in gone)


class FakeIngestStore:
    """Each batch transaction works on a copy of `inbox`, which it replaces when committed."""

    def __init__(
        self,
        inbox: InMemoryInbox | None = None,
        *,
        routing: RoutingSetup | None = None,
        refuses: Collection[str] = (),
    ) -> None:
        self.inbox = inbox or InMemoryInbox()
        self.routing = routing or RoutingSetup()
        self.refuses = set(refuses)
        self.units: list[FakeIngestUnitOfWork] = []

    def stage(
        self, batch: IngestBatch, classifications: Sequence[MentionClassification] | None
    ) -> StagedRows | None:
        return None  # nothing to encode ahead: the unit of work keeps the objects themselves

    @asynccontextmanager
    async def batch_transaction(self, workspace_id: int) -> AsyncIterator[FakeIngestUnitOfWork]:
        uow = FakeIngestUnitOfWork(self.inbox.copy(), self.routing, self.refuses)
        self.units.append(uow)
        try:
            yield uow
        except BaseException:
            uow.rolled_back = True
            raise
        self.inbox = uow.inbox
        uow.committed = True

    @property
    def committed(self) -> list[FakeIngestUnitOfWork]:
        return [u for u in self.units if u.committed]

    @property
    def rolled_back(self) -> list[FakeIngestUnitOfWork]:
        return [u for u in self.units if u.rolled_back]

    def cursor(self, connector: str) -> str | None:
        return self.inbox.cursors.get(connector)


def cursor(position: str, connector: str = "x:mentions:1") -> ConnectorCursor:
    return ConnectorCursor(connector=connector, position=position)
