"""The life of one connected Mastodon account: polling on its own task, health, API use.

Each account polls on its own task, so one waiting out its rate-limit window never delays
another. Polls come every `poll_seconds` (rarely when the user stream is on: they are its
safety net), at once again while pages are still waiting, and further apart after failures.
Health is kept with the same rules as every polled channel (`connectors.common.health`, pure):
"channel degraded" when polls keep failing, when none succeeded for too long, or when a
normally busy account goes abnormally quiet.
"""

from __future__ import annotations

from typing import Any

from connectors.common.account_runner import SinglePollRunner
from connectors.common.health import lag
from connectors.mastodon.poller import MastodonAccount, MastodonPoller, PollOutcome


class MastodonAccountRunner(SinglePollRunner[MastodonPoller, MastodonAccount, PollOutcome]):
    network = "mastodon"

    default_poll_seconds = 60.0

    async def _poll_once(self) -> PollOutcome:
        return await self._poller.poll_mentions()

    def _more_waiting(self, outcome: PollOutcome) -> bool:
        return outcome.truncated

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
