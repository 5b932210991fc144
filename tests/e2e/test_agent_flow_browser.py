"""The list's selection in Chromium: rows ticked, acted on together without leaving the list,
the rows changing live; on a phone the boxes are big enough for a finger; and the list with
its tools has no serious or critical accessibility violation (axe-core)."""

from __future__ import annotations

from typing import Any

import pytest

from inbox.domain.presence import AgentStatus
from tests.e2e.browsing import DESKTOP, PHONE, logged_in, recent, screenshot, serious_violations
from tests.e2e.site import Site
from tests.factories import mention

pytestmark = pytest.mark.integration


DEADLINE_MS = 20_000


async def _busy_agent_with_waiting_threads(site: Site, count: int) -> None:
    """Ana, busy (routing gives her nothing): `count` threads wait in her team's queue."""
    await site.hire("ana@example.com")
    async with site.db.connection() as conn:
        ana = await conn.fetchval(
            "SELECT id FROM agent WHERE workspace_id = $1 AND email = 'ana@example.com'",
            site.workspace_id,
        )
    await site.services.set_status(site.workspace_id, ana, AgentStatus.BUSY)
    batch = [
        recent(mention(str(n), author=f"u{n}", conversation=f"c{n}", text=f"order {n} late"), n)
        for n in range(1, count + 1)
    ]
    await site.ingest(*batch)


async def _unassigned_list(site: Site, browser: Any, count: int, viewport: dict[str, int]) -> Any:
    """Ana's page on the queue of `count` unassigned threads, at that size."""
    await _busy_agent_with_waiting_threads(site, count)
    page = await logged_in(browser, site.base, "ana@example.com")
    await page.set_viewport_size(viewport)
    await page.goto(f"{site.base}/inbox?view=unassigned")
    await page.wait_for_selector(f"text=order {count} late")
    return page


async def _ticked(page: Any) -> list[str]:
    """The threads whose boxes are ticked."""
    found: list[str] = await page.eval_on_selector_all(
        "input.row-select:checked", "boxes => boxes.map(b => b.value)"
    )
    return found


async def test_an_agent_ticks_rows_tags_them_and_closes_them_without_leaving_the_list(
    site: Site, browser: Any
) -> None:
    base = site.base
    page = await _unassigned_list(site, browser, 3, DESKTOP)
    bar = page.locator("#selection")
    assert not await bar.is_visible()  # with script, shown once a row is ticked

    await page.check("input.row-select >> nth=0")
    await page.check("input.row-select >> nth=1")
    await bar.wait_for(state="visible")
    assert await page.text_content("[data-selected]") == "2 selected"
    ticked = await _ticked(page)
    await screenshot(page, "inbox-selection")

    # Enter in the tag field tags (not the toolbar's first button, assign).
    await page.fill("#selection-tag", "Billing")
    await page.press("#selection-tag", "Enter")
    said = page.locator("#selection-said")
    await said.filter(has_text="2 tagged billing").wait_for(timeout=DEADLINE_MS)
    assert page.url == f"{base}/inbox?view=unassigned"  # stayed on the list
    for thread_id in ticked:
        row = page.locator(f'tr[data-thread="{thread_id}"] .chip-tag')
        await row.filter(has_text="billing").wait_for(timeout=DEADLINE_MS)
    # Rows sent again live keep their ticks.
    assert await _ticked(page) == ticked

    await page.click("#selection button[value=close]")
    await said.filter(has_text="2 closed: no reply needed").wait_for(timeout=DEADLINE_MS)
    for thread_id in ticked:
        await page.locator(f'tr[data-thread="{thread_id}"]').wait_for(
            state="detached", timeout=DEADLINE_MS
        )
    # What left the list left the selection.
    await bar.wait_for(state="hidden", timeout=DEADLINE_MS)
    assert await page.locator("tr[data-thread]").count() == 1
    async with site.db.connection() as conn:
        statuses = await conn.fetch(
            "SELECT id, status FROM thread WHERE workspace_id = $1", site.workspace_id
        )
    resolved = {str(r["id"]) for r in statuses if r["status"] == "resolved"}
    assert resolved == set(ticked)
    await page.close()


async def test_on_a_phone_the_rows_boxes_and_next_take_a_finger_and_the_list_passes_axe(
    site: Site, browser: Any
) -> None:
    base = site.base
    page = await _unassigned_list(site, browser, 2, PHONE)
    for target in ("label.row-pick >> nth=0", "#claim-next button"):
        box = await page.locator(target).bounding_box()
        assert box is not None
        assert box["height"] >= 44, target
        assert box["width"] >= 44, target
    await page.check("input.row-select >> nth=0")
    await page.locator("#selection").wait_for(state="visible")
    await screenshot(page, "inbox-selection-phone")
    assert await serious_violations(page) == []

    # Next, by its key: the oldest waiting thread becomes hers and opens.
    await page.locator("#rows a >> nth=0").focus()
    await page.keyboard.press("c")
    await page.wait_for_url(f"{base}/inbox?*thread=*", timeout=DEADLINE_MS)
    await page.close()
