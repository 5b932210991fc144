"""The life of one connected X account: adaptive polling, API use, health.

Each account runs on its own task: a 429 that makes one account wait for its window to reset
never delays another. Between polls the runner asks the budget policy when to poll each
stream next (mentions are favoured over searches as the read budget runs low), books every
request and post read, and keeps the channel's health, raising "channel degraded" when polls
keep failing or when an account that is normally busy goes abnormally quiet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from connectors.common.health import ChannelHealth, GapPolicy, evaluate, lag, on_error, on_success
from connectors.x.api import XApi, XApiError
from connectors.x.budget import (
    PollingPlan,
    ReadBudget,
    ReadUsage,
    Stream,
    next_poll_delay,
    projected_month_end,
    remaining,
)
from connectors.x.poller import PollOutcome, XPoller
from inbox.domain.errors import InboxError
from inbox.ports import ApiUsageLedger, ChannelHealthStore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


class XAccountRunner:
    def __init__(
        self,
        poller: XPoller,
        api: XApi,
        ledger: ApiUsageLedger,
        health_store: ChannelHealthStore,
        *,
        budget: ReadBudget,
        plan: PollingPlan,
        clock: Clock,
        gap_policy: GapPolicy | None = None,
    ) -> None:
        self.account = poller.account
        self.ingest = poller.ingest
        self._poller = poller
        self._api = api
        self._ledger = ledger
        self._health_store = health_store
        self._budget = budget
        self._plan = plan
        self._clock = clock
        self._gap_policy = gap_policy or GapPolicy()
        self.health = ChannelHealth()
        # The stream's catch-up and the schedule may ask for the same poll at once: one
        # at a time, so that no page is read (and billed) twice.
        self._polling = asyncio.Lock()
        self._yield: dict[Stream, float | None] = {Stream.MENTIONS: None, Stream.SEARCH: None}
        now = clock()
        self.next_at: dict[Stream, datetime] = {Stream.MENTIONS: now}
        if self.account.search_terms:
            self.next_at[Stream.SEARCH] = now

    async def run(self, stop: asyncio.Event) -> None:
        stored = await self._health_store.load(self.account.workspace_id, self.account.account_id)
        if stored and isinstance(stored.get("health"), dict):
            self.health = ChannelHealth.model_validate(stored["health"])
        while not stop.is_set():
            stream = min(self.next_at, key=lambda s: self.next_at[s])
            wait = (self.next_at[stream] - self._clock()).total_seconds()
            if wait > 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                    return
                except TimeoutError:
                    pass
            try:
                await self.tick(stream)
            except InboxError as error:
                # The database is down or misconfigured: try again later, do not die.
                log.error(
                    "x account poll could not be recorded",
                    extra={
                        "action": "x_poll_error",
                        "account": self.account.handle,
                        "error": str(error),
                    },
                )
                self.next_at[stream] = self._clock() + timedelta(seconds=self._plan.min_seconds)

    async def usage(self) -> ReadUsage:
        now = self._clock()
        day = now.astimezone(self._budget.zone).date()
        today, month = await self._ledger.reads(
            self.account.workspace_id, self.account.account_id, day, day.replace(day=1)
        )
        return ReadUsage(reads_today=today, reads_this_month=month, measured_at=now)

    async def tick(self, stream: Stream) -> PollOutcome | None:
        """One poll of one stream if the budget allows, then the time of the next one."""
        async with self._polling:
            return await self._tick(stream)

    async def _tick(self, stream: Stream) -> PollOutcome | None:
        now = self._clock()
        usage = await self.usage()
        decision = next_poll_delay(
            self._plan, self._budget, usage, stream, now, recent_yield=self._yield[stream]
        )
        self.next_at[stream] = now + timedelta(seconds=decision.delay_seconds)
        if decision.skip:
            log.info(
                "x poll skipped",
                extra={
                    "action": "x_poll_skip",
                    "account": self.account.handle,
                    "stream": stream.value,
                    "reason": decision.reason,
                },
            )
            return None
        requests_before = self._api.requests
        outcome: PollOutcome | None = None
        try:
            if stream is Stream.MENTIONS:
                outcome = await self._poller.poll_mentions()
            else:
                outcome = await self._poller.poll_search()
        except XApiError as error:
            self.health = on_error(self.health, self._clock(), str(error))
            log.warning(
                "x poll failed",
                extra={
                    "action": "x_poll_failed",
                    "account": self.account.handle,
                    "stream": stream.value,
                    "error": str(error),
                },
            )
        else:
            self.health = on_success(
                self.health, self._clock(), outcome.newest_item_at, outcome.added
            )
            requests = max(1, self._api.requests - requests_before)
            self._yield[stream] = outcome.reads / requests
        await self._ledger.record(
            self.account.workspace_id,
            self.account.account_id,
            now.astimezone(self._budget.zone).date(),
            self._api.requests - requests_before,
            outcome.reads if outcome else 0,
        )
        await self._save_health()
        return outcome

    async def _save_health(self) -> None:
        # A poller slowed down by its budget is not stale: judge it against its own pace.
        slowest = max((t - self._clock()).total_seconds() for t in self.next_at.values())
        stale_after = max(self._gap_policy.stale_after, timedelta(seconds=3 * slowest))
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
            await self.status(),
            [(event.kind, event.reason, event.at) for event in events],
        )

    async def status(self) -> dict[str, Any]:
        """What the API and metrics show of this channel: health, lag and budget."""
        usage = await self.usage()
        day_left, month_left = remaining(self._budget, usage)
        return {
            "account": self.account.handle,
            "health": self.health.model_dump(mode="json"),
            "reads_per_day": self._budget.reads_per_day,
            "reads_per_month": self._budget.reads_per_month,
            "next_polls": {s.value: t.isoformat() for s, t in self.next_at.items()},
            "lag_seconds": lag(self.health, self._clock()),
            "reads_today": usage.reads_today,
            "reads_this_month": usage.reads_this_month,
            "reads_left_today": day_left,
            "reads_left_this_month": month_left,
            "projected_month_end_reads": projected_month_end(self._budget, usage, self._clock()),
        }
