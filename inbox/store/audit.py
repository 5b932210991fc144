"""The audit trail in PostgreSQL: `append` writes an entry on the caller's connection, inside
the transaction of the change it records; `PgAuditTrail` reads it and appends on its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import asyncpg

from inbox.domain.audit import (
    Actor,
    ActorKind,
    AuditEntry,
    AuditFilter,
    AuditRow,
    row_hash,
)
from inbox.store.database import Connection, Database

# Rows of a workspace are chained: appends wait for each other (a lock held to the end of
# the transaction), so each reads the hash of the true last row.
LOCK = "SELECT pg_advisory_xact_lock(hashtext('audit_entry'), hashtext($1::bigint::text))"
LAST = """
SELECT row_hash FROM audit_entry WHERE workspace_id = $1 ORDER BY id DESC LIMIT 1
"""
NEXT_ID = "SELECT nextval(pg_get_serial_sequence('audit_entry', 'id'))"
INSERT = """
INSERT INTO audit_entry (workspace_id, id, at, actor_kind, actor_id, actor_name, action,
                         object_kind, object_id, summary, address, previous_hash, row_hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13)
"""
COLUMNS = """
id, at, actor_kind, actor_id, actor_name, action, object_kind, object_id, summary::text,
address, previous_hash, row_hash
"""
PAGE = f"""
SELECT {COLUMNS} FROM audit_entry
WHERE workspace_id = $1
  AND ($2::bigint IS NULL OR (actor_kind = 'person' AND actor_id = $2))
  AND ($3::text IS NULL OR action = $3)
  AND ($4::timestamptz IS NULL OR at >= $4)
  AND ($5::timestamptz IS NULL OR at < $5)
  AND ($6::bigint IS NULL OR id < $6)
ORDER BY id DESC
LIMIT $7
"""  # noqa: S608 (constants only)
CHAIN = f"SELECT {COLUMNS} FROM audit_entry WHERE workspace_id = $1 ORDER BY id"  # noqa: S608


async def append(conn: Connection, entry: AuditEntry, now: datetime | None = None) -> None:
    """Append `entry` on `conn`: inside the caller's transaction, it stands or falls with the
    change it records."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    async with conn.transaction():  # a savepoint inside the caller's, or its own
        await conn.execute(LOCK, entry.workspace_id)
        previous = await conn.fetchval(LAST, entry.workspace_id)
        entry_id = int(await conn.fetchval(NEXT_ID))
        await conn.execute(
            INSERT,
            entry.workspace_id,
            entry_id,
            at,
            entry.actor.kind.value,
            entry.actor.actor_id,
            entry.actor.name,
            entry.action,
            entry.object_kind,
            entry.object_id,
            json.dumps(entry.summary, sort_keys=True, default=str),
            entry.actor.address,
            previous,
            row_hash(previous, entry, at, entry_id),
        )


def _row(record: asyncpg.Record) -> AuditRow:
    return AuditRow(
        entry_id=record["id"],
        at=record["at"],
        actor_kind=ActorKind(record["actor_kind"]),
        actor_id=record["actor_id"],
        actor_name=record["actor_name"],
        action=record["action"],
        object_kind=record["object_kind"],
        object_id=record["object_id"],
        summary=json.loads(record["summary"]),
        address=record["address"],
    )


class PgAuditTrail:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, entry: AuditEntry) -> None:
        async with self._db.transaction() as conn:
            await append(conn, entry)

    async def page(
        self, workspace_id: int, where: AuditFilter, *, before_id: int | None, size: int
    ) -> list[AuditRow]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                PAGE,
                workspace_id,
                where.actor_id,
                where.action,
                where.since,
                where.until,
                before_id,
                size,
            )
        return [_row(row) for row in rows]

    async def first_broken(self, workspace_id: int) -> int | None:
        previous: bytes | None = None
        async with self._db.connection() as conn, conn.transaction(readonly=True):
            async for record in conn.cursor(CHAIN, workspace_id):
                row = _row(record)
                entry = AuditEntry(
                    workspace_id,
                    Actor(row.actor_kind, row.actor_id, row.actor_name, row.address),
                    row.action,
                    row.object_kind,
                    row.object_id,
                    row.summary,
                )
                expected = row_hash(previous, entry, row.at, row.entry_id)
                if record["previous_hash"] != previous or record["row_hash"] != expected:
                    return row.entry_id
                previous = record["row_hash"]
        return None
