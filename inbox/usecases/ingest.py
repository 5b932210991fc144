"""Ingest a batch of mentions: the one path by which anything enters the inbox."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, replace

from inbox.domain.clock import Clock, utc_now
from inbox.domain.ingestion import (
    IngestBatch,
    IngestResult,
    RejectedPayload,
    UnstorableBatchError,
)
from inbox.domain.mention import Mention
from inbox.domain.payload_limits import payload_bytes, screen_mention
from inbox.ports.ingest import (
    AfterCommit,
    AfterIngestHook,
    IngestFollower,
    IngestStore,
    MentionClassification,
    MentionClassifier,
    StagedRows,
)

log = logging.getLogger(__name__)

# Batches screened and classified ahead of the one being written, in `ingest_many`. One is
# enough to hide classification behind a write (they take comparable time); more would only
# hold more batches in memory, and classify batches a failed write leaves unwritten.
CLASSIFIED_AHEAD = 1


@dataclass(frozen=True, slots=True)
class _Screened:
    mentions: list[Mention]
    rejected: list[RejectedPayload]
    quarantined_keys: frozenset[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A batch screened and classified: what its transaction writes."""

    batch: IngestBatch
    classifications: list[MentionClassification] | None
    quarantined_keys: frozenset[tuple[str, str]]
    staged: StagedRows | None


class IngestMentions:
    """One transaction per batch: mentions, quarantine, cursor, hooks and one notification.

    Each mention is first screened alone against the payload limits (dates, numbers, depth,
    length: inbox/domain/payload_limits.py): repaired, or turned into a reject of the same
    batch. The classifier then runs before the transaction opens (it takes no lock); hooks
    run inside it, so SLA clocks and assignments commit with the mentions or not at all, and
    what a hook leaves for after the commit runs once that transaction has committed.
    Should the database still refuse a value of the batch, the batch is split until the
    message at fault stands alone: it is quarantined with the database's reason and the
    others are stored; the cursor commits last, with the quarantine.

    A source of many batches (a file import, a backlog) gives them to `ingest_many`, which
    writes them the same way, one after the other, classifying the next while one is written.
    """

    def __init__(
        self,
        store: IngestStore,
        *,
        classifier: MentionClassifier | None = None,
        hooks: Sequence[AfterIngestHook] = (),
        followers: Sequence[IngestFollower] = (),
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._classifier = classifier
        self._hooks = tuple(hooks)
        self._followers = tuple(followers)
        self._clock = clock

    async def __call__(self, workspace_id: int, batch: IngestBatch) -> IngestResult:
        return await self._store_batch(workspace_id, await self._prepare(workspace_id, batch))

    async def ingest_many(
        self,
        workspace_id: int,
        batches: Iterable[IngestBatch] | AsyncIterable[IngestBatch],
        *,
        ahead: int = CLASSIFIED_AHEAD,
    ) -> AsyncIterator[IngestResult]:
        """Batches of one source, each in a transaction of its own with its cursor, in order:
        what calling this object on each in turn would write, and the results in the same
        order. The next `ahead` batches are screened and classified (in the classifier's
        worker thread, or its worker process) while one is written, so that classification
        no longer adds to the write. A batch that fails stops the stream there: the batches
        after it, classified perhaps, are not written, and their cursors not saved.

        Leaving the loop early writes nothing more; use `contextlib.aclosing` to stop the
        classification ahead at once rather than when the generator is collected."""
        if ahead < 0:
            raise ValueError("ahead must be at least 0")
        source = _each(batches)
        pending: deque[asyncio.Task[_Prepared]] = deque()
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) <= ahead:
                    batch = await anext(source, None)
                    if batch is None:
                        exhausted = True
                    else:
                        pending.append(asyncio.create_task(self._prepare(workspace_id, batch)))
                if not pending:
                    return
                prepared = await pending.popleft()
                yield await self._store_batch(workspace_id, prepared)
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await source.aclose()

    async def _prepare(self, workspace_id: int, batch: IngestBatch) -> _Prepared:
        """What a batch needs before its transaction: screened, classified (no lock), then its
        rows encoded by the store, in a worker thread: in `ingest_many` all of it runs while
        the batch before is written, rather than inside this batch's transaction."""
        screened = self._screen(workspace_id, batch)
        batch = IngestBatch(screened.mentions, screened.rejected, batch.cursor, batch.deletions)
        classifications = (
            list(await self._classifier.classify(workspace_id, batch.mentions))
            if self._classifier is not None and batch.mentions
            else None
        )
        staged = (
            await asyncio.to_thread(self._store.stage, batch, classifications)
            if batch.mentions
            else None
        )
        return _Prepared(batch, classifications, screened.quarantined_keys, staged)

    async def _store_batch(self, workspace_id: int, prepared: _Prepared) -> IngestResult:
        batch, classifications = prepared.batch, prepared.classifications
        try:
            result = await self._write(workspace_id, batch, classifications, prepared.staged)
        except UnstorableBatchError as error:
            if not batch.mentions:
                raise  # only rejects and a cursor: nothing of the network's to isolate
            result = await self._isolate(workspace_id, batch, classifications, error)
        if prepared.quarantined_keys:
            result = replace(
                result, quarantined_keys=result.quarantined_keys | prepared.quarantined_keys
            )
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
        for follower in self._followers:
            try:
                await follower(workspace_id, result)
            except Exception:
                log.exception(
                    "a follower of an ingested batch failed",
                    extra={"action": "ingest_follower_failed", "workspace_id": workspace_id},
                )
        return result

    def _screen(self, workspace_id: int, batch: IngestBatch) -> _Screened:
        arrived = self._clock()
        mentions: list[Mention] = []
        rejected = list(batch.rejected)
        quarantined: set[tuple[str, str]] = set()
        for mention in batch.mentions:
            screened = screen_mention(mention, arrived)
            if screened.mention is not None:
                mentions.append(screened.mention)
            if screened.rejected is not None:
                rejected.append(screened.rejected)
                quarantined.add(_key(mention))
            if screened.rejected is not None:
                _log_screened(workspace_id, mention, "quarantined", screened.rejected.error)
            elif screened.changes:
                _log_screened(workspace_id, mention, "repaired", "; ".join(screened.changes))
        return _Screened(mentions, rejected, frozenset(quarantined))

    async def _write(
        self,
        workspace_id: int,
        batch: IngestBatch,
        classifications: Sequence[MentionClassification] | None,
        staged: StagedRows | None = None,
    ) -> IngestResult:
        after_commit: list[AfterCommit] = []
        async with self._store.batch_transaction(workspace_id) as uow:
            result = await uow.threads.write_batch(workspace_id, batch, classifications, staged)
            for hook in self._hooks:
                then = await hook(uow, workspace_id, result)
                if then is not None:
                    after_commit.append(then)
            # After the hooks, which read the batch's texts (classification, incidents); the
            # batch's new messages are checked too: a poll that read a post before its
            # deletion may commit after the deletion's batch.
            deleted = await uow.deletions.remove_deleted(
                workspace_id, batch.deletions, result.added_keys
            )
            changed = result.changed_thread_ids | deleted
            await uow.threads.notify_threads_changed(workspace_id, changed)
        # Committed: each stored part of a batch reaches here once, whatever was retried.
        for then in after_commit:
            _run_after_commit(then, workspace_id)
        return result

    async def _isolate(
        self,
        workspace_id: int,
        batch: IngestBatch,
        classifications: Sequence[MentionClassification] | None,
        error: UnstorableBatchError,
    ) -> IngestResult:
        """Halves of the batch are written apart, and halves of a half that fails, until each
        message that cannot be stored stands alone; those are quarantined with the database's
        reason, together with the batch's rejects and its cursor (written last: after a crash
        part-way, the batch is read again and what was stored is dropped as known)."""
        log.warning(
            "batch refused by the database: isolating the message at fault",
            extra={
                "action": "ingest_isolate",
                "workspace_id": workspace_id,
                "mentions": len(batch.mentions),
                "error": error.reason,
            },
        )
        written: list[IngestResult] = []
        poisoned: list[RejectedPayload] = []
        poisoned_keys: set[tuple[str, str]] = set()

        async def attempt(indexes: list[int], known_failure: str | None) -> None:
            if known_failure is None:
                part = IngestBatch([batch.mentions[i] for i in indexes])
                classes = (
                    [classifications[i] for i in indexes] if classifications is not None else None
                )
                try:
                    written.append(await self._write(workspace_id, part, classes))
                    return
                except UnstorableBatchError as failure:
                    known_failure = failure.reason
            if len(indexes) == 1:
                alone = batch.mentions[indexes[0]]
                poisoned.append(self._poisoned(workspace_id, alone, known_failure))
                poisoned_keys.add(_key(alone))
                return
            middle = len(indexes) // 2
            await attempt(indexes[:middle], None)
            await attempt(indexes[middle:], None)

        await attempt(list(range(len(batch.mentions))), error.reason)
        last = IngestBatch([], [*batch.rejected, *poisoned], batch.cursor, batch.deletions)
        written.append(await self._write(workspace_id, last, None))
        return replace(
            _combined(written, len(batch.mentions) - len(poisoned)),
            quarantined_keys=frozenset(poisoned_keys),
        )

    def _poisoned(self, workspace_id: int, mention: Mention, reason: str) -> RejectedPayload:
        error = f"{mention.network.value} {mention.external_id}: not storable: {reason}"
        log.warning(
            "mention quarantined: the database refused it",
            extra={
                "action": "ingest_quarantine",
                "workspace_id": workspace_id,
                "network": mention.network.value,
                "external_id": mention.external_id,
                "reason": reason,
            },
        )
        return RejectedPayload(mention.network.value, payload_bytes(mention.raw), error)


def _run_after_commit(then: AfterCommit, workspace_id: int) -> None:
    """The batch is stored: a follower failing must not answer its caller an error that would
    have the batch sent again for nothing."""
    try:
        then()
    except Exception:
        log.exception(
            "after-commit step of an ingested batch failed",
            extra={"action": "ingest_after_commit_failed", "workspace_id": workspace_id},
        )


def _log_screened(workspace_id: int, mention: Mention, outcome: str, reason: str) -> None:
    log.warning(
        f"mention {outcome} at the edge",
        extra={
            "action": f"ingest_{'quarantine' if outcome == 'quarantined' else 'repair'}",
            "workspace_id": workspace_id,
            "network": mention.network.value,
            "external_id": mention.external_id,
            "reason": reason,
        },
    )


async def _each(
    batches: Iterable[IngestBatch] | AsyncIterable[IngestBatch],
) -> AsyncGenerator[IngestBatch]:
    if isinstance(batches, AsyncIterable):
        async for batch in batches:
            yield batch
    else:
        for batch in batches:
            yield batch


def _key(mention: Mention) -> tuple[str, str]:
    return (mention.network.value, mention.external_id)


def _combined(parts: Sequence[IngestResult], stored: int) -> IngestResult:
    """The result of a batch written in several transactions, as if written in one; `stored`
    counts the mentions that were not quarantined (written now, or already known)."""
    added = sum(p.mentions_added for p in parts)
    return IngestResult(
        mentions_added=added,
        duplicates=stored - added,
        quarantined=sum(p.quarantined for p in parts),
        threads_created=sum(p.threads_created for p in parts),
        threads_reopened=sum(p.threads_reopened for p in parts),
        customers_created=sum(p.customers_created for p in parts),
        created_customer_ids=frozenset().union(*(p.created_customer_ids for p in parts)),
        changed_thread_ids=frozenset().union(*(p.changed_thread_ids for p in parts)),
        created_thread_ids=frozenset().union(*(p.created_thread_ids for p in parts)),
        added_keys=frozenset().union(*(p.added_keys for p in parts)),
        newest_added_at=max(
            (p.newest_added_at for p in parts if p.newest_added_at is not None), default=None
        ),
        new_thread_timelines={t: w for p in parts for t, w in p.new_thread_timelines.items()},
    )
