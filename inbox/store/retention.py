"""The PostgreSQL side of retention and of deletions on the networks.

Texts are removed in place: a message keeps its row, its thread, its direction, its times and
its classification's kind, so that every count and timing the reports read is unchanged; its
text becomes empty, its raw payload `{}`, its attachments NULL, and `text_removed_at`,
`text_removed_reason` and `raw_removed_at` say when and why. Passes work in set-based batches,
each in a transaction of its own, so a long backlog never holds one long transaction and a pass
interrupted keeps what it did.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from inbox.domain.ingestion import NetworkDeletion
from inbox.domain.retention import RetentionReport, RetentionRun, RetentionSettings
from inbox.store.database import Connection, Database
from inbox.store.text_removal import (
    MESSAGES_OF_THREADS,
    Why,
    remove_message_texts,
    remove_texts,
    row_count,
)
from inbox.store.thread_sql import CLAIM_CLOSED_TEXTS

# Threads per transaction, and quarantined payloads per delete.
THREADS_PER_BATCH = 500
QUARANTINE_PER_BATCH = 5000
# Raw payloads are emptied a week of arrivals per transaction (the BRIN index reads that
# week's pages only); the daily pass has a day to do, a first pass a long history.
RAW_WINDOW = timedelta(days=7)

SETTINGS = """
SELECT raw_payload_days, closed_thread_text_months, quarantine_days
FROM retention_settings WHERE workspace_id = $1
"""
SAVE_SETTINGS = """
INSERT INTO retention_settings (workspace_id, raw_payload_days, closed_thread_text_months,
                                quarantine_days)
VALUES ($1, $2, $3, $4)
ON CONFLICT (workspace_id) DO UPDATE
SET raw_payload_days = excluded.raw_payload_days,
    closed_thread_text_months = excluded.closed_thread_text_months,
    quarantine_days = excluded.quarantine_days,
    updated_at = now()
"""

# Where the raw payloads still to look at start: the watermark of the last pass, else the
# first mention ever stored (read once, the first time).
RAW_START = """
SELECT coalesce((SELECT raw_checked_before FROM retention_settings WHERE workspace_id = $1),
                (SELECT min(ingested_at) FROM mention WHERE workspace_id = $1))
"""
REMOVE_RAW = """
UPDATE mention SET raw = '{}'::jsonb, raw_removed_at = $4
WHERE workspace_id = $1 AND ingested_at >= $2 AND ingested_at < $3 AND raw_removed_at IS NULL
"""
COUNT_RAW = """
SELECT count(*) FROM mention
WHERE workspace_id = $1 AND ingested_at >= $2 AND ingested_at < $3 AND raw_removed_at IS NULL
"""
# The rows a window rewrote went to the end of the table, in pages the index has not
# summarised yet; every later window would read them all again. Summarised now, the next
# window skips them (they are another window's arrivals).
SUMMARISE_ARRIVALS = "SELECT brin_summarize_new_values('mention_ingested_brin')"
MOVE_RAW_WATERMARK = """
INSERT INTO retention_settings (workspace_id, raw_payload_days, closed_thread_text_months,
                                quarantine_days, raw_checked_before)
VALUES ($1, $3, $4, $5, $2)
ON CONFLICT (workspace_id) DO UPDATE SET raw_checked_before = $2
"""

COUNT_CLOSED_TEXTS = """
WITH due AS (
    SELECT d.id FROM thread d
    WHERE d.workspace_id = $1 AND d.status = 'resolved' AND d.resolved_at < $2
      AND (d.texts_removed_at IS NULL OR d.texts_removed_at < d.resolved_at)
)
SELECT (SELECT count(*) FROM due) AS threads,
       (SELECT count(*) FROM mention m JOIN due ON m.thread_id = due.id
        WHERE m.workspace_id = $1 AND m.text_removed_at IS NULL) AS messages
"""

REMOVE_QUARANTINED = """
WITH due AS (
    SELECT id FROM quarantine WHERE workspace_id = $1 AND received_at < $2
    ORDER BY id LIMIT $3
)
DELETE FROM quarantine q USING due WHERE q.workspace_id = $1 AND q.id = due.id
"""
COUNT_QUARANTINED = "SELECT count(*) FROM quarantine WHERE workspace_id = $1 AND received_at < $2"

FORGET_DELETIONS = "DELETE FROM network_deletion WHERE workspace_id = $1 AND deleted_at < $2"

RECORD_RUN = """
INSERT INTO retention_run (workspace_id, started_at, finished_at, run_by, raw_payloads,
                           closed_threads, closed_messages, quarantined)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
LAST_RUN = """
SELECT started_at, finished_at, run_by, raw_payloads, closed_threads, closed_messages, quarantined
FROM retention_run WHERE workspace_id = $1 ORDER BY id DESC LIMIT 1
"""

# The batch's deletions are recorded (once each); then every message among them or among the
# batch's new ones that a recorded deletion names loses its text, with every copy of it.
RECORD_DELETIONS = """
INSERT INTO network_deletion (workspace_id, network, external_id)
SELECT $1, d.network, d.external_id FROM unnest($2::text[], $3::text[]) AS d(network, external_id)
ON CONFLICT DO NOTHING
"""
# Most batches name no deleted post: the few deletions are looked up first.
DELETED_WITH_TEXT = """
WITH asked AS (
    SELECT DISTINCT k.network, k.external_id
    FROM unnest($2::text[], $3::text[]) AS k(network, external_id)
)
SELECT m.network, m.external_id, m.thread_id
FROM asked k
JOIN network_deletion d
  ON d.workspace_id = $1 AND d.network = k.network AND d.external_id = k.external_id
JOIN mention m
  ON m.workspace_id = $1 AND m.network = k.network AND m.external_id = k.external_id
WHERE m.text_removed_at IS NULL
FOR UPDATE OF m
"""


class PgRetentionStore:
    """The RetentionStore port."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def settings(self, workspace_id: int) -> RetentionSettings:
        row = await self._db.fetchrow(SETTINGS, workspace_id)
        if row is None:
            return RetentionSettings()
        return RetentionSettings(
            row["raw_payload_days"], row["closed_thread_text_months"], row["quarantine_days"]
        )

    async def save_settings(self, workspace_id: int, settings: RetentionSettings) -> None:
        await self._db.execute(
            SAVE_SETTINGS,
            workspace_id,
            settings.raw_payload_days,
            settings.closed_thread_text_months,
            settings.quarantine_days,
        )

    async def remove_raw_payloads(
        self, workspace_id: int, before: datetime, now: datetime, *, dry_run: bool
    ) -> int:
        start: datetime | None = await self._db.fetchval(RAW_START, workspace_id)
        if start is None or start >= before:
            return 0
        if dry_run:
            return int(await self._db.fetchval(COUNT_RAW, workspace_id, start, before))
        settings = await self.settings(workspace_id)
        removed = 0
        while start < before:
            end = min(start + RAW_WINDOW, before)
            async with self._db.transaction() as conn:
                status = await conn.execute(REMOVE_RAW, workspace_id, start, end, now)
                # The watermark moves in the window's transaction: a pass cut short resumes
                # at the first window it did not finish.
                await conn.execute(
                    MOVE_RAW_WATERMARK,
                    workspace_id,
                    end,
                    settings.raw_payload_days,
                    settings.closed_thread_text_months,
                    settings.quarantine_days,
                )
            removed += row_count(status)
            await self._db.fetchval(SUMMARISE_ARRIVALS)
            start = end
        return removed

    async def remove_closed_texts(
        self, workspace_id: int, before: datetime, now: datetime, *, dry_run: bool
    ) -> tuple[int, int]:
        if dry_run:
            row = await self._db.fetchrow(COUNT_CLOSED_TEXTS, workspace_id, before)
            assert row is not None
            return int(row["threads"]), int(row["messages"])
        threads = messages = 0
        while True:
            async with self._db.transaction() as conn:
                claimed = await conn.fetch(
                    CLAIM_CLOSED_TEXTS, workspace_id, before, THREADS_PER_BATCH, now
                )
                ids = [row["id"] for row in claimed]
                if ids:
                    keys = await conn.fetch(MESSAGES_OF_THREADS, workspace_id, ids)
                    removed = await remove_texts(
                        conn,
                        workspace_id,
                        threads=ids,
                        messages=[(key["network"], key["external_id"]) for key in keys],
                        now=now,
                        why=Why.RETENTION,
                        # A reply still queued keeps its text to be sent.
                        give_up_waiting=False,
                    )
                    messages += removed["messages"]
            threads += len(ids)
            if len(ids) < THREADS_PER_BATCH:
                return threads, messages

    async def remove_quarantined(
        self, workspace_id: int, before: datetime, *, dry_run: bool
    ) -> int:
        if dry_run:
            return int(await self._db.fetchval(COUNT_QUARANTINED, workspace_id, before))
        removed = 0
        while True:
            status = await self._db.execute(
                REMOVE_QUARANTINED, workspace_id, before, QUARANTINE_PER_BATCH
            )
            removed += (count := row_count(status))
            if count < QUARANTINE_PER_BATCH:
                return removed

    async def forget_deletions(self, workspace_id: int, before: datetime) -> int:
        return row_count(await self._db.execute(FORGET_DELETIONS, workspace_id, before))

    async def record_run(self, workspace_id: int, run: RetentionRun) -> None:
        removed = run.removed
        await self._db.execute(
            RECORD_RUN,
            workspace_id,
            run.started_at,
            run.finished_at,
            run.run_by,
            removed.raw_payloads,
            removed.closed_threads,
            removed.closed_messages,
            removed.quarantined,
        )

    async def last_run(self, workspace_id: int) -> RetentionRun | None:
        row = await self._db.fetchrow(LAST_RUN, workspace_id)
        if row is None:
            return None
        return RetentionRun(
            row["started_at"],
            row["finished_at"],
            row["run_by"],
            RetentionReport(
                row["raw_payloads"],
                row["closed_threads"],
                row["closed_messages"],
                row["quarantined"],
            ),
        )


RECENT_WITH_TEXT = """
SELECT external_id FROM mention
WHERE workspace_id = $1 AND network = $2 AND ingested_at >= $3 AND direction = 'inbound'
  AND text_removed_at IS NULL
  AND (NOT $5 OR (SELECT count(*) FROM network_account a
                  WHERE a.workspace_id = $1 AND a.network = $2) = 1)
ORDER BY ingested_at DESC LIMIT $4
"""


class PgHeldMessages:
    """The HeldMessages port. The arrival window is read through the BRIN index on
    `ingested_at`: a few days of pages, whatever the table's size."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def recent_with_text(
        self, workspace_id: int, network: str, since: datetime, *, limit: int, sole_account: bool
    ) -> list[str]:
        rows = await self._db.fetch(
            RECENT_WITH_TEXT, workspace_id, network, since, limit, sole_account
        )
        return [row["external_id"] for row in rows]


class PgDeletionWriter:
    """The DeletionWriter port, on a batch transaction's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def remove_deleted(
        self,
        workspace_id: int,
        deletions: Sequence[NetworkDeletion],
        added: Collection[tuple[str, str]],
    ) -> frozenset[int]:
        if deletions:
            await self._conn.execute(
                RECORD_DELETIONS,
                workspace_id,
                [d.network for d in deletions],
                [d.external_id for d in deletions],
            )
        keys = [(d.network, d.external_id) for d in deletions] + list(added)
        if not keys:
            return frozenset()
        removed = await self._conn.fetch(
            DELETED_WITH_TEXT,
            workspace_id,
            [network for network, _ in keys],
            [external_id for _, external_id in keys],
        )
        if not removed:
            return frozenset()
        await remove_message_texts(
            self._conn,
            workspace_id,
            [(row["network"], row["external_id"]) for row in removed],
            now=None,
            why=Why.DELETED_ON_NETWORK,
        )
        threaded = [row for row in removed if row["thread_id"] is not None]
        return frozenset(row["thread_id"] for row in threaded)
