"""What leaves: the outbox, outbound webhooks and where they may go."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from pydantic import SecretStr

from inbox.domain.outbox import OutboxItem, OutboxKind
from inbox.domain.webhooks import DeliveryJob, Webhook

if TYPE_CHECKING:
    pass


class OutboxStore(Protocol):
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
        """`agent_id`: who sends it (a reply, a direct message, an approved answer)."""
        ...

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxItem]:
        """Due items, marked sending under a lease; `attempts` already counts this one."""
        ...

    async def mark_sent(self, item: OutboxItem, external_id: str) -> None: ...

    async def mark_failed(self, item: OutboxItem, reason: str) -> None: ...

    async def retry_later(self, item: OutboxItem, reason: str, at: datetime) -> None: ...


class WebhookStore(Protocol):
    async def add(
        self,
        workspace_id: int,
        url: str,
        events: tuple[str, ...],
        secret: SecretStr,
        *,
        include_text: bool = False,
    ) -> Webhook:
        """`include_text`: message events carry the message's text to this webhook."""
        ...

    async def all(self, workspace_id: int) -> list[Webhook]: ...

    async def remove(self, workspace_id: int, webhook_id: int) -> bool: ...

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[DeliveryJob]:
        """Due deliveries, each held under a lease so that no other sender posts it."""
        ...

    async def delivered(self, job: DeliveryJob, status: int, at: datetime) -> None: ...

    async def failed(self, job: DeliveryJob, reason: str, status: int | None) -> None: ...

    async def retry_later(
        self, job: DeliveryJob, reason: str, status: int | None, at: datetime
    ) -> None: ...


class WebhookPoster(Protocol):
    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> int:
        """The receiver's HTTP status; raises WebhookUnreachable when none came back, and
        ForbiddenDestination when the egress policy refused the receiver's address."""
        ...


class OutboundDestinations(Protocol):
    """The egress policy applied to an address typed in (inbox.domain.egress)."""

    async def check(self, url: str, setting: str) -> None:
        """Raises ForbiddenDestination naming `setting` when `url` may not be sent to: its
        scheme, its host, or any address its name resolves to now."""
        ...
