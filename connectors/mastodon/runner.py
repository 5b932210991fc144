"""The life of one connected Mastodon account: polling on its own task, health, API use.

Each account polls on its own task, so one waiting out its rate-limit window never delays
another. Polls come every `poll_seconds` (rarely when the user stream is on: they are its
safety net), at once again while pages are still waiting, and further apart after failures.
Health is kept with the same rules as every polled channel (`connectors.common.health`, pure):
"channel degraded" when polls keep failing, when none succeeded for too long, or when a
normally busy account goes abnormally quiet.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from connectors.common.account_runner import AccountRunner
from connectors.common.health import GapPolicy, lag
from connectors.mastodon.api import MastodonApi, MastodonApiError
from connectors.mastodon.poller import MastodonAccount, MastodonPoller, PollOutcome
from inbox.domain.clock import Clock
from inbox.ports import ApiUsageLedger, ChannelHealthStore

# Between catching-up polls, a pause that leaves room for the other calls' rate limit.
CATCH_UP_SECONDS = 1.0
MAX_FAILURE_DELAY_SECONDS = 900.0


class MastodonAccountRunner(AccountRunner[MastodonAccount, None]):
    network = "mastodon"

    def __init__(
        self,
        poller: MastodonPoller,
        api: MastodonApi,
        ledger: ApiUsageLedger,
        health_store: ChannelHealthStore,
        *,
        clock: Clock,
        poll_seconds: float = 60.0,
        gap_policy: GapPolicy | None = None,
    ) -> None:
        super().__init__(
            poller.account, api, ledger, health_store, clock=clock, gap_policy=gap_policy
        )
        self.ingest = poller.ingest
        self._poller = poller
        self._poll_seconds = poll_seconds
        # The stream's catch-up and the schedule may ask for a poll at once: one at a time.
        self._polling = asyncio.Lock()
        self.next_at = clock()

    def _next_due(self) -> tuple[None, datetime]:
        return None, self.next_at

    async def _poll(self, due: None) -> PollOutcome | None:
        return await self.tick()

    async def tick(self) -> PollOutcome | None:
        """One poll, then the time of the next one."""
        async with self._polling:
            return await self._tick()

    async def _tick(self) -> PollOutcome | None:
        now = self._clock()
        requests_before = self._api.requests
        outcome: PollOutcome | None = None
        try:
            outcome = await self._poller.poll_mentions()
        except MastodonApiError as error:
            self._note_failure(str(error))
        else:
            self._note_success(outcome.newest_item_at, outcome.added)
        self.next_at = self._clock() + timedelta(seconds=self._delay(outcome))
        await self._book(now.date(), requests_before, outcome.reads if outcome else 0)
        # A channel polled rarely (the stream is on) is not stale: judge it by its own pace.
        await self._save_health(self._poll_seconds)
        return outcome

    def _delay(self, outcome: PollOutcome | None) -> float:
        if outcome is not None:
            return CATCH_UP_SECONDS if outcome.truncated else self._poll_seconds
        failures = max(1, self.health.consecutive_failures)
        return min(MAX_FAILURE_DELAY_SECONDS, self._poll_seconds * 2.0 ** min(failures - 1, 10))

    async def _channel_status(self) -> dict[str, Any]:
        return self.status()

    def status(self) -> dict[str, Any]:
        """What the API and metrics show of this channel: health, lag, rate limit."""
        limit = self._api.limits.get("notifications")
        return {
            "account": self.account.handle,
            "instance": self.account.instance,
            "health": self.health.model_dump(mode="json"),
            "next_polls": {"mentions": self.next_at.isoformat()},
            "lag_seconds": lag(self.health, self._clock()),
            "rate_limit_remaining": limit.remaining if limit else None,
            "rate_limit_reset_at": limit.reset_at.isoformat() if limit else None,
        }
