"""The thread announcements on the real PostgreSQL: each thread with what the views select
on, in notifications PostgreSQL accepts, decoded by the process's listener."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.live import LiveChange, ThreadsChanged
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.store.database import Database
from inbox.store.live import PgChangeFeed
from inbox.store.people import PgPeopleStore
from inbox.usecases.services import Services
from tests.factories import mention

pytestmark = pytest.mark.integration

DEADLINE_SECONDS = 30.0


@pytest.fixture
async def heard(db: Database) -> AsyncIterator[asyncio.Queue[LiveChange]]:
    changes: asyncio.Queue[LiveChange] = asyncio.Queue()
    async with PgChangeFeed(db).listening(changes.put_nowait):
        yield changes


async def threads_changed(changes: asyncio.Queue[LiveChange]) -> ThreadsChanged:
    change = await asyncio.wait_for(changes.get(), timeout=DEADLINE_SECONDS)
    assert isinstance(change, ThreadsChanged)
    return change


async def test_a_batch_announces_each_thread_with_its_state(
    services: Services, workspace_id: int, heard: asyncio.Queue[LiveChange]
) -> None:
    result = await services.ingest(
        workspace_id, IngestBatch([mention("1", conversation="c1", text="@acme no signal")])
    )
    change = await threads_changed(heard)
    assert change.workspace_id == workspace_id
    (state,) = change.threads
    assert state.thread_id in result.changed_thread_ids
    assert state.status == "new"
    assert state.network == "x"
    assert not state.waiting_on_customer


async def test_a_large_batch_is_announced_in_parts_that_name_every_thread(
    services: Services, workspace_id: int, heard: asyncio.Queue[LiveChange]
) -> None:
    batch = [mention(str(n), author=f"u{n}", conversation=f"c{n}") for n in range(95)]
    result = await services.ingest(workspace_id, IngestBatch(batch))
    announced: set[int] = set()
    parts = 0
    while announced != result.changed_thread_ids:
        change = await threads_changed(heard)
        announced |= {t.thread_id for t in change.threads} | set(change.unknown)
        parts += 1
    assert parts == 3  # 40 threads a notification


async def test_a_thread_given_to_a_colleague_is_announced_with_its_new_assignee(
    services: Services, db: Database, workspace_id: int, heard: asyncio.Queue[LiveChange]
) -> None:
    people = PgPeopleStore(db)
    lead_id = await people.save_agent(workspace_id, "lea@example.com", "Lea", [Role.LEAD], [])
    ben_id = await people.save_agent(workspace_id, "ben@example.com", "Ben", [Role.AGENT], [])
    result = await services.ingest(workspace_id, IngestBatch([mention("1", conversation="c1")]))
    await threads_changed(heard)
    (thread_id,) = result.changed_thread_ids
    lead = WebSession(workspace_id, lead_id, "Lea", frozenset({Role.LEAD}), "csrf")
    await services.inbox_pages.assign(lead, thread_id, ben_id, None)
    change = await threads_changed(heard)
    (state,) = change.threads
    assert (state.thread_id, state.assignee_id) == (thread_id, ben_id)
