"""The desk around a thread, over real HTTP: notes that name colleagues (and tell them, live),
assigning, snoozing, resolving, correcting the classification, who is replying, filters."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from inbox.domain.mention import Direction
from inbox.domain.people import Role
from tests.e2e.site import Site, page_text, post_form
from tests.factories import mention

pytestmark = pytest.mark.integration


@pytest.fixture
async def second(
    client: tuple[aiohttp.ClientSession, str],
) -> AsyncIterator[aiohttp.ClientSession]:
    """A second browser: another person logged in beside the first."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def _thread(site: Site) -> int:
    await site.ingest(mention("1", conversation="c1"))
    rows = await site.services.list_threads(site.workspace_id)
    return rows[0].id


async def _agent_on_a_thread(site: Site, *colleagues: str) -> tuple[int, str]:
    """Ana, an agent, logged in beside a customer's new thread, `colleagues` (agents too)
    hired before it came: its id and its page's URL."""
    for email in ("ana@example.com", *colleagues):
        await site.hire(email)
    thread_id = await _thread(site)
    await site.sign_in("ana@example.com")
    return thread_id, f"{site.base}/threads/{thread_id}"


async def test_a_note_naming_a_colleague_tells_them_live_and_on_their_page(
    site: Site, second: aiohttp.ClientSession
) -> None:
    ana, base = site.session, site.base
    thread_id, url = await _agent_on_a_thread(site, "bob@example.com", "cy@example.com")
    await site.sign_in("bob@example.com", second)
    page = await page_text(ana, url)

    async with second.get(f"{base}/events") as stream:
        assert stream.status == 200
        await stream.content.readuntil(b"\n\n")  # the retry line: subscribed
        body = "@bob can you check the <b>invoice</b>? cc @ana @nobody, and a@b.example"
        async with await post_form(ana, f"{url}/notes", page, body=body) as r:
            assert r.status == 303
            assert r.headers["Location"].endswith("notice=noted&told=1")
        seen = b""
        while b"event: notice" not in seen:
            seen += await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 10)
    assert f'"thread_id":{thread_id}'.encode() in seen

    me = await page_text(second, f"{base}/me")
    assert f"named you on thread {thread_id}" in me
    assert "&lt;b&gt;invoice&lt;/b&gt;" in me
    assert "<b>invoice" not in me
    assert 'class="unread"' in me
    assert 'class="unread"' not in await page_text(second, f"{base}/me")  # read once seen
    async with site.db.connection() as conn:
        told = await conn.fetch(
            "SELECT a.email FROM agent_notification n JOIN agent a"
            " ON a.workspace_id = n.workspace_id AND a.id = n.agent_id"
            " WHERE n.workspace_id = $1",
            site.workspace_id,
        )
    # The writer naming themselves, unknown names and e-mail addresses tell nobody.
    assert [row["email"] for row in told] == ["bob@example.com"]


async def test_assign_to_a_colleague_or_a_team_and_community_may_not(
    site: Site, second: aiohttp.ClientSession
) -> None:
    ana, base = site.session, site.base
    await site.hire("ana@example.com")
    await site.hire("bob@example.com")
    await site.hire("kim@example.com", Role.COMMUNITY)
    async with site.db.connection() as conn:
        bob = await conn.fetchval("SELECT id FROM agent WHERE email = 'bob@example.com'")
        team = await conn.fetchval(
            "INSERT INTO team (workspace_id, name) VALUES ($1, 'Billing FR') RETURNING id",
            site.workspace_id,
        )
    thread_id = await _thread(site)
    await site.sign_in("ana@example.com")
    url = f"{base}/threads/{thread_id}"
    page = await page_text(ana, url)
    assert "Billing FR" in page
    async with await post_form(ana, f"{url}/assign", page, to=f"agent:{bob}") as r:
        assert r.status == 303
    assert "Assigned to bob." in await page_text(ana, url)
    async with await post_form(ana, f"{url}/assign", page, to=f"team:{team}") as r:
        assert r.status == 303
    page = await page_text(ana, url)
    assert "In the queue." in page
    assert "Team Billing FR." in page
    async with await post_form(ana, f"{url}/assign", page, to="agent:999999") as r:
        assert r.status == 404
    async with await post_form(ana, f"{url}/assign", page, to="agent:x") as r:
        assert r.status == 400
    async with site.db.connection() as conn:
        sources = await conn.fetch(
            "SELECT source, agent_id, team_id FROM assignment WHERE workspace_id = $1"
            " AND thread_id = $2 ORDER BY id",
            site.workspace_id,
            thread_id,
        )
    # Given to bob, the thread keeps its team; given to a team, nobody holds it.
    assert [(r["source"], r["agent_id"]) for r in sources][-2:] == [
        ("manual", bob),
        ("manual", None),
    ]
    assert sources[-1]["team_id"] == team

    await site.sign_in("kim@example.com", second)
    own_page = await page_text(second, f"{base}/me")  # a valid form token of their own
    for action, fields in (
        ("assign", {"to": f"agent:{bob}"}),
        ("reply", {"body": "posted by the community", "key": "k"}),
        ("resolve", {}),
        ("replying", {}),
    ):
        async with await post_form(second, f"{url}/{action}", own_page, **fields) as r:
            assert r.status == 403, action


async def test_snooze_hides_a_thread_until_the_customer_writes_again(site: Site) -> None:
    ana, base = site.session, site.base
    thread_id, url = await _agent_on_a_thread(site)
    page = await page_text(ana, url)
    async with await post_form(ana, f"{url}/snooze", page, **{"for": "4h"}) as r:
        assert r.status == 303
    assert "Snoozed until" in await page_text(ana, url)
    assert f'data-thread="{thread_id}"' not in await page_text(ana, f"{base}/inbox?view=all")
    assert f'data-thread="{thread_id}"' in await page_text(ana, f"{base}/inbox?view=snoozed")
    async with await post_form(ana, f"{url}/snooze", page, **{"for": "forever"}) as r:
        assert r.status == 400

    # The customer writes again: the thread is back.
    await site.ingest(mention("2", conversation="c1", reply_to="1", minute=5))
    assert f'data-thread="{thread_id}"' in await page_text(ana, f"{base}/inbox?view=all")


async def test_resolve_needs_an_answer_first(site: Site) -> None:
    ana = site.session
    thread_id, url = await _agent_on_a_thread(site)
    page = await page_text(ana, url)
    assert 'id="resolve"' not in page  # nothing to resolve while the customer waits
    async with await post_form(ana, f"{url}/resolve", page) as r:
        assert r.status == 409
        assert "still waiting" in await r.text()

    brand = mention("9", conversation="c1", reply_to="1", minute=3, direction=Direction.OUTBOUND)
    await site.ingest(brand)
    page = await page_text(ana, url)
    assert 'id="resolve"' in page
    async with await post_form(ana, f"{url}/resolve", page) as r:
        assert r.status == 303
    async with site.db.connection() as conn:
        closed = await conn.fetchrow(
            "SELECT t.status, c.reason FROM thread t JOIN thread_closure c"
            " ON c.workspace_id = t.workspace_id AND c.thread_id = t.id"
            " WHERE t.workspace_id = $1 AND t.id = $2",
            site.workspace_id,
            thread_id,
        )
    assert closed is not None
    assert (closed["status"], closed["reason"]) == ("resolved", "resolved")


async def test_one_click_corrects_the_urgency_and_the_sla_is_explained(site: Site) -> None:
    ana = site.session
    _, url = await _agent_on_a_thread(site)
    page = await page_text(ana, url)
    async with await post_form(
        ana, f"{url}/classification", page, field="urgency", value="urgent"
    ) as r:
        assert r.status == 303
    page = await page_text(ana, url)
    assert "chip-priority-urgent" in page
    async with await post_form(ana, f"{url}/classification", page, field="owner", value="x") as r:
        assert r.status == 400
    async with await post_form(ana, f"{url}/classification", page, field="kind", value="??") as r:
        assert r.status == 400


async def test_colleagues_see_who_is_replying(site: Site, second: aiohttp.ClientSession) -> None:
    ana = site.session
    _, url = await _agent_on_a_thread(site, "bob@example.com")
    await site.sign_in("bob@example.com", second)
    bob_page = await page_text(second, url)
    async with await post_form(second, f"{url}/replying", bob_page) as r:
        assert r.status == 200
    assert "Replying now: bob." in await page_text(ana, url)
    assert "Replying now" not in await page_text(second, url)  # not told about oneself


async def test_rows_show_both_clocks_and_filter_by_deadline_and_topic(site: Site) -> None:
    ana, base = site.session, site.base
    await site.hire("ana@example.com")
    await site.ingest(
        mention("1", conversation="c1", text="no internet since this morning"),
        mention("2", conversation="c2", author="u2", text="how do I change my plan?"),
    )
    async with site.db.connection() as conn:
        await conn.execute(
            "UPDATE thread SET sla_due_at = now() - interval '5 minutes',"
            " topics = '{outage}' WHERE workspace_id = $1 AND thread_key = 'c1'",
            site.workspace_id,
        )
        await conn.execute(
            "UPDATE thread SET sla_due_at = now() + interval '2 hours', topics = '{billing}'"
            " WHERE workspace_id = $1 AND thread_key = 'c2'",
            site.workspace_id,
        )
    await site.sign_in("ana@example.com")
    everything = await page_text(ana, f"{base}/inbox?view=all")
    assert re.search(r"late by \d+ min", everything)
    assert re.search(r"1 h \d\d left", everything)
    assert "waiting " in everything
    breached = await page_text(ana, f"{base}/inbox?view=all&sla=breached")
    assert "no internet" in breached
    assert "change my plan" not in breached
    assert "<option selected>breached</option>" in breached
    on_time = await page_text(ana, f"{base}/inbox?view=all&sla=on_time&topic=billing")
    assert "change my plan" in on_time
    assert "no internet" not in on_time
    nothing = await page_text(ana, f"{base}/inbox?view=all&sla=on_time&topic=outage")
    assert "Nothing waiting here." in nothing


async def test_the_customer_panel_links_to_the_crm_record(site: Site) -> None:
    ana, base = site.session, site.base
    await site.hire("ana@example.com")
    thread_id = await _thread(site)
    async with site.db.connection() as conn:
        await conn.execute(
            "UPDATE customer SET crm_external_id = 'C 42/\"x' WHERE workspace_id = $1",
            site.workspace_id,
        )
    await site.sign_in("ana@example.com")
    url = f"{base}/threads/{thread_id}"
    assert "crm.example.com" not in await page_text(ana, url)  # no template: the id alone
    await site.services.workspace_preferences.save(
        site.workspace_id,
        crm_url_template="https://crm.example.com/customers/{crm_id}",
        agent_comparisons=False,
        roles=[Role.ADMIN],
    )
    page = await page_text(ana, url)
    assert 'href="https://crm.example.com/customers/C%2042%2F%22x"' in page


async def test_per_person_figures_only_when_the_workspace_turns_them_on(
    site: Site, second: aiohttp.ClientSession
) -> None:
    lead, base = site.session, site.base
    await site.hire("lea@example.com", Role.LEAD)
    await site.hire("ana@example.com")
    recent = mention("1", conversation="c1").model_copy(
        update={"created_at": datetime.now(UTC) - timedelta(minutes=20)}
    )
    await site.ingest(recent)
    thread_id = (await site.services.list_threads(site.workspace_id))[0].id
    async with site.db.connection() as conn:
        ana = await conn.fetchval("SELECT id FROM agent WHERE email = 'ana@example.com'")
        await conn.execute(
            "UPDATE thread SET assignee_id = $2 WHERE workspace_id = $1 AND id = $3",
            site.workspace_id,
            ana,
            thread_id,
        )
    await site.sign_in("lea@example.com")
    await site.sign_in("ana@example.com", second)
    board = await page_text(lead, f"{base}/dashboard?by=agent")
    assert "by=agent" not in board  # off: no per-person view offered, the daily one shown
    assert "Queue health" in board
    assert "open threads unassigned" in board
    assert "What the lead sees about me" not in await page_text(second, f"{base}/me")

    await site.services.workspace_preferences.save(
        site.workspace_id, crm_url_template=None, agent_comparisons=True, roles=[Role.ADMIN]
    )
    board = await page_text(lead, f"{base}/dashboard?by=agent")
    lead_row = re.search(r"<td>ana \(#\d+\)</td>\s*<td>(\d+)</td>", board)
    assert lead_row is not None
    mine = await page_text(second, f"{base}/me")
    assert "What the lead sees about me" in mine
    own_row = re.search(r"<td>ana \(#\d+\)</td>\s*<td>(\d+)</td>", mine)
    assert own_row is not None
    assert own_row.group(1) == lead_row.group(1)  # exactly what the lead sees


async def test_a_note_about_the_customer_shows_on_all_their_threads(site: Site) -> None:
    ana, base = site.session, site.base
    thread_id, url = await _agent_on_a_thread(site)
    page = await page_text(ana, url)
    body = "Prefers e-mail <b>after 6pm</b>; disputed the November bill"
    async with await post_form(ana, f"{url}/customer-notes", page, body=body) as r:
        assert r.status == 303
    # The same customer writes again in another conversation, on the same network.
    await site.ingest(mention("5", conversation="c5", minute=9))
    async with site.db.connection() as conn:
        other = await conn.fetchval(
            "SELECT id FROM thread WHERE workspace_id = $1 AND thread_key = 'c5'", site.workspace_id
        )
    assert other != thread_id
    shown = await page_text(ana, f"{base}/threads/{other}")
    assert "Prefers e-mail &lt;b&gt;after 6pm&lt;/b&gt;" in shown
    async with await post_form(ana, f"{url}/customer-notes", page, body="   ") as r:
        assert r.status == 400


async def test_a_thread_page_offers_only_the_actions_the_persons_roles_allow(
    site: Site, second: aiohttp.ClientSession
) -> None:
    ana = site.session
    thread_id, url = await _agent_on_a_thread(site)
    await site.hire("oscar@example.com", Role.OPS)
    await site.sign_in("oscar@example.com", second)
    acting = ("take", "snooze", "assign", "close", "classification", "reply")

    agents_page = await page_text(ana, url)
    for action in acting:
        assert f'action="/threads/{thread_id}/{action}"' in agents_page, action

    ops_page = await page_text(second, url)
    for action in acting:
        assert f'action="/threads/{thread_id}/{action}"' not in ops_page, action
    # What ops may do on a thread stays: notes for colleagues and about the customer.
    assert f'action="/threads/{thread_id}/notes"' in ops_page
    assert f'action="/threads/{thread_id}/customer-notes"' in ops_page
