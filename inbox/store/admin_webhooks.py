"""The webhook store for the admin pages, whose sealing key is asked for on first use: a
process that never touches webhooks never reads (or creates) the key file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import SecretStr

from inbox.domain.webhooks import DeliveryJob, Webhook
from inbox.store.database import Database
from inbox.store.secret_box import SecretBox
from inbox.store.webhooks import PgWebhookStore


class KeyOnFirstUseWebhookStore:
    def __init__(self, db: Database, box: Callable[[], SecretBox]) -> None:
        self._db = db
        self._box = box

    def _store(self) -> PgWebhookStore:
        return PgWebhookStore(self._db, self._box())

    async def add(
        self,
        workspace_id: int,
        url: str,
        events: tuple[str, ...],
        secret: SecretStr,
        *,
        include_text: bool = False,
    ) -> Webhook:
        return await self._store().add(workspace_id, url, events, secret, include_text=include_text)

    async def all(self, workspace_id: int) -> list[Webhook]:
        return await self._store().all(workspace_id)

    async def remove(self, workspace_id: int, webhook_id: int) -> bool:
        return await self._store().remove(workspace_id, webhook_id)

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[DeliveryJob]:
        return await self._store().claim_due(now, limit, lease)

    async def delivered(self, job: DeliveryJob, status: int, at: datetime) -> None:
        await self._store().delivered(job, status, at)

    async def failed(self, job: DeliveryJob, reason: str, status: int | None) -> None:
        await self._store().failed(job, reason, status)

    async def retry_later(
        self, job: DeliveryJob, reason: str, status: int | None, at: datetime
    ) -> None:
        await self._store().retry_later(job, reason, status, at)
