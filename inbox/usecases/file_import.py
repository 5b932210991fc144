"""Files of saved network pages imported in batches (`inbox ingest`), each batch in its own
transaction with the cursor it reached, so that an import resumes where the last stopped.

Reading the file, and what a cursor means, is the connector's part."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable

from inbox.domain.ingestion import IngestBatch, IngestResult
from inbox.ports.connectors import ConnectorState

# `IngestMentions.ingest_many`: each batch, its mentions and its cursor, in one transaction,
# in order, the next batch classified while one is written.
IngestMany = Callable[[int, Iterable[IngestBatch]], AsyncIterator[IngestResult]]


class ImportBatches:
    def __init__(self, state: ConnectorState, ingest: IngestMany) -> None:
        self._state = state
        self._ingest = ingest

    async def saved_cursor(self, workspace_id: int, cursor: str) -> str | None:
        """Where the last import of this file stopped; None if it never ran."""
        return await self._state.cursor(workspace_id, cursor)

    async def __call__(
        self, workspace_id: int, batches: Iterable[IngestBatch]
    ) -> tuple[int, IngestResult]:
        """How many batches were read, and what they changed in all."""
        count = 0
        totals = IngestResult(0, 0, 0, 0, 0, 0)
        async for result in self._ingest(workspace_id, batches):
            count += 1
            totals = IngestResult(
                totals.mentions_added + result.mentions_added,
                totals.duplicates + result.duplicates,
                totals.quarantined + result.quarantined,
                totals.threads_created + result.threads_created,
                totals.threads_reopened + result.threads_reopened,
                totals.customers_created + result.customers_created,
            )
        return count, totals
