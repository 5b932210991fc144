"""The process's listener, driven through a hand-written feed: it listens again after every
loss, tells the open pages to reload once it is back, and says how it is doing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from inbox.domain.errors import DatabaseUnavailableError
from inbox.domain.live import LiveChange, LivePage, PageKind, ThreadsChanged, ThreadState
from inbox.usecases.live import LAST_RETRY_SECONDS, LiveUpdates, retry_delay

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
