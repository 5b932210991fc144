"""The life of one connected Bluesky account: polling, backoff, health.

Each account runs on its own task, so a rate-limited or failing account never delays another.
Bluesky does not bill reads, so the pace is simple: every `poll_seconds`, at once again while
a catch-up is unfinished, and further apart after each failure (doubling up to
`max_backoff_seconds`, and never before a known rate-limit reset). Health is kept as for X:
"channel degraded" when polls keep failing, when none succeeded for too long, or when an
account that is normally busy goes abnormally quiet.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from connectors.bluesky.poller import BlueskyAccount, BlueskyPoller, PollOutcome
from connectors.bluesky.xrpc import AuthenticationFailed, BlueskyApi, BlueskyApiError
from connectors.common.account_runner import AccountRunner
from connectors.common.health import GapPolicy, lag
from connectors.common.http_api import RateLimited
from inbox.domain.clock import Clock
from inbox.ports import ApiUsageLedger, ChannelHealthStore

log = logging.getLogger(__name__)

# The pause between the polls of a catch-up: quick, but not a busy loop.
CATCH_UP_SECONDS = 1.0


class BlueskyAccountRunner(AccountRunner[BlueskyAccount, None]):
    network = "bluesky"

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
        super().__init__(
            poller.account, api, ledger, health_store, clock=clock, gap_policy=gap_policy
        )
        self._poller = poller
        self._poll_seconds = poll_seconds
        self._max_backoff = max(max_backoff_seconds, poll_seconds)
        self.next_at = clock()

    def _next_due(self) -> tuple[None, datetime]:
        return None, self.next_at

    async def _poll(self, due: None) -> PollOutcome | None:
        return await self.tick()

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
            self._note_success(outcome.newest_item_at, outcome.added)
            delay = CATCH_UP_SECONDS if outcome.behind else self._poll_seconds
            self.next_at = self._clock() + timedelta(seconds=delay)
            for note in outcome.notes:
                log.info(
                    "bluesky poll note",
                    extra={"action": "bluesky_poll_note", "account": self.account.handle,
                           "note": note},
                )  # fmt: skip
        await self._book(started.date(), requests_before, outcome.reads if outcome else 0)
        # A poller slowed down by failures is judged against its own pace.
        await self._save_health((self.next_at - self._clock()).total_seconds())
        return outcome

    def _failed(self, error: BlueskyApiError) -> None:
        reason = str(error)
        if isinstance(error, AuthenticationFailed):
            reason = f"the app password was refused ({error.error}); run inbox connect bluesky"
        self._note_failure(reason)
        backoff = self._poll_seconds * 2 ** min(self.health.consecutive_failures - 1, 16)
        next_at = self._clock() + timedelta(seconds=min(backoff, self._max_backoff))
        if isinstance(error, RateLimited) and error.reset_at is not None:
            next_at = max(next_at, error.reset_at)
        self.next_at = next_at

    async def _channel_status(self) -> dict[str, Any]:
        return self.status()

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
