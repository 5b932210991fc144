"""The customer record in PostgreSQL: reading and editing it, searching it, the threads of
every identity of a customer, merges and splits with their history, and a CSV import applied
in one transaction; each change writes its webhook events (`inbox.store.customer_events`) in
its transaction. The evidence that two customers are one person, and which kinds of it merge
them without review, are read with `inbox.store.customer_evidence_sql`; merges and splits
run `inbox.store.customer_changes_sql`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from inbox.domain import customer_events
from inbox.domain.customer_record import (
    CustomerChange,
    CustomerRecord,
    CustomerThread,
    Decide,
    Evidence,
    EvidenceKind,
    Patch,
    RecordFields,
    RecordIdentity,
)
from inbox.domain.errors import ConflictError, NotFoundError
from inbox.store import customer_changes_sql as changes_sql
from inbox.store import customer_evidence_sql as evidence_sql
from inbox.store.customer_events import record_customer_events
from inbox.store.database import Connection, Database
from inbox.store.thread_sql import MOVE_IDENTITY_THREADS, MOVE_THREADS

RECORDS = """
SELECT c.id, c.display_name, c.vip, c.owner_agent_id, c.crm_external_id, c.tags, c.language,
       c.merged_into_id, c.created_at, a.display_name AS owner_name, a.email AS owner_email
FROM customer c
LEFT JOIN agent a ON a.workspace_id = c.workspace_id AND a.id = c.owner_agent_id
WHERE c.workspace_id = $1 AND c.id = ANY($2::bigint[])
ORDER BY c.id
"""
IDENTITIES = """
SELECT id, customer_id, network, external_user_id, handle, display_name
FROM identity
WHERE workspace_id = $1 AND customer_id = ANY($2::bigint[])
ORDER BY network, handle, id
"""
THREAD_CUSTOMER = "SELECT customer_id FROM thread WHERE workspace_id = $1 AND id = $2"
# By handle, name or CRM id (a word of it, case aside), or an exact external id; paged by id.
SEARCH = r"""
SELECT c.id FROM customer c
WHERE c.workspace_id = $1 AND c.merged_into_id IS NULL AND c.id > $3
  AND ($2 = ''
       OR c.crm_external_id = $2
       OR c.display_name ILIKE $4 ESCAPE '\'
       OR EXISTS (SELECT 1 FROM identity i
                  WHERE i.workspace_id = c.workspace_id AND i.customer_id = c.id
                    AND (i.handle ILIKE $4 ESCAPE '\' OR i.external_user_id = $2)))
ORDER BY c.id
LIMIT $5
"""
UPDATE = """
UPDATE customer
SET vip = $3, owner_agent_id = $4, crm_external_id = $5, tags = $6, language = $7,
    updated_at = now()
WHERE workspace_id = $1 AND id = $2 AND merged_into_id IS NULL
"""
AGENTS_BY_EMAIL = """
SELECT lower(email) AS email, id FROM agent
WHERE workspace_id = $1 AND active AND lower(email) = ANY($2::text[])
"""
# Who may follow a customer: the workspace's active staff who work threads.
OWNERS = """
SELECT id, display_name FROM agent
WHERE workspace_id = $1 AND active AND roles && ARRAY['agent', 'lead', 'admin']
ORDER BY display_name, id
"""
AGENT_EXISTS = "SELECT true FROM agent WHERE workspace_id = $1 AND id = $2 AND active"
# Every thread of the customer, on each network, newest first, with who opened it.
THREADS = """
SELECT t.id, t.network, t.status, t.excerpt, t.opened_at, t.last_inbound_at,
       (SELECT m.author_handle FROM mention m
        WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id
          AND m.direction = 'inbound'
        ORDER BY m.created_at, m.external_id LIMIT 1) AS handle
FROM thread t
WHERE t.workspace_id = $1 AND t.customer_id = $2
ORDER BY t.opened_at DESC, t.id DESC
LIMIT $3
"""

LOCK_LIVE = """
SELECT id, vip, owner_agent_id, crm_external_id, tags, language, merged_into_id
FROM customer WHERE workspace_id = $1 AND id = ANY($2::bigint[])
ORDER BY id
FOR UPDATE
"""
# An import row's customer: by network and external id, else network and handle.
RESOLVE = """
SELECT r.line, i.customer_id
FROM unnest($2::int[], $3::text[], $4::text[], $5::text[]) AS r(line, network, handle, ext)
LEFT JOIN identity i
  ON i.workspace_id = $1 AND i.network = r.network
 AND CASE WHEN r.ext IS NOT NULL THEN i.external_user_id = r.ext
          ELSE lower(i.handle) = lower(ltrim(r.handle, '@')) END
ORDER BY r.line
"""


# A row as asyncpg reads it, or as decoded from JSON where a statement aggregates it.
Row = asyncpg.Record | Mapping[str, Any]


def customer_records(rows: Sequence[Row], identity_rows: Sequence[Row]) -> list[CustomerRecord]:
    """The records of RECORDS' rows, each with its identities of IDENTITIES' rows."""
    identities: dict[int, list[RecordIdentity]] = {}
    for row in identity_rows:
        identities.setdefault(row["customer_id"], []).append(
            RecordIdentity(
                row["id"], row["network"], row["external_user_id"], row["handle"],
                row["display_name"],
            )
        )  # fmt: skip
    return [
        CustomerRecord(
            id=row["id"],
            display_name=row["display_name"],
            fields=_fields(row),
            owner_name=row["owner_name"],
            owner_email=row["owner_email"],
            identities=tuple(identities.get(row["id"], ())),
            merged_into_id=row["merged_into_id"],
            created_at=row["created_at"],
        )
        for row in rows
    ]


def _fields(row: Row) -> RecordFields:
    return RecordFields(
        vip=row["vip"],
        owner_agent_id=row["owner_agent_id"],
        crm_id=row["crm_external_id"],
        tags=tuple(row["tags"]),
        language=row["language"],
    )


def _fields_json(fields: RecordFields) -> str:
    return json.dumps(
        {
            "vip": fields.vip,
            "owner_agent_id": fields.owner_agent_id,
            "crm_id": fields.crm_id,
            "tags": list(fields.tags),
            "language": fields.language,
        }
    )


def _change(row: asyncpg.Record) -> CustomerChange:
    return CustomerChange(
        id=row["id"],
        kind=row["kind"],
        customer_id=row["customer_id"],
        other_customer_id=row["other_customer_id"],
        identity_ids=tuple(row["identity_ids"]),
        thread_ids=tuple(row["thread_ids"]),
        evidence=row["evidence"],
        done_by=row["done_by"],
        reason=row["reason"],
        created_at=row["created_at"],
        undone_at=row["undone_at"],
    )


async def _ids(conn: Connection, query: str, *args: object) -> list[int]:
    return [row["id"] for row in await conn.fetch(query, *args)]


def _like(words: str) -> str:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def _update(conn: Connection, workspace_id: int, customer_id: int, f: RecordFields) -> None:
    await conn.execute(
        UPDATE, workspace_id, customer_id, f.vip, f.owner_agent_id, f.crm_id, list(f.tags),
        f.language,
    )  # fmt: skip


class PgCustomers:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def records(self, workspace_id: int, ids: Sequence[int]) -> list[CustomerRecord]:
        async with self._db.connection() as conn:
            return await self._records(conn, workspace_id, ids)

    async def _records(
        self, conn: Connection, workspace_id: int, ids: Sequence[int]
    ) -> list[CustomerRecord]:
        rows = await conn.fetch(RECORDS, workspace_id, list(ids))
        return customer_records(rows, await conn.fetch(IDENTITIES, workspace_id, list(ids)))

    async def customer_of_thread(self, workspace_id: int, thread_id: int) -> int | None:
        async with self._db.connection() as conn:
            found: int | None = await conn.fetchval(THREAD_CUSTOMER, workspace_id, thread_id)
        return found

    async def search(
        self, workspace_id: int, words: str, after_id: int, limit: int
    ) -> list[CustomerRecord]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(SEARCH, workspace_id, words, after_id, _like(words), limit)
            return await self._records(conn, workspace_id, [row["id"] for row in rows])

    async def change(
        self, workspace_id: int, customer_id: int, patched: Patch
    ) -> tuple[RecordFields, RecordFields]:
        """The record before and after `patched`, applied to it locked."""
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(LOCK_LIVE, workspace_id, [customer_id])
            if row is None:
                raise NotFoundError("customer", customer_id)
            if row["merged_into_id"] is not None:
                raise ConflictError(
                    f"customer {customer_id} is merged into {row['merged_into_id']}"
                )
            before = _fields(row)
            after = patched(before)
            if after != before:
                await _update(conn, workspace_id, customer_id, after)
                await record_customer_events(
                    conn, workspace_id, customer_events.updated(customer_id, before, after)
                )
        return before, after

    async def agents_by_email(self, workspace_id: int, emails: Sequence[str]) -> dict[str, int]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(AGENTS_BY_EMAIL, workspace_id, [e.lower() for e in emails])
        return {row["email"]: row["id"] for row in rows}

    async def owners(self, workspace_id: int) -> list[tuple[int, str]]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(OWNERS, workspace_id)
        return [(row["id"], row["display_name"]) for row in rows]

    async def agent_exists(self, workspace_id: int, agent_id: int) -> bool:
        async with self._db.connection() as conn:
            return bool(await conn.fetchval(AGENT_EXISTS, workspace_id, agent_id))

    async def threads(
        self, workspace_id: int, customer_id: int, limit: int
    ) -> list[CustomerThread]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(THREADS, workspace_id, customer_id, limit)
        return [
            CustomerThread(
                row["id"],
                row["network"],
                row["status"],
                row["excerpt"],
                row["opened_at"],
                row["last_inbound_at"],
                row["handle"],
            )
            for row in rows
        ]

    async def evidence(
        self, workspace_id: int, customer_id: int | None, limit: int
    ) -> list[Evidence]:
        async with self._db.connection() as conn:
            if customer_id is None:
                rows = await conn.fetch(evidence_sql.EVIDENCE_ALL, workspace_id, limit)
            else:
                rows = await conn.fetch(evidence_sql.EVIDENCE_OF, workspace_id, customer_id, limit)
        return [
            Evidence(row["first"], row["second"], EvidenceKind(row["kind"]), row["detail"])
            for row in rows
        ]

    async def certain_evidence(
        self, workspace_id: int, customer_ids: Sequence[int], kinds: Sequence[str], limit: int
    ) -> list[Evidence]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                evidence_sql.CERTAIN_AMONG, workspace_id, list(customer_ids), list(kinds), limit
            )
        return [
            Evidence(row["first"], row["second"], EvidenceKind(row["kind"]), row["detail"])
            for row in rows
        ]

    async def apart(self, workspace_id: int) -> set[tuple[int, int]]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(evidence_sql.APART, workspace_id)
        return {(row["first"], row["second"]) for row in rows}

    async def auto_merge(self, workspace_id: int) -> list[str] | None:
        async with self._db.connection() as conn:
            kinds: list[str] | None = await conn.fetchval(evidence_sql.AUTO_MERGE, workspace_id)
        return kinds

    async def set_auto_merge(self, workspace_id: int, kinds: Sequence[str]) -> None:
        async with self._db.connection() as conn:
            await conn.execute(evidence_sql.SET_AUTO_MERGE, workspace_id, list(kinds))

    async def fields_of(self, workspace_id: int, ids: Sequence[int]) -> dict[int, RecordFields]:
        """The live customers among `ids` and their records (merged ones left out)."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(RECORDS, workspace_id, list(ids))
        return {row["id"]: _fields(row) for row in rows if row["merged_into_id"] is None}

    async def merge(
        self,
        workspace_id: int,
        kept_id: int,
        other_id: int,
        decide: Decide,
        *,
        evidence: str,
        done_by: str,
        reason: str,
    ) -> int:
        """Fold `other_id` into `kept_id` in one transaction; `decide(kept, other)` gives
        the kept record's fields (and refuses when a conflict has no choice)."""
        async with self._db.transaction() as conn:
            rows = {
                row["id"]: row
                for row in await conn.fetch(LOCK_LIVE, workspace_id, [kept_id, other_id])
            }
            for customer_id in (kept_id, other_id):
                if customer_id not in rows:
                    raise NotFoundError("customer", customer_id)
                if rows[customer_id]["merged_into_id"] is not None:
                    raise ConflictError(f"customer {customer_id} is already merged into another")
            before = _fields(rows[kept_id])
            fields = decide(before, _fields(rows[other_id]))
            moved = [
                await _ids(conn, query, workspace_id, other_id, kept_id)
                for query in (changes_sql.MOVE_IDENTITIES, MOVE_THREADS, changes_sql.MOVE_NOTES)
            ]
            identity_ids, thread_ids, note_ids = moved
            await conn.execute(
                changes_sql.MOVE_MENTIONS, workspace_id, other_id, kept_id, thread_ids
            )
            await conn.execute(changes_sql.FOLD, workspace_id, other_id, kept_id)
            await _update(conn, workspace_id, kept_id, fields)
            change_id: int = await conn.fetchval(
                changes_sql.RECORD_CHANGE, workspace_id, "merge", kept_id, other_id, identity_ids,
                thread_ids, note_ids, _fields_json(before), evidence, done_by, reason,
            )  # fmt: skip
            event = customer_events.merged(
                kept_id, other_id, fields, change_id=change_id, identity_ids=identity_ids,
                thread_ids=thread_ids, by=done_by,
            )  # fmt: skip
            await record_customer_events(conn, workspace_id, [event])
        return change_id

    async def split(
        self, workspace_id: int, customer_id: int, identity_id: int, *, done_by: str, reason: str
    ) -> tuple[int, int]:
        """The identity and the threads it opened out into a new customer: (its id, change)."""
        async with self._db.transaction() as conn:
            locked = await conn.fetch(LOCK_LIVE, workspace_id, [customer_id])
            identity = await conn.fetchrow(changes_sql.IDENTITY, workspace_id, identity_id)
            if not locked or identity is None or identity["customer_id"] != customer_id:
                raise NotFoundError("identity", identity_id)
            if await conn.fetchval(changes_sql.COUNT_IDENTITIES, workspace_id, customer_id) < 2:
                raise ConflictError("a customer's only identity cannot be split off")
            name = identity["display_name"] or identity["handle"]
            new_id: int = await conn.fetchval(changes_sql.NEW_CUSTOMER, workspace_id, name)
            external = identity["external_user_id"]
            thread_ids = await _ids(
                conn, MOVE_IDENTITY_THREADS, workspace_id, customer_id, new_id,
                identity["network"], external,
            )  # fmt: skip
            await conn.execute(
                changes_sql.MOVE_IDENTITY_MENTIONS,
                workspace_id,
                customer_id,
                new_id,
                thread_ids,
                external,
            )
            await conn.execute(changes_sql.MOVE_ONE_IDENTITY, workspace_id, identity_id, new_id)
            change_id: int = await conn.fetchval(
                changes_sql.RECORD_CHANGE, workspace_id, "split", customer_id, new_id,
                [identity_id], thread_ids, [], "{}", "", done_by, reason,
            )  # fmt: skip
            event = customer_events.split(
                customer_id, new_id, _fields(locked[0]), change_id=change_id,
                identity_ids=[identity_id], thread_ids=thread_ids, by=done_by,
            )  # fmt: skip
            await record_customer_events(conn, workspace_id, [event])
        return new_id, change_id

    async def undo_merge(self, workspace_id: int, change_id: int, done_by: str) -> CustomerChange:
        """The merge's identities, threads and notes back to the customer they came from,
        and the kept customer's record as it was; refused once undone or built upon."""
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(changes_sql.CHANGE, workspace_id, change_id)
            if row is None:
                raise NotFoundError("change", change_id)
            if row["kind"] != "merge" or row["undone_at"] is not None:
                raise ConflictError("only a merge not yet undone can be undone")
            kept, other = row["customer_id"], row["other_customer_id"]
            locked = {r["id"]: r for r in await conn.fetch(LOCK_LIVE, workspace_id, [kept, other])}
            if kept not in locked or locked[kept]["merged_into_id"] is not None:
                raise ConflictError(f"customer {kept} was merged since: undo that merge first")
            for table, ids in (
                ("identity", row["identity_ids"]),
                ("thread", row["thread_ids"]),
                ("customer_note", row["note_ids"]),
            ):
                await conn.execute(
                    changes_sql.MOVE_BACK.format(table=table), workspace_id, kept, other, ids
                )
            await conn.execute(
                changes_sql.MOVE_MENTIONS, workspace_id, kept, other, row["thread_ids"]
            )
            await conn.execute(changes_sql.UNFOLD, workspace_id, other)
            before = json.loads(row["before"])
            restored = RecordFields(
                vip=before["vip"], owner_agent_id=before["owner_agent_id"],
                crm_id=before["crm_id"], tags=tuple(before["tags"]), language=before["language"],
            )  # fmt: skip
            await _update(conn, workspace_id, kept, restored)
            await conn.execute(changes_sql.MARK_UNDONE, workspace_id, change_id, done_by)
            event = customer_events.split(
                kept, other, restored, change_id=change_id, identity_ids=row["identity_ids"],
                thread_ids=row["thread_ids"], by=done_by, undone_merge=True,
            )  # fmt: skip
            await record_customer_events(conn, workspace_id, [event])
        return _change(row)

    async def changes(self, workspace_id: int, customer_id: int) -> list[CustomerChange]:
        async with self._db.connection() as conn:
            return [
                _change(r) for r in await conn.fetch(changes_sql.CHANGES, workspace_id, customer_id)
            ]

    async def resolve(
        self, workspace_id: int, keys: Sequence[tuple[int, str, str | None, str | None]]
    ) -> list[tuple[int, int | None]]:
        """(line, customer id) for each (line, network, handle, external id); a line that
        matches several identities comes back once for each."""
        lines, networks, handles, externals = (list(c) for c in zip(*keys, strict=True))
        async with self._db.connection() as conn:
            rows = await conn.fetch(RESOLVE, workspace_id, lines, networks, handles, externals)
        return [(row["line"], row["customer_id"]) for row in rows]

    async def apply(self, workspace_id: int, updates: Sequence[tuple[int, RecordFields]]) -> None:
        """Every update or none, each told as `customer.updated` against the record as it was
        when locked (a merged customer's update is not applied)."""
        async with self._db.transaction() as conn:
            locked = await conn.fetch(LOCK_LIVE, workspace_id, [cid for cid, _ in updates])
            before = {row["id"]: _fields(row) for row in locked if row["merged_into_id"] is None}
            events = [
                event
                for cid, after in updates
                if cid in before
                for event in customer_events.updated(cid, before[cid], after)
            ]
            await conn.executemany(
                UPDATE,
                [
                    (workspace_id, cid, f.vip, f.owner_agent_id, f.crm_id, list(f.tags), f.language)
                    for cid, f in updates
                ],
            )
            await record_customer_events(conn, workspace_id, events)
