"""The PostgreSQL side of batch ingestion: one transaction, a fixed number of statements."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg

from inbox.domain.ingestion import (
    IngestBatch,
    IngestResult,
    NewThreadTimeline,
    UnstorableBatchError,
)
from inbox.domain.media import MediaAttachment
from inbox.domain.mention import Direction, Mention
from inbox.domain.text import is_storable, storable_json
from inbox.domain.threading import place_in_threads
from inbox.ports.ingest import MentionClassification, StagedRows
from inbox.store import ingest_sql as sql
from inbox.store.database import Connection, Database
from inbox.store.incident_ingest import PgIncidentIngestWriter
from inbox.store.live_sql import announce_threads
from inbox.store.retention import PgDeletionWriter
from inbox.store.routing import PgRoutingWriter
from inbox.store.sla_clocks import PgClockWriter, new_thread_timelines
from inbox.store.thread_events import PgThreadEventWriter

# Bounds the chase of conversation keys through a batch; only malformed reply cycles reach it.
MAX_KEY_HOPS = 32


def first_of_each(mentions: Sequence[Mention]) -> list[int]:
    """Indexes of the first occurrence of each (network, external id) in the batch."""
    seen: set[tuple[str, str]] = set()
    keep = []
    for index, mention in enumerate(mentions):
        key = (mention.network.value, mention.external_id)
        if key not in seen:
            seen.add(key)
            keep.append(index)
    return keep


# Built once: `json.dumps` with any option builds an encoder at each call, a cost as large as
# encoding the small values of a message (several of them for each message of a batch).
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_READABLE = json.JSONEncoder(ensure_ascii=False)


def raw_json(raw: dict[str, Any]) -> str:
    """The payload as jsonb accepts it (it refuses \\u0000 and unpaired surrogates)."""
    text = _COMPACT.encode(raw)
    if "\\u0000" in text or not is_storable(text):
        text = _COMPACT.encode(storable_json(raw))
    return text


def media_json(media: Sequence[MediaAttachment]) -> str | None:
    """The attachments as their jsonb column holds them; None (NULL) when there are none."""
    if not media:
        return None
    return _COMPACT.encode([item.model_dump(mode="json", exclude_none=True) for item in media])


def staging_records(
    mentions: Sequence[Mention],
    classifications: Sequence[MentionClassification] | None,
) -> list[tuple[Any, ...]]:
    """The rows of `ingest_staging` (STAGING_COLUMNS), one per mention, of a batch already
    cut to the first of each id."""
    placements = place_in_threads(mentions)
    records = []
    for ordinal, (mention, placement) in enumerate(zip(mentions, placements, strict=True)):
        decided = classifications[ordinal] if classifications is not None else None
        # Kept for customer messages only (an own account's post has no classification).
        kept = decided if mention.direction is Direction.INBOUND else None
        records.append(
            (
                ordinal,
                mention.network.value,
                mention.external_id,
                placement.thread_key,
                placement.parent_outside_batch,
                mention.direction.value,
                mention.author.external_id,
                mention.author.handle,
                mention.author.display_name,
                mention.text,
                (decided.language if decided and decided.language else mention.language),
                mention.in_reply_to,
                mention.url,
                mention.edit_of,
                mention.created_at,
                raw_json(mention.raw),
                decided.kind.value if decided else None,
                decided.priority.value if decided else None,
                mention.automated,
                list(decided.topics) if decided else None,
                decided.suggest_private_message if decided else None,
                mention.private,
                mention.claimed_at,
                media_json(mention.media),
                kept.language if kept else None,
                *(_decision_json(kept) if kept else (None, None)),
            )
        )
    return records


def _decision_json(decided: MentionClassification) -> tuple[str, str]:
    """The personal data found (masked) and the reasons, as JSON for their jsonb columns."""
    whole = decided.as_dict()
    return _READABLE.encode(whole["personal_data"]), _READABLE.encode(whole["reasons"])


class PgIngestUnitOfWork:
    """The IngestUnitOfWork port: the repositories of one batch transaction, on its connection."""

    def __init__(self, conn: Connection) -> None:
        # Open for tests and benchmarks that put a statement of their own in the transaction.
        self.conn = conn
        self.threads = PgBatchWriter(conn)
        self.routing = PgRoutingWriter(conn)
        self.clocks = PgClockWriter(conn)
        self.incidents = PgIncidentIngestWriter(conn)
        self.events = self.threads.events
        self.deletions = PgDeletionWriter(conn)


class PgBatchWriter:
    """The batch's messages written into their threads: a fixed number of statements."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.events = PgThreadEventWriter(conn)

    async def write_batch(
        self,
        workspace_id: int,
        batch: IngestBatch,
        classifications: Sequence[MentionClassification] | None = None,
        staged: StagedRows | None = None,
    ) -> IngestResult:
        conn = self.conn
        await conn.execute(sql.LOCK_WORKSPACE, workspace_id)
        if batch.rejected:
            await conn.execute(
                sql.QUARANTINE,
                workspace_id,
                [r.source for r in batch.rejected],
                [r.raw for r in batch.rejected],
                [r.error for r in batch.rejected],
            )
        mentions, kept_classes = kept_of(batch, classifications)
        result_threads: dict[int, tuple[bool, bool]] = {}
        added = 0
        new_customers: list[int] = []
        added_keys: frozenset[tuple[str, str]] = frozenset()
        newest_added_at: datetime | None = None
        timelines: dict[int, NewThreadTimeline] = {}
        if mentions:
            await conn.execute(sql.CREATE_STAGING)
            try:
                records = (
                    staged.rows if staged is not None else staging_records(mentions, kept_classes)
                )
                await conn.copy_records_to_table(
                    "ingest_staging", records=records, columns=sql.STAGING_COLUMNS
                )
            except (ValueError, TypeError, OverflowError, RecursionError) as exc:
                # Raised while encoding the batch's own values (a payload json cannot write,
                # a date beyond what the driver converts): the data's fault, not the code's.
                raise UnstorableBatchError(f"{type(exc).__name__}: {exc}") from exc
            await conn.execute(sql.DROP_KNOWN_AND_RESOLVE, workspace_id)
            for _ in range(MAX_KEY_HOPS):
                if _count(await conn.execute(sql.FOLLOW_KEYS_IN_BATCH)) == 0:
                    break
            rekeyed = await self._apply_rekeys(workspace_id)
            new_customers = [
                r["customer_id"] for r in await conn.fetch(sql.NEW_CUSTOMERS, workspace_id)
            ]
            for row in await conn.fetch(sql.UPSERT_THREADS, workspace_id):
                result_threads[row["id"]] = (row["created"], bool(row["reopened"]))
            created = [tid for tid, (new, _) in result_threads.items() if new]
            reopened = [tid for tid, (_, again) in result_threads.items() if again]
            inserted = await conn.fetch(sql.INSERT_MENTIONS, workspace_id, created, reopened)
            added = len(inserted)
            added_keys = frozenset((row["network"], row["external_id"]) for row in inserted)
            newest_added_at = max((row["created_at"] for row in inserted), default=None)
            timelines = new_thread_timelines(inserted, frozenset(created))
            # Unthreaded posts wait under a conversation key: only a thread created now, or
            # one whose key was just re-filed, can have some to take in.
            candidates = [tid for tid, (new, _) in result_threads.items() if new or rekeyed]
            if candidates:
                attached = await conn.fetch(sql.ATTACH_UNTHREADED, workspace_id, candidates)
                for row in attached:  # their timelines now hold more than the batch wrote
                    timelines.pop(row["id"], None)
        if batch.cursor is not None:
            await conn.execute(
                sql.SAVE_CURSOR, workspace_id, batch.cursor.connector, batch.cursor.position
            )
        return IngestResult(
            mentions_added=added,
            duplicates=len(batch.mentions) - added,
            quarantined=len(batch.rejected),
            threads_created=sum(1 for c, _ in result_threads.values() if c),
            threads_reopened=sum(1 for _, r in result_threads.values() if r),
            customers_created=len(new_customers),
            created_customer_ids=frozenset(new_customers),
            changed_thread_ids=frozenset(result_threads),
            created_thread_ids=frozenset(
                t for t, (created, _) in result_threads.items() if created
            ),
            added_keys=added_keys,
            newest_added_at=newest_added_at,
            new_thread_timelines=timelines,
        )

    async def _apply_rekeys(self, workspace_id: int) -> bool:
        """Re-file threads and posts kept under the id of a message that has now arrived.

        Only replies seen before their parents, without a network conversation key, take this
        path; it runs per row because it is rare and each case may merge two threads.
        """
        conn = self.conn
        pending = await conn.fetch(sql.PENDING_REKEYS, workspace_id)
        for row in pending:
            network, old_key, new_key = row["network"], row["old_key"], row["new_key"]
            old_thread = row["old_thread_id"]
            if old_thread is not None:
                target = await conn.fetchval(sql.THREAD_ID_BY_KEY, workspace_id, network, new_key)
                if target is None:
                    await conn.execute(sql.RENAME_THREAD, workspace_id, old_thread, new_key)
                else:
                    await conn.execute(
                        sql.MERGE_THREAD_MENTIONS, workspace_id, old_thread, target, new_key
                    )
                    await conn.execute(sql.MERGE_THREAD_NOTES, workspace_id, old_thread, target)
                    await conn.execute(sql.MERGE_THREAD_OUTBOX, workspace_id, old_thread, target)
                    await conn.execute(sql.DELETE_THREAD, workspace_id, old_thread)
                    await conn.execute(sql.RECOUNT_THREAD, workspace_id, target)
            await conn.execute(sql.REKEY_UNTHREADED, workspace_id, network, old_key, new_key)
        return bool(pending)

    async def notify_threads_changed(self, workspace_id: int, thread_ids: frozenset[int]) -> None:
        await announce_threads(self.conn, workspace_id, thread_ids)


def _count(status: str) -> int:
    """Rows touched, from a command tag such as 'INSERT 0 42'."""
    return int(status.rsplit(" ", 1)[-1])


def kept_of(
    batch: IngestBatch, classifications: Sequence[MentionClassification] | None
) -> tuple[list[Mention], list[MentionClassification] | None]:
    """The first of each id of the batch, with their classifications."""
    keep = first_of_each(batch.mentions)
    mentions = [batch.mentions[i] for i in keep]
    return mentions, [classifications[i] for i in keep] if classifications is not None else None


class PgIngestStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def stage(
        self, batch: IngestBatch, classifications: Sequence[MentionClassification] | None
    ) -> StagedRows | None:
        """The staging rows (the payloads encoded as JSON: most of a batch's Python work),
        built before the transaction; a value they cannot encode is left for the
        transaction, which isolates it."""
        try:
            return StagedRows(staging_records(*kept_of(batch, classifications)))
        except (ValueError, TypeError, OverflowError, RecursionError):
            return None

    @asynccontextmanager
    async def batch_transaction(self, workspace_id: int) -> AsyncIterator[PgIngestUnitOfWork]:
        """One transaction; a value the database refuses (its DataError family, whichever
        statement or hook wrote it) comes out as UnstorableBatchError, which ingestion answers
        by isolating the message at fault."""
        try:
            async with self._db.transaction() as conn:
                yield PgIngestUnitOfWork(conn)
        except asyncpg.DataError as exc:
            raise UnstorableBatchError(_first_line(str(exc))) from exc


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0][:500] if message.strip() else "no reason given"
