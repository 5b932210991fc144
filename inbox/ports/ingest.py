"""Ingestion: classifying a batch, its one transaction, what runs after it commits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from inbox.domain.ingestion import IngestBatch, IngestResult
from inbox.domain.mention import Mention
from inbox.domain.thread import Priority, ThreadKind

if TYPE_CHECKING:
    from inbox.ports.incidents import IncidentIngestWriter
    from inbox.ports.retention import DeletionWriter
    from inbox.ports.routing import RoutingWriter
    from inbox.ports.sla import ClockWriter
    from inbox.ports.thread_events import ThreadEventWriter


class MentionClassification(Protocol):
    """What a classifier decides about one inbound mention, and why."""

    @property
    def kind(self) -> ThreadKind: ...

    @property
    def language(self) -> str | None: ...

    @property
    def priority(self) -> Priority: ...

    @property
    def topics(self) -> tuple[str, ...]: ...

    @property
    def suggest_private_message(self) -> bool: ...

    def as_dict(self) -> dict[str, object]:
        """Everything decided, with the reasons, as stored (personal data masked)."""
        ...


class MentionClassifier(Protocol):
    """Runs before the batch transaction opens, one answer per mention."""

    async def classify(
        self, workspace_id: int, mentions: Sequence[Mention]
    ) -> Sequence[MentionClassification]: ...


@dataclass(frozen=True, slots=True)
class StagedRows:
    """A batch's rows as its store writes them, encoded before its transaction: work on the
    batch's values alone, done while another batch is written. Only the store that made them
    reads them."""

    rows: Sequence[tuple[object, ...]]


class BatchWriter(Protocol):
    """The threads of a batch: its messages written into them, and their change announced."""

    async def write_batch(
        self,
        workspace_id: int,
        batch: IngestBatch,
        classifications: Sequence[MentionClassification] | None = None,
        staged: StagedRows | None = None,
    ) -> IngestResult:
        """`staged`: what `IngestStore.stage` made of this batch and these classifications.
        The result also carries, as data, the timelines of the threads the batch created
        (`IngestResult.new_thread_timelines`): what the clocks of the same unit of work start
        from, until another batch writes in it."""
        ...

    async def notify_threads_changed(
        self, workspace_id: int, thread_ids: frozenset[int]
    ) -> None: ...


class IngestUnitOfWork(Protocol):
    """One open batch transaction and the repositories that write in it: everything written
    through them commits or rolls back together, when the `batch_transaction` block ends."""

    @property
    def threads(self) -> BatchWriter: ...

    @property
    def routing(self) -> RoutingWriter: ...

    @property
    def clocks(self) -> ClockWriter: ...

    @property
    def incidents(self) -> IncidentIngestWriter: ...

    @property
    def events(self) -> ThreadEventWriter:
        """Thread events for webhooks (the batch's own are written by `threads`)."""
        ...

    @property
    def deletions(self) -> DeletionWriter:
        """The posts the batch's connector saw deleted on their network."""
        ...


# What a hook has ingestion do once its batch has committed: no I/O, nothing that can fail
# for the batch's sake (the batch is stored by then).
AfterCommit = Callable[[], None]


class AfterIngestHook(Protocol):
    """Runs inside the batch transaction after the mentions are written, on its unit of work.

    SLA clocks start here and routing writes its assignments here, so that a crash never leaves
    a mention without its clock or its assignment. What must follow only a stored batch (and
    cannot be written in it) is returned as an `AfterCommit`: ingestion runs
    it once the transaction has committed, and never for a transaction that rolled back (a
    batch retried, split or refused would otherwise be counted again, or counted unstored).
    """

    async def __call__(
        self, uow: IngestUnitOfWork, workspace_id: int, result: IngestResult
    ) -> AfterCommit | None: ...


class IngestFollower(Protocol):
    """Runs once a batch is stored (committed), awaited before its caller is answered, with
    I/O of its own: what belongs to the stored batch but not to its transaction (merging the
    customers it created with those they certainly are). A failure is logged, never raised:
    the batch is stored, and sending it again would change nothing."""

    async def __call__(self, workspace_id: int, result: IngestResult) -> None: ...


class IngestStore(Protocol):
    def batch_transaction(self, workspace_id: int) -> AbstractAsyncContextManager[IngestUnitOfWork]:
        """`async with store.batch_transaction(workspace_id) as uow:` commits as the block
        ends, and rolls back if it raises."""
        ...

    def stage(
        self, batch: IngestBatch, classifications: Sequence[MentionClassification] | None
    ) -> StagedRows | None:
        """The batch's rows, encoded ahead of its transaction (no I/O: a worker thread may run
        it); None when the store has nothing to do ahead, or when a value cannot be encoded
        (the transaction then says which)."""
        ...
