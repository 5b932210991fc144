"""Live updates for the pages: one listener per process, kept listening, and each open page
told only what its view shows, at most once a second (see docs/live-updates.md).

The listener reconnects after any loss (backoff with jitter); once back, every open page is
told to reload its view once (`resync`), since what changed meanwhile was announced to
nobody. Each page's pending changes are merged, never dropped: a page that falls behind
ends up reloading its view rather than missing a row.

The listener's callback only queues what it hears. The fan-out runs apart, in passes at
most `FAN_OUT_SECONDS` apart: a pass reads the rows of the threads that changed (one query
for all of them, whatever the number of open pages), renders each row once, and hands each
page its part, yielding to the event loop between slices of pages, so that a crowd of open
pages never holds up the ingestion that shares the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime

from inbox.domain.clock import Clock, utc_now
from inbox.domain.errors import InboxError
from inbox.domain.live import (
    Coalescer,
    ListenerStatus,
    LiveChange,
    LivePage,
    PageKind,
    PageUpdate,
    PageWatch,
    ThreadsChanged,
    ThreadState,
)
from inbox.domain.thread import OPEN_STATUSES
from inbox.domain.web import InboxRow
from inbox.ports.pages import ChangeFeed, LiveRows

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 0.5
LAST_RETRY_SECONDS = 30.0
# A pass of the fan-out handles what was heard since the last one: the first change after a
# quiet spell goes at once, a burst in passes this far apart (pages hear at most one event a
# second anyway), so that a batch's rows are read once, not once per notification.
FAN_OUT_SECONDS = 0.25
# Pages handed their part between two yields to the event loop.
PAGES_A_SLICE = 50
# Past this many changed threads in a pass, their rows are not read: every page would be
# told to reload its view anyway (MOST_THREADS_AN_EVENT).
MOST_ROWS_READ = 500
# Changes queued for the fan-out at most; past this (the fan-out stuck on a slow database),
# they are dropped and every page reloads its view once instead.
MOST_QUEUED = 10_000
# Pages that heard of a change together would all be due again at the same instant, a second
# later, and write in one turn of the event loop; each waits up to this much longer (its own
# share, drawn once), so that their writes spread and other work goes on between them.
SPREAD_SECONDS = 0.2

RowRenderer = Callable[[InboxRow, datetime], str]


def retry_delay(failures: int, jitter: float) -> float:
    """Seconds before listening again after `failures` losses in a row: doubling up to 30 s,
    each between half and all of that (`jitter` in [0, 1)), so that the processes of a
    cluster do not all come back at the same instant after a failover."""
    ceiling = min(LAST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2.0 ** min(failures, 16))
    return ceiling * (0.5 + jitter / 2)


class Subscription:
    """One open page's stream: its filter, its pending update, and a way to wait for it."""

    def __init__(
        self, workspace_id: int, page: LivePage, watch: PageWatch, spread: float = 0.0
    ) -> None:
        self.token = secrets.token_urlsafe(16)
        self.workspace_id = workspace_id
        self.page = page
        self.watch = watch
        self.pending = Coalescer()
        self._spread = spread
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
            if loop.time() < due + self._spread:
                await asyncio.sleep(due + self._spread - loop.time())
            taken = self.pending.take(loop.time())
            if taken is not None:
                return taken


class LiveUpdates:
    def __init__(
        self,
        feed: ChangeFeed,
        rows: LiveRows | None = None,
        *,
        clock: Clock = utc_now,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._feed = feed
        self._rows = rows
        self._render: RowRenderer | None = None
        self._clock = clock
        self._jitter = jitter
        self._subscribers: dict[int, dict[str, Subscription]] = {}
        self._status = ListenerStatus(listening=False, since=None)
        self._heard: list[LiveChange] = []
        self._heard_something = asyncio.Event()
        self._rows_failing = False

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
    async def running(self, render_row: RowRenderer | None = None) -> AsyncIterator[None]:
        """Listens, and listens again after every loss, for as long as it is open; never
        fails: the pages work without live updates meanwhile. With `render_row` (how the
        pages show a row), inbox pages are sent the changed rows rather than asked to fetch
        them."""
        self._render = render_row
        tasks = (
            asyncio.create_task(self._keep_listening(), name="live-updates"),
            asyncio.create_task(self._keep_fanning_out(), name="live-fan-out"),
        )
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._render = None
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
        """The listener's callback: only queues, the fan-out does the work."""
        if change.workspace_id not in self._subscribers:
            return
        if len(self._heard) >= MOST_QUEUED:
            self._heard.clear()
            self._resync_everyone()
        self._heard.append(change)
        self._heard_something.set()

    async def _keep_fanning_out(self) -> None:
        while True:
            await self._heard_something.wait()
            self._heard_something.clear()
            heard, self._heard = self._heard, []
            try:
                await self._fan_out(heard)
            except Exception:  # a page's filter failing must not end every page's updates
                log.exception("live updates not handed out", extra={"action": "live_fan_out"})
                self._resync_everyone()
            await asyncio.sleep(FAN_OUT_SECONDS)

    async def _fan_out(self, heard: list[LiveChange]) -> None:
        for change in _thread_changes_merged(heard):
            if isinstance(change, ThreadsChanged):
                change = await self._with_rows(change)
            now = self._clock()
            subscribers = tuple(self._subscribers.get(change.workspace_id, {}).values())
            for number, subscription in enumerate(subscribers, start=1):
                update = subscription.watch.consider(change, now)
                if update is not None:
                    subscription.add(update)
                if number % PAGES_A_SLICE == 0:
                    await asyncio.sleep(0)

    async def _with_rows(self, change: ThreadsChanged) -> ThreadsChanged:
        """The change with its threads read again and their rows rendered once, when an
        inbox page of the workspace is open; else as announced."""
        render, source = self._render, self._rows
        subscribers = self._subscribers.get(change.workspace_id, {})
        wanted = {t.thread_id for t in change.threads} | set(change.unknown)
        if (
            render is None
            or source is None
            or change.everything
            or not wanted
            or len(wanted) > MOST_ROWS_READ
            or not any(s.page.kind is PageKind.INBOX for s in subscribers.values())
        ):
            return change
        try:
            found = await source.rows(change.workspace_id, sorted(wanted))
        except Exception as exc:  # the pages fetch what they need instead
            if not self._rows_failing:
                log.warning(
                    "changed rows not read; the pages fetch them",
                    extra={"action": "live_rows_unread", "error": _described(exc)},
                )
            self._rows_failing = True
            return change
        self._rows_failing = False
        now = self._clock()
        states = {state.thread_id: state for state, _ in found}
        rows = {
            state.thread_id: render(row, now)
            for state, row in found
            if state.status in OPEN_STATUSES
        }
        return ThreadsChanged(
            change.workspace_id,
            threads=tuple(states.get(t, ThreadState(t, status=None)) for t in sorted(wanted)),
            rows=rows,
        )

    def _resync_everyone(self) -> None:
        for subscribers in self._subscribers.values():
            for subscription in subscribers.values():
                subscription.add(PageUpdate(reload=True))

    @contextlib.asynccontextmanager
    async def subscribe(
        self, workspace_id: int, page: LivePage, shown: frozenset[int] = frozenset()
    ) -> AsyncIterator[Subscription]:
        """A stream for one open page that shows `page` (and the threads `shown`)."""
        subscription = Subscription(
            workspace_id, page, PageWatch(page, shown), spread=SPREAD_SECONDS * self._jitter()
        )
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


def _thread_changes_merged(heard: Iterable[LiveChange]) -> list[LiveChange]:
    """What was heard, with the thread changes of each workspace merged into one (where the
    first was), each thread in its latest announced state: one read of rows a pass."""
    merged: list[LiveChange | _MergedThreads] = []
    by_workspace: dict[int, _MergedThreads] = {}
    for change in heard:
        if not isinstance(change, ThreadsChanged):
            merged.append(change)
            continue
        into = by_workspace.get(change.workspace_id)
        if into is None:
            into = by_workspace[change.workspace_id] = _MergedThreads(change.workspace_id)
            merged.append(into)
        into.add(change)
    return [m.change() if isinstance(m, _MergedThreads) else m for m in merged]


class _MergedThreads:
    def __init__(self, workspace_id: int) -> None:
        self.workspace_id = workspace_id
        self.states: dict[int, ThreadState] = {}
        self.unknown: set[int] = set()
        self.everything = False

    def add(self, change: ThreadsChanged) -> None:
        for state in change.threads:
            self.states[state.thread_id] = state
            self.unknown.discard(state.thread_id)
        for thread_id in change.unknown:
            self.states.pop(thread_id, None)
            self.unknown.add(thread_id)
        self.everything = self.everything or change.everything

    def change(self) -> ThreadsChanged:
        return ThreadsChanged(
            self.workspace_id,
            threads=tuple(self.states.values()),
            unknown=tuple(sorted(self.unknown)),
            everything=self.everything,
        )


def _described(exc: Exception) -> str:
    # The project's errors are written to be shown; a driver's may name addresses or users.
    return str(exc) if isinstance(exc, InboxError) else exc.__class__.__name__
