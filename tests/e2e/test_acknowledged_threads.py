"""An automated acknowledgement ("our team is away, back Monday at 09:00") is not an answer:
over real HTTP, the thread it went to still waits for the team, shows the customer's wait and
cannot be resolved; the first human answer changes all of that."""

from __future__ import annotations

import re

import aiohttp
import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Direction
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.usecases.services import Services
from tests.e2e.browsing import person
from tests.e2e.site import csrf_of, page_text, signed_in
from tests.factories import mention

pytestmark = pytest.mark.integration


def _row(inbox_html: str, thread_id: int) -> str | None:
    """The thread's row in an inbox page, or None when the view does not hold it."""
    found = re.search(rf'<tr[^>]*data-thread="{thread_id}".*?</tr>', inbox_html, re.S)
    return None if found is None else found.group(0)


async def _acknowledged_thread(services: Services, workspace_id: int) -> int:
    """A customer's message, then only the automatic out-of-hours acknowledgement."""
    acknowledgement = mention(
        "ack", conversation="c1", reply_to="1", minute=1, direction=Direction.OUTBOUND
    ).model_copy(update={"automated": True})
    await services.ingest(workspace_id, IngestBatch([mention("1", conversation="c1")]))
    await services.ingest(workspace_id, IngestBatch([acknowledgement]))
    rows = await services.list_threads(workspace_id)
    return rows[0].id


async def test_an_acknowledged_thread_still_waits_for_the_team_and_cannot_be_resolved(
    client: tuple[aiohttp.ClientSession, str], services: Services, db: Database, workspace_id: int
) -> None:
    ana, base = client
    await person(services, db, workspace_id, "ana@example.com", Role.AGENT)
    thread_id = await _acknowledged_thread(services, workspace_id)
    await signed_in(ana, base, "ana@example.com")

    waiting_for_us = _row(await page_text(ana, f"{base}/inbox?view=all"), thread_id)
    assert waiting_for_us is not None
    assert re.search(r"waiting \d", waiting_for_us)  # the customer's wait, from their message
    assert _row(await page_text(ana, f"{base}/inbox?view=waiting"), thread_id) is None

    url = f"{base}/threads/{thread_id}"
    page = await page_text(ana, url)
    assert "automatic" in page  # the acknowledgement is shown, for what it is
    assert 'id="resolve"' not in page
    async with ana.post(f"{url}/resolve", data={"csrf": csrf_of(page)}, allow_redirects=False) as r:
        assert r.status == 409
        assert "still waiting" in await r.text()


async def test_the_first_human_answer_after_an_acknowledgement_ends_the_wait(
    client: tuple[aiohttp.ClientSession, str], services: Services, db: Database, workspace_id: int
) -> None:
    ana, base = client
    await person(services, db, workspace_id, "ana@example.com", Role.AGENT)
    thread_id = await _acknowledged_thread(services, workspace_id)
    answer = mention("9", conversation="c1", reply_to="1", minute=30, direction=Direction.OUTBOUND)
    await services.ingest(workspace_id, IngestBatch([answer]))
    await signed_in(ana, base, "ana@example.com")

    waiting_on_customer = _row(await page_text(ana, f"{base}/inbox?view=waiting"), thread_id)
    assert waiting_on_customer is not None
    assert not re.search(r"waiting \d", waiting_on_customer)
    url = f"{base}/threads/{thread_id}"
    page = await page_text(ana, url)
    assert 'id="resolve"' in page
    async with ana.post(f"{url}/resolve", data={"csrf": csrf_of(page)}, allow_redirects=False) as r:
        assert r.status == 303
