"""The agent pages over real HTTP: login with argon2 hashes, sessions, CSRF, escaping, replies."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from inbox.domain.people import Role
from tests.e2e.browsing import PASSWORD
from tests.e2e.site import Site, csrf_of, log_in
from tests.factories import mention

pytestmark = pytest.mark.integration

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


async def test_an_agent_logs_in_sees_the_inbox_escaped_and_replies(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    await site.ingest(mention("1", conversation="c1", text=XSS))
    async with session.get(f"{base}/inbox", allow_redirects=False) as r:
        assert r.status == 303
        assert r.headers["Location"] == "/login"
    async with await log_in(session, base, "ana@example.com") as r:
        assert r.status == 303
        cookie = r.cookies["inbox_session"]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"
    async with session.get(f"{base}/inbox?view=all") as r:
        html = await r.text()
        assert r.status == 200
        assert "Content-Security-Policy" in r.headers
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    thread_id = re.search(r'data-thread="(\d+)"', html)
    assert thread_id is not None
    url = f"{base}/threads/{thread_id.group(1)}"
    async with session.get(url) as r:
        page = await r.text()
    assert "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    form = {"csrf": csrf_of(page), "key": "k1", "body": "Sorry about that, looking now."}
    async with session.post(
        f"{url}/reply", data={**form, "csrf": "forged"}, allow_redirects=False
    ) as r:
        assert r.status == 403
    async with session.post(f"{url}/reply", data=form, allow_redirects=False) as r:
        assert r.status == 303
        assert r.headers["Location"].endswith("?notice=sent")
    async with site.db.connection() as conn:
        body = await conn.fetchval(
            "SELECT body FROM outbox_item WHERE workspace_id = $1", site.workspace_id
        )
    assert body == "Sorry about that, looking now."


async def test_wrong_passwords_are_refused_alike_and_then_rate_limited(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    async with await log_in(session, base, "ana@example.com", "wrong password!") as r:
        wrong_password = (r.status, await r.text())
    async with await log_in(session, base, "nobody@example.com") as r:
        unknown = (r.status, await r.text())
    assert wrong_password[0] == unknown[0] == 401
    assert "wrong e-mail or password" in wrong_password[1]
    assert "wrong e-mail or password" in unknown[1]
    for _ in range(4):
        async with await log_in(session, base, "ana@example.com", "still wrong!!") as r:
            pass
    async with await log_in(session, base, "ana@example.com") as r:
        assert r.status == 429  # even the right password waits now


async def test_a_login_from_another_site_and_a_logout_without_its_token_are_refused(
    site: Site,
) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    async with session.post(
        f"{base}/login",
        data={"email": "ana@example.com", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
    ) as r:
        assert r.status == 403
    await site.sign_in("ana@example.com")
    async with session.post(f"{base}/logout", data={}, allow_redirects=False) as r:
        assert r.status == 403
    async with session.get(f"{base}/inbox") as r:
        csrf = csrf_of(await r.text())
    async with session.post(f"{base}/logout", data={"csrf": csrf}, allow_redirects=False) as r:
        assert r.status == 303
    async with session.get(f"{base}/inbox", allow_redirects=False) as r:
        assert r.status == 303  # the session is gone


async def test_a_community_member_cannot_open_the_inbox(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("max@example.com", Role.COMMUNITY)
    await site.sign_in("max@example.com")
    async with session.get(f"{base}/inbox") as r:
        assert r.status == 403


async def test_an_open_page_hears_of_a_new_thread_and_gets_its_rows(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    await site.sign_in("ana@example.com")

    async def first_change(stream: aiohttp.ClientResponse) -> dict[str, object]:
        async for line in stream.content:
            if line.startswith(b"event: change"):
                data = await stream.content.readline()
                return dict(json.loads(data[6:]))
        raise AssertionError("the stream ended")

    async with session.get(f"{base}/events?view=all") as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        await stream.content.readline()  # the retry line: subscribed
        await site.ingest(mention("9", conversation="c9"))
        # A guard against hanging, not a measure: the change arrives or the test fails.
        change = await asyncio.wait_for(first_change(stream), timeout=30)
    threads = change["threads"]
    assert isinstance(threads, list)
    assert len(threads) == 1
    async with session.get(f"{base}/inbox?view=all&partial=1&threads={threads[0]}") as r:
        partial = await r.text()
    assert "<html" not in partial
    assert "message 9" in partial


async def test_a_lead_reads_the_sla_figures_and_an_agent_cannot(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("lea@example.com", Role.LEAD)
    await site.hire("ana@example.com")
    recent = mention("1", conversation="c1").model_copy(
        update={"created_at": datetime.now(UTC) - timedelta(minutes=5)}
    )
    await site.ingest(recent)
    await site.sign_in("ana@example.com")
    async with session.get(f"{base}/dashboard") as r:
        assert r.status == 403
    session.cookie_jar.clear()
    await site.sign_in("lea@example.com")
    async with session.get(f"{base}/dashboard") as r:
        html = await r.text()
        assert r.status == 200
    assert "1 clocks running" in re.sub(r"<[^>]+>", "", html)  # the words, whatever their markup
    # the day its clock started (five minutes ago: yesterday, just after midnight)
    assert recent.created_at.date().isoformat() in html


async def test_an_agent_takes_a_thread_notes_it_and_closes_it(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    await site.ingest(mention("1", conversation="c1"))
    async with site.db.connection() as conn:
        thread_id = await conn.fetchval(
            "SELECT id FROM thread WHERE workspace_id = $1", site.workspace_id
        )
    await site.sign_in("ana@example.com")
    url = f"{base}/threads/{thread_id}"
    async with session.get(url) as r:
        csrf = csrf_of(await r.text())
    for action, data in (("take", {}), ("notes", {"body": "<b>VIP</b>, call back"}), ("close", {})):
        async with session.post(
            f"{url}/{action}", data={"csrf": csrf, **data}, allow_redirects=False
        ) as r:
            assert r.status == 303, action
    async with session.get(url) as r:
        page = await r.text()
    assert "&lt;b&gt;VIP&lt;/b&gt;, call back" in page
    async with site.db.connection() as conn:
        row = await conn.fetchrow(
            "SELECT t.status, a.email FROM thread t JOIN agent a"
            " ON a.workspace_id = t.workspace_id AND a.id = t.assignee_id"
            " WHERE t.workspace_id = $1",
            site.workspace_id,
        )
    assert (row["status"], row["email"]) == ("resolved", "ana@example.com")


async def test_the_thread_page_shows_the_customer_and_their_other_threads(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    earlier = mention("1", author="u7", conversation="old", text="my earlier question")
    later = mention("2", author="u7", minute=60, conversation="new", text="back again")
    await site.ingest(earlier, later)
    async with site.db.connection() as conn:
        newest = await conn.fetchval(
            "SELECT id FROM thread WHERE workspace_id = $1 AND thread_key = 'new'",
            site.workspace_id,
        )
    await site.sign_in("ana@example.com")
    async with session.get(f"{base}/threads/{newest}") as r:
        page = await r.text()
    # Their identity links to their profile on the network.
    assert '<a href="https://x.com/handle_u7" rel="noopener noreferrer" target="_blank">' in page
    assert "my earlier question" in page


async def test_views_and_filters_narrow_the_inbox(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    await site.ingest(
        mention("1", conversation="c1", text="@acme my internet is down again"),
        mention("2", author="u2", conversation="c2", text="@acme merci beaucoup !"),
    )
    await site.sign_in("ana@example.com")

    async def shown(query: str) -> int:
        async with session.get(f"{base}/inbox?{query}") as r:
            return (await r.text()).count('data-thread="')

    assert await shown("view=all") == 2
    assert await shown("view=all&kind=complaint") == 1
    assert await shown("view=all&language=fr") == 1
    assert await shown("view=waiting") == 0
    assert await shown("view=community") == 0


async def test_an_agent_sees_their_own_figures_and_threads(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    await site.ingest(mention("1", conversation="c1"))
    await site.sign_in("ana@example.com")
    async with session.get(f"{base}/me") as r:
        text = re.sub(r"<[^>]+>", "", await r.text())  # the words, whatever their markup
    assert "1 open threads" in text  # routed to ana, the only agent on shift
    assert "1 assigned to me today" in text


async def test_search_finds_threads_by_their_words_and_customers_by_handle(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    await site.ingest(
        mention("1", conversation="c1", text="@acme ma facture de novembre est fausse"),
        mention("2", author="u2", conversation="c2", text="@acme router blinking orange"),
    )
    await site.sign_in("ana@example.com")
    async with session.get(f"{base}/search", params={"q": "facture novembre"}) as r:
        page = await r.text()
    assert "ma <mark>facture</mark> de <mark>novembre</mark> est fausse" in page
    assert "router blinking" not in page
    async with session.get(f"{base}/search", params={"q": "@handle_u2"}) as r:
        page = await r.text()
    assert '<span class="found-identity">' in page
    assert "@handle_u2</span>" in page
    async with session.get(f"{base}/search", params={"q": "U2"}) as r:  # by the name
        page = await r.text()
    assert "@handle_u2</span>" in page
    async with session.get(f"{base}/search", params={"q": "<script>alert(1)</script>"}) as r:
        page = await r.text()
    assert "<script>alert(1)</script>" not in page


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Je veux être remboursé de ma facture", "rembourser factures"),  # French stems
        ("Le café du hall est fermé", "cafe ferme"),  # accents folded
        ("Still waiting for my refund on these charges", "refunds charged"),  # English stems
    ],
)
async def test_search_reads_french_and_english(site: Site, text: str, words: str) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    others = mention("2", author="u2", conversation="c2", text="router blinking orange")
    await site.ingest(mention("1", conversation="c1", text=text), others)
    await site.sign_in("ana@example.com")
    async with session.get(f"{base}/search", params={"q": words}) as r:
        page = re.sub(r"</?mark>", "", await r.text())  # the words searched are marked
    assert text in page
    assert "router blinking" not in page


async def test_canned_responses_are_offered_filled_for_the_thread(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    lead = await site.services.tokens.issue(site.workspace_id, "lead", Role.LEAD)
    items = [{"name": "sorry", "body": "Hi {customer}, {agent} here <b>on it</b>."}]
    async with session.put(
        f"{base}/api/v1/canned-responses",
        json={"items": items},
        headers={"Authorization": f"Bearer {lead}"},
    ) as r:
        assert r.status == 200
    await site.ingest(mention("1", conversation="c1"))
    async with site.db.connection() as conn:
        thread_id = await conn.fetchval(
            "SELECT id FROM thread WHERE workspace_id = $1", site.workspace_id
        )
    await site.sign_in("ana@example.com")
    async with session.get(f"{base}/threads/{thread_id}") as r:
        page = await r.text()
    assert 'data-text="Hi @handle_u1, ana here &lt;b&gt;on it&lt;/b&gt;."' in page
    # What X takes, less the "@handle_u1 " the reply starts with when it is posted.
    assert 'data-limit="269"' in page


async def test_pages_are_compressed_and_never_show_the_session_token_itself(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("gzip@example.com")
    await site.ingest(mention("9", conversation="c9"))
    await site.sign_in("gzip@example.com")
    tokens = set()
    for _ in range(2):
        async with session.get(f"{base}/me", headers={"Accept-Encoding": "gzip"}) as answer:
            assert answer.status == 200
            assert answer.headers["Content-Encoding"] == "gzip"
            tokens.add(csrf_of(await answer.text()))
    assert len(tokens) == 2, "each response masks the token afresh"
    async with session.post(
        f"{base}/logout", data={"csrf": tokens.pop()}, allow_redirects=False
    ) as answer:
        assert answer.status == 303
