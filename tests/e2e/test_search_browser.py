"""Search in a real browser: from the desk's "/" key to a thread found and opened, every
hostile message shown as text with the words searched marked. Skipped, with the reason,
where no Chromium is installed. Screenshots at both widths where INBOX_SCREENSHOTS is set."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.browsing import DESKTOP, PHONE, logged_in, recent, screenshot
from tests.e2e.site import Site
from tests.e2e.test_browser import XSS_CORPUS
from tests.factories import mention

pytestmark = pytest.mark.integration

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is not installed")


async def test_an_agent_finds_a_thread_by_its_words_and_opens_it(site: Site, browser: Any) -> None:
    base = site.base
    await site.hire("ana@example.com")
    hostile = [
        recent(mention(f"x{n}", author=f"x{n}", conversation=f"x{n}", text=f"invoice {text}"), 30)
        for n, text in enumerate(XSS_CORPUS)
    ]
    await site.ingest(
        *hostile,
        recent(mention("1", author="jane", conversation="c1", text="my router blinks"), 90),
        recent(
            mention(
                "2",
                author="jane",
                conversation="c1",
                text="and the invoice of November is twice the usual",
            ),
            3,
        ),
    )
    page = await logged_in(browser, base, "ana@example.com")
    await page.keyboard.press("/")
    await page.keyboard.type("november invoice")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{base}/search?q=november+invoice")
    found = page.locator("li.found-thread")
    assert await found.count() == 1
    card = found.first
    assert "@handle_jane" in await card.inner_text()
    assert await card.locator("mark").all_inner_texts() == ["invoice", "November"]
    assert "3 min ago" in await card.locator("time").inner_text()
    for size, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        await page.set_viewport_size(size)
        await screenshot(page, f"search-{name}", full_page=False)
    await card.locator("a.found-link").click()
    await page.wait_for_url(f"{base}/threads/*")
    assert "twice the usual" in await page.inner_text("main")

    await page.goto(f"{base}/search?q=invoice")
    assert await page.locator("li.found-thread").count() == len(XSS_CORPUS) + 1
    assert await page.evaluate("window.__xss") is None
    assert "{{ 7 * 7 }}" in await page.inner_text("main")  # shown as written
