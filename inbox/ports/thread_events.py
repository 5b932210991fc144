"""Thread events: written with their change, then queued for the webhooks that want them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from inbox.domain.thread_events import NewThreadEvent


class ThreadEventWriter(Protocol):
    """Writes in a transaction its caller owns: the events commit with their change or not at
    all. One statement however many events."""

    async def record(self, workspace_id: int, events: Sequence[NewThreadEvent]) -> None: ...


class EventOutbox(Protocol):
    """Events written with their change, waiting to become webhook deliveries: the thread
    events, and any other ordered family (a customer's events are one more outbox,
    queueing its deliveries under `customer:<id>`)."""

    async def dispatch(self, limit: int) -> int:
        """Queues the oldest written events as deliveries to their webhooks, in the order of
        their sequence; returns how many events were taken (0: none left)."""
        ...
