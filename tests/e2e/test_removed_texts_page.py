"""A message whose text went (deleted on its network, retention, or erased at its author's
request) says so on the thread page, and its text is nowhere in it."""

from __future__ import annotations

import pytest

from inbox.domain.ingestion import IngestBatch, NetworkDeletion
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.usecases.customer_rights import requested_on_command_line
from inbox.usecases.services import Services
from tests.e2e.site import session_of
from tests.e2e.test_admin_pages import base, page, person
from tests.factories import mention

pytestmark = pytest.mark.integration

__all__ = ["base"]  # the fixture shared with the admin pages' tests


async def test_a_message_deleted_on_its_network_says_so_on_the_thread_page(
    base: str, services: Services, db: Database, workspace_id: int
) -> None:
    await person(services, db, workspace_id, "ana@example.com", Role.AGENT)
    await services.ingest(workspace_id, IngestBatch([mention("1", text="my iban is FR76 1234")]))
    await services.ingest(workspace_id, IngestBatch([mention("2", text="anyone?", reply_to="1")]))
    await services.ingest(workspace_id, IngestBatch([], deletions=[NetworkDeletion("x", "1")]))
    thread_id = await db.fetchval("SELECT id FROM thread WHERE workspace_id = $1", workspace_id)
    async with session_of(base, "ana@example.com") as agent:
        status, html = await page(agent, f"{base}/threads/{thread_id}")
    assert status == 200
    assert "Deleted on X by its author" in html
    assert "FR76" not in html
    assert "anyone?" in html


async def test_a_message_erased_at_its_authors_request_says_so_on_the_thread_page(
    base: str, services: Services, db: Database, workspace_id: int
) -> None:
    await person(services, db, workspace_id, "ana@example.com", Role.AGENT)
    await services.ingest(workspace_id, IngestBatch([mention("1", text="my iban is FR76 1234")]))
    customer_id = await db.fetchval(
        "SELECT customer_id FROM mention WHERE workspace_id = $1", workspace_id
    )
    await services.customer_rights.erase(
        requested_on_command_line(workspace_id), customer_id, reason="request R-7"
    )
    thread_id = await db.fetchval("SELECT id FROM thread WHERE workspace_id = $1", workspace_id)
    async with session_of(base, "ana@example.com") as agent:
        status, html = await page(agent, f"{base}/threads/{thread_id}")
    assert status == 200
    assert "Erased at the customer" in html
    assert "FR76" not in html
