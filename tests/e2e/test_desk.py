"""The desk over real HTTP: the list with a thread open beside it, the thread's pane as the
fragment the page's script swaps in and as a page of its own, who sent each brand message,
the customer beside the conversation, the reply's checks and moving a thread to a private
message."""

from __future__ import annotations

import re

import aiohttp
import pytest

from inbox.domain.mention import Direction
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.outbox import PgOutboxStore
from tests.e2e.site import Site, post_form, thread_of
from tests.e2e.test_replies_api import bearer
from tests.factories import mention

pytestmark = pytest.mark.integration

# The customer's first message, with what the checks read in it.
ORDER = "@acme my order 84512 never arrived, mail me at sarah@example.com"


async def _desk(site: Site, text: str = ORDER) -> tuple[int, str]:
    """Ana, an agent, logged in beside a customer's new X thread: its id and the base URL."""
    await site.hire("ana@example.com")
    await site.ingest(mention("1", author="sarah", conversation="c1", text=text))
    thread_id = (await site.services.list_threads(site.workspace_id))[0].id
    await site.sign_in("ana@example.com")
    return thread_id, site.base


async def _get(session: aiohttp.ClientSession, url: str, status: int = 200) -> str:
    async with session.get(url) as answer:
        text = await answer.text()
        assert answer.status == status, text
        return text


async def _outbox(site: Site) -> list[tuple[str, str, int | None]]:
    async with site.db.connection() as conn:
        rows = await conn.fetch(
            "SELECT kind, body, agent_id FROM outbox_item WHERE workspace_id = $1 ORDER BY id",
            site.workspace_id,
        )
    return [(row["kind"], row["body"], row["agent_id"]) for row in rows]


async def test_the_desk_shows_the_list_and_the_open_thread_beside_it_as_one_page(
    site: Site,
) -> None:
    session = site.session
    thread_id, base = await _desk(site)
    desk = await _get(session, f"{base}/inbox?view=all&thread={thread_id}")
    # The list, its row marked open and its link staying on the desk...
    assert 'id="rows"' in desk
    assert f'href="/inbox?view=all&amp;thread={thread_id}" aria-current="true"' in desk
    assert 'class="desk has-thread"' in desk
    # ...and the conversation beside it, with its reply box.
    assert 'id="thread-pane"' in desk
    assert "my order 84512 never arrived" in desk
    assert f'action="/threads/{thread_id}/reply"' in desk
    # The rail counts the open view from its list; the others come from /inbox/counts.
    assert re.search(r'data-count="all">\s*1\s*</span>', desk)
    # Without a thread, the list and an empty pane.
    empty = await _get(session, f"{base}/inbox?view=all")
    assert 'id="thread-pane"' not in empty
    assert "No thread open" in empty


async def test_the_fragment_is_the_threads_pane_alone_and_its_forms_answer_back_to_the_desk(
    site: Site,
) -> None:
    session = site.session
    thread_id, base = await _desk(site)
    fragment = await _get(session, f"{base}/threads/{thread_id}?fragment=1&view=all&kind=question")
    assert fragment.lstrip().startswith('<section class="thread-pane"')
    assert "<html" not in fragment
    assert 'id="rows"' not in fragment
    assert "my order 84512 never arrived" in fragment
    # Its forms name the desk they were posted from: view, filters and the open thread.
    back = f"/inbox?view=all&amp;kind=question&amp;thread={thread_id}"
    assert f'name="back" value="{back}"' in fragment
    async with await post_form(
        session, f"{base}/threads/{thread_id}/notes", fragment,
        body="checked the carrier", back=back.replace("&amp;", "&"),
    ) as answer:  # fmt: skip
        assert answer.status == 303
        assert answer.headers["Location"] == (
            f"/inbox?view=all&kind=question&thread={thread_id}&notice=noted"
        )
    # An address from elsewhere never becomes the redirect: the thread's own page instead.
    async with await post_form(
        session, f"{base}/threads/{thread_id}/notes", fragment,
        body="again", back="https://evil.example/inbox?view=all",
    ) as answer:  # fmt: skip
        assert answer.headers["Location"] == f"/threads/{thread_id}?notice=noted"


async def test_the_threads_own_page_works_whole_without_the_list(site: Site) -> None:
    session = site.session
    thread_id, base = await _desk(site)
    page = await _get(session, f"{base}/threads/{thread_id}")
    assert page.lstrip().startswith("<!DOCTYPE html>") or "<html" in page
    assert 'id="thread-pane"' in page
    assert 'id="rows"' not in page
    # The conversation comes first, the customer's history after it.
    assert page.index('class="conversation"') < page.index('class="customer-panel"')
    # The author, and the original post on X built from its id and their handle.
    assert '<span class="msg-author">SARAH</span>' in page
    assert 'href="https://x.com/handle_sarah/status/1"' in page
    assert '<a class="pane-back" href="/inbox" data-back>' in page
    # The rail counts the views here too (its script asks, the page does not wait).
    assert 'data-count="all"' in page
    async with session.get(f"{base}/inbox/counts") as answer:
        assert (await answer.json())["all"] == 1
    await _get(session, f"{base}/threads/999999", status=404)


async def test_each_brand_message_says_who_sent_it_and_an_acknowledgement_is_automatic(
    site: Site,
) -> None:
    session = site.session
    thread_id, base = await _desk(site, text="@acme hello?")
    page = await _get(session, f"{base}/threads/{thread_id}")
    async with await post_form(
        session, f"{base}/threads/{thread_id}/reply", page, body="On it, Sarah.", key="k1"
    ) as answer:
        assert answer.status == 303
    # Queued, not sent yet: the conversation shows it as such, with its sender.
    page = await _get(session, f"{base}/threads/{thread_id}")
    assert "msg-pending" in page
    assert "On it, Sarah." in page
    [(kind, _, agent_id)] = await _outbox(site)
    assert kind == "reply"
    assert agent_id is not None
    # The network posts it; the connector then sees it, and an acknowledgement before it.
    outbox = PgOutboxStore(site.db)
    async with site.db.connection() as conn:
        item_id = await conn.fetchval(
            "SELECT id FROM outbox_item WHERE workspace_id = $1", site.workspace_id
        )
    item = await outbox.get(site.workspace_id, item_id)
    assert item is not None
    await outbox.mark_sent(item, "r1")
    brand = {"author": "acme", "conversation": "c1", "reply_to": "1"}
    ack = mention("a1", minute=1, text="Our team is away", **brand, direction=Direction.OUTBOUND)
    sent = mention("r1", minute=2, text="On it, Sarah.", **brand, direction=Direction.OUTBOUND)
    await site.ingest(ack.model_copy(update={"automated": True}), sent)
    page = await _get(session, f"{base}/threads/{thread_id}")
    assert "Sent by ana" in page
    assert "acknowledgement: the customer is still waiting" in page
    assert "msg-pending" not in page


async def test_the_customer_sidebar_groups_a_repeated_question_and_links_their_profile(
    site: Site,
) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    # Seven earlier threads: the same question three times, four others.
    said = ["@acme where is my refund"] * 3 + [f"@acme question {n}" for n in range(4)]
    for n, text in enumerate(said):
        await site.ingest(mention(f"{n}", conversation=f"c{n}", text=text, minute=n))
    await site.ingest(mention("99", conversation="c99", text="@acme and now?", minute=30))
    newest = max(t.id for t in await site.services.list_threads(site.workspace_id))
    await site.sign_in("ana@example.com")
    page = await _get(session, f"{base}/threads/{newest}")
    sidebar = page[page.index('class="customer-panel"') :]
    assert '<a href="https://x.com/handle_u1" rel="noopener noreferrer" target="_blank">' in page
    # One line for the three alike, with how many; five lines at first, all on demand.
    assert '<span class="times-said">3 ×</span> where is my refund' in sidebar
    history = sidebar[sidebar.index('<ul class="history">') :]
    assert history[: history.index("</ul>")].count("<li>") == 5
    assert "Show all 7" in sidebar


async def test_a_reply_echoing_personal_data_is_held_back_with_the_warning_until_overridden(
    site: Site,
) -> None:
    session = site.session
    thread_id, base = await _desk(site)
    desk = await _get(session, f"{base}/inbox?view=all&thread={thread_id}")
    text = "We will mail you at sarah@example.com today"
    back = f"/inbox?view=all&thread={thread_id}"
    url = f"{base}/threads/{thread_id}/reply"
    async with await post_form(session, url, desk, body=text, key="k1", back=back) as answer:
        # Not sent: the desk again, the text as written and what held it back.
        assert answer.status == 409
        held = await answer.text()
    assert 'data-check="personal_data"' in held
    assert f">{text}</textarea>" in held
    assert 'id="rows"' in held
    assert await _outbox(site) == []
    async with await post_form(
        session, url, held, body=text, key="k1", back=back, override="1"
    ) as answer:
        assert answer.status == 303
        assert answer.headers["Location"] == f"{back}&notice=sent"
    assert [body for _, body, _ in await _outbox(site)] == [text]


async def test_a_reply_too_long_for_the_network_is_refused_even_when_overridden(site: Site) -> None:
    session = site.session
    thread_id, base = await _desk(site, text="@acme hi")
    page = await _get(session, f"{base}/threads/{thread_id}")
    async with await post_form(
        session, f"{base}/threads/{thread_id}/reply", page, body="a" * 300, override="1"
    ) as answer:
        assert answer.status == 409
        held = await answer.text()
    assert 'data-check="too_long"' in held
    assert "Correct the reply first" in held
    assert await _outbox(site) == []


async def test_a_reply_on_a_thread_linked_to_an_open_incident_is_asked_to_mention_it(
    site: Site,
) -> None:
    session = site.session
    thread_id, base = await _desk(site, text="@acme no 4g in Lyon")
    async with site.db.connection() as conn:
        incident_id = await conn.fetchval(
            "INSERT INTO incident (workspace_id, source, title, keywords, places, started_at,"
            " opened_at) VALUES ($1, 'manual', 'Network outage, Lyon', '{4g}', '{Lyon}', now(),"
            " now()) RETURNING id",
            site.workspace_id,
        )
        await conn.execute(
            "INSERT INTO incident_thread (workspace_id, incident_id, thread_id, linked_at)"
            " VALUES ($1, $2, $3, now())",
            site.workspace_id,
            incident_id,
            thread_id,
        )
    page = await _get(session, f"{base}/threads/{thread_id}")
    url = f"{base}/threads/{thread_id}/reply"
    async with await post_form(session, url, page, body="Let us check your line.") as answer:
        assert answer.status == 409
        assert 'data-check="incident_unsaid"' in await answer.text()
    async with await post_form(
        session, url, page, body="An outage hits Lyon: the 4G network is being repaired."
    ) as answer:
        assert answer.status == 303


async def test_a_public_x_thread_moves_to_a_private_message_with_a_public_notice_once(
    site: Site,
) -> None:
    session = site.session
    thread_id, base = await _desk(site, text="@acme my bill?")
    desk = await _get(session, f"{base}/inbox?view=all&thread={thread_id}")
    assert f'formaction="/threads/{thread_id}/private"' in desk
    back = f"/inbox?view=all&thread={thread_id}"
    url = f"{base}/threads/{thread_id}/private"
    for key in ("k1", "k2"):
        async with await post_form(
            session, url, desk, body=f"Send us your account number ({key})", key=key, back=back
        ) as answer:
            assert answer.status == 303
            assert answer.headers["Location"] == f"{back}&notice=private"
    queued = await _outbox(site)
    # Both private messages on the same thread; the public notice once.
    assert [kind for kind, _, _ in queued] == ["direct_message", "reply", "direct_message"]
    assert queued[1][1] == "We've written to you in a private message."
    async with site.db.connection() as conn:
        recipients = await conn.fetch(
            "SELECT DISTINCT thread_id, recipient_id FROM outbox_item"
            " WHERE workspace_id = $1 AND kind = 'direct_message'",
            site.workspace_id,
        )
    assert [(r["thread_id"], r["recipient_id"]) for r in recipients] == [(thread_id, "sarah")]
    # The thread shows the three queued, the private ones marked so.
    page = await _get(session, f"{base}/threads/{thread_id}")
    assert page.count('class="msg msg-out msg-pending') == 3
    assert page.count('<span class="chip chip-tag">private</span>') == 2


async def test_only_networks_with_direct_messages_offer_to_move_to_private(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    await site.ingest(mention("b1", conversation="b", text="hi", network=Network.BLUESKY))
    thread_id = (await site.services.list_threads(site.workspace_id))[0].id
    await site.sign_in("ana@example.com")
    page = await _get(session, f"{base}/threads/{thread_id}")
    assert "/private" not in page
    async with await post_form(
        session, f"{base}/threads/{thread_id}/private", page, body="hello"
    ) as answer:
        assert answer.status == 400
    assert await _outbox(site) == []


async def test_the_rail_counts_each_view_as_its_list_holds_it(site: Site) -> None:
    session = site.session
    thread_id, base = await _desk(site)
    await site.ingest(mention("2", author="u2", conversation="c2", text="@acme hi"))
    page = await _get(session, f"{base}/threads/{thread_id}")
    async with await post_form(
        session, f"{base}/threads/{thread_id}/snooze", page, **{"for": "1h"}
    ):
        pass
    async with session.get(f"{base}/inbox/counts") as answer:
        counts = await answer.json()
    assert set(counts) == {"mine", "team", "unassigned", "waiting", "community", "snoozed", "all"}
    for view, count in counts.items():
        listed = await _get(session, f"{base}/inbox?view={view}")
        assert listed.count('data-thread="') == count, view
    assert counts["snoozed"] == 1
    assert counts["all"] == 1


async def test_a_reply_promising_a_time_the_team_is_closed_is_held_back(site: Site) -> None:
    session = site.session
    every_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    await site.services.sla_settings(
        site.workspace_id,
        {"office": {"tz": "UTC", "weekly": {day: [["09:00", "19:00"]] for day in every_day}}},
        {"policies": {"office": {"name": "office", "calendar": "office"}}, "default": "office"},
    )
    thread_id, base = await _desk(site, text="@acme call me?")
    page = await _get(session, f"{base}/threads/{thread_id}")
    url = f"{base}/threads/{thread_id}/reply"
    async with await post_form(
        session, url, page, body="We will call you tomorrow at 3am"
    ) as answer:
        assert answer.status == 409
        assert 'data-check="closed_then"' in await answer.text()
    async with await post_form(
        session, url, page, body="We will call you tomorrow at 10am"
    ) as answer:
        assert answer.status == 303


async def test_a_community_answer_says_who_wrote_it_and_who_approved_it(site: Site) -> None:
    session, base = site.session, site.base
    await site.services.routing_settings.save(
        site.workspace_id, {"community": {"enabled": True, "topics": ["app"]}}, {}, {"rules": []}
    )
    member = await site.api_token("max@example.com", Role.COMMUNITY)
    await site.hire("ana@example.com")
    question = mention("1", conversation="q", text="@acme how do I update the app?")
    await site.ingest(question)
    thread_id = await thread_of(site.db, site.workspace_id, "q")
    async with session.post(
        f"{base}/api/v1/threads/{thread_id}/community-answers",
        json={"body": "Settings > About > Update."},
        headers=bearer(member),
    ) as answer:
        answer_id = (await answer.json())["id"]
    await site.sign_in("ana@example.com")
    async with site.db.connection() as conn:
        ana_id = await conn.fetchval(
            "SELECT id FROM agent WHERE workspace_id = $1 AND display_name = 'ana'",
            site.workspace_id,
        )
    item = await site.services.community_answers.review(
        site.workspace_id, answer_id, ana_id, "approve"
    )
    assert item is not None
    await PgOutboxStore(site.db).mark_sent(item, "r1")
    posted = mention(
        "r1", author="acme", conversation="q", reply_to="1", minute=3,
        text="Settings > About > Update.", direction=Direction.OUTBOUND,
    )  # fmt: skip
    await site.ingest(posted)
    page = await _get(session, f"{base}/threads/{thread_id}")
    assert "Community answer by max, approved by ana" in page
