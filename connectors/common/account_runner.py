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
from connectors.common.http_api import ApiError, RetryingApi
from connectors.common.polling import Ingest, PollOutcome
from inbox.domain.clock import Clock
from inbox.ports.connectors import ApiUsageLedger, ChannelHealthStore

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
Outcome = TypeVar("Outcome", bound=PollOutcome)
# The pause between the polls of a catch-up: quick, but not a busy loop, and room left for
# the other calls' rate limit.
CATCH_UP_SECONDS = 1.0


class AccountPoller(Protocol):
    """What a runner needs of its network's poller: the account it polls for, and where
    its batches go (the account's streams write there too)."""

    @property
    def account(self) -> Any: ...

    @property
    def ingest(self) -> Ingest: ...


Poller = TypeVar("Poller", bound=AccountPoller)


class AccountRunner(ABC, Generic[Poller, Account, Due]):
    # In log lines and their actions: "x", "mastodon", "bluesky".
    network: ClassVar[str]

    def __init__(
        self,
        poller: Poller,
        api: RetryingApi,
        ledger: ApiUsageLedger,
        health_store: ChannelHealthStore,
        *,
        clock: Clock,
        gap_policy: GapPolicy | None,
    ) -> None:
        self.account: Account = poller.account
        self.ingest = poller.ingest
        self._poller = poller
        self._api = api
        self._ledger = ledger
        self._health_store = health_store
        self._clock = clock
        self._gap_policy = gap_policy or GapPolicy()
        self.health = ChannelHealth()
        # A stream's catch-up and the schedule may ask for a poll at once: one at a time, so
        # that no page is read (and, on X, billed) twice.
        self._polling = asyncio.Lock()

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


class SinglePollRunner(AccountRunner[Poller, Account, None], Generic[Poller, Account, Outcome]):
    """An account with one thing to poll (Mastodon's mentions, Bluesky's notifications):
    every `poll_seconds`, at once again while more is waiting, and after a failure later
    each time, doubling from `poll_seconds` up to `max_backoff_seconds`. A network's runner
    names its own defaults of both."""

    default_poll_seconds: ClassVar[float]
    default_max_backoff_seconds: ClassVar[float] = 900.0

    def __init__(
        self,
        poller: Poller,
        api: RetryingApi,
        ledger: ApiUsageLedger,
        health_store: ChannelHealthStore,
        *,
        clock: Clock,
        poll_seconds: float | None = None,
        max_backoff_seconds: float | None = None,
        gap_policy: GapPolicy | None = None,
    ) -> None:
        super().__init__(poller, api, ledger, health_store, clock=clock, gap_policy=gap_policy)
        if poll_seconds is None:
            poll_seconds = self.default_poll_seconds
        if max_backoff_seconds is None:
            max_backoff_seconds = self.default_max_backoff_seconds
        self._poll_seconds = poll_seconds
        self._max_backoff = max_backoff_seconds
        self.next_at = clock()

    def _next_due(self) -> tuple[None, datetime]:
        return None, self.next_at

    async def _poll(self, due: None) -> Outcome | None:
        return await self.tick()

    async def tick(self) -> Outcome | None:
        """One poll, its books and health, and the time of the next one."""
        async with self._polling:
            started = self._clock()
            requests_before = self._api.requests
            outcome: Outcome | None = None
            try:
                outcome = await self._poll_once()
            except ApiError as error:
                self._note_failure(self._failure_reason(error))
                self.next_at = self._retry_at(error)
            else:
                self._note_success(outcome.newest_item_at, outcome.added)
                delay = CATCH_UP_SECONDS if self._more_waiting(outcome) else self._poll_seconds
                self.next_at = self._clock() + timedelta(seconds=delay)
                self._polled(outcome)
            await self._book(started.date(), requests_before, outcome.reads if outcome else 0)
            await self._save_health(self._pace_seconds())
            return outcome

    @abstractmethod
    async def _poll_once(self) -> Outcome:
        """The network's poll; its `ApiError`s are the channel's health."""

    @abstractmethod
    def _more_waiting(self, outcome: Outcome) -> bool:
        """The poll stopped before the end: the next one comes at once."""

    def _polled(self, outcome: Outcome) -> None:
        """What a network does with a poll that succeeded, besides its health."""

    def _failure_reason(self, error: ApiError) -> str:
        return str(error)

    def _retry_at(self, error: ApiError) -> datetime:
        failures = max(1, self.health.consecutive_failures)
        # The exponent is bounded: a week of failures must not overflow the float.
        backoff = self._poll_seconds * 2.0 ** min(failures - 1, 32)
        return self._clock() + timedelta(seconds=min(backoff, self._max_backoff))

    def _pace_seconds(self) -> float:
        """The pace the channel's health is judged against (see `_save_health`): its own
        `poll_seconds`, so that a channel polled rarely on purpose (Mastodon's, while its
        stream is on) is not stale."""
        return self._poll_seconds

    async def _channel_status(self) -> dict[str, Any]:
        return self.status()

    @abstractmethod
    def status(self) -> dict[str, Any]:
        """What the API and metrics show of this channel."""
