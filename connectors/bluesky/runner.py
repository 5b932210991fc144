"""The life of one connected Bluesky account: polling, backoff, health.

Each account runs on its own task, so a rate-limited or failing account never delays another.
Bluesky does not bill reads, so the pace is simple: every `poll_seconds`, at once again while
a catch-up is unfinished, and further apart after each failure (doubling up to
`max_backoff_seconds`, and never before a known rate-limit reset). Health is kept as for X:
"channel degraded" when polls keep failing, when none succeeded for too long, or when an
account that is normally busy goes abnormally quiet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from connectors.bluesky.poller import BlueskyPoller, PollOutcome
from connectors.bluesky.xrpc import AuthenticationFailed, BlueskyApi, BlueskyApiError, RateLimited
from connectors.common.health import ChannelHealth, GapPolicy, evaluate, lag, on_error, on_success
from inbox.domain.errors import InboxError
from inbox.ports import ApiUsageLedger, ChannelHealthStore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# The pause between the polls of a catch-up: quick, but not a busy loop.
CATCH_UP_SECONDS = 1.0


class BlueskyAccountRunner:
    def __init__(
        self,
        poller: BlueskyPoller,
        api: BlueskyApi,
        ledger: ApiUsageLedger,
        health_store: ChannelHealthStore,
        *,
        clock: Clock,
        poll_seconds: float = 30.0,
        max_backoff_seconds: float = 900.0,
        gap_policy: GapPolicy | None = None,
    ) -> None:
        self.account = poller.account
        self._poller = poller
        self._api = api
        self._ledger = ledger
        self._health_store = health_store
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._max_backoff = max(max_backoff_seconds, poll_seconds)
        self._gap_policy = gap_policy or GapPolicy()
        self.health = ChannelHealth()
        self.next_at = clock()

    async def run(self, stop: asyncio.Event) -> None:
        stored = await self._health_store.load(self.account.workspace_id, self.account.account_id)
        if stored and isinstance(stored.get("health"), dict):
            self.health = ChannelHealth.model_validate(stored["health"])
        while not stop.is_set():
            wait = (self.next_at - self._clock()).total_seconds()
            if wait > 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                    return
                except TimeoutError:
                    pass
            try:
                await self.tick()
            except InboxError as error:
                # The database is down or misconfigured: try again later, do not die.
                log.error(
                    "bluesky poll could not be recorded",
                    extra={
                        "action": "bluesky_poll_error",
                        "account": self.account.handle,
                        "error": str(error),
                    },
                )
                self.next_at = self._clock() + timedelta(seconds=self._poll_seconds)

    async def tick(self) -> PollOutcome | None:
        """One poll, its books and health, and the time of the next one."""
        started = self._clock()
        requests_before = self._api.requests
        outcome: PollOutcome | None = None
        try:
            outcome = await self._poller.poll()
        except BlueskyApiError as error:
            self._failed(error)
        else:
            self.health = on_success(
                self.health, self._clock(), outcome.newest_item_at, outcome.added
            )
            delay = CATCH_UP_SECONDS if outcome.behind else self._poll_seconds
            self.next_at = self._clock() + timedelta(seconds=delay)
            for note in outcome.notes:
                log.info(
                    "bluesky poll note",
                    extra={"action": "bluesky_poll_note", "account": self.account.handle,
                           "note": note},
                )  # fmt: skip
        await self._ledger.record(
            self.account.workspace_id,
            self.account.account_id,
            started.date(),
            self._api.requests - requests_before,
            outcome.reads if outcome else 0,
        )
        await self._save_health()
        return outcome

    def _failed(self, error: BlueskyApiError) -> None:
        reason = str(error)
        if isinstance(error, AuthenticationFailed):
            reason = f"the app password was refused ({error.error}); run inbox connect bluesky"
        self.health = on_error(self.health, self._clock(), reason)
        backoff = self._poll_seconds * 2 ** min(self.health.consecutive_failures - 1, 16)
        next_at = self._clock() + timedelta(seconds=min(backoff, self._max_backoff))
        if isinstance(error, RateLimited) and error.reset_at is not None:
            next_at = max(next_at, error.reset_at)
        self.next_at = next_at
        log.warning(
            "bluesky poll failed",
            extra={"action": "bluesky_poll_failed", "account": self.account.handle,
                   "error": reason},
        )  # fmt: skip

    async def _save_health(self) -> None:
        # A poller slowed down by failures is judged against its own pace.
        slowest = (self.next_at - self._clock()).total_seconds()
        stale_after = max(self._gap_policy.stale_after, timedelta(seconds=3 * slowest))
        policy = self._gap_policy.model_copy(update={"stale_after": stale_after})
        self.health, events = evaluate(self.health, self._clock(), policy)
        for event in events:
            log.warning(
                event.kind.replace("_", " "),
                extra={"action": event.kind, "account": self.account.handle,
                       "reason": event.reason},
            )  # fmt: skip
        await self._health_store.save(
            self.account.workspace_id,
            self.account.account_id,
            self.status(),
            [(event.kind, event.reason, event.at) for event in events],
        )

    def status(self) -> dict[str, Any]:
        """What the API and metrics show of this channel: health, lag, the next poll."""
        limits = {
            endpoint: {"remaining": rate.remaining, "reset_at": rate.reset_at.isoformat()}
            for endpoint, rate in self._api.limits.items()
        }
        return {
            "account": self.account.handle,
            "network": "bluesky",
            "health": self.health.model_dump(mode="json"),
            "poll_seconds": self._poll_seconds,
            "next_polls": {"notifications": self.next_at.isoformat()},
            "lag_seconds": lag(self.health, self._clock()),
            "rate_limits": limits,
        }
