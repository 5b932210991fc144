"""The ports through which use cases reach storage and the decision engines.

Adapters (the PostgreSQL store, connectors, the SLA timer) implement them; use cases depend on
nothing else. Classification, SLA clocks and routing plug in here as their engines arrive.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from inbox.domain.ingestion import IngestBatch, IngestResult
from inbox.domain.mention import Mention
from inbox.domain.people import Role
from inbox.domain.thread import Priority, Thread, ThreadKind, ThreadStatus


class MentionClassification(Protocol):
    """What a classifier decides about one inbound mention (kind, language, priority)."""

    @property
    def kind(self) -> ThreadKind: ...

    @property
    def language(self) -> str | None: ...

    @property
    def priority(self) -> Priority: ...


class MentionClassifier(Protocol):
    """Pure and fast: runs before the batch transaction opens, one answer per mention."""

    def classify(self, mentions: Sequence[Mention]) -> Sequence[MentionClassification]: ...


class IngestTransaction(Protocol):
    """One open batch transaction. Everything written through it commits or rolls back together."""

    async def write_batch(
        self,
        workspace_id: int,
        batch: IngestBatch,
        classifications: Sequence[MentionClassification] | None = None,
    ) -> IngestResult: ...

    async def notify_threads_changed(
        self, workspace_id: int, thread_ids: frozenset[int]
    ) -> None: ...


class AfterIngestHook(Protocol):
    """Runs inside the batch transaction after the mentions are written.

    SLA clocks start here and routing writes its assignments here, so that a crash never leaves
    a mention without its clock or its assignment.
    """

    async def __call__(
        self, tx: IngestTransaction, workspace_id: int, result: IngestResult
    ) -> None: ...


class IngestStore(Protocol):
    def batch_transaction(
        self, workspace_id: int
    ) -> AbstractAsyncContextManager[IngestTransaction]: ...


class ThreadQuery(Protocol):
    async def list_threads(
        self,
        workspace_id: int,
        *,
        statuses: Sequence[ThreadStatus],
        limit: int,
        before_id: int | None,
    ) -> list[Thread]: ...


class TokenStore(Protocol):
    async def find_token(self, workspace_id: int, token_hash: bytes) -> tuple[int, Role] | None:
        """The token's id and role, if it exists and is not revoked."""
        ...

    async def create_token(
        self, workspace_id: int, name: str, role: Role, token_hash: bytes
    ) -> int: ...


class WorkspaceStore(Protocol):
    async def ensure_workspace(self, slug: str, name: str) -> int: ...

    async def workspace_id(self, slug: str) -> int | None: ...


class HealthCheck(Protocol):
    async def ping(self) -> None:
        """Raises DatabaseUnavailableError when the database does not answer."""
        ...
