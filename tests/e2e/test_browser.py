"""The pages in a real browser: Debian's Chromium driven by Playwright. Skipped, with the
reason, where no Chromium is installed (`.ci/run` installs it with apt-get).

Set INBOX_SCREENSHOTS to a folder to keep what the tests looked at (the README's screenshots come
from tests/e2e/test_accessibility.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Direction
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.workspaces import PgWorkspaceStore
from tests.e2e.browsing import listening, logged_in, recent, screenshot
from tests.e2e.site import Site
from tests.factories import mention

pytestmark = pytest.mark.integration

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is not installed")

XSS_CORPUS = (
    "<script>window.__xss = 1</script>",
    '<img src=x onerror="window.__xss = 1">',
    '<svg onload="window.__xss = 1"></svg>',
    '"><script>window.__xss = 1</script>',
    '<iframe src="javascript:window.__xss = 1"></iframe>',
    '<a href="javascript:window.__xss = 1">click</a>',
    "<body onload=window.__xss=1>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
    "'';!--\"<XSS>=&{()}",
    "{{ 7 * 7 }} {% if true %}template{% endif %}",
    "<style>body { display: none }</style>",
    "javascript:/*--></title></style></textarea></script><svg/onload='window.__xss=1'>",
)


async def test_an_agent_sees_a_mention_arrive_live_opens_it_and_replies(
    site: Site, browser: Any
) -> None:
    base = site.base
    await site.hire("ana@example.com")
    await site.ingest(recent(mention("1", conversation="c1", text="@acme where is my parcel?"), 12))
    page = await logged_in(browser, base, "ana@example.com")
    await page.goto(f"{base}/inbox?view=all")
    await page.wait_for_selector("text=where is my parcel")
    await listening(page)
    arrival = recent(
        mention("2", author="u2", conversation="c2", text="@acme my fibre is down, live test"), 1
    )
    await site.ingest(arrival)
    # No reload: the row comes by the event stream.
    await page.wait_for_selector("text=my fibre is down, live test", timeout=20_000)
    await screenshot(page, "inbox")
    await page.click("text=my fibre is down, live test")
    reply_box = "form[action$='/reply'] textarea[name=body]"
    await page.wait_for_selector(reply_box)
    await page.fill(reply_box, "So sorry, an engineer is on it.")
    await page.click("form[action$='/reply'] button[type=submit]")
    await page.wait_for_selector("text=Reply queued")
    await screenshot(page, "thread")
    async with site.db.connection() as conn:
        body = await conn.fetchval(
            "SELECT body FROM outbox_item WHERE workspace_id = $1", site.workspace_id
        )
    assert body == "So sorry, an engineer is on it."


async def test_a_new_row_comes_in_live_and_the_focus_stays_on_the_agents_row(
    site: Site, browser: Any
) -> None:
    base = site.base
    await site.hire("ana@example.com")
    earlier = [
        recent(mention(str(n), author=f"u{n}", conversation=f"c{n}", text=f"@acme issue {n}"), 30)
        for n in (1, 2, 3)
    ]
    await site.services.ingest(site.workspace_id, IngestBatch(earlier))
    page = await logged_in(browser, base, "ana@example.com")
    await page.goto(f"{base}/inbox?view=all")
    await page.wait_for_selector("text=issue 3")
    await listening(page)
    focused_row = "(document.activeElement.closest('tr') || {dataset: {}}).dataset.thread || null"
    await page.keyboard.press("j")
    await page.keyboard.press("j")
    chosen = await page.evaluate(focused_row)
    assert chosen is not None

    arrival = recent(mention("4", author="u4", conversation="c4", text="@acme fibre cut, live"), 1)
    await site.ingest(arrival)
    # No reload: the row comes by the event stream, and the focus stays where it was.
    await page.wait_for_selector("text=fibre cut, live", timeout=20_000)
    assert await page.evaluate(focused_row) == chosen
    assert await page.inner_text("#thread-count") == "4"
    await page.keyboard.press("j")  # the keys still move from the focused row
    assert await page.evaluate(focused_row) not in (None, chosen)


async def test_a_stream_refused_once_is_opened_again_and_rows_still_come_live(
    site: Site, browser: Any
) -> None:
    # An answer other than 200 (the database down, a restart) ends an EventSource for good:
    # the page must open its stream again by itself.
    base = site.base
    await site.hire("ana@example.com")
    page = await logged_in(browser, base, "ana@example.com")
    streams: list[str] = []

    async def refuse_the_first(route: Any) -> None:
        streams.append(route.request.url)
        if len(streams) == 1:
            await route.fulfill(status=503, body="the database is unavailable")
        else:
            await route.continue_()

    await page.route("**/events*", refuse_the_first)
    await page.goto(f"{base}/inbox?view=all")
    await page.wait_for_function("document.readyState === 'complete'")
    deadline = asyncio.get_running_loop().time() + 20
    while len(streams) < 2:
        assert asyncio.get_running_loop().time() < deadline, "the stream was not opened again"
        await asyncio.sleep(0.05)

    arrival = recent(mention("1", author="u1", conversation="c1", text="@acme back online"), 1)
    await site.ingest(arrival)
    await page.wait_for_selector("text=back online", timeout=20_000)


async def test_rows_come_and_go_with_their_changes_and_the_page_fetches_nothing(
    site: Site, browser: Any
) -> None:
    base = site.base
    await site.hire("ana@example.com")
    answered = [
        recent(mention("1", conversation="c1", text="@acme thanks, all good now"), 30),
        recent(mention("r1", author="brand", conversation="c1", direction=Direction.OUTBOUND), 20),
    ]
    await site.services.ingest(site.workspace_id, IngestBatch(answered))
    async with site.db.connection() as conn:
        thread_id = await conn.fetchval(
            "SELECT id FROM thread WHERE workspace_id = $1", site.workspace_id
        )
    page = await logged_in(browser, base, "ana@example.com")
    await page.goto(f"{base}/inbox?view=all")
    await page.wait_for_selector("text=all good now")
    await listening(page)
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))

    arrival = recent(mention("2", author="u2", conversation="c2", text="@acme sent live"), 1)
    await site.ingest(arrival)
    await page.wait_for_selector("text=sent live", timeout=20_000)
    await site.services.close_without_reply(site.workspace_id, thread_id, "resolved", "agent:test")
    await page.wait_for_selector("text=all good now", state="detached", timeout=20_000)
    assert await page.inner_text("#thread-count") == "1"
    assert [url for url in fetched if "/inbox" in url] == []


async def test_a_lead_reads_the_sla_figures(site: Site, browser: Any) -> None:
    base = site.base
    await site.hire("lea@example.com", Role.LEAD)
    # Six customers over the last hours; the brand answered four of them, two late.
    waits = {1: 20, 2: 45, 3: 90, 4: 150, 5: None, 6: None}
    messages = []
    for n, waited in waits.items():
        asked = 40 * n
        messages.append(recent(mention(str(n), author=f"u{n}", conversation=f"c{n}"), asked))
        if waited is not None:
            answer = mention(
                f"r{n}", author="brand", conversation=f"c{n}", direction=Direction.OUTBOUND
            )
            messages.append(recent(answer, asked - waited))
    await PgWorkspaceStore(site.db).add_account(site.workspace_id, Network.X, "brand", "acme")
    await site.services.ingest(site.workspace_id, IngestBatch(messages))
    page = await logged_in(browser, base, "lea@example.com", "/dashboard")
    await page.goto(f"{base}/dashboard")
    text = await page.inner_text("main")
    assert "clocks running" in text
    assert "No clocks in these days" not in text
    await screenshot(page, "dashboard")


async def test_no_payload_of_the_xss_corpus_runs_on_any_page(site: Site, browser: Any) -> None:
    base = site.base
    await site.hire("ana@example.com")
    messages = [
        mention(str(n), author=f"u{n}", conversation=f"x{n}", text=payload)
        for n, payload in enumerate(XSS_CORPUS)
    ]
    await site.services.ingest(site.workspace_id, IngestBatch(messages))
    page = await logged_in(browser, base, "ana@example.com")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await page.goto(f"{base}/inbox?view=all")
    links = await page.eval_on_selector_all(
        "#rows a", "links => links.map(link => link.getAttribute('href'))"
    )
    assert len(links) == len(XSS_CORPUS)
    assert await page.evaluate("window.__xss") is None
    for href in links:
        await page.goto(f"{base}{href}")
        assert await page.evaluate("window.__xss") is None
    await page.goto(f"{base}/inbox?view=all")
    assert "{{ 7 * 7 }}" in await page.inner_text("main")  # shown as written, not evaluated
    assert dialogs == []


async def test_a_canned_response_fills_the_reply_box_and_the_count_follows(
    site: Site, browser: Any
) -> None:
    base = site.base
    await site.hire("ana@example.com")
    await site.services.canned.replace(
        site.workspace_id, [{"name": "sorry", "body": "Sorry {customer}, we are looking into it."}]
    )
    await site.ingest(mention("1", conversation="c1"))
    async with site.db.connection() as conn:
        thread_id = await conn.fetchval(
            "SELECT id FROM thread WHERE workspace_id = $1", site.workspace_id
        )
    page = await logged_in(browser, base, "ana@example.com")
    await page.goto(f"{base}/threads/{thread_id}")
    await page.select_option("#canned", label="sorry")
    text = "Sorry @handle_u1, we are looking into it."
    assert await page.input_value("#reply") == text
    # What X takes, less the "@handle_u1 " the connector starts the reply with.
    assert await page.inner_text("#count") == str(280 - len("@handle_u1 ") - len(text))


async def test_an_admin_fills_a_calendar_with_public_holidays_from_the_admin_menu(
    site: Site, browser: Any
) -> None:
    base = site.base
    await site.hire("ada@example.com", Role.ADMIN)
    weekdays = ("mon", "tue", "wed", "thu", "fri")
    office = {"tz": "Europe/Paris", "weekly": {day: [["09:00", "18:00"]] for day in weekdays}}
    await site.services.sla_settings(
        site.workspace_id,
        {"office": office},
        {"policies": {"office": {"name": "office", "calendar": "office"}}, "default": "office"},
    )
    page = await logged_in(browser, base, "ada@example.com", "/admin")
    await page.click("header nav a[href='/admin']")
    await page.click("nav.admin-menu a[href='/admin/calendars']")
    fill = "form[action='/admin/calendars/holidays/fill']"
    await page.fill(f"{fill} input[name=country]", "FR")
    await page.fill(f"{fill} input[name=years]", "2027")
    await page.click(f"{fill} button[type=submit]")
    await page.wait_for_selector("text=running SLA clocks were re-planned")
    assert "2027-07-14" in await page.input_value("textarea[name=holidays]")
    await screenshot(page, "admin")


async def test_question_mark_opens_the_shortcuts_overlay_which_holds_the_focus_until_escape(
    site: Site, browser: Any
) -> None:
    base = site.base
    await site.hire("ana@example.com")
    await site.ingest(mention("1", conversation="c1"))
    page = await logged_in(browser, base, "ana@example.com")
    await page.goto(f"{base}/inbox?view=all")
    overlay = page.locator("dialog#shortcuts")
    assert not await overlay.is_visible()
    await page.keyboard.press("?")
    await overlay.wait_for(state="visible")
    focus_inside = "document.getElementById('shortcuts').contains(document.activeElement)"
    assert await page.evaluate(focus_inside)
    assert "Next, previous thread in the list" in await overlay.inner_text()
    await page.keyboard.press("j")  # the list's keys wait while the overlay is open
    await page.keyboard.press("Tab")
    assert await page.evaluate(focus_inside)
    await page.keyboard.press("Escape")
    await overlay.wait_for(state="hidden")
    await page.click("a[data-opens=shortcuts]")  # the rail's link opens it too
    await overlay.wait_for(state="visible")
    await screenshot(page, "shortcuts")
    await page.click("[data-closes=shortcuts]")
    await overlay.wait_for(state="hidden")


async def test_a_row_sent_live_shows_its_times_in_the_readers_zone(
    site: Site, browser: Any
) -> None:
    base = site.base
    await site.hire("ana@example.com")
    async with site.db.connection() as conn:
        await conn.execute(
            "UPDATE agent SET time_zone = 'Asia/Tokyo' WHERE workspace_id = $1", site.workspace_id
        )
    page = await logged_in(browser, base, "ana@example.com")
    await page.goto(f"{base}/inbox?view=all")
    await listening(page)
    arrival = recent(mention("1", author="u1", conversation="c1", text="@acme zone test"), 1)
    await site.ingest(arrival)
    # Rendered once for every open page, without a zone; the page gives its times one.
    await page.wait_for_selector("text=zone test", timeout=20_000)
    title = await page.get_attribute("#rows time.sla-left", "title")
    due = (arrival.created_at + timedelta(hours=1)).astimezone(ZoneInfo("Asia/Tokyo"))
    assert title is not None
    assert f"{due:%d %b %H:%M}" in title  # the hour in Tokyo
    assert title.endswith((" JST", " GMT+9"))  # labelled as the browser names the zone
