"""The agent's flow over real HTTP: Next takes the most pressing thread and opens it, the
rail's status (and threads given out when the agent comes back), the list's selection toolbar
(assign, tag, snooze, close as no reply needed; without script, as a form post), tags on a
thread's page and on the rows, every view's count for the rail."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.domain.presence import AgentStatus
from inbox.store.database import Database
from inbox.usecases.services import Services
from tests.e2e.site import Site, csrf_of, page_text
from tests.factories import mention

pytestmark = pytest.mark.integration

Client = tuple[aiohttp.ClientSession, str]


async def _agent_id(db: Database, workspace_id: int, email: str) -> int:
    async with db.connection() as conn:
        found = await conn.fetchval(
            "SELECT id FROM agent WHERE workspace_id = $1 AND email = $2", workspace_id, email
        )
    assert isinstance(found, int)
    return found


async def _threads(services: Services, workspace_id: int, *names: str) -> list[int]:
    """A thread per name, each a minute after the one before (the first the oldest)."""
    batch = IngestBatch(
        [
            mention(n, author=n, conversation=n, minute=i, text=f"hello from {n}")
            for i, n in enumerate(names)
        ]
    )
    await services.ingest(workspace_id, batch)
    by_key = {row.thread_key: row.id for row in await services.list_threads(workspace_id)}
    return [by_key[n] for n in names]


async def _holders(db: Database, workspace_id: int) -> dict[int, int | None]:
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT id, assignee_id FROM thread WHERE workspace_id = $1", workspace_id
        )
    return {row["id"]: row["assignee_id"] for row in rows}


async def _statuses(db: Database, workspace_id: int) -> dict[int, str]:
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT id, status FROM thread WHERE workspace_id = $1", workspace_id
        )
    return {row["id"]: row["status"] for row in rows}


async def _ana(site: Site) -> int:
    """Ana, an agent of team care, logged in: her id."""
    await site.hire("ana@example.com")
    await site.sign_in("ana@example.com")
    return await _agent_id(site.db, site.workspace_id, "ana@example.com")


async def _post(
    site: Site, path: str, fields: list[tuple[str, str]], *, json: bool = False
) -> aiohttp.ClientResponse:
    session, base = site.session, site.base
    page = await page_text(session, f"{base}/inbox?view=all")
    headers = {"Accept": "application/json"} if json else {}
    return await session.post(
        f"{base}{path}",
        data=[("csrf", csrf_of(page)), *fields],
        headers=headers,
        allow_redirects=False,
    )


async def _notice(site: Site, location: str) -> str:
    """The page a form sent the agent back to."""
    return await site.text(location)


# -- Next --------------------------------------------------------------------------------------


async def test_next_takes_the_oldest_waiting_thread_of_the_agents_teams_and_opens_it(
    site: Site,
) -> None:
    ana = await _ana(site)
    # Busy: routing gives her nothing new, the threads wait in the queue for whoever takes them.
    await site.services.set_status(site.workspace_id, ana, AgentStatus.BUSY)
    older, newer = await _threads(site.services, site.workspace_id, "older", "newer")
    assert await _holders(site.db, site.workspace_id) == {older: None, newer: None}

    async with await _post(site, "/inbox/next", [("view", "team")]) as r:
        assert r.status == 303
        # It opens on the desk, beside the list it was taken from.
        assert r.headers["Location"] == f"/inbox?view=team&thread={older}"
    assert await _holders(site.db, site.workspace_id) == {older: ana, newer: None}

    # The page's script asks for JSON: where to go, without a redirect.
    async with await _post(site, "/inbox/next", [], json=True) as r:
        assert r.status == 200
        assert await r.json() == {"thread_id": newer, "url": f"/inbox?view=mine&thread={newer}"}


async def test_next_with_nothing_waiting_goes_back_to_the_view_and_says_so(site: Site) -> None:
    await _ana(site)
    async with await _post(site, "/inbox/next", [("view", "team")]) as r:
        assert r.status == 303
        location = r.headers["Location"]
    assert location.startswith("/inbox?view=team&")
    page = await _notice(site, location)
    assert "Nothing to take" in page


async def test_next_is_not_for_ops_and_needs_the_forms_token(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ops@example.com", Role.OPS)
    await _threads(site.services, site.workspace_id, "one")
    await site.sign_in("ops@example.com")
    async with await _post(site, "/inbox/next", []) as r:
        assert r.status == 403
    async with await _post(site, "/me/status", [("status", "busy")]) as r:
        assert r.status == 403  # ops are not routed threads: no status to set
    async with session.post(f"{base}/inbox/next", data={}, allow_redirects=False) as r:
        assert r.status in (400, 403)
    page = await page_text(session, f"{base}/inbox?view=all")
    assert 'action="/inbox/next"' not in page  # no Next, no selection for who cannot act
    assert "thread-list selectable" not in page


# -- status ----------------------------------------------------------------------------------


async def test_the_rail_sets_the_agents_status_and_coming_back_gives_out_waiting_threads(
    site: Site,
) -> None:
    session, base = site.session, site.base
    ana = await _ana(site)
    async with await _post(site, "/me/status", [("status", "away")]) as r:
        assert r.status == 303
    page = await page_text(session, f"{base}/inbox?view=all")
    assert "presence-away" in page
    assert '<option value="away" selected>' in page

    one, two = await _threads(site.services, site.workspace_id, "one", "two")
    assert await _holders(site.db, site.workspace_id) == {
        one: None,
        two: None,
    }  # away: nothing for her

    # Back to available: the threads waiting in her team's queue are hers at once.
    async with await _post(site, "/me/status", [("status", "available")]) as r:
        assert r.status == 303
    assert await _holders(site.db, site.workspace_id) == {one: ana, two: ana}
    page = await page_text(session, f"{base}/inbox?view=mine")
    assert "presence-available" in page
    assert "hello from one" in page
    assert "hello from two" in page


async def test_a_status_form_goes_back_to_the_page_it_came_from_on_this_site_only(
    site: Site,
) -> None:
    session, base = site.session, site.base
    await _ana(site)
    page = await page_text(session, f"{base}/me")
    fields = {"csrf": csrf_of(page), "status": "busy"}
    same = {"Referer": f"{base}/me?x=1"}
    async with session.post(
        f"{base}/me/status", data=fields, headers=same, allow_redirects=False
    ) as r:
        assert r.headers["Location"] == "/me?x=1"
    other = {"Referer": "https://elsewhere.example/phish"}
    async with session.post(
        f"{base}/me/status", data=fields, headers=other, allow_redirects=False
    ) as r:
        assert r.headers["Location"] == "/inbox"


async def test_an_unknown_status_is_refused_naming_the_field(site: Site) -> None:
    await _ana(site)
    async with await _post(site, "/me/status", [("status", "asleep")]) as r:
        assert r.status == 400
        text = await r.text()
    assert "status" in text
    assert "available, busy, away" in text


# -- the selection -----------------------------------------------------------------------------


async def test_selected_rows_are_assigned_together_and_the_list_says_what_was_done(
    site: Site,
) -> None:
    session, base = site.session, site.base
    ana = await _ana(site)
    await site.hire("bob@example.com")
    bob = await _agent_id(site.db, site.workspace_id, "bob@example.com")
    await site.services.set_status(site.workspace_id, ana, AgentStatus.BUSY)
    await site.services.set_status(site.workspace_id, bob, AgentStatus.BUSY)
    one, two, three = await _threads(site.services, site.workspace_id, "one", "two", "three")

    page = await page_text(session, f"{base}/inbox?view=all")
    # Without script: the rows' boxes belong to the toolbar's form, which posts them.
    assert 'form="selection"' in page
    assert 'id="selection"' in page
    fields = [("view", "all"), ("action", "assign"), ("to", f"agent:{bob}")]
    fields += [("thread", str(one)), ("thread", str(two))]
    async with await _post(site, "/inbox/selection", fields) as r:
        assert r.status == 303
        location = r.headers["Location"]
    assert await _holders(site.db, site.workspace_id) == {one: bob, two: bob, three: None}
    page = await _notice(site, location)
    assert "2 assigned to bob" in page

    fields = [("action", "assign"), ("to", "me"), ("thread", str(two)), ("thread", str(three))]
    async with await _post(site, "/inbox/selection", fields, json=True) as r:
        assert r.status == 200
        done = await r.json()
    assert done["said"] == "2 assigned to you"
    assert sorted(done["done"]) == sorted([two, three])
    assert await _holders(site.db, site.workspace_id) == {one: bob, two: ana, three: ana}


async def test_selected_rows_are_snoozed_and_closed_as_needing_no_reply_the_resolved_skipped(
    site: Site,
) -> None:
    session, base = site.session, site.base
    await _ana(site)
    one, two, three = await _threads(site.services, site.workspace_id, "one", "two", "three")

    fields = [("action", "snooze"), ("snooze", "4h"), ("thread", str(one))]
    async with await _post(site, "/inbox/selection", fields, json=True) as r:
        assert (await r.json())["said"] == "1 snoozed for 4 hours"
    assert "hello from one" in await page_text(session, f"{base}/inbox?view=snoozed")

    fields = [("action", "close"), ("thread", str(two)), ("thread", str(three))]
    async with await _post(site, "/inbox/selection", fields, json=True) as r:
        assert (await r.json())["said"] == "2 closed: no reply needed"
    fields = [("action", "close"), ("thread", str(two)), ("thread", str(one))]
    async with await _post(site, "/inbox/selection", fields, json=True) as r:
        assert (await r.json())["said"] == "1 closed: no reply needed; 1 skipped: already resolved"
    statuses = await _statuses(site.db, site.workspace_id)
    assert statuses[one] == statuses[two] == statuses[three] == "resolved"


async def test_closing_selected_threads_gives_the_freed_seats_to_threads_waiting_at_once(
    site: Site,
) -> None:
    ana = await _ana(site)
    async with site.db.connection() as conn:
        await conn.execute("UPDATE agent SET capacity = 2 WHERE id = $1", ana)
    one, two = await _threads(site.services, site.workspace_id, "one", "two")
    three, four = await _threads(site.services, site.workspace_id, "three", "four")
    assert await _holders(site.db, site.workspace_id) == {
        one: ana,
        two: ana,
        three: None,
        four: None,
    }

    fields = [("action", "close"), ("thread", str(one)), ("thread", str(two))]
    async with await _post(site, "/inbox/selection", fields) as r:
        assert r.status == 303
    holders = await _holders(site.db, site.workspace_id)
    assert holders[three] == holders[four] == ana


async def test_a_selection_names_its_threads_and_an_action_it_knows(site: Site) -> None:
    await _ana(site)
    [one] = await _threads(site.services, site.workspace_id, "one")
    cases = [
        ([("action", "close")], "thread"),
        ([("action", "close"), ("thread", "x1")], "thread"),
        ([("action", "explode"), ("thread", str(one))], "action"),
        ([("action", "assign"), ("to", "nobody"), ("thread", str(one))], "to"),
        ([("action", "snooze"), ("snooze", "9y"), ("thread", str(one))], "snooze"),
        ([("action", "tag"), ("tag", "<b>"), ("thread", str(one))], "tag"),
    ]
    for fields, field in cases:
        async with await _post(site, "/inbox/selection", fields) as r:
            assert r.status == 400, fields
            assert field in await r.text()
    assert (await _statuses(site.db, site.workspace_id))[one] != "resolved"


async def test_ops_may_not_act_on_a_selection(site: Site) -> None:
    await site.hire("ops@example.com", Role.OPS)
    [one] = await _threads(site.services, site.workspace_id, "one")
    await site.sign_in("ops@example.com")
    fields = [("action", "close"), ("thread", str(one))]
    async with await _post(site, "/inbox/selection", fields) as r:
        assert r.status == 403
    assert (await _statuses(site.db, site.workspace_id))[one] != "resolved"


async def test_a_notice_in_the_address_is_shown_only_when_signed_for_the_session(
    site: Site,
) -> None:
    session, base = site.session, site.base
    await _ana(site)
    [one] = await _threads(site.services, site.workspace_id, "one")
    fields = [("view", "all"), ("action", "tag"), ("tag", "billing"), ("thread", str(one))]
    async with await _post(site, "/inbox/selection", fields) as r:
        location = r.headers["Location"]
    signed = parse_qs(urlsplit(location).query)
    assert signed["said"] == ["1 tagged billing"]
    forged = f"{base}/inbox?view=all&said=Call+us+on+0800&sig={signed['sig'][0]}"
    assert "Call us on 0800" not in await page_text(session, forged)
    assert "1 tagged billing" in await _notice(site, location)


# -- tags --------------------------------------------------------------------------------------


async def test_tags_are_added_on_rows_together_shown_filtered_on_and_edited_on_the_thread(
    site: Site,
) -> None:
    session, base = site.session, site.base
    await _ana(site)
    one, two = await _threads(site.services, site.workspace_id, "one", "two")

    fields = [("action", "tag"), ("tag", " Billing  Issue "), ("thread", str(one))]
    fields.append(("thread", str(two)))
    async with await _post(site, "/inbox/selection", fields, json=True) as r:
        assert (await r.json())["said"] == "2 tagged billing issue"
    page = await page_text(session, f"{base}/inbox?view=all")
    assert page.count('class="chip chip-tag"') >= 2

    # On the thread's page: taken off, another put on.
    thread_url = f"{base}/threads/{one}"
    page = await page_text(session, thread_url)
    assert 'aria-label="Remove the tag billing issue"' in page
    async with session.post(
        f"{thread_url}/tags",
        data={"csrf": csrf_of(page), "remove": "billing issue"},
        allow_redirects=False,
    ) as r:
        assert r.status == 303
        assert r.headers["Location"] == f"/threads/{one}#tags"
    async with session.post(
        f"{thread_url}/tags", data={"csrf": csrf_of(page), "add": "VIP"}, allow_redirects=False
    ) as r:
        assert r.status == 303
    page = await page_text(session, thread_url)
    assert "Remove the tag vip" in page
    assert "Remove the tag billing issue" not in page

    # The list filters on a tag, in any spelling.
    page = await page_text(session, f"{base}/inbox?view=all&tag=Billing%20issue")
    assert "hello from two" in page
    assert "hello from one" not in page
    page = await page_text(session, f"{base}/inbox?view=all&tag=vip")
    assert "hello from one" in page
    assert "hello from two" not in page


async def test_a_thread_of_another_workspace_cannot_be_tagged(site: Site) -> None:
    session, base = site.session, site.base
    await _ana(site)
    page = await page_text(session, f"{base}/inbox?view=all")
    async with session.post(
        f"{base}/threads/999999/tags", data={"csrf": csrf_of(page), "add": "x"}
    ) as r:
        assert r.status == 404


# -- the rail's counts -----------------------------------------------------------------------


async def test_the_rail_shows_every_views_count_and_serves_them_fresh(site: Site) -> None:
    session, base = site.session, site.base
    ana = await _ana(site)
    await site.services.set_status(site.workspace_id, ana, AgentStatus.BUSY)
    await _threads(site.services, site.workspace_id, "one", "two")

    async with session.get(f"{base}/inbox/counts") as r:
        assert r.status == 200
        assert r.headers["Cache-Control"] == "no-store"
        counts = await r.json()
    assert counts["mine"] == 0
    assert counts["unassigned"] == 2
    assert counts["all"] == 2
    page = await page_text(session, f"{base}/inbox?view=mine")
    assert '<span class="count" data-count="unassigned">2</span>' in page

    async with (
        aiohttp.ClientSession() as stranger,
        stranger.get(f"{base}/inbox/counts", allow_redirects=False) as r,
    ):
        assert r.status in (303, 401)
