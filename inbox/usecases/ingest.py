"""Ingest a batch of mentions: the one path by which anything enters the inbox."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from inbox.domain.ingestion import IngestBatch, IngestResult
from inbox.ports import AfterIngestHook, IngestStore, MentionClassifier

log = logging.getLogger(__name__)


class IngestMentions:
    """One transaction per batch: mentions, quarantine, cursor, hooks and one notification.

    The classifier runs before the transaction opens (it takes no lock); hooks run
    inside it, so SLA clocks and assignments commit with the mentions or not at all.
    """

    def __init__(
        self,
        store: IngestStore,
        *,
        classifier: MentionClassifier | None = None,
        hooks: Sequence[AfterIngestHook] = (),
    ) -> None:
        self._store = store
        self._classifier = classifier
        self._hooks = tuple(hooks)

    async def __call__(self, workspace_id: int, batch: IngestBatch) -> IngestResult:
        classifications = (
            await self._classifier.classify(workspace_id, batch.mentions)
            if self._classifier is not None
            else None
        )
        async with self._store.batch_transaction(workspace_id) as tx:
            result = await tx.write_batch(workspace_id, batch, classifications)
            for hook in self._hooks:
                await hook(tx, workspace_id, result)
            await tx.notify_threads_changed(workspace_id, result.changed_thread_ids)
        log.info(
            "batch ingested",
            extra={
                "action": "ingest",
                "workspace_id": workspace_id,
                "added": result.mentions_added,
                "duplicates": result.duplicates,
                "quarantined": result.quarantined,
                "threads_created": result.threads_created,
                "cursor": batch.cursor.connector if batch.cursor else None,
            },
        )
        return result
