"""What a poll of any network counts, and how an ingested batch is counted in it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from inbox.domain.ingestion import IngestBatch, IngestResult

# Hands one batch of a workspace to ingestion (which commits it with its cursor).
Ingest = Callable[[int, IngestBatch], Awaitable[IngestResult]]


@dataclass(slots=True)
class PollOutcome:
    """One poll: requests sent, posts read, what ingestion added and quarantined, the
    newest post's time (for the channel's health) and notes for the log."""

    requests: int = 0
    reads: int = 0
    added: int = 0
    quarantined: int = 0
    newest_item_at: datetime | None = None
    notes: list[str] = field(default_factory=list)

    def count_ingested(self, batch: IngestBatch, result: IngestResult) -> None:
        self.added += result.mentions_added
        self.quarantined += result.quarantined
        newest = max((m.created_at for m in batch.mentions), default=None)
        if newest is not None and (self.newest_item_at is None or newest > self.newest_item_at):
            self.newest_item_at = newest
