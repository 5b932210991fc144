"""The desk by keyboard alone, in Chromium: an agent logs in, takes the next thread, replies
and, once the reply is out, resolves it, without touching the mouse."""

from __future__ import annotations

from typing import Any

import pytest

from inbox.domain.mention import Direction
from inbox.domain.presence import AgentStatus
from inbox.store.database import Database
from tests.e2e.browsing import PASSWORD, listening, recent
from tests.e2e.site import Site
from tests.factories import mention

pytestmark = pytest.mark.integration

DEADLINE_MS = 30_000  # a guard against hanging, not a measure


async def _thread(db: Database, workspace_id: int) -> tuple[int, str, int | None]:
    async with db.connection() as conn:
        row = await conn.fetchrow(
            "SELECT id, status, assignee_id FROM thread WHERE workspace_id = $1", workspace_id
        )
    assert row is not None
    return row["id"], row["status"], row["assignee_id"]


async def test_an_agent_takes_the_next_thread_replies_and_resolves_it_by_keyboard_alone(
    site: Site, browser: Any
) -> None:
    base = site.base
    await site.hire("ana@example.com")
    async with site.db.connection() as conn:
        ana: int = await conn.fetchval(
            "SELECT id FROM agent WHERE workspace_id = $1 AND email = $2",
            site.workspace_id,
            "ana@example.com",
        )
    # Busy: routing gives her nothing, the thread waits in her team's queue for Next.
    await site.services.set_status(site.workspace_id, ana, AgentStatus.BUSY)
    question = recent(mention("1", conversation="c1", text="@acme where is my parcel?"), 10)
    await site.ingest(question)
    _, _, holder = await _thread(site.db, site.workspace_id)
    assert holder is None

    page = await browser.new_page()
    await page.set_viewport_size({"width": 1440, "height": 900})
    await page.goto(f"{base}/login")
    await page.keyboard.type("ana@example.com")  # the e-mail field has the focus
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")

    # "c": the next thread becomes hers and opens beside the list. The page's scripts have
    # run once its event stream is open; a refusal would show in the toast, and says why.
    await listening(page)
    await page.keyboard.press("c")
    shown = await page.wait_for_selector("#thread-pane, #toast", timeout=DEADLINE_MS)
    assert await shown.get_attribute("id") == "thread-pane", await shown.text_content()
    assert (await _thread(site.db, site.workspace_id))[2] == ana

    # "r": the reply box; then Tab to Send and Enter.
    await page.keyboard.press("r")
    await page.keyboard.type("It left our depot this morning, you will have it tomorrow.")
    focused = ""
    for _ in range(10):  # to the Send button, whatever sits between
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.textContent.trim()")
        if focused == "Send":
            break
    assert focused == "Send"
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await page.wait_for_selector("text=Reply queued", timeout=DEADLINE_MS)

    # The reply leaves and the connector sees it on the network: the thread is answered.
    posted = mention("r1", author="brand", conversation="c1", direction=Direction.OUTBOUND)
    await site.ingest(recent(posted, 0))
    await page.reload()
    await page.wait_for_selector("#resolve", timeout=DEADLINE_MS)

    # "e": resolved.
    async with page.expect_navigation():
        await page.keyboard.press("e")
    assert (await _thread(site.db, site.workspace_id))[1] == "resolved"
    await page.close()
