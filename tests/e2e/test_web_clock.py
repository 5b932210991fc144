"""The pages and the API read the time from the application's clock, which the composition
root gives; held still here, days ahead of the real one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.usecases.services import Services
from tests.e2e.browsing import person
from tests.e2e.site import signed_in
from tests.factories import mention
from web.app import create_app
from web.keys import CLOCK

pytestmark = pytest.mark.integration

Served = tuple[aiohttp.ClientSession, str]
ServeAt = Callable[[datetime], Awaitable[Served]]


@pytest.fixture
async def serve_at(services: Services, workspace_id: int) -> AsyncIterator[ServeAt]:
    """The app served with its clock held at the instant given."""
    servers: list[TestServer] = []
    sessions: list[aiohttp.ClientSession] = []

    async def served(instant: datetime) -> Served:
        app = create_app(services, workspace_id)
        app[CLOCK] = lambda: instant
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
        sessions.append(aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)))
        return sessions[-1], str(server.make_url(""))

    yield served
    for session in sessions:
        await session.close()
    for server in servers:
        await server.close()


async def a_complaint_just_now(services: Services, workspace_id: int) -> None:
    now = datetime.now(UTC) - timedelta(minutes=1)
    complaint = mention("1", conversation="c1").model_copy(update={"created_at": now})
    await services.ingest(workspace_id, IngestBatch([complaint]))


async def test_the_inbox_shows_deadlines_and_waits_against_the_applications_clock(
    serve_at: ServeAt, services: Services, db: Database, workspace_id: int
) -> None:
    await a_complaint_just_now(services, workspace_id)
    # Whatever the calendar, an hour of business time has gone by ten days later.
    session, base = await serve_at(datetime.now(UTC) + timedelta(days=10))
    await person(services, db, workspace_id, "ana@example.com", Role.AGENT)
    await signed_in(session, base, "ana@example.com")
    async with session.get(f"{base}/inbox?view=all") as answer:
        page = await answer.text()
    assert "late by" in page
    assert "waiting 10 d 0 h" in page


async def test_the_sla_reports_default_days_end_at_the_applications_clock(
    serve_at: ServeAt, services: Services, workspace_id: int
) -> None:
    await a_complaint_just_now(services, workspace_id)
    token = await services.tokens.issue(workspace_id, "lead", Role.LEAD)
    headers = {"Authorization": f"Bearer {token}"}
    reported = {}
    for days_ahead in (0, 40):  # the report's days by default: the last 30
        session, base = await serve_at(datetime.now(UTC) + timedelta(days=days_ahead))
        async with session.get(f"{base}/api/v1/reports/sla", headers=headers) as answer:
            assert answer.status == 200
            reported[days_ahead] = (await answer.json())["items"]
    assert reported[0] != []
    assert reported[40] == []
