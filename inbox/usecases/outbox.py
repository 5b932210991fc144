"""Sending the outbox: each reply posted exactly once, whatever crashes in between.

An item is claimed under a lease (status "sending", attempts + 1) before it is posted. If the
process dies after the network accepted the post but before the database heard of it, the
item comes due again when its lease ends; because it has been attempted before, the sender
first looks for it on the network (`find_sent`) and records what it finds instead of posting
again. The same check precedes every retry, since a timeout or a 5xx may also hide a
success. The posted message is ingested as an outbound mention before the item is marked
sent: both steps are idempotent, so a crash between them is repaired by the next pass.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from inbox.domain.clock import Clock
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Mention
from inbox.domain.outbox import DeliveryError, OutboxItem
from inbox.ports.connectors import OutboundChannels
from inbox.ports.outbox import OutboxStore
from inbox.usecases.ingest import IngestMentions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SendPolicy:
    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 8
    first_backoff: timedelta = timedelta(seconds=5)
    max_backoff: timedelta = timedelta(minutes=30)

    def backoff(self, attempts: int, jitter: float) -> timedelta:
        """Exponential with full jitter: `jitter` in [0, 1) spreads retries of many items."""
        doubled: timedelta = self.first_backoff * (2 ** max(0, min(attempts, 30) - 1))
        ceiling = min(self.max_backoff, doubled)
        return self.first_backoff + (ceiling - self.first_backoff) * jitter


@dataclass(slots=True)
class SendReport:
    sent: int = 0
    reconciled: int = 0
    retried: int = 0
    failed: int = 0


class SendOutbox:
    def __init__(
        self,
        store: OutboxStore,
        channels: OutboundChannels,
        ingest: IngestMentions,
        *,
        clock: Clock,
        policy: SendPolicy | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._store = store
        self._channels = channels
        self._ingest = ingest
        self._clock = clock
        self._policy = policy or SendPolicy()
        self._jitter = jitter

    async def run_once(self, limit: int = 20) -> SendReport:
        report = SendReport()
        for item in await self._store.claim_due(self._clock(), limit, self._policy.lease):
            await self._deliver(item, report)
        return report

    async def _deliver(self, item: OutboxItem, report: SendReport) -> None:
        try:
            channel = await self._channels.for_account(item.workspace_id, item.account_id)
            if item.attempts > 1:
                found = await channel.find_sent(item)
                if found is not None:
                    await self._record(item, found)
                    report.reconciled += 1
                    log.info("outbox item found already posted", extra=_fields(item, found))
                    return
            posted = await channel.send(item)
        except DeliveryError as error:
            await self._refused(item, error, report)
            return
        await self._record(item, posted)
        report.sent += 1
        log.info("outbox item sent", extra=_fields(item, posted))

    async def _record(self, item: OutboxItem, posted: Mention) -> None:
        await self._ingest(item.workspace_id, IngestBatch([posted]))
        await self._store.mark_sent(item, posted.external_id)

    async def _refused(self, item: OutboxItem, error: DeliveryError, report: SendReport) -> None:
        if error.permanent or item.attempts >= self._policy.max_attempts:
            reason = error.reason
            if not error.permanent:
                reason = f"gave up after {item.attempts} attempts: {reason}"
            await self._store.mark_failed(item, reason)
            report.failed += 1
            log.warning(
                "outbox item failed",
                extra={"action": "outbox_failed", "item_id": item.id, "reason": reason},
            )
            return
        at = self._clock() + self._policy.backoff(item.attempts, self._jitter())
        await self._store.retry_later(item, error.reason, at)
        report.retried += 1


def _fields(item: OutboxItem, posted: Mention) -> dict[str, object]:
    return {
        "action": "outbox_sent",
        "workspace_id": item.workspace_id,
        "item_id": item.id,
        "external_id": posted.external_id,
    }
