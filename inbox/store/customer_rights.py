"""A customer's rights in PostgreSQL: everything held about them, read section by section
from one snapshot through server-side cursors (memory stays bounded however much there is),
and their erasure, set-based statements in one transaction with its record and audit entry.

Whose data it is: the customer, every customer merged into them (their identities, threads
and notes moved here, their records kept for an undo), the messages they wrote (on any
thread) and everything about their threads. A message another person wrote in one of their
threads is that person's, and stays."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from inbox.domain.audit import AuditEntry
from inbox.domain.customer_rights import (
    PSEUDONYM_PREFIX,
    AlreadyErasedError,
    Erasure,
    MergedCustomerError,
    Section,
)
from inbox.domain.errors import NotFoundError
from inbox.store.audit import append
from inbox.store.database import Connection, Database
from inbox.store.ingest_sql import LOCK_WORKSPACE
from inbox.store.text_removal import Why, remove_texts

CUSTOMER = """
SELECT id, merged_into_id, erased_at, display_name FROM customer
WHERE workspace_id = $1 AND id = $2
"""
LOCK_CUSTOMER = CUSTOMER + " FOR UPDATE"
# The customer and those merged into them, at any depth (a merge of a merge).
OWNED_CUSTOMERS = """
WITH RECURSIVE owned(id) AS (
    SELECT $2::bigint
    UNION
    SELECT c.id FROM customer c JOIN owned o ON c.merged_into_id = o.id
    WHERE c.workspace_id = $1
)
SELECT array_agg(id) FROM owned
"""
OWNED_THREADS = """
SELECT coalesce(array_agg(id), '{}') FROM thread
WHERE workspace_id = $1 AND customer_id = ANY($2::bigint[])
"""
IDENTITY_KEYS = """
SELECT coalesce(array_agg(external_user_id), '{}'),
       coalesce(array_agg(handle) FILTER (WHERE handle IS NOT NULL), '{}')
FROM identity WHERE workspace_id = $1 AND customer_id = ANY($2::bigint[])
"""
# Their messages: written by them (on any thread), and ours in their threads (replies name
# them). Found by the indexes on the customer and on the thread.
THEIR_MENTIONS = """
m.workspace_id = :workspace
AND (m.customer_id = ANY(:customers::bigint[])
     OR (m.thread_id = ANY(:threads::bigint[]) AND m.direction = 'outbound'))
"""
# A quarantined payload names an identity when it holds its user id or handle as a JSON
# string: quoted, so that a short number does not match inside every payload.
THEIR_QUARANTINE = """
q.workspace_id = :workspace AND EXISTS (
    SELECT 1 FROM unnest(:keys::text[]) AS k(key)
    WHERE length(k.key) >= 2 AND position(convert_to('"' || k.key || '"', 'UTF8') IN q.raw) > 0
)
"""

# --- access: one query per section, each row as JSON text ---------------------------------

EXPORT = {
    Section.CUSTOMER: """
SELECT (to_jsonb(c) - 'workspace_id')::text FROM customer c
WHERE c.workspace_id = :workspace AND c.id = ANY(:customers::bigint[])
ORDER BY c.id
""",
    Section.IDENTITIES: """
SELECT (to_jsonb(i) - 'workspace_id')::text FROM identity i
WHERE i.workspace_id = :workspace AND i.customer_id = ANY(:customers::bigint[])
ORDER BY i.id
""",
    Section.THREADS: """
SELECT (to_jsonb(t) - 'workspace_id')::text FROM thread t
WHERE t.workspace_id = :workspace AND t.id = ANY(:threads::bigint[])
ORDER BY t.opened_at, t.id
""",
    Section.MESSAGES: f"""
SELECT (to_jsonb(m) - 'workspace_id')::text FROM mention m
WHERE {THEIR_MENTIONS} ORDER BY m.created_at, m.external_id
""",  # noqa: S608 (constants only)
    Section.CLASSIFICATIONS: f"""
SELECT (to_jsonb(mc) - 'workspace_id')::text
FROM mention m
JOIN mention_classification mc ON mc.workspace_id = m.workspace_id
 AND mc.network = m.network AND mc.external_id = m.external_id
WHERE {THEIR_MENTIONS} ORDER BY m.created_at, m.external_id
""",  # noqa: S608 (constants only)
    Section.CORRECTIONS: """
SELECT (to_jsonb(c) - 'workspace_id')::text FROM classification_correction c
WHERE c.workspace_id = :workspace AND c.thread_id = ANY(:threads::bigint[])
ORDER BY c.at, c.id
""",
    Section.CUSTOMER_NOTES: """
SELECT (to_jsonb(n) - 'workspace_id')::text FROM customer_note n
WHERE n.workspace_id = :workspace AND n.customer_id = ANY(:customers::bigint[])
ORDER BY n.created_at, n.id
""",
    Section.THREAD_NOTES: """
SELECT (to_jsonb(n) - 'workspace_id')::text FROM note n
WHERE n.workspace_id = :workspace AND n.thread_id = ANY(:threads::bigint[])
ORDER BY n.created_at, n.id
""",
    Section.ASSIGNMENTS: """
SELECT (to_jsonb(a) - 'workspace_id')::text FROM assignment a
WHERE a.workspace_id = :workspace AND a.thread_id = ANY(:threads::bigint[])
ORDER BY a.at, a.id
""",
    Section.SLA_CLOCKS: """
SELECT (to_jsonb(s) - 'workspace_id')::text FROM sla_clock s
WHERE s.workspace_id = :workspace AND s.thread_id = ANY(:threads::bigint[])
ORDER BY s.started_at, s.id
""",
    Section.OUTBOX: """
SELECT (to_jsonb(o) - 'workspace_id' - 'idempotency_key')::text FROM outbox_item o
WHERE o.workspace_id = :workspace AND o.thread_id = ANY(:threads::bigint[])
ORDER BY o.created_at, o.id
""",
    Section.COMMUNITY_ANSWERS: """
SELECT (to_jsonb(a) - 'workspace_id')::text FROM community_answer a
WHERE a.workspace_id = :workspace AND a.thread_id = ANY(:threads::bigint[])
ORDER BY a.created_at, a.id
""",
    Section.CLOSURES: """
SELECT (to_jsonb(c) - 'workspace_id')::text FROM thread_closure c
WHERE c.workspace_id = :workspace AND c.thread_id = ANY(:threads::bigint[])
ORDER BY c.at, c.id
""",
    Section.THREAD_EVENTS: """
SELECT (to_jsonb(e) - 'workspace_id')::text FROM thread_event e
WHERE e.workspace_id = :workspace AND e.thread_id = ANY(:threads::bigint[])
ORDER BY e.thread_id, e.seq
""",
    # The raw bytes as text, bytes outside ASCII written \ooo.
    Section.QUARANTINE: f"""
SELECT jsonb_build_object('id', q.id, 'source', q.source, 'error', q.error,
                          'received_at', q.received_at, 'raw', encode(q.raw, 'escape'))::text
FROM quarantine q WHERE {THEIR_QUARANTINE} ORDER BY q.id
""",  # noqa: S608 (constants only)
    Section.MERGE_HISTORY: """
SELECT (to_jsonb(c) - 'workspace_id')::text FROM customer_change c
WHERE c.workspace_id = :workspace
  AND (c.customer_id = ANY(:customers::bigint[]) OR c.other_customer_id = ANY(:customers::bigint[]))
ORDER BY c.created_at, c.id
""",
}

# --- erasure: each statement returns how many rows it changed -----------------------------

# An identity's tombstone key, as inbox.domain.customer_rights.identity_key_hash computes it.
KEY_HASH = "sha256(convert_to(workspace_id::text || E'\\n' || network || E'\\n' || {key}, 'UTF8'))"


def erased_key(key: str) -> str:
    """What an erased identity's user id becomes: the start of its tombstone key, unique in
    its workspace and network, so that the identity's rows still hang together."""
    return f"'{PSEUDONYM_PREFIX}' || left(encode({KEY_HASH.format(key=key)}, 'hex'), 16)"


# Tombstones first, while the identities still carry their network ids.
TOMBSTONES = f"""
INSERT INTO erased_identity (workspace_id, network, key_hash, erasure_id)
SELECT workspace_id, network,
       {KEY_HASH.format(key="external_user_id")},
       :erasure::bigint
FROM identity WHERE workspace_id = :workspace AND customer_id = ANY(:customers::bigint[])
ON CONFLICT DO NOTHING
"""  # noqa: S608 (constants only)
# Their messages by key, for the text removal.
THEIR_MESSAGE_KEYS = f"""
SELECT coalesce(array_agg(m.network), '{{}}'), coalesce(array_agg(m.external_id), '{{}}')
FROM mention m WHERE {THEIR_MENTIONS}
"""  # noqa: S608 (constants only)
# What only an erasure removes (their texts go as retention's do: inbox.store.text_removal).
ERASE = {
    # The message stays (its id keeps an old post, fetched again, from coming back; its time
    # counts in the reports) under the pseudonym, with no link to the post.
    "authors": f"""
UPDATE mention m
SET url = NULL,
    author_handle = CASE WHEN m.direction = 'inbound' THEN :pseudonym ELSE m.author_handle END,
    author_name = CASE WHEN m.direction = 'inbound' THEN NULL ELSE m.author_name END,
    author_external_id = CASE WHEN m.direction = 'inbound'
        THEN {erased_key("m.author_external_id")}
        ELSE m.author_external_id END
WHERE {THEIR_MENTIONS}
""",  # noqa: S608 (constants only)
    "outbox_recipients": f"""
UPDATE outbox_item SET recipient_id = '{PSEUDONYM_PREFIX}recipient', updated_at = now()
WHERE workspace_id = :workspace AND thread_id = ANY(:threads::bigint[])
  AND recipient_id = ANY(:keys::text[])
""",  # noqa: S608 (constants only)
    "customer_notes": """
DELETE FROM customer_note
WHERE workspace_id = :workspace AND customer_id = ANY(:customers::bigint[])
""",
    # The record's own events carried its CRM id and tags as they were: the counts stay.
    "customer_events": """
UPDATE customer_event SET data = '{}'
WHERE workspace_id = :workspace AND customer_id = ANY(:customers::bigint[]) AND data <> '{}'
""",
    "customer_event_deliveries": """
UPDATE webhook_delivery
SET payload = jsonb_set(payload, '{data}', jsonb_build_object(
    'customer_id', payload #> '{data,customer_id}', 'sequence', payload #> '{data,sequence}'))
WHERE workspace_id = :workspace
  AND sequence_key = ANY(ARRAY(SELECT 'customer:' || c FROM unnest(:customers::bigint[]) AS c))
""",
    "quarantine_rows": f"DELETE FROM quarantine q WHERE {THEIR_QUARANTINE}",  # noqa: S608
    # Merges and splits keep the records as they were (for an undo): nothing to undo now.
    "merge_history": """
DELETE FROM customer_change
WHERE workspace_id = :workspace
  AND (customer_id = ANY(:customers::bigint[])
       OR other_customer_id = ANY(:customers::bigint[]))
""",
    "identities": f"""
UPDATE identity
SET handle = NULL, display_name = NULL,
    external_user_id = {erased_key("external_user_id")}
WHERE workspace_id = :workspace AND customer_id = ANY(:customers::bigint[])
""",  # noqa: S608 (constants only)
    # Who follows them and whether they are VIP are the team's, and routing reads them.
    "customers": """
UPDATE customer
SET display_name = :pseudonym, crm_external_id = NULL, tags = '{}', language = NULL,
    erased_at = :erased_at::timestamptz, updated_at = now()
WHERE workspace_id = :workspace AND id = ANY(:customers::bigint[])
""",
}
RECORD = """
INSERT INTO customer_erasure (workspace_id, id, customer_id, pseudonym, erased_by, erased_at,
                              counts)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
"""
NEXT_ERASURE = "SELECT nextval(pg_get_serial_sequence('customer_erasure', 'id'))"
ERASURE_BY_KEY = """
SELECT e.id, e.customer_id, e.pseudonym, e.erased_by, e.erased_at, e.counts::text
FROM erased_identity t
JOIN customer_erasure e ON e.workspace_id = t.workspace_id AND e.id = t.erasure_id
WHERE t.workspace_id = $1 AND t.network = $2 AND t.key_hash = $3
"""
ERASURE_OF = """
SELECT id, customer_id, pseudonym, erased_by, erased_at, counts::text
FROM customer_erasure WHERE workspace_id = $1 AND customer_id = $2
"""


PARAMETER = re.compile(r"(?<!:):([a-z_]+)")


def positional(sql: str, values: Mapping[str, object]) -> tuple[str, list[object]]:
    """`sql` with its `:name` parameters numbered for asyncpg, and their values in order: the
    statements above share their parameters, and each reads only some of them."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in order:
            order.append(match[1])
        return f"${order.index(match[1]) + 1}"

    return PARAMETER.sub(number, sql), [values[name] for name in order]


@dataclass(frozen=True, slots=True)
class _Whose:
    customer_ids: list[int]
    thread_ids: list[int]
    keys: list[str]  # their network user ids and handles, as quarantined payloads name them

    def values(self, workspace_id: int) -> dict[str, object]:
        return {
            "workspace": workspace_id,
            "customers": self.customer_ids,
            "threads": self.thread_ids,
            "keys": self.keys,
        }


async def _whose(conn: Connection, workspace_id: int, customer_id: int) -> _Whose:
    customer_ids = list(await conn.fetchval(OWNED_CUSTOMERS, workspace_id, customer_id))
    thread_ids = list(await conn.fetchval(OWNED_THREADS, workspace_id, customer_ids))
    row = await conn.fetchrow(IDENTITY_KEYS, workspace_id, customer_ids)
    assert row is not None
    return _Whose(customer_ids, thread_ids, [*row[0], *row[1]])


async def _execute(conn: Connection, sql: str, values: Mapping[str, object]) -> int:
    """Run one statement with its named parameters; how many rows it changed."""
    query, args = positional(sql, values)
    status = await conn.execute(query, *args)
    return int(status.rsplit(" ", 1)[-1])


def _checked(row: asyncpg.Record | None, customer_id: int) -> None:
    if row is None:
        raise NotFoundError("customer", customer_id)
    if row["merged_into_id"] is not None:
        raise MergedCustomerError(customer_id, row["merged_into_id"])
    if row["erased_at"] is not None:
        raise AlreadyErasedError(customer_id, row["display_name"] or "")


def _erasure(row: Mapping[str, object]) -> Erasure:
    erased_at = row["erased_at"]
    assert isinstance(erased_at, datetime)
    return Erasure(
        erasure_id=int(str(row["id"])),
        customer_id=int(str(row["customer_id"])),
        pseudonym=str(row["pseudonym"]),
        erased_by=str(row["erased_by"]),
        erased_at=erased_at,
        counts=json.loads(str(row["counts"])),
    )


class PgSnapshot:
    """The sections of one customer's data, as one consistent snapshot."""

    def __init__(self, conn: Connection, workspace_id: int, whose: _Whose) -> None:
        self._conn = conn
        self._values = whose.values(workspace_id)

    async def rows(self, section: Section) -> AsyncIterator[str]:
        query, args = positional(EXPORT[section], self._values)
        async for record in self._conn.cursor(query, *args, prefetch=200):
            yield str(record[0])


class PgCustomerRights:
    def __init__(self, db: Database) -> None:
        self._db = db

    @asynccontextmanager
    async def snapshot(self, workspace_id: int, customer_id: int) -> AsyncIterator[PgSnapshot]:
        async with (
            self._db.connection() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            row = await conn.fetchrow(CUSTOMER, workspace_id, customer_id)
            if row is None:
                raise NotFoundError("customer", customer_id)
            if row["merged_into_id"] is not None:
                raise MergedCustomerError(customer_id, row["merged_into_id"])
            yield PgSnapshot(conn, workspace_id, await _whose(conn, workspace_id, customer_id))

    async def erase(
        self,
        workspace_id: int,
        customer_id: int,
        *,
        pseudonym: str,
        erased_by: str,
        now: datetime,
        audit: AuditEntry,
    ) -> Erasure:
        async with self._db.transaction() as conn:
            # Ingestion of the workspace waits for the erasure (a tenth of a second for 1,000
            # messages): a message of theirs committed halfway would keep its text.
            await conn.execute(LOCK_WORKSPACE, workspace_id)
            _checked(await conn.fetchrow(LOCK_CUSTOMER, workspace_id, customer_id), customer_id)
            whose = await _whose(conn, workspace_id, customer_id)
            erasure_id = int(await conn.fetchval(NEXT_ERASURE))
            values = {
                **whose.values(workspace_id),
                "pseudonym": pseudonym,
                "erasure": erasure_id,
                "erased_at": now,
            }
            await _execute(conn, TOMBSTONES, values)
            query, args = positional(THEIR_MESSAGE_KEYS, values)
            keys = await conn.fetchrow(query, *args)
            assert keys is not None
            counts = await remove_texts(
                conn,
                workspace_id,
                threads=whose.thread_ids,
                messages=list(zip(keys[0], keys[1], strict=True)),
                now=now,
                why=Why.ERASED,
                give_up_waiting=True,
            )
            counts |= {name: await _execute(conn, sql, values) for name, sql in ERASE.items()}
            await conn.execute(
                RECORD,
                workspace_id,
                erasure_id,
                customer_id,
                pseudonym,
                erased_by,
                now,
                json.dumps(counts, sort_keys=True),
            )
            summary = {**audit.summary, "pseudonym": pseudonym, "counts": counts}
            await append(conn, dataclasses.replace(audit, summary=summary), now)
        return Erasure(erasure_id, customer_id, pseudonym, erased_by, now, counts)

    async def erasure_of(self, workspace_id: int, customer_id: int) -> Erasure | None:
        row = await self._db.fetchrow(ERASURE_OF, workspace_id, customer_id)
        return None if row is None else _erasure(dict(row))

    async def erasure_by_key(
        self, workspace_id: int, network: str, key_hash: bytes
    ) -> Erasure | None:
        row = await self._db.fetchrow(ERASURE_BY_KEY, workspace_id, network, key_hash)
        return None if row is None else _erasure(dict(row))
