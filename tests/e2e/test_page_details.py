"""Details of the pages over real HTTP: a resolved thread offers only what its state allows,
the site has a favicon, and the dashboard says why it shows no per-person figures."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest

from inbox.domain.mention import Direction
from inbox.domain.people import Role
from tests.e2e.site import Site, csrf_of, page_text
from tests.factories import mention

pytestmark = pytest.mark.integration

PER_PERSON_OFF = "Per-person figures are off for this workspace"


async def test_a_resolved_thread_offers_nothing_to_resolve_assign_or_snooze(site: Site) -> None:
    ana, base = site.session, site.base
    await site.hire("ana@example.com")
    answered = mention("9", conversation="c1", reply_to="1", minute=3, direction=Direction.OUTBOUND)
    await site.ingest(mention("1", conversation="c1"), answered)
    thread_id = (await site.services.list_threads(site.workspace_id))[0].id
    await site.sign_in("ana@example.com")
    url = f"{base}/threads/{thread_id}"
    page = await page_text(ana, url)
    async with ana.post(f"{url}/resolve", data={"csrf": csrf_of(page)}, allow_redirects=False) as r:
        assert r.status == 303

    page = await page_text(ana, url)
    for offered in ('id="resolve"', 'id="no-reply"', f"/threads/{thread_id}/snooze",
                    f"/threads/{thread_id}/take", f"/threads/{thread_id}/assign"):  # fmt: skip
        assert offered not in page, offered
    assert 'id="resolved"' in page  # says so, instead
    assert 'id="reply-form"' in page  # a follow-up can still be written

    # A customer writing again reopens it, and the actions are back.
    again = mention("2", conversation="c1", reply_to="9").model_copy(
        update={"created_at": datetime.now(UTC)}
    )
    await site.ingest(again)
    page = await page_text(ana, url)
    assert 'id="resolved"' not in page
    assert 'id="no-reply"' in page


async def test_the_favicon_is_an_icon_cached_long_and_needs_no_login(
    client: tuple[aiohttp.ClientSession, str],
) -> None:
    browser, base = client
    async with browser.get(f"{base}/favicon.ico", allow_redirects=False) as r:
        assert r.status == 200
        body = await r.read()
        cache = r.headers["Cache-Control"]
    assert body[:4] == b"\x00\x00\x01\x00"  # an icon resource
    assert "public" in cache
    assert int(cache.split("max-age=")[1]) >= 7 * 24 * 3600
    async with browser.get(f"{base}/static/favicon.svg") as r:
        assert r.status == 200
        assert "<svg" in await r.text()


async def test_the_dashboard_says_why_it_shows_no_per_person_figures(site: Site) -> None:
    lea, base = site.session, site.base
    await site.hire("lea@example.com", Role.LEAD)
    await site.sign_in("lea@example.com")
    assert PER_PERSON_OFF not in await page_text(lea, f"{base}/dashboard")
    html = await page_text(lea, f"{base}/dashboard?by=agent")
    assert PER_PERSON_OFF in html
    assert "an admin can turn them on in preferences" in html
    assert "<h2>By day</h2>" in html  # what it shows instead

    await site.services.workspace_preferences.save(
        site.workspace_id, crm_url_template=None, agent_comparisons=True, roles=[Role.ADMIN]
    )
    html = await page_text(lea, f"{base}/dashboard?by=agent")
    assert PER_PERSON_OFF not in html
    assert "<h2>By person</h2>" in html
