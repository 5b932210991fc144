"""Outbound webhooks and their deliveries: subscriptions with sealed secrets, leased claims."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr

from inbox.domain.webhooks import DeliveryJob, Webhook
from inbox.store.database import Database
from inbox.store.secret_box import SecretBox

ADD = """
INSERT INTO webhook (workspace_id, url, events, secret_sealed)
VALUES ($1, $2, $3, $4)
RETURNING workspace_id, id, url, events, active, created_at
"""
LIST = """
SELECT w.workspace_id, w.id, w.url, w.events, w.active, w.created_at,
       count(*) FILTER (WHERE d.status IN ('pending', 'sending')) AS pending,
       count(*) FILTER (WHERE d.status = 'failed') AS failed
FROM webhook w
LEFT JOIN webhook_delivery d ON d.workspace_id = w.workspace_id AND d.webhook_id = w.id
WHERE w.workspace_id = $1
GROUP BY w.workspace_id, w.id
ORDER BY w.id
"""
REMOVE = "DELETE FROM webhook WHERE workspace_id = $1 AND id = $2"

# A claimed delivery stays "sending" under a lease: if the sender dies it is due again when
# the lease ends. Receivers deduplicate on the event key, so a repeat post is harmless.
CLAIM_DUE = """
WITH due AS (
    SELECT workspace_id, id FROM webhook_delivery
    WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1
    ORDER BY next_attempt_at, id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE webhook_delivery d
    SET status = 'sending', attempts = d.attempts + 1, next_attempt_at = $1 + $3::interval
    FROM due WHERE d.workspace_id = due.workspace_id AND d.id = due.id
    RETURNING d.*
)
SELECT c.workspace_id, c.id, c.webhook_id, w.url, w.secret_sealed, c.event_key, c.event_kind,
       c.payload::text AS payload, c.attempts
FROM claimed c JOIN webhook w ON w.workspace_id = c.workspace_id AND w.id = c.webhook_id
"""
DELIVERED = """
UPDATE webhook_delivery SET status = 'delivered', last_status = $3, delivered_at = $4,
                            last_error = NULL
WHERE workspace_id = $1 AND id = $2
"""
FAILED = """
UPDATE webhook_delivery SET status = 'failed', last_error = $3, last_status = $4
WHERE workspace_id = $1 AND id = $2
"""
RETRY_LATER = """
UPDATE webhook_delivery SET status = 'pending', last_error = $3, last_status = $4,
                            next_attempt_at = $5
WHERE workspace_id = $1 AND id = $2
"""


def _webhook(row: Any) -> Webhook:
    return Webhook(**{**dict(row), "events": tuple(row["events"])})


class PgWebhookStore:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box

    async def add(
        self, workspace_id: int, url: str, events: tuple[str, ...], secret: SecretStr
    ) -> Webhook:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(ADD, workspace_id, url, list(events), self._box.seal(secret))
        return _webhook(row)

    async def all(self, workspace_id: int) -> list[Webhook]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(LIST, workspace_id)
        return [_webhook(row) for row in rows]

    async def remove(self, workspace_id: int, webhook_id: int) -> bool:
        async with self._db.connection() as conn:
            status = await conn.execute(REMOVE, workspace_id, webhook_id)
        return bool(status.endswith(" 1"))

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[DeliveryJob]:
        async with self._db.transaction() as conn:
            rows = await conn.fetch(CLAIM_DUE, now, limit, lease)
        return [
            DeliveryJob(
                workspace_id=row["workspace_id"],
                id=row["id"],
                webhook_id=row["webhook_id"],
                url=row["url"],
                secret=self._box.open(row["secret_sealed"], what="webhook secret"),
                event_key=row["event_key"],
                event_kind=row["event_kind"],
                payload=row["payload"],
                attempts=row["attempts"],
            )
            for row in rows
        ]

    async def delivered(self, job: DeliveryJob, status: int, at: datetime) -> None:
        async with self._db.connection() as conn:
            await conn.execute(DELIVERED, job.workspace_id, job.id, status, at)

    async def failed(self, job: DeliveryJob, reason: str, status: int | None) -> None:
        async with self._db.connection() as conn:
            await conn.execute(FAILED, job.workspace_id, job.id, reason, status)

    async def retry_later(
        self, job: DeliveryJob, reason: str, status: int | None, at: datetime
    ) -> None:
        async with self._db.connection() as conn:
            await conn.execute(RETRY_LATER, job.workspace_id, job.id, reason, status, at)
