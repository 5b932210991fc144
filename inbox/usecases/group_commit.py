"""Group commit for pushed deliveries: many small batches of one workspace, one transaction.

A webhook delivery holds one or a few messages, and its sender waits for our answer. Ingested
one by one, deliveries would cost a transaction each (a durable commit, the workspace lock,
the fixed statements of a batch). Here the first delivery of a workspace is written at once;
those that arrive while it commits wait, and are then written together in the next
transaction. A lone delivery waits for nothing; under load, each commit carries everything
that came in during the one before. Each caller is answered only once its messages are
committed, with its own counts (nothing is acknowledged that was not stored).

Members are isolated: ingestion already quarantines a message it cannot store rather than
fail its batch, but should a merged transaction fail anyway, each caller's batch is written
again alone, so that a delivery that cannot be stored fails by itself (its sender gets the
error) and the others commit. Only a database that cannot be reached fails them all at once.

Only batches without a connector cursor are merged: a cursor belongs to one batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from inbox.domain.errors import DatabaseUnavailableError
from inbox.domain.ingestion import IngestBatch, IngestResult

log = logging.getLogger(__name__)

Ingest = Callable[[int, IngestBatch], Awaitable[IngestResult]]

# A merged batch stops growing here: the next callers go into the following transaction.
MAX_MERGED_MENTIONS = 1000


@dataclass
class _Waiting:
    batch: IngestBatch
    answer: asyncio.Future[IngestResult] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit:
    def __init__(self, ingest: Ingest, *, max_mentions: int = MAX_MERGED_MENTIONS) -> None:
        self._ingest = ingest
        self._max = max_mentions
        self._queues: dict[int, deque[_Waiting]] = {}
        self._writers: dict[int, asyncio.Task[None]] = {}

    async def __call__(self, workspace_id: int, batch: IngestBatch) -> IngestResult:
        if batch.cursor is not None:
            return await self._ingest(workspace_id, batch)
        waiting = _Waiting(batch)
        self._queues.setdefault(workspace_id, deque()).append(waiting)
        if workspace_id not in self._writers:
            self._writers[workspace_id] = asyncio.create_task(self._write(workspace_id))
        # The caller going away does not withdraw its messages: they are written anyway.
        return await asyncio.shield(waiting.answer)

    async def _write(self, workspace_id: int) -> None:
        try:
            while self._queues.get(workspace_id):
                taken = _take(self._queues[workspace_id], self._max)
                await self._write_together(workspace_id, taken)
        finally:
            # No await since the loop's last check: nobody can have queued in between.
            del self._writers[workspace_id]
            for waiting in self._queues.pop(workspace_id, deque()):  # left only if cancelled
                waiting.answer.set_exception(asyncio.CancelledError())

    async def _write_together(self, workspace_id: int, taken: list[_Waiting]) -> None:
        merged = IngestBatch(
            [m for w in taken for m in w.batch.mentions],
            [r for w in taken for r in w.batch.rejected],
        )
        try:
            result = await self._ingest(workspace_id, merged)
        except DatabaseUnavailableError as error:  # nobody's fault but the server's
            for waiting in taken:
                _answer(waiting, error=error)
            return
        except Exception as error:
            if len(taken) == 1:
                _answer(taken[0], error=error)
                return
            await self._write_each_alone(workspace_id, taken, error)
            return
        claimed: set[tuple[str, str]] = set()
        for waiting in taken:
            _answer(waiting, result=_share(result, waiting.batch, claimed))

    async def _write_each_alone(
        self, workspace_id: int, taken: list[_Waiting], merged_error: Exception
    ) -> None:
        """The merged transaction failed: each caller's batch in a transaction of its own."""
        log.warning(
            "group commit failed: writing each delivery alone",
            extra={
                "action": "group_commit_isolate",
                "workspace_id": workspace_id,
                "deliveries": len(taken),
                "error": f"{type(merged_error).__name__}: {merged_error}",
            },
        )
        for waiting in taken:
            try:
                result = await self._ingest(workspace_id, waiting.batch)
            except Exception as error:  # this caller's own failure, and only its
                _answer(waiting, error=error)
            else:
                _answer(waiting, result=result)


def _answer(
    waiting: _Waiting, *, result: IngestResult | None = None, error: Exception | None = None
) -> None:
    if waiting.answer.done():  # pragma: no cover - only a cancelled writer leaves one done
        return
    if error is not None:
        waiting.answer.set_exception(error)
    elif result is not None:
        waiting.answer.set_result(result)


def _take(queue: deque[_Waiting], limit: int) -> list[_Waiting]:
    """The oldest callers, up to `limit` mentions (at least one caller, whatever its size)."""
    taken: list[_Waiting] = []
    size = 0
    while queue and (not taken or size + len(queue[0].batch.mentions) <= limit):
        waiting = queue.popleft()
        taken.append(waiting)
        size += len(waiting.batch.mentions)
    return taken


def _share(result: IngestResult, batch: IngestBatch, claimed: set[tuple[str, str]]) -> IngestResult:
    """One caller's part of a merged result: its messages written now (a message sent by two
    callers counts for the first), its duplicates and its quarantined payloads (its rejects,
    and its messages quarantined by ingestion). Thread and customer figures, and the newest
    date written, are the merged transaction's."""
    added = quarantined = 0
    for mention in batch.mentions:
        key = (mention.network.value, mention.external_id)
        if key in result.added_keys and key not in claimed:
            claimed.add(key)
            added += 1
        elif key in result.quarantined_keys:
            quarantined += 1
    return IngestResult(
        mentions_added=added,
        duplicates=len(batch.mentions) - added - quarantined,
        quarantined=len(batch.rejected) + quarantined,
        threads_created=result.threads_created,
        threads_reopened=result.threads_reopened,
        customers_created=result.customers_created,
        changed_thread_ids=result.changed_thread_ids,
        created_thread_ids=result.created_thread_ids,
        added_keys=frozenset(),
        newest_added_at=result.newest_added_at if added else None,
    )
