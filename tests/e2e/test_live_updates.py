"""Live updates over real HTTP and the real PostgreSQL: each page's stream hears what its view
shows, the listener comes back after its connection is killed, and a page leaving is no
error."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.store.database import Database
from inbox.store.people import PgPeopleStore
from inbox.usecases.services import Services
from tests.e2e.browsing import PASSWORD
from tests.e2e.site import thread_of
from tests.factories import mention
from tests.waiting import eventually
from web.app import create_app
from web.live import LIVE_STREAMS

pytestmark = pytest.mark.integration

SignIn = Callable[[str, str], Awaitable[aiohttp.ClientSession]]
# Generous: a guard against hanging, never a measure.
DEADLINE_SECONDS = 30.0


class Server:
    def __init__(self, app: web.Application, base: str) -> None:
        self.app = app
        self.base = base


@pytest.fixture
async def server(services: Services, workspace_id: int) -> AsyncIterator[Server]:
    """The app served as `inbox serve` serves it: a handler is not cancelled when its
    client goes away (aiohttp's test server would cancel it, hiding what a write does)."""
    app = create_app(services, workspace_id)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield Server(app, f"http://127.0.0.1:{port}")
    await runner.cleanup()


async def person(
    services: Services, db: Database, workspace_id: int, email: str, role: Role = Role.AGENT
) -> WebSession:
    agent_id = await PgPeopleStore(db).save_agent(
        workspace_id, email, email.split("@")[0], [role], ["care"]
    )
    await services.web_logins.set_password(workspace_id, email, SecretStr(PASSWORD))
    return WebSession(workspace_id, agent_id, email, frozenset({role}), "csrf")


@pytest.fixture
async def browser_session() -> AsyncIterator[SignIn]:
    opened: list[aiohttp.ClientSession] = []

    async def signed_in(base: str, email: str) -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        opened.append(session)
        async with session.post(
            f"{base}/login", data={"email": email, "password": PASSWORD}, allow_redirects=False
        ) as answer:
            assert answer.status == 303, await answer.text()
        return session

    yield signed_in
    for session in opened:
        await session.close()


class EventStream:
    """The events of one open `/events` stream, as a page's EventSource reads them."""

    def __init__(self, answer: aiohttp.ClientResponse) -> None:
        self.answer = answer
        self.seen: list[tuple[str, dict[str, object]]] = []

    async def next(self) -> tuple[str, dict[str, object]]:
        name = ""
        async for raw in self.answer.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                event = (name, dict(json.loads(line[6:])))
                self.seen.append(event)
                return event
        raise AssertionError("the stream ended")

    async def until(self, wanted: Callable[[str, dict[str, object]], bool]) -> None:
        async def wait() -> None:
            while not wanted(*await self.next()):
                pass

        await asyncio.wait_for(wait(), timeout=DEADLINE_SECONDS)

    def threads_heard(self) -> set[int]:
        return {
            int(t)
            for name, data in self.seen
            if name == "change"
            for t in data.get("threads", [])  # type: ignore[attr-defined]
        }


async def opened(session: aiohttp.ClientSession, url: str) -> EventStream:
    answer = await session.get(url)
    assert answer.headers["Content-Type"] == "text/event-stream"
    stream = EventStream(answer)
    name, _ = await asyncio.wait_for(stream.next(), timeout=DEADLINE_SECONDS)
    assert name == "hello"  # subscribed
    return stream


def changes_of(thread_id: int) -> Callable[[str, dict[str, object]], bool]:
    def wanted(name: str, data: dict[str, object]) -> bool:
        return name == "change" and thread_id in data.get("threads", [])  # type: ignore[operator]

    return wanted


async def two_threads(services: Services, db: Database, workspace_id: int) -> tuple[int, int]:
    """Two customers' threads, c1 then c2: their ids."""
    await services.ingest(
        workspace_id,
        IngestBatch(
            [mention("1", conversation="c1"), mention("2", author="u2", conversation="c2")]
        ),
    )
    return await thread_of(db, workspace_id, "c1"), await thread_of(db, workspace_id, "c2")


async def test_the_mine_view_of_one_agent_does_not_hear_of_a_thread_given_to_another(
    server: Server,
    services: Services,
    db: Database,
    workspace_id: int,
    browser_session: SignIn,
) -> None:
    ana = await person(services, db, workspace_id, "ana@example.com")
    ben = await person(services, db, workspace_id, "ben@example.com")
    lead = await person(services, db, workspace_id, "lea@example.com", Role.LEAD)
    for_ben, for_ana = await two_threads(services, db, workspace_id)
    session = await browser_session(server.base, "ana@example.com")
    stream = await opened(session, f"{server.base}/events?view=mine")

    await services.inbox_pages.assign(lead, for_ben, ben.agent_id, None)
    await services.inbox_pages.assign(lead, for_ana, ana.agent_id, None)
    await stream.until(changes_of(for_ana))
    assert for_ben not in stream.threads_heard()
    async with session.get(f"{server.base}/inbox?view=mine&partial=1&threads={for_ana}") as r:
        assert "message 2" in await r.text()

    # Given to Ben now: it leaves Ana's view, and her page hears it to remove the row.
    await services.inbox_pages.assign(lead, for_ana, ben.agent_id, None)
    await stream.until(changes_of(for_ana))
    async with session.get(f"{server.base}/inbox?view=mine&partial=1&threads={for_ana}") as r:
        assert "message 2" not in await r.text()
    stream.answer.close()


async def test_a_thread_page_hears_of_its_thread(
    server: Server,
    services: Services,
    db: Database,
    workspace_id: int,
    browser_session: SignIn,
) -> None:
    await person(services, db, workspace_id, "ana@example.com")
    watched, other = await two_threads(services, db, workspace_id)
    session = await browser_session(server.base, "ana@example.com")
    stream = await opened(session, f"{server.base}/events?thread={watched}")
    await services.ingest(
        workspace_id, IngestBatch([mention("3", author="u2", conversation="c2", reply_to="2")])
    )
    await services.ingest(
        workspace_id, IngestBatch([mention("4", conversation="c1", reply_to="1")])
    )
    await stream.until(changes_of(watched))
    assert other not in stream.threads_heard()
    stream.answer.close()


async def test_a_new_mention_reaches_an_open_view_after_the_listener_was_terminated(
    server: Server,
    services: Services,
    db: Database,
    workspace_id: int,
    browser_session: SignIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="inbox.usecases.live")
    await person(services, db, workspace_id, "ana@example.com")
    session = await browser_session(server.base, "ana@example.com")
    stream = await opened(session, f"{server.base}/events?view=all")

    async def listening() -> bool:
        return services.live.status().listening

    await eventually(listening, seconds=DEADLINE_SECONDS)
    async with db.connection() as conn:
        killed = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query LIKE 'LISTEN %'"
        )
    assert killed >= 1
    await stream.until(lambda name, _: name == "resync")
    status = services.live.status()
    assert status.listening
    assert status.last_error is not None

    await services.ingest(workspace_id, IngestBatch([mention("9", conversation="c9")]))
    await stream.until(changes_of(await thread_of(db, workspace_id, "c9")))
    actions = [getattr(r, "action", None) for r in caplog.records]
    assert "live_listener_lost" in actions
    assert "live_listener_back" in actions
    stream.answer.close()


async def test_a_page_leaving_its_stream_logs_no_error(
    server: Server,
    services: Services,
    db: Database,
    workspace_id: int,
    browser_session: SignIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await person(services, db, workspace_id, "ana@example.com")
    session = await browser_session(server.base, "ana@example.com")
    stream = await opened(session, f"{server.base}/events?view=all")
    assert server.app[LIVE_STREAMS]
    stream.answer.close()  # the tab is closed
    # The server notices when it next writes: a change, then the stream ends.
    for number in range(3):
        await services.ingest(
            workspace_id, IngestBatch([mention(f"{number}", conversation=f"c{number}")])
        )

    async def ended() -> bool:
        return not server.app[LIVE_STREAMS]

    await eventually(ended, seconds=DEADLINE_SECONDS)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
