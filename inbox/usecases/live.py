"""Live updates for the pages: one listener per process, kept listening, and each open page
told only what its view shows, at most once a second (see docs/live-updates.md).

The listener reconnects after any loss (backoff with jitter); once back, every open page is
told to reload its view once (`resync`), since what changed meanwhile was announced to
nobody. Each page's pending changes are merged, never dropped: a page that falls behind
ends up reloading its view rather than missing a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from inbox.domain.errors import InboxError
from inbox.domain.live import (
    Coalescer,
    ListenerStatus,
    LiveChange,
    LivePage,
    PageUpdate,
    PageWatch,
)
from inbox.ports import ChangeFeed

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 0.5
LAST_RETRY_SECONDS = 30.0


def retry_delay(failures: int, jitter: float) -> float:
    """Seconds before listening again after `failures` losses in a row: doubling up to 30 s,
    each between half and all of that (`jitter` in [0, 1)), so that the processes of a
    cluster do not all come back at the same instant after a failover."""
    ceiling = min(LAST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2.0 ** min(failures, 16))
    return ceiling * (0.5 + jitter / 2)


class Subscription:
    """One open page's stream: its filter, its pending update, and a way to wait for it."""

    def __init__(self, workspace_id: int, page: LivePage, watch: PageWatch) -> None:
        self.token = secrets.token_urlsafe(16)
        self.workspace_id = workspace_id
        self.page = page
        self.watch = watch
        self.pending = Coalescer()
        self._wake = asyncio.Event()

    def add(self, update: PageUpdate) -> None:
        self.pending.add(update)
        self._wake.set()

    async def next(self, quiet_seconds: float) -> PageUpdate | None:
        """The next update, at most one a second; None when nothing came for
        `quiet_seconds` (time for a keepalive)."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + quiet_seconds
        while True:
            due = self.pending.due_at()
            if due is None:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=give_up - loop.time())
                except TimeoutError:
                    return None
                continue
            if loop.time() < due:
                await asyncio.sleep(due - loop.time())
            taken = self.pending.take(loop.time())
            if taken is not None:
                return taken


class LiveUpdates:
    def __init__(
        self,
        feed: ChangeFeed,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._feed = feed
        self._clock = clock
        self._jitter = jitter
        self._subscribers: dict[int, dict[str, Subscription]] = {}
        self._status = ListenerStatus(listening=False, since=None)

    def status(self) -> ListenerStatus:
        """Whether the process hears changes now, since when (or since when not), and the
        last error that cost it the listener (kept once back, for the record)."""
        return self._status

    def health(self) -> tuple[bool, str] | None:
        """The listener as the process's health board shows it: None in a process that never
        listened (a worker serves no pages), else whether it hears changes now."""
        status = self._status
        if status.since is None:
            return None
        if status.listening:
            return True, "listening"
        return False, f"listening again soon ({status.last_error or 'stopped'})"

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Listens, and listens again after every loss, for as long as it is open; never
        fails: the pages work without live updates meanwhile."""
        task = asyncio.create_task(self._keep_listening(), name="live-updates")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._status = ListenerStatus(False, self._clock(), self._status.last_error)

    async def _keep_listening(self) -> None:
        failures = 0
        lost = False
        while True:
            try:
                async with self._feed.listening(self._deliver) as connection:
                    self._status = ListenerStatus(True, self._clock(), self._status.last_error)
                    if lost:
                        log.info("live updates back", extra={"action": "live_listener_back"})
                        self._resync_everyone()
                    failures, lost = 0, False
                    error = await connection.closed()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever went wrong, listen again
                error = _described(exc)
            lost = True
            delay = retry_delay(failures, self._jitter())
            failures += 1
            self._status = ListenerStatus(False, self._clock(), error)
            log.warning(
                "live updates lost; listening again soon",
                extra={"action": "live_listener_lost", "error": error, "retry_in_s": delay},
            )
            await asyncio.sleep(delay)

    def _deliver(self, change: LiveChange) -> None:
        subscribers = self._subscribers.get(change.workspace_id)
        if not subscribers:
            return
        now = self._clock()
        for subscription in subscribers.values():
            update = subscription.watch.consider(change, now)
            if update is not None:
                subscription.add(update)

    def _resync_everyone(self) -> None:
        for subscribers in self._subscribers.values():
            for subscription in subscribers.values():
                subscription.add(PageUpdate(reload=True))

    @contextlib.asynccontextmanager
    async def subscribe(
        self, workspace_id: int, page: LivePage, shown: frozenset[int] = frozenset()
    ) -> AsyncIterator[Subscription]:
        """A stream for one open page that shows `page` (and the threads `shown`)."""
        subscription = Subscription(workspace_id, page, PageWatch(page, shown))
        subscribers = self._subscribers.setdefault(workspace_id, {})
        subscribers[subscription.token] = subscription
        try:
            yield subscription
        finally:
            subscribers.pop(subscription.token, None)
            if not subscribers:
                self._subscribers.pop(workspace_id, None)

    def showing(
        self,
        token: str,
        workspace_id: int,
        agent_id: int,
        thread_ids: frozenset[int],
        asked: frozenset[int] | None,
    ) -> None:
        """A page fetched rows (its whole view when `asked` is None): its stream, if it is
        this person's, knows from now on which threads the page shows."""
        subscription = self._subscribers.get(workspace_id, {}).get(token)
        if subscription is not None and subscription.page.agent_id == agent_id:
            subscription.watch.showing(thread_ids, asked)


def _described(exc: Exception) -> str:
    # The project's errors are written to be shown; a driver's may name addresses or users.
    return str(exc) if isinstance(exc, InboxError) else exc.__class__.__name__
