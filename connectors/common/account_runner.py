"""The life every connected account shares, whatever its network: one task per account that
waits for its next poll, polls, books what it spent, and keeps the channel's health.

Each account runs on its own task, so an account waiting out a rate-limit window or backing
off after failures never delays another. What differs by network stays in its runner: what
is polled and when (X's read budget, Mastodon's stream as the main path, Bluesky's
catch-up), what a failure means, and what the channels API shows.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from connectors.common.health import ChannelHealth, GapPolicy, evaluate, on_error, on_success
from connectors.common.http_api import RetryingApi
from inbox.domain.clock import Clock
from inbox.ports import ApiUsageLedger, ChannelHealthStore

log = logging.getLogger(__name__)


class PolledAccount(Protocol):
    """What a runner needs to know of any network's account."""

    @property
    def workspace_id(self) -> int: ...

    @property
    def account_id(self) -> int: ...

    @property
    def handle(self) -> str: ...


Account = TypeVar("Account", bound=PolledAccount)
# What the runner polls when it wakes: X has two streams, the others a single poll (None).
Due = TypeVar("Due")


class AccountRunner(ABC, Generic[Account, Due]):
    # In log lines and their actions: "x", "mastodon", "bluesky".
    network: ClassVar[str]

    def __init__(
        self,
        account: Account,
        api: RetryingApi,
        ledger: ApiUsageLedger,
        health_store: ChannelHealthStore,
        *,
        clock: Clock,
        gap_policy: GapPolicy | None,
    ) -> None:
        self.account = account
        self._api = api
        self._ledger = ledger
        self._health_store = health_store
        self._clock = clock
        self._gap_policy = gap_policy or GapPolicy()
        self.health = ChannelHealth()

    async def run(self, stop: asyncio.Event) -> None:
        """Poll whenever one is due, until `stop` is set.

        The network's failures are the channel's health (kept, and retried on the runner's
        own schedule); anything else (the database away) leaves `run`, and the supervisor
        that runs it starts it again: the stored health and cursors carry on from there."""
        stored = await self._health_store.load(self.account.workspace_id, self.account.account_id)
        if stored and isinstance(stored.get("health"), dict):
            self.health = ChannelHealth.model_validate(stored["health"])
        while not stop.is_set():
            due, at = self._next_due()
            wait = (at - self._clock()).total_seconds()
            if wait > 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                    return
                except TimeoutError:
                    pass
            await self._poll(due)

    @abstractmethod
    def _next_due(self) -> tuple[Due, datetime]:
        """What to poll next, and when."""

    @abstractmethod
    async def _poll(self, due: Due) -> object:
        """One poll of `due` with its books and health (the runner's `tick`)."""

    @abstractmethod
    async def _channel_status(self) -> dict[str, Any]:
        """What is stored with the health, for the channels API and metrics."""

    def _note_success(self, newest_item_at: datetime | None, added: int) -> None:
        self.health = on_success(self.health, self._clock(), newest_item_at, added)

    def _note_failure(self, reason: str, **context: str) -> None:
        """`reason` is free of secrets: it is kept in the health and logged."""
        self.health = on_error(self.health, self._clock(), reason)
        log.warning(
            f"{self.network} poll failed",
            extra={
                "action": f"{self.network}_poll_failed",
                "account": self.account.handle,
                **context,
                "error": reason,
            },
        )

    async def _book(self, day: date, requests_before: int, reads: int) -> None:
        """The requests sent since `requests_before` and the posts read, on `day`."""
        await self._ledger.record(
            self.account.workspace_id,
            self.account.account_id,
            day,
            self._api.requests - requests_before,
            reads,
        )

    async def _save_health(self, pace_seconds: float) -> None:
        """Judge the health and store it with its events. A channel polled every
        `pace_seconds` (slowed by a budget, a stream or failures) is judged against that
        pace, not stale after the policy's time alone."""
        stale_after = max(self._gap_policy.stale_after, timedelta(seconds=3 * pace_seconds))
        policy = self._gap_policy.model_copy(update={"stale_after": stale_after})
        self.health, events = evaluate(self.health, self._clock(), policy)
        for event in events:
            log.warning(
                event.kind.replace("_", " "),
                extra={
                    "action": event.kind,
                    "account": self.account.handle,
                    "reason": event.reason,
                },
            )
        await self._health_store.save(
            self.account.workspace_id,
            self.account.account_id,
            await self._channel_status(),
            [(event.kind, event.reason, event.at) for event in events],
        )
