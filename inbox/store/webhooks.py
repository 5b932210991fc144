"""Outbound webhooks and their deliveries: subscriptions with sealed secrets and sealed URLs
(receivers often keep a secret in the path or query), leased claims.

A URL is stored twice: sealed (`url_sealed`), opened only for a claimed delivery, and as it
is shown (`url_shown`: scheme, host and port), which is all a listing carries: the full URL
never leaves the store but to be posted to, and listings need no key. A row stored before
URLs were sealed has its URL in clear in `url` until `seal_clear_urls` (run when the workers
start) seals it (migration 0022); it is delivered and listed from there until then."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr

from inbox.domain.webhooks import DeliveryJob, Webhook, redacted_url
from inbox.store.database import Database
from inbox.store.secret_box import SecretBox

ADD = """
INSERT INTO webhook (workspace_id, url_sealed, url_shown, events, secret_sealed, include_text)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING workspace_id, id, url, url_shown, events, active, include_text, created_at
"""
LIST = """
SELECT w.workspace_id, w.id, w.url, w.url_shown, w.events, w.active, w.include_text,
       w.created_at,
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
# A delivery of a sequence (a thread's events) waits while an earlier one of its sequence to
# the same webhook is still pending or sending: a receiver gets them in order, and the next
# goes once the one before was delivered or given up. Other sequences go on meanwhile.
CLAIM_DUE = """
WITH due AS (
    SELECT workspace_id, id FROM webhook_delivery d
    WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1
      AND (sequence_key IS NULL OR NOT EXISTS (
          SELECT 1 FROM webhook_delivery e
          WHERE e.workspace_id = d.workspace_id AND e.webhook_id = d.webhook_id
            AND e.sequence_key = d.sequence_key AND e.sequence_no < d.sequence_no
            AND e.status IN ('pending', 'sending')))
    ORDER BY next_attempt_at, id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE webhook_delivery d
    SET status = 'sending', attempts = d.attempts + 1, next_attempt_at = $1 + $3::interval
    FROM due WHERE d.workspace_id = due.workspace_id AND d.id = due.id
    RETURNING d.*
)
SELECT c.workspace_id, c.id, c.webhook_id, w.url, w.url_sealed, w.secret_sealed, c.event_key,
       c.event_kind,
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
# Rows from before URLs were sealed. The update only takes a row whose clear URL is still the
# one read: two workers sealing at once do not both write.
IN_CLEAR = "SELECT workspace_id, id, url FROM webhook WHERE url IS NOT NULL"
SEAL_URL = """
UPDATE webhook SET url_sealed = $3, url_shown = $4, url = NULL
WHERE workspace_id = $1 AND id = $2 AND url = $5
"""
RETRY_LATER = """
UPDATE webhook_delivery SET status = 'pending', last_error = $3, last_status = $4,
                            next_attempt_at = $5
WHERE workspace_id = $1 AND id = $2
"""


class PgWebhookStore:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box

    def _url(self, row: Any) -> str:
        if row["url"] is not None:
            return str(row["url"])
        return self._box.open(row["url_sealed"], what="webhook URL").get_secret_value()

    @staticmethod
    def _webhook(row: Any) -> Webhook:
        """A listed webhook: its `url` is the shown form, never the sealed URL."""
        values = dict(row)
        return Webhook(
            workspace_id=values["workspace_id"],
            id=values["id"],
            url=values["url_shown"] or redacted_url(values["url"]),
            events=tuple(values["events"]),
            active=values["active"],
            include_text=values["include_text"],
            created_at=values["created_at"],
            pending=values.get("pending", 0),
            failed=values.get("failed", 0),
        )

    async def add(
        self,
        workspace_id: int,
        url: str,
        events: tuple[str, ...],
        secret: SecretStr,
        *,
        include_text: bool = False,
    ) -> Webhook:
        sealed_url, sealed_secret = self._box.seal(SecretStr(url)), self._box.seal(secret)
        async with self._db.connection() as conn:
            row = await conn.fetchrow(
                ADD,
                workspace_id,
                sealed_url,
                redacted_url(url),
                list(events),
                sealed_secret,
                include_text,
            )
        return self._webhook(row)

    async def all(self, workspace_id: int) -> list[Webhook]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(LIST, workspace_id)
        return [self._webhook(row) for row in rows]

    async def seal_clear_urls(self) -> int:
        """Seal the URLs still stored in clear (rows from before they were sealed); how many."""
        async with self._db.transaction() as conn:
            rows = await conn.fetch(IN_CLEAR)
            await conn.executemany(
                SEAL_URL,
                [
                    (
                        row["workspace_id"],
                        row["id"],
                        self._box.seal(SecretStr(row["url"])),
                        redacted_url(row["url"]),
                        row["url"],
                    )
                    for row in rows
                ],
            )
        return len(rows)

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
                url=self._url(row),
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
