"""The outbox table: queueing, claiming due items under a lease, recording outcomes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from inbox.domain.errors import NotFoundError
from inbox.domain.outbox import OutboxItem, OutboxKind
from inbox.store.database import Database

ITEM_COLUMNS = """o.workspace_id, o.id, o.thread_id, o.network, o.kind, o.idempotency_key, o.body,
       o.in_reply_to, o.account_id, o.recipient_id, t.thread_key, o.status, o.attempts,
       o.last_error, o.sent_external_id, o.created_at, o.updated_at,
       (SELECT r.author_handle FROM mention r
        WHERE r.workspace_id = o.workspace_id AND r.network = o.network
          AND r.external_id = o.in_reply_to) AS reply_to_handle"""

# The reply goes to the thread's latest customer message, from the workspace's account on the
# thread's network, unless the caller names them. A repeated key returns the first item.
ENQUEUE = f"""
WITH thread_row AS (
    SELECT t.workspace_id, t.id, t.network,
           coalesce($6, (SELECT m.external_id FROM mention m
                         WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id
                           AND m.direction = 'inbound'
                         ORDER BY m.created_at DESC LIMIT 1)) AS in_reply_to,
           coalesce($7, (SELECT a.id FROM network_account a
                         WHERE a.workspace_id = t.workspace_id AND a.network = t.network
                           AND a.enabled ORDER BY a.id LIMIT 1)) AS account_id
    FROM thread t WHERE t.workspace_id = $1 AND t.id = $2
), inserted AS (
    INSERT INTO outbox_item (workspace_id, thread_id, network, kind, idempotency_key, body,
                             in_reply_to, account_id, recipient_id, agent_id)
    SELECT workspace_id, id, network, $3, $4, $5, in_reply_to, account_id, $8, $9
    FROM thread_row
    ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
    RETURNING *
)
SELECT {ITEM_COLUMNS}
FROM inserted o JOIN thread t ON t.workspace_id = o.workspace_id AND t.id = o.thread_id
"""  # noqa: S608 (ITEM_COLUMNS is a constant, not input)

# Claimed items stay "sending" under a lease; if the process dies, they are due again when
# the lease ends, and the sender reconciles them before trying again.
CLAIM_DUE = f"""
WITH due AS (
    SELECT workspace_id, id FROM outbox_item
    WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1
    ORDER BY next_attempt_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE outbox_item o
    SET status = 'sending', attempts = o.attempts + 1, next_attempt_at = $1 + $3::interval,
        updated_at = now()
    FROM due WHERE o.workspace_id = due.workspace_id AND o.id = due.id
    RETURNING o.*
)
SELECT {ITEM_COLUMNS}
FROM claimed o JOIN thread t ON t.workspace_id = o.workspace_id AND t.id = o.thread_id
"""  # noqa: S608 (ITEM_COLUMNS is a constant, not input)

# A reply posted is the thread's `message.sent` event, written once (a repeated mark of an
# item already sent writes none) in the same statement.
MARK_SENT = """
WITH was_sent AS (
    SELECT status = 'sent' AS already FROM outbox_item WHERE workspace_id = $1 AND id = $2
), sent AS (
    UPDATE outbox_item SET status = 'sent', sent_external_id = $3, last_error = NULL,
                           updated_at = now()
    WHERE workspace_id = $1 AND id = $2
    RETURNING id, thread_id, network, kind, sent_external_id
), numbered AS (
    UPDATE thread t SET event_seq = t.event_seq + 1
    FROM sent s WHERE t.workspace_id = $1 AND t.id = s.thread_id
      AND NOT (SELECT already FROM was_sent)
    RETURNING t.id, t.event_seq
)
INSERT INTO thread_event (workspace_id, thread_id, seq, kind, occurred_at, data, outbox_id)
SELECT $1, s.thread_id, n.event_seq, 'message.sent', now(),
       jsonb_build_object('network', s.network, 'outbox_id', s.id, 'reply_kind', s.kind,
                          'message', jsonb_build_object('network', s.network,
                                                        'external_id', s.sent_external_id)),
       s.id
FROM sent s JOIN numbered n ON n.id = s.thread_id
"""
MARK_FAILED = """
UPDATE outbox_item SET status = 'failed', last_error = $3, updated_at = now()
WHERE workspace_id = $1 AND id = $2
"""
RETRY_LATER = """
UPDATE outbox_item SET status = 'pending', last_error = $3, next_attempt_at = $4,
                       updated_at = now()
WHERE workspace_id = $1 AND id = $2
"""
# The item a repeated key refers to (an insert in the same statement would not be visible).
BY_KEY = f"""
SELECT {ITEM_COLUMNS}
FROM outbox_item o JOIN thread t ON t.workspace_id = o.workspace_id AND t.id = o.thread_id
WHERE o.workspace_id = $1 AND o.idempotency_key = $2
"""  # noqa: S608 (ITEM_COLUMNS is a constant, not input)
GET_ITEM = f"""
SELECT {ITEM_COLUMNS}
FROM outbox_item o JOIN thread t ON t.workspace_id = o.workspace_id AND t.id = o.thread_id
WHERE o.workspace_id = $1 AND o.id = $2
"""  # noqa: S608 (ITEM_COLUMNS is a constant, not input)


def _item(row: Any) -> OutboxItem:
    return OutboxItem(**dict(row))


class PgOutboxStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(
        self,
        workspace_id: int,
        thread_id: int,
        kind: OutboxKind,
        idempotency_key: str,
        body: str,
        *,
        in_reply_to: str | None = None,
        account_id: int | None = None,
        recipient_id: str | None = None,
        agent_id: int | None = None,
    ) -> OutboxItem:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(
                ENQUEUE,
                workspace_id,
                thread_id,
                kind.value,
                idempotency_key,
                body,
                in_reply_to,
                account_id,
                recipient_id,
                agent_id,
            )
            if row is None:
                row = await conn.fetchrow(BY_KEY, workspace_id, idempotency_key)
        if row is None:
            raise NotFoundError("thread", thread_id)
        return _item(row)

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxItem]:
        async with self._db.transaction() as conn:
            rows = await conn.fetch(CLAIM_DUE, now, limit, lease)
        return [_item(row) for row in rows]

    async def mark_sent(self, item: OutboxItem, external_id: str) -> None:
        async with self._db.connection() as conn:
            await conn.execute(MARK_SENT, item.workspace_id, item.id, external_id)

    async def mark_failed(self, item: OutboxItem, reason: str) -> None:
        async with self._db.connection() as conn:
            await conn.execute(MARK_FAILED, item.workspace_id, item.id, reason)

    async def retry_later(self, item: OutboxItem, reason: str, at: datetime) -> None:
        async with self._db.connection() as conn:
            await conn.execute(RETRY_LATER, item.workspace_id, item.id, reason, at)

    async def get(self, workspace_id: int, item_id: int) -> OutboxItem | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(GET_ITEM, workspace_id, item_id)
        return None if row is None else _item(row)
