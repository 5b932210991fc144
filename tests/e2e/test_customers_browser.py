"""The customer's page, the sidebar's record form and the review list in a real browser
(Debian's Chromium driven by Playwright), at a desktop's and a phone's width, as an agent
and as a lead, checked with axe-core. Skipped, with the reason, where no Chromium or no
axe-core is installed. Set INBOX_SCREENSHOTS to a folder to save what the pages look like."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.usecases.services import Services
from tests.e2e.browsing import (
    DESKTOP,
    WIDTHS,
    fit_and_accessible,
    logged_in,
    person,
    recent,
    screenshot,
)
from tests.e2e.test_customers import HOSTILE
from tests.factories import mention

pytestmark = pytest.mark.integration

AGENT = "agent@example.com"
LEAD = "lead@example.com"


async def looked_at(page: Any, name: str) -> None:
    for label, size in WIDTHS.items():
        await page.set_viewport_size(size)
        assert await fit_and_accessible(page) == [], (name, label)
        await screenshot(page, f"{name}-{label}")
    await page.set_viewport_size(DESKTOP)


def _message(number: int, network: Network, author: str, handle: str, name: str) -> Mention:
    base = mention(str(number), author=author, conversation=f"c{number}", network=network)
    written = base.model_copy(
        update={
            "author": Author(external_id=author, handle=handle, display_name=name),
            "text": f"My parcel {number} has not arrived, what is going on?",
        }
    )
    return recent(written, 30 * number)


async def test_the_customer_pages_read_well_for_an_agent_and_a_lead(
    browser: Any,
    client: tuple[aiohttp.ClientSession, str],
    services: Services,
    db: Database,
    workspace_id: int,
) -> None:
    _, base = client
    await person(services, db, workspace_id, AGENT, Role.AGENT)
    await person(services, db, workspace_id, LEAD, Role.LEAD)
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                _message(1, Network.X, "u1", "jane_martin", "Jane Martin"),
                _message(2, Network.X, "u1", "jane_martin", "Jane Martin"),
                _message(3, Network.MASTODON, "m1", "jane_martin@example.social", HOSTILE),
                _message(4, Network.BLUESKY, "b1", "jane-martin-has-a-very-long-handle.bsky.social",
                         "Jane M."),
            ]
        ),
    )  # fmt: skip
    jane = await db.fetchval(
        "SELECT customer_id FROM identity WHERE workspace_id = $1 AND external_user_id = 'u1'",
        workspace_id,
    )
    thread = await db.fetchval(
        "SELECT min(id) FROM thread WHERE workspace_id = $1 AND customer_id = $2",
        workspace_id,
        jane,
    )
    agent = await logged_in(browser, base, AGENT)
    await agent.goto(f"{base}/threads/{thread}")
    await agent.click("text=Edit the record")
    await agent.check("input[name=vip]")
    await agent.fill("input[name=crm_id]", "CRM-1042")
    await agent.fill("input[name=tags]", "gold, parcel")
    await agent.fill("input[name=language]", "fr")
    await looked_at(agent, "customer-sidebar-form")
    await agent.click("form.record-form button[type=submit]")
    await agent.wait_for_selector("text=Customer record saved")
    await looked_at(agent, "customer-sidebar")
    await agent.click("text=Every thread on every network")
    await agent.wait_for_url(f"{base}/customers/{jane}")
    await looked_at(agent, "customer-page")

    lead = await logged_in(browser, base, LEAD, "/dashboard")
    await lead.goto(f"{base}/customers/suggestions")
    await lead.wait_for_selector("text=same handle")
    assert HOSTILE in await lead.inner_text("main")  # shown as text, never run
    await looked_at(lead, "customer-suggestions")
