"""The community portal in a real browser (Debian's Chromium driven by Playwright), at a
desktop's and a phone's width, checked with axe-core: a member answers, an agent approves.

Skipped, with the reason, where no Chromium or no axe-core is installed. Set
INBOX_SCREENSHOTS to a folder to save what the pages look like."""

from __future__ import annotations

from typing import Any

import pytest

from inbox.domain.people import Role
from tests.e2e.browsing import DESKTOP, WIDTHS, fit_and_accessible, logged_in, recent, screenshot
from tests.e2e.site import Site
from tests.e2e.test_community_portal import AGENT, MEMBER, person
from tests.factories import mention

pytestmark = pytest.mark.integration


async def looked_at(page: Any, name: str) -> None:
    """At a desktop's and a phone's width: nothing wider than the screen, no serious
    accessibility finding; a screenshot of each where asked for."""
    for label, size in WIDTHS.items():
        await page.set_viewport_size(size)
        assert await fit_and_accessible(page) == [], (name, label)
        await screenshot(page, f"{name}-{label}")
    await page.set_viewport_size(DESKTOP)


async def test_a_member_answers_in_the_browser_and_an_agent_approves_it(
    site: Site, browser: Any
) -> None:
    base = site.base
    await site.services.routing_settings.save(
        site.workspace_id, {"community": {"enabled": True, "topics": ["app"]}}, {}, {"rules": []}
    )
    await person(site.services, site.db, site.workspace_id, MEMBER, Role.COMMUNITY)
    await person(site.services, site.db, site.workspace_id, AGENT, Role.AGENT)
    question = "@acme how do I update the app on my phone? Is there a setting for it?"
    await site.ingest(recent(mention("1", conversation="q", text=question), 25))
    member = await logged_in(browser, base, MEMBER, "/community")
    await member.wait_for_selector("text=Is there a setting for it")
    await looked_at(member, "community")
    # The desk is not theirs: the refusal says so and leads back to their page.
    refused = await member.goto(f"{base}/inbox")
    assert refused is not None
    assert refused.status == 403
    await looked_at(member, "community-refusal")
    await member.locator("main a[href='/community']").first.click()
    await member.wait_for_url(f"{base}/community")

    box = member.locator("textarea[name=body]")
    await box.fill("Open the store, search for the app and tap Update. " * 6)
    counter = member.locator("output.over")
    await counter.wait_for()  # the count goes below zero as the member types
    assert int(await counter.inner_text()) < 0
    await member.click("text=Send for review")
    await member.wait_for_selector("text=Not sent: ")
    await looked_at(member, "community-refused")

    await member.locator("textarea[name=body]").fill("Store > search the app > Update.")
    await member.click("text=Send for review")
    await member.wait_for_selector("text=Sent for review")
    await member.wait_for_selector(".chip-status-pending")
    await looked_at(member, "community-sent")

    agent = await logged_in(browser, base, AGENT, "/inbox")
    count = agent.locator("[data-pending-answers]")
    await count.wait_for(state="visible")  # filled by the page's script
    assert await count.inner_text() == "1"
    await agent.click("a[href='/community/review']")
    await agent.wait_for_selector("text=Store > search the app > Update.")
    await looked_at(agent, "community-review")
    await agent.click("text=Approve and post")
    await agent.wait_for_selector("text=Approved: the answer is queued for posting")
    await agent.wait_for_selector("text=Nothing to review")

    await member.reload()
    await member.wait_for_selector(".chip-status-approved")
    await member.wait_for_selector("text=Thank you")
    assert await member.locator("text=Sent for review").count() == 0  # reviewed since
    await looked_at(member, "community-approved")
    async with site.db.connection() as conn:
        posted = await conn.fetchval(
            "SELECT body FROM outbox_item WHERE workspace_id = $1", site.workspace_id
        )
    assert posted == "Store > search the app > Update."
