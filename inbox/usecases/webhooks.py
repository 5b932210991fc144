"""Outbound webhooks: subscribing, and posting each queued event, signed, until delivered.

A receiver's address is held to the egress policy twice: when the webhook is added (its name
resolved then) and at every connection (resolved again, each address checked). A delivery
whose receiver the policy refuses fails at once, for good, with the reason."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from pydantic import SecretStr

from inbox.domain.clock import Clock
from inbox.domain.egress import ForbiddenDestination
from inbox.domain.errors import NotFoundError
from inbox.domain.webhooks import (
    MAX_ATTEMPTS,
    DeliveryJob,
    Webhook,
    WebhookUnreachable,
    event_filters,
    permanent_refusal,
    redacted_url,
    retry_delay,
    signed_headers,
    validate_url,
)
from inbox.ports.outbox import OutboundDestinations, WebhookPoster, WebhookStore
from inbox.ports.thread_events import EventOutbox

log = logging.getLogger(__name__)


URL_FIELD = "webhook url"


class ManageWebhooks:
    def __init__(self, store: WebhookStore, destinations: OutboundDestinations) -> None:
        self._store = store
        self._destinations = destinations

    async def add(
        self, workspace_id: int, url: str, events: list[str], *, include_text: bool = False
    ) -> tuple[Webhook, SecretStr]:
        """The webhook and its signing secret, which is shown this once. With `include_text`
        the message events it receives carry the message's text (personal data: opt in)."""
        checked = validate_url(url)
        filters = event_filters(events)
        await self._destinations.check(checked, URL_FIELD)
        secret = SecretStr(secrets.token_urlsafe(32))
        webhook = await self._store.add(
            workspace_id, checked, filters, secret, include_text=include_text
        )
        return webhook, secret

    async def all(self, workspace_id: int) -> list[Webhook]:
        return await self._store.all(workspace_id)

    async def remove(self, workspace_id: int, webhook_id: int) -> None:
        if not await self._store.remove(workspace_id, webhook_id):
            raise NotFoundError("webhook", webhook_id)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    batch: int = 50
    concurrency: int = 8
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = MAX_ATTEMPTS


class DeliverWebhooks:
    def __init__(
        self,
        store: WebhookStore,
        poster: WebhookPoster,
        *,
        clock: Clock,
        policy: DeliveryPolicy = DeliveryPolicy(),
        outboxes: Sequence[EventOutbox] = (),
    ) -> None:
        self._store = store
        self._poster = poster
        self._clock = clock
        self._policy = policy
        self._slots = asyncio.Semaphore(policy.concurrency)
        self._outboxes = tuple(outboxes)

    async def run_once(self) -> int:
        """Queue the events written since (thread events...), then post every due delivery (a
        batch at a time); returns how many were attempted.

        A claim holds at most one delivery of each thread per webhook (the store's order), so
        the threads of a batch are posted in parallel and each thread's events one after
        another, across batches."""
        for outbox in self._outboxes:
            while await outbox.dispatch(self._policy.batch * 10):
                pass
        attempted = 0
        while jobs := await self._store.claim_due(
            self._clock(), self._policy.batch, self._policy.lease
        ):
            await asyncio.gather(*(self._deliver(job) for job in jobs))
            attempted += len(jobs)
        return attempted

    async def _deliver(self, job: DeliveryJob) -> None:
        async with self._slots:
            now = self._clock()
            status: int | None = None
            try:
                status = await self._poster.post(
                    job.url, signed_headers(job, now), job.payload.encode()
                )
            except ForbiddenDestination as refusal:
                await self._give_up(job, f"refused: {refusal}", None)
                return
            except WebhookUnreachable as error:
                reason = str(error)
            else:
                if 200 <= status < 300:
                    await self._store.delivered(job, status, self._clock())
                    return
                reason = f"the receiver answered HTTP {status}"
                if permanent_refusal(status):
                    await self._give_up(job, reason, status)
                    return
            if job.attempts >= self._policy.max_attempts:
                await self._give_up(job, f"{reason} (after {job.attempts} attempts)", status)
                return
            await self._store.retry_later(
                job, reason, status, self._clock() + retry_delay(job.attempts)
            )

    async def _give_up(self, job: DeliveryJob, reason: str, status: int | None) -> None:
        await self._store.failed(job, reason, status)
        log.warning(
            "webhook delivery failed",
            extra={
                "action": "webhook_failed",
                "webhook_id": job.webhook_id,
                "url": redacted_url(job.url),
                "event": job.event_key,
                "error": reason,
            },
        )
