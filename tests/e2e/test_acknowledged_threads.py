"""An automated acknowledgement ("our team is away, back Monday at 09:00") is not an answer:
over real HTTP, the thread it went to still waits for the team, shows the customer's wait and
cannot be resolved; the first human answer changes all of that."""

from __future__ import annotations

import re

import pytest

from inbox.domain.mention import Direction
from tests.e2e.site import Site, csrf_of, page_text
from tests.factories import mention

pytestmark = pytest.mark.integration


def _row(inbox_html: str, thread_id: int) -> str | None:
    """The thread's row in an inbox page, or None when the view does not hold it."""
    found = re.search(rf'<tr[^>]*data-thread="{thread_id}".*?</tr>', inbox_html, re.S)
    return None if found is None else found.group(0)


async def _acknowledged_thread(site: Site) -> int:
    """A customer's message, then only the automatic out-of-hours acknowledgement."""
    acknowledgement = mention(
        "ack", conversation="c1", reply_to="1", minute=1, direction=Direction.OUTBOUND
    ).model_copy(update={"automated": True})
    await site.ingest(mention("1", conversation="c1"))
    await site.ingest(acknowledgement)
    rows = await site.services.list_threads(site.workspace_id)
    return rows[0].id


async def test_an_acknowledged_thread_still_waits_for_the_team_and_cannot_be_resolved(
    site: Site,
) -> None:
    ana, base = site.session, site.base
    await site.hire("ana@example.com")
    thread_id = await _acknowledged_thread(site)
    await site.sign_in("ana@example.com")

    waiting_for_us = _row(await page_text(ana, f"{base}/inbox?view=all"), thread_id)
    assert waiting_for_us is not None
    assert re.search(r"waiting \d", waiting_for_us)  # the customer's wait, from their message
    assert _row(await page_text(ana, f"{base}/inbox?view=waiting"), thread_id) is None

    url = f"{base}/threads/{thread_id}"
    page = await page_text(ana, url)
    assert "automatic" in page  # the acknowledgement is shown, for what it is
    assert 'id="resolve"' not in page
    async with ana.post(f"{url}/resolve", data={"csrf": csrf_of(page)}, allow_redirects=False) as r:
        assert r.status == 409
        assert "still waiting" in await r.text()


async def test_the_first_human_answer_after_an_acknowledgement_ends_the_wait(site: Site) -> None:
    ana, base = site.session, site.base
    await site.hire("ana@example.com")
    thread_id = await _acknowledged_thread(site)
    answer = mention("9", conversation="c1", reply_to="1", minute=30, direction=Direction.OUTBOUND)
    await site.ingest(answer)
    await site.sign_in("ana@example.com")

    waiting_on_customer = _row(await page_text(ana, f"{base}/inbox?view=waiting"), thread_id)
    assert waiting_on_customer is not None
    assert not re.search(r"waiting \d", waiting_on_customer)
    url = f"{base}/threads/{thread_id}"
    page = await page_text(ana, url)
    assert 'id="resolve"' in page
    async with ana.post(f"{url}/resolve", data={"csrf": csrf_of(page)}, allow_redirects=False) as r:
        assert r.status == 303
