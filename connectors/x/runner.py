"""The life of one connected X account: adaptive polling, API use, health.

Each account runs on its own task: a 429 that makes one account wait for its window to reset
never delays another. Between polls the runner asks the budget policy when to poll each
stream next (mentions are favoured over searches as the read budget runs low), books every
request and post read, and keeps the channel's health, raising "channel degraded" when polls
keep failing or when an account that is normally busy goes abnormally quiet.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from connectors.common.account_runner import AccountRunner
from connectors.common.health import GapPolicy, lag
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
from connectors.x.poller import PollOutcome, XAccount, XPoller
from inbox.domain.clock import Clock
from inbox.ports.connectors import ApiUsageLedger, ChannelHealthStore

log = logging.getLogger(__name__)


class XAccountRunner(AccountRunner[XPoller, XAccount, Stream]):
    network = "x"

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
        super().__init__(poller, api, ledger, health_store, clock=clock, gap_policy=gap_policy)
        self._budget = budget
        self._plan = plan
        self._yield: dict[Stream, float | None] = {Stream.MENTIONS: None, Stream.SEARCH: None}
        now = clock()
        self.next_at: dict[Stream, datetime] = {Stream.MENTIONS: now}
        if self.account.search_terms:
            self.next_at[Stream.SEARCH] = now

    def _next_due(self) -> tuple[Stream, datetime]:
        stream = min(self.next_at, key=lambda s: self.next_at[s])
        return stream, self.next_at[stream]

    async def _poll(self, due: Stream) -> PollOutcome | None:
        return await self.tick(due)

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
            self._note_failure(str(error), stream=stream.value)
        else:
            self._note_success(outcome.newest_item_at, outcome.added)
            requests = max(1, self._api.requests - requests_before)
            self._yield[stream] = outcome.reads / requests
        await self._book(
            now.astimezone(self._budget.zone).date(),
            requests_before,
            outcome.reads if outcome else 0,
        )
        # A poller slowed down by its budget is not stale: judge it against its own pace.
        slowest = max((t - self._clock()).total_seconds() for t in self.next_at.values())
        await self._save_health(slowest)
        return outcome

    async def _channel_status(self) -> dict[str, Any]:
        return await self.status()

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
