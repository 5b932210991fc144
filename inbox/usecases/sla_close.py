"""Closing threads that need no reply (spam, praise, a deleted post, a hidden comment): the
thread resolved and its waiting clock ended excluded from the figures.
"""

from __future__ import annotations

from collections.abc import Sequence

from inbox.domain.clock import Clock, utc_now
from inbox.domain.errors import ConfigurationError, ConflictError, NotFoundError
from inbox.ports.routing import WaitingThreads
from inbox.ports.sla import SlaSettingsStore
from inbox.usecases.sla import KeepClocks

CLOSURE_REASONS = ("no_reply_needed", "deleted", "hidden", "resolved")


def _checked_reason(reason: str) -> None:
    if reason not in CLOSURE_REASONS:
        raise ConfigurationError("reason", f"one of {', '.join(CLOSURE_REASONS)}")


class CloseWithoutReply:
    """ "No reply needed" (spam, praise), a post deleted by its author, a hidden comment: the
    thread is resolved and its waiting clock ends excluded from the figures, in one
    transaction. A later customer message reopens the thread and starts a new clock. Once
    closed, the seats it frees go to threads waiting in the queues (`waiting`)."""

    def __init__(
        self,
        store: SlaSettingsStore,
        clocks: KeepClocks,
        *,
        clock: Clock = utc_now,
        waiting: WaitingThreads | None = None,
    ) -> None:
        self._store = store
        self._clocks = clocks
        self._clock = clock
        self._waiting = waiting

    async def many(
        self, workspace_id: int, thread_ids: Sequence[int], reason: str, closed_by: str
    ) -> list[int]:
        """Close many threads in one transaction (set-based); those actually closed."""
        _checked_reason(reason)
        async with self._store.clock_transaction(workspace_id) as writer:
            closed = await writer.record_closures(
                workspace_id, thread_ids, self._clock(), reason, closed_by
            )
            await self._clocks.keep(writer, workspace_id, closed)
        if self._waiting is not None:
            await self._waiting.seats_freed(workspace_id, closed)
        return closed

    async def __call__(
        self, workspace_id: int, thread_id: int, reason: str, closed_by: str
    ) -> None:
        _checked_reason(reason)
        async with self._store.clock_transaction(workspace_id) as writer:
            if not await writer.record_closure(
                workspace_id, thread_id, self._clock(), reason, closed_by
            ):
                if reason == "resolved" and await writer.thread_exists(workspace_id, thread_id):
                    raise ConflictError(
                        "the customer is still waiting for an answer: reply, or close the "
                        "thread as needing no reply"
                    )
                raise NotFoundError("thread", thread_id)
            await self._clocks.keep(writer, workspace_id, [thread_id])
        if self._waiting is not None:
            await self._waiting.seats_freed(workspace_id, [thread_id])
