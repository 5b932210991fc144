"""The thread's page reads its SLA clocks and its customer's record with the thread, in the
one statement that checks the session, and shows them as their own use cases find them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from inbox.domain.mention import Direction
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.store.database import Connection, Database
from inbox.usecases.customers import suggested_among
from tests.e2e.site import Site, thread_of
from tests.factories import mention

pytestmark = pytest.mark.integration


async def _answered_thread_with_a_namesake(site: Site) -> int:
    """A customer's thread on X the brand answered once (that clock stopped) and that the
    customer wrote to again (a clock running), and the same handle on Mastodon: another
    customer who may be the same person."""
    await site.ingest(
        mention("1", author="alice", conversation="c1"),
        mention("2", author="alice", network=Network.MASTODON, conversation="m1"),
    )
    await site.ingest(
        mention("3", author="brand", conversation="c1", reply_to="1", minute=5,
                direction=Direction.OUTBOUND),
    )  # fmt: skip
    await site.ingest(mention("4", author="alice", conversation="c1", reply_to="3", minute=9))
    return await thread_of(site.db, site.workspace_id, "c1")


def _counting(
    db: Database, counted: list[str]
) -> Callable[[], AbstractAsyncContextManager[Connection]]:
    pooled = db.connection

    @asynccontextmanager
    async def connection() -> AsyncIterator[Connection]:
        async with pooled() as conn:
            conn.add_query_logger(lambda query: counted.append(query.query))
            yield conn

    return connection


async def test_a_thread_page_with_a_customer_and_clocks_runs_one_statement(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    await site.hire("ana@example.com")
    thread_id = await _answered_thread_with_a_namesake(site)
    await site.sign_in("ana@example.com")
    counted: list[str] = []
    monkeypatch.setattr(site.db, "connection", _counting(site.db, counted))

    page = await site.text(f"/threads/{thread_id}")

    assert "handle_alice" in page
    assert "How the clocks were counted" in page
    assert len(counted) == 1, counted


async def test_the_page_shows_the_clocks_record_and_namesakes_its_use_cases_find(
    site: Site,
) -> None:
    await site.hire("ana@example.com", Role.LEAD)
    thread_id = await _answered_thread_with_a_namesake(site)
    async with site.db.connection() as conn:
        agent_id = await conn.fetchval("SELECT id FROM agent WHERE email = 'ana@example.com'")
    session = WebSession(
        site.workspace_id, agent_id, "Ana", frozenset({Role.LEAD}), "csrf",
        time_zone="Europe/Paris",
    )  # fmt: skip
    services = site.services

    read = await services.inbox_pages.thread_read_by(session, thread_id)

    explained = await services.explain_sla(site.workspace_id, thread_id, "Europe/Paris")
    assert services.explain_sla.explained(site.workspace_id, read.sla, "Europe/Paris") == explained
    assert [clock.stopped_at is None for clock in read.sla.clocks] == [False, True]
    record = await services.customers.record(site.workspace_id, read.customer_id)
    assert record is not None
    assert read.customer.record == record
    suggested = await services.customers.suggested_for(site.workspace_id, record.id)
    assert suggested, "the namesake on Mastodon is suggested"
    assert suggested_among(read.customer) == suggested
