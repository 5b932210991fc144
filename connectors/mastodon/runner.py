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
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from connectors.common.health import ChannelHealth, GapPolicy, evaluate, lag, on_error, on_success
from connectors.mastodon.api import MastodonApi, MastodonApiError
from connectors.mastodon.poller import MastodonPoller, PollOutcome
from inbox.domain.errors import InboxError
from inbox.ports import ApiUsageLedger, ChannelHealthStore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Between catching-up polls, a pause that leaves room for the other calls' rate limit.
CATCH_UP_SECONDS = 1.0
MAX_FAILURE_DELAY_SECONDS = 900.0


class MastodonAccountRunner:
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
        self.account = poller.account
        self.ingest = poller.ingest
        self._poller = poller
        self._api = api
        self._ledger = ledger
        self._health_store = health_store
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._gap_policy = gap_policy or GapPolicy()
        self.health = ChannelHealth()
        # The stream's catch-up and the schedule may ask for a poll at once: one at a time.
        self._polling = asyncio.Lock()
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
                    "mastodon poll could not be recorded",
                    extra={
                        "action": "mastodon_poll_error",
                        "account": self.account.handle,
                        "error": str(error),
                    },
                )
                self.next_at = self._clock() + timedelta(seconds=self._poll_seconds)

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
            self.health = on_error(self.health, self._clock(), str(error))
            log.warning(
                "mastodon poll failed",
                extra={
                    "action": "mastodon_poll_failed",
                    "account": self.account.handle,
                    "error": str(error),
                },
            )
        else:
            self.health = on_success(
                self.health, self._clock(), outcome.newest_item_at, outcome.added
            )
        self.next_at = self._clock() + timedelta(seconds=self._delay(outcome))
        await self._ledger.record(
            self.account.workspace_id,
            self.account.account_id,
            now.date(),
            self._api.requests - requests_before,
            outcome.reads if outcome else 0,
        )
        await self._save_health()
        return outcome

    def _delay(self, outcome: PollOutcome | None) -> float:
        if outcome is not None:
            return CATCH_UP_SECONDS if outcome.truncated else self._poll_seconds
        failures = max(1, self.health.consecutive_failures)
        return min(MAX_FAILURE_DELAY_SECONDS, self._poll_seconds * 2.0 ** min(failures - 1, 10))

    async def _save_health(self) -> None:
        # A channel polled rarely (the stream is on) is not stale: judge it by its own pace.
        stale_after = max(self._gap_policy.stale_after, timedelta(seconds=3 * self._poll_seconds))
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
            self.status(),
            [(event.kind, event.reason, event.at) for event in events],
        )

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
