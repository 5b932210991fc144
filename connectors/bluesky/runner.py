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
from connectors.bluesky.xrpc import AuthenticationFailed
from connectors.common.account_runner import SinglePollRunner
from connectors.common.health import lag
from connectors.common.http_api import ApiError, RateLimited

log = logging.getLogger(__name__)


class BlueskyAccountRunner(SinglePollRunner[BlueskyPoller, BlueskyAccount, PollOutcome]):
    network = "bluesky"

    default_poll_seconds = 30.0

    async def _poll_once(self) -> PollOutcome:
        return await self._poller.poll()

    def _more_waiting(self, outcome: PollOutcome) -> bool:
        return outcome.behind

    def _polled(self, outcome: PollOutcome) -> None:
        for note in outcome.notes:
            log.info(
                "bluesky poll note",
                extra={"action": "bluesky_poll_note", "account": self.account.handle,
                       "note": note},
            )  # fmt: skip

    def _failure_reason(self, error: ApiError) -> str:
        if isinstance(error, AuthenticationFailed):
            return f"the app password was refused ({error.error}); run inbox connect bluesky"
        return str(error)

    def _retry_at(self, error: ApiError) -> datetime:
        """Never sooner than the usual pace, nor before a known rate-limit reset."""
        usual = self._clock() + timedelta(seconds=self._poll_seconds)
        next_at = max(super()._retry_at(error), usual)
        if isinstance(error, RateLimited) and error.reset_at is not None:
            next_at = max(next_at, error.reset_at)
        return next_at

    def _pace_seconds(self) -> float:
        # A poller slowed down by failures is judged against its own pace.
        return (self.next_at - self._clock()).total_seconds()

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
