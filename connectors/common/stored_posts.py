"""Are the posts the inbox stored still on their network? For connectors that read no stream
of deletions: once every `every`, the customers' posts stored within `window` that still hold
their text are asked of the network in calls of `per_call`; those it no longer returns were
deleted (or taken down) and are reported as deletions.

Asked only of networks that do not bill reads (Bluesky, Mastodon): on X each post read is
paid, and the connector learns of deletions only from what its polls read anyway.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from connectors.common.polling import PollOutcome
from inbox.domain.clock import Clock
from inbox.domain.ingestion import NetworkDeletion
from inbox.ports.retention import HeldMessages

# The ids the network still returns among those asked; None: the answer proved nothing (it
# could not be read), and nothing is taken for deleted.
AskNetwork = Callable[[Sequence[str]], Awaitable[set[str] | None]]

CHECK_EVERY = timedelta(hours=1)
# When a customer regrets a post: within days of writing it.
CHECK_WINDOW = timedelta(days=3)
CHECK_MOST = 500


class StoredPostsCheck:
    def __init__(
        self,
        held: HeldMessages,
        workspace_id: int,
        network: str,
        ask: AskNetwork,
        *,
        per_call: int,
        clock: Clock,
        ids_are_global: bool,
        every: timedelta = CHECK_EVERY,
        window: timedelta = CHECK_WINDOW,
        most: int = CHECK_MOST,
    ) -> None:
        self._held = held
        self._workspace_id = workspace_id
        self._network = network
        self._ask = ask
        self._per_call = per_call
        self._clock = clock
        self._every = every
        self._window = window
        self._most = most
        # A Bluesky AT-URI names a post wherever it is asked; a Mastodon id only on the
        # account's own instance: asked of another one, every post would look deleted.
        self._sole_account = not ids_are_global
        self._checked_at: datetime | None = None
        self.calls = 0

    def due(self) -> bool:
        return self._checked_at is None or self._clock() - self._checked_at >= self._every

    async def gone(self) -> list[NetworkDeletion]:
        """The stored posts the network no longer returns, when a check is due; else none.
        An error of the network's ends the check (the caller's poll fails as any poll) and
        it is asked again at the next poll."""
        if not self.due():
            return []
        now = self._clock()
        stored = await self._held.recent_with_text(
            self._workspace_id,
            self._network,
            now - self._window,
            limit=self._most,
            sole_account=self._sole_account,
        )
        gone: list[NetworkDeletion] = []
        for start in range(0, len(stored), self._per_call):
            asked = stored[start : start + self._per_call]
            present = await self._ask(asked)
            self.calls += 1
            if present is not None:
                gone += [NetworkDeletion(self._network, i) for i in asked if i not in present]
        self._checked_at = now
        return gone


def stored_posts_check(
    held: HeldMessages | None,
    workspace_id: int,
    network: str,
    ask: AskNetwork,
    *,
    per_call: int,
    clock: Clock,
    ids_are_global: bool,
) -> StoredPostsCheck | None:
    """A poller's check; None without `held` (tests of other parts): its stored posts are
    then never asked again."""
    if held is None:
        return None
    return StoredPostsCheck(
        held,
        workspace_id,
        network,
        ask,
        per_call=per_call,
        clock=clock,
        ids_are_global=ids_are_global,
    )


async def deletions_due(
    check: StoredPostsCheck | None, outcome: PollOutcome
) -> list[NetworkDeletion]:
    """What a poll learns of deletions when its check is due, its calls counted."""
    if check is None or not check.due():
        return []
    calls = check.calls
    gone = await check.gone()
    outcome.requests += check.calls - calls
    return gone
