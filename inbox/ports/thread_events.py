"""Thread events: written with their change, then queued for the webhooks that want them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from inbox.domain.thread_events import NewThreadEvent


class ThreadEventWriter(Protocol):
    """Writes in a transaction its caller owns: the events commit with their change or not at
    all. One statement however many events."""

    async def record(self, workspace_id: int, events: Sequence[NewThreadEvent]) -> None: ...


class ThreadEventOutbox(Protocol):
    async def dispatch(self, limit: int) -> int:
        """Queues the oldest written events as deliveries to their webhooks, in each thread's
        order; returns how many events were taken (0: none left)."""
        ...
