"""The lead's dashboard, an agent's /me and an incident page in a real browser (Debian's
Chromium driven by Playwright), at a desktop's and a phone's width, checked with axe-core:
nothing wider than the screen, the charts drawn, no serious accessibility finding.

Skipped, with the reason, where no Chromium or no axe-core is installed. Set
INBOX_SCREENSHOTS to a folder to save what the pages look like."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Direction
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.store.database import Database
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.services import Services
from tests.e2e.test_browser import PASSWORD, browser, person, recent
from tests.e2e.test_dashboard_pages import OUTAGE
from tests.factories import mention

pytestmark = pytest.mark.integration

axe_api = pytest.importorskip("axe_playwright_python.async_playwright", reason="no axe-core")

__all__ = ["browser"]  # the fixture, shared with the other browser tests

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


async def logged_in(browser: Any, base: str, email: str) -> Any:
    page = await browser.new_page(viewport=DESKTOP)
    await page.goto(f"{base}/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()
    return page


async def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    results = await axe_api.Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def looked_at(page: Any, url: str, name: str) -> None:
    """The page at a desktop's and a phone's width: its charts drawn, nothing wider than the
    screen, no serious accessibility finding; a screenshot of each where asked for."""
    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        await page.set_viewport_size(size)
        await page.goto(url)
        charts = page.locator("figure.chart svg.chart-plot")
        assert await charts.count() > 0, (name, label)
        box = await charts.first.bounding_box()
        assert box is not None
        assert box["width"] > 0, (name, label)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (name, label, overflow)
        assert await serious_violations(page) == [], (name, label)
        folder = os.environ.get("INBOX_SCREENSHOTS")
        if folder:
            await page.screenshot(path=os.path.join(folder, f"{name}-{label}.png"), full_page=True)


async def test_a_lead_an_agent_and_ops_read_their_charts_on_a_desk_and_a_phone(
    browser: Any,
    client: tuple[aiohttp.ClientSession, str],
    services: Services,
    db: Database,
    workspace_id: int,
) -> None:
    _, base = client
    await person(services, db, workspace_id, "lea@example.com", Role.LEAD)
    await person(services, db, workspace_id, "ana@example.com", Role.AGENT)
    await person(services, db, workspace_id, "omar@example.com", Role.OPS)
    # Customers over the last hours, some answered, and an outage in Lyon now.
    messages = []
    for n, waited in {1: 20, 2: 90, 3: None, 4: None}.items():
        asked = 45 * n
        messages.append(recent(mention(str(n), author=f"u{n}", conversation=f"c{n}"), asked))
        if waited is not None:
            answer = mention(
                f"r{n}",
                author="brand",
                conversation=f"c{n}",
                reply_to=str(n),
                direction=Direction.OUTBOUND,
            )
            messages.append(recent(answer, asked - waited))
    messages += [recent(mention(f"o{n}", author=f"o{n}", text=OUTAGE), 1 + n) for n in range(5)]
    await PgWorkspaceStore(db).add_account(workspace_id, Network.X, "brand", "acme")
    await services.ingest(workspace_id, IngestBatch(messages))
    ops = WebSession(workspace_id, 1, "Omar", frozenset({Role.OPS}), "csrf")
    incident = await services.incidents.open(
        ops,
        title="Fibre down, Lyon",
        keywords=["fibre"],
        places=["Lyon"],
        started_at=datetime.now(UTC) - timedelta(minutes=8),
    )

    lead = await logged_in(browser, base, "lea@example.com")
    await looked_at(lead, f"{base}/dashboard", "dashboard")
    assert await lead.locator("#adoption-head").is_visible()
    # Both answers were written straight on the network: the share is drawn, 0% of 2.
    assert await lead.locator("#answers-through-inbox svg").is_visible()
    assert "0% of 2 public answers" in await lead.locator("#answers-through-inbox").inner_text()
    agent = await logged_in(browser, base, "ana@example.com")
    await looked_at(agent, f"{base}/me", "me")
    operator = await logged_in(browser, base, "omar@example.com")
    await looked_at(operator, f"{base}/incidents/{incident.id}", "incident")
    await operator.set_viewport_size(DESKTOP)
    assert await operator.locator("h1").inner_text() == "Fibre down, Lyon"
    assert "5 complaints in" in await operator.locator("main").inner_text()
