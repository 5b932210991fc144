"""The process's listener, driven through a hand-written feed: it listens again after every
loss, tells the open pages to reload once it is back, says how it is doing, and hands the
changed rows to the pages, read and rendered once for all of them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta

from inbox.domain.errors import DatabaseUnavailableError
from inbox.domain.live import LiveChange, LivePage, PageKind, ThreadsChanged, ThreadState
from inbox.domain.web import InboxRow
from inbox.usecases.live import LAST_RETRY_SECONDS, MOST_QUEUED, LiveUpdates, retry_delay

WS = 7
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class FakeConnection:
    def __init__(self) -> None:
        self.lost = asyncio.Event()

    async def closed(self) -> str:
        await self.lost.wait()
        return "the connection was terminated"


class FakeFeed:
    """Fails as many times as told, then opens connections that the test can drop."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.opened: asyncio.Queue[FakeConnection] = asyncio.Queue()
        self.deliver: Callable[[LiveChange], None] | None = None

    @contextlib.asynccontextmanager
    async def listening(
        self, deliver: Callable[[LiveChange], None]
    ) -> AsyncIterator[FakeConnection]:
        if self.failures:
            self.failures -= 1
            raise DatabaseUnavailableError("cannot open a connection: ConnectionRefusedError")
        self.deliver = deliver
        connection = FakeConnection()
        self.opened.put_nowait(connection)
        yield connection


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def test_retries_back_off_with_jitter_up_to_half_a_minute() -> None:
    assert retry_delay(0, 0.0) == 0.25
    assert retry_delay(0, 0.999) < 0.5
    assert retry_delay(3, 0.0) == 2.0
    assert retry_delay(50, 0.999) <= LAST_RETRY_SECONDS
    assert retry_delay(50, 0.0) == LAST_RETRY_SECONDS / 2


async def test_the_listener_says_it_is_down_with_the_error_then_listening_since_when() -> None:
    feed = FakeFeed(failures=2)
    live = LiveUpdates(feed, clock=Clock(), jitter=lambda: 0.0)
    assert not live.status().listening
    async with live.running():
        connection = await asyncio.wait_for(feed.opened.get(), timeout=30)
        status = live.status()
        assert status.listening
        assert status.since is not None
        assert status.last_error == "cannot open a connection: ConnectionRefusedError"
        connection.lost.set()
        await asyncio.wait_for(feed.opened.get(), timeout=30)
        back = live.status()
        assert back.listening
        assert back.since is not None
        assert back.since > status.since
        assert back.last_error == "the connection was terminated"
    assert not live.status().listening


async def test_every_open_page_reloads_once_the_listener_is_back() -> None:
    feed = FakeFeed(failures=0)
    live = LiveUpdates(feed, jitter=lambda: 0.0)
    async with live.running():
        connection = await asyncio.wait_for(feed.opened.get(), timeout=30)
        page = LivePage(PageKind.INBOX, 1, view="mine")
        async with live.subscribe(WS, page) as subscription:
            connection.lost.set()
            await asyncio.wait_for(feed.opened.get(), timeout=30)
            update = await subscription.next(quiet_seconds=30)
            assert update is not None
            assert update.reload


async def test_a_change_reaches_only_the_pages_it_concerns() -> None:
    feed = FakeFeed(failures=0)
    live = LiveUpdates(feed)
    async with live.running():
        await asyncio.wait_for(feed.opened.get(), timeout=30)
        assert feed.deliver is not None
        mine = LivePage(PageKind.INBOX, 1, view="mine")
        theirs = LivePage(PageKind.INBOX, 2, view="mine")
        async with live.subscribe(WS, mine) as ana, live.subscribe(WS, theirs) as ben:
            state = ThreadState(thread_id=5, status="open", assignee_id=1)
            feed.deliver(ThreadsChanged(WS, threads=(state,)))
            feed.deliver(ThreadsChanged(WS + 1, threads=(state,)))  # another workspace
            update = await ana.next(quiet_seconds=30)
            assert update is not None
            assert update.threads == {5}
            assert ben.pending.due_at() is None  # delivery is synchronous: nothing came


async def test_the_health_board_sees_no_listener_where_none_runs_then_its_state() -> None:
    feed = FakeFeed(failures=1)
    live = LiveUpdates(feed, clock=Clock(), jitter=lambda: 0.0)
    assert live.health() is None  # a worker process never listens: not shown at all
    async with live.running():
        connection = await asyncio.wait_for(feed.opened.get(), timeout=30)
        assert live.health() == (True, "listening")
        connection.lost.set()
        deadline = asyncio.get_running_loop().time() + 30
        while (health := live.health()) == (True, "listening"):
            assert asyncio.get_running_loop().time() < deadline, "the loss was never seen"
            await asyncio.sleep(0.01)
        assert health is not None
        assert not health[0]
        assert "terminated" in health[1]


class FakeRows:
    """The threads as the database has them now; counts the reads."""

    def __init__(self, *states: ThreadState) -> None:
        self.states = {state.thread_id: state for state in states}
        self.reads: list[list[int]] = []
        self.fail = False

    async def rows(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[tuple[ThreadState, InboxRow]]:
        self.reads.append(list(thread_ids))
        if self.fail:
            raise DatabaseUnavailableError("the database is away")
        return [(self.states[t], _row(t)) for t in thread_ids if t in self.states]


def _row(thread_id: int) -> InboxRow:
    return InboxRow(thread_id, "x", "open", "normal", "complaint", None, (), "hello", None, None,
                    False, None, None)  # fmt: skip


class Renderer:
    def __init__(self) -> None:
        self.rendered: list[int] = []

    def __call__(self, row: InboxRow, now: datetime) -> str:
        self.rendered.append(row.thread_id)
        return f"<tr>{row.thread_id}</tr>"


@contextlib.asynccontextmanager
async def live_over(
    rows: FakeRows, render: Renderer | None = None
) -> AsyncIterator[tuple[LiveUpdates, Callable[[LiveChange], None]]]:
    """Live updates reading `rows`, running over a feed open at once: the updates, and how
    the feed delivers a change."""
    feed = FakeFeed(failures=0)
    live = LiveUpdates(feed, rows)
    async with live.running(render_row=render or Renderer()):
        await asyncio.wait_for(feed.opened.get(), timeout=30)
        assert feed.deliver is not None
        yield live, feed.deliver


async def test_changed_rows_are_read_and_rendered_once_for_every_page_that_shows_them() -> None:
    # Announced as Ana's, read as Ben's now: the pages go by what was read.
    rows = FakeRows(ThreadState(5, "open", assignee_id=2), ThreadState(6, "resolved"))
    render = Renderer()
    async with live_over(rows, render) as (live, deliver):
        bens = [LivePage(PageKind.INBOX, 2, view="mine") for _ in range(120)]
        anas = LivePage(PageKind.INBOX, 1, view="mine")
        async with contextlib.AsyncExitStack() as pages:
            ben_pages = [await pages.enter_async_context(live.subscribe(WS, p)) for p in bens]
            ana = await pages.enter_async_context(live.subscribe(WS, anas, frozenset({5})))
            deliver(
                ThreadsChanged(WS, threads=(ThreadState(5, "open", assignee_id=1),), unknown=(6,))
            )
            for page in ben_pages:
                update = await page.next(quiet_seconds=30)
                assert update is not None
                assert update.rows == {5: "<tr>5</tr>"}
            taken_out = await ana.next(quiet_seconds=30)
            assert taken_out is not None
            assert (taken_out.gone, taken_out.rows, taken_out.threads) == ({5}, {}, set())
    assert rows.reads == [[5, 6]]
    assert render.rendered == [5]  # once for 120 pages, and never a closed thread's row


async def test_pages_fetch_what_changed_when_the_rows_cannot_be_read() -> None:
    rows = FakeRows()
    rows.fail = True
    async with (
        live_over(rows) as (live, deliver),
        live.subscribe(WS, LivePage(PageKind.INBOX, 1, view="mine")) as page,
    ):
        deliver(ThreadsChanged(WS, threads=(ThreadState(5, "open", assignee_id=1),)))
        update = await page.next(quiet_seconds=30)
        assert update is not None
        assert (update.threads, update.rows) == ({5}, {})


async def test_no_rows_are_read_for_a_workspace_without_an_open_inbox_page() -> None:
    rows = FakeRows(ThreadState(5, "open", assignee_id=1))
    async with (
        live_over(rows) as (live, deliver),
        live.subscribe(WS, LivePage(PageKind.THREAD, 1, thread_id=5)) as page,
    ):
        deliver(ThreadsChanged(WS, threads=(ThreadState(5, "open", assignee_id=1),)))
        update = await page.next(quiet_seconds=30)
        assert update is not None
        assert update.threads == {5}
    assert rows.reads == []


class StuckRows(FakeRows):
    """A database that does not answer the read until told."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = asyncio.Event()
        self.answer = asyncio.Event()

    async def rows(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[tuple[ThreadState, InboxRow]]:
        self.reading.set()
        await self.answer.wait()
        return await super().rows(workspace_id, thread_ids)


async def test_pages_reload_rather_than_changes_queue_without_end_behind_a_stuck_read() -> None:
    rows = StuckRows()
    async with (
        live_over(rows) as (live, deliver),
        live.subscribe(WS, LivePage(PageKind.INBOX, 1, view="mine")) as page,
    ):
        deliver(ThreadsChanged(WS, threads=(ThreadState(1, "open", assignee_id=1),)))
        await asyncio.wait_for(rows.reading.wait(), timeout=30)
        for thread_id in range(2, MOST_QUEUED + 3):
            state = ThreadState(thread_id, "open", assignee_id=1)
            deliver(ThreadsChanged(WS, threads=(state,)))
        update = await page.next(quiet_seconds=30)
        assert update is not None
        assert update.reload
        rows.answer.set()
