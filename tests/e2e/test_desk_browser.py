"""The desk in a real browser (Chromium driven by Playwright): a thread opens beside the list
without leaving it, on a wide screen and on a phone (one pane at a time, with a back action),
by the mouse and by the keyboard alone; touch targets on a phone; axe-core finds nothing
serious. Skipped, with the reason, where no Chromium is installed.

Set INBOX_SCREENSHOTS to a folder to keep what the tests looked at."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.browsing import logged_in, recent, screenshot, serious_violations
from tests.e2e.site import Site
from tests.factories import mention

pytestmark = pytest.mark.integration


WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# WCAG 2.5.5: what a finger can hit.
TOUCH = 44


async def _two_threads(site: Site) -> None:
    await site.hire("ana@example.com")
    await site.ingest(
        recent(mention("1", conversation="c1", text="@acme where is my parcel?"), 20),
        recent(mention("2", author="u2", conversation="c2", text="@acme my fibre is down"), 5),
    )


async def _desk(browser: Any, base: str, viewport: dict[str, int]) -> Any:
    page = await logged_in(browser, base, "ana@example.com")
    await page.set_viewport_size(viewport)
    await page.goto(f"{base}/inbox?view=all")
    await page.wait_for_selector("text=where is my parcel")
    # A mark on this document: a page load would take it away.
    await page.evaluate("window.__sameDocument = true")
    return page


@pytest.fixture(params=[WIDE, PHONE], ids=["1440", "390"])
async def parcel_opened(
    request: pytest.FixtureRequest, site: Site, browser: Any
) -> tuple[Any, dict[str, int]]:
    """The desk at each size with the parcel thread opened from the list by a click: the
    page and the size."""
    viewport: dict[str, int] = request.param
    await _two_threads(site)
    page = await _desk(browser, site.base, viewport)
    await page.click("#rows a:has-text('where is my parcel')")
    await page.wait_for_selector("#desk-thread .conversation")
    return page, viewport


async def _still_the_same_document(page: Any) -> bool:
    return bool(await page.evaluate("window.__sameDocument === true"))


async def test_a_thread_opens_beside_the_list_without_leaving_it(
    parcel_opened: tuple[Any, dict[str, int]],
) -> None:
    page, viewport = parcel_opened
    assert await _still_the_same_document(page)
    assert "thread=" in page.url
    assert "/inbox?view=all" in page.url
    assert await page.is_visible("#desk-thread .customer-panel")
    assert await page.get_attribute("#rows tr.is-open a", "aria-current") == "true"
    name = "desk-wide" if viewport is WIDE else "desk-phone"
    await screenshot(page, f"{name}-thread")
    if viewport is WIDE:
        # Both panes at once: another row opens in place of the first.
        assert await page.is_visible("#rows")
        await page.click("#rows a:has-text('my fibre is down')")
        await page.wait_for_selector("#desk-thread .msg-text:has-text('my fibre is down')")
        assert await _still_the_same_document(page)
        assert await page.locator("#rows tr.is-open").count() == 1
    else:
        # One pane at a time: the thread, then back to the list where it was.
        assert not await page.is_visible("#rows")
        await page.click("#desk-thread [data-back]")
        await page.wait_for_selector("#rows", state="visible")
        assert await _still_the_same_document(page)
        assert "thread=" not in page.url
        focused = await page.evaluate("document.activeElement.textContent")
        assert "where is my parcel" in focused
    # The browser's Back goes where the desk was, the first thread open, without a page load.
    await page.go_back()
    await page.wait_for_selector(
        "#desk-thread .msg-text:has-text('where is my parcel')", state="visible"
    )
    assert await _still_the_same_document(page)
    await page.close()


async def test_the_keyboard_alone_opens_a_thread_and_reaches_its_reply_box(
    site: Site, browser: Any
) -> None:
    base = site.base
    await _two_threads(site)
    page = await _desk(browser, base, WIDE)
    await page.keyboard.press("j")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("k")
    first = await page.evaluate("document.activeElement.textContent")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#desk-thread .conversation")
    assert await _still_the_same_document(page)
    assert first.strip() in await page.inner_text("#desk-thread .conversation")
    await page.keyboard.press("r")
    assert await page.evaluate("document.activeElement.id") == "reply"
    await page.keyboard.type("Sorry, we are on it.")
    assert await page.inner_text("#count") == str(280 - len("@handle_u1 ") - 20)
    await page.close()


async def test_on_a_phone_what_a_finger_presses_is_large_enough(site: Site, browser: Any) -> None:
    base = site.base
    await _two_threads(site)
    page = await _desk(browser, base, PHONE)
    await page.click("#rows a:has-text('where is my parcel')")
    await page.wait_for_selector("#desk-thread .conversation")
    small = await page.evaluate(
        """(least) => Array.from(document.querySelectorAll(
              '#rows a.row-link, #desk-thread .pane-back, #desk-thread .btn, #desk-thread summary,'
              + ' #desk-thread select, #desk-thread textarea'))
            .filter((el) => el.offsetParent !== null)
            .map((el) => [el.textContent.trim().slice(0, 30) || el.id, el.getBoundingClientRect()])
            .filter(([, box]) => box.height < least)
            .map(([what, box]) => what + ' ' + Math.round(box.height))""",
        TOUCH,
    )
    assert small == []
    await page.close()


async def test_axe_finds_nothing_serious_on_the_desk_with_a_thread_open(
    parcel_opened: tuple[Any, dict[str, int]],
) -> None:
    page, _ = parcel_opened
    assert await serious_violations(page) == []
    await page.close()
