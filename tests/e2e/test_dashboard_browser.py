"""The lead's dashboard, an agent's /me and an incident page in a real browser (Debian's
Chromium driven by Playwright), at a desktop's and a phone's width, checked with axe-core:
nothing wider than the screen, the charts drawn, no serious accessibility finding.

Skipped, with the reason, where no Chromium or no axe-core is installed. Set
INBOX_SCREENSHOTS to a folder to save what the pages look like."""

from __future__ import annotations

from typing import Any

import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Direction
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.workspaces import PgWorkspaceStore
from tests.e2e.browsing import (
    DESKTOP,
    WIDTHS,
    fit_and_accessible,
    logged_in,
    recent,
    screenshot,
)
from tests.e2e.site import Site
from tests.e2e.test_dashboard_pages import OUTAGE, lyon_outage
from tests.factories import mention

pytestmark = pytest.mark.integration


async def looked_at(page: Any, url: str, name: str) -> None:
    """The page at a desktop's and a phone's width: its charts drawn, nothing wider than the
    screen, no serious accessibility finding; a screenshot of each where asked for."""
    for label, size in WIDTHS.items():
        await page.set_viewport_size(size)
        await page.goto(url)
        charts = page.locator("figure.chart svg.chart-plot")
        assert await charts.count() > 0, (name, label)
        box = await charts.first.bounding_box()
        assert box is not None
        assert box["width"] > 0, (name, label)
        assert await fit_and_accessible(page) == [], (name, label)
        await screenshot(page, f"{name}-{label}")


async def test_a_lead_an_agent_and_ops_read_their_charts_on_a_desk_and_a_phone(
    site: Site, browser: Any
) -> None:
    base = site.base
    await site.hire("lea@example.com", Role.LEAD)
    await site.hire("ana@example.com")
    await site.hire("omar@example.com", Role.OPS)
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
    await PgWorkspaceStore(site.db).add_account(site.workspace_id, Network.X, "brand", "acme")
    await site.services.ingest(site.workspace_id, IngestBatch(messages))
    incident = await lyon_outage(site, minutes_ago=8)

    lead = await logged_in(browser, base, "lea@example.com", None)
    await looked_at(lead, f"{base}/dashboard", "dashboard")
    assert await lead.locator("#adoption-head").is_visible()
    # Both answers were written straight on the network: the share is drawn, 0% of 2.
    assert await lead.locator("#answers-through-inbox svg").is_visible()
    assert "0% of 2 public answers" in await lead.locator("#answers-through-inbox").inner_text()
    agent = await logged_in(browser, base, "ana@example.com", None)
    await looked_at(agent, f"{base}/me", "me")
    operator = await logged_in(browser, base, "omar@example.com", None)
    await looked_at(operator, f"{base}/incidents/{incident.id}", "incident")
    await operator.set_viewport_size(DESKTOP)
    assert await operator.locator("h1").inner_text() == "Fibre down, Lyon"
    assert "5 complaints in" in await operator.locator("main").inner_text()
