"""Replies with a collision guard, and community answers approved by an agent, over HTTP."""

from __future__ import annotations

import pytest

from inbox.domain.people import Role
from tests.e2e.site import Site, thread_of
from tests.factories import mention

pytestmark = pytest.mark.integration


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_second_reply_while_someone_replies_needs_an_override(site: Site) -> None:
    session, base = site.session, site.base
    ana = await site.api_token("ana@example.com")
    ben = await site.api_token("ben@example.com")
    await site.ingest(mention("1", conversation="c1"))
    thread_id = await thread_of(site.db, site.workspace_id, "c1")
    url = f"{base}/api/v1/threads/{thread_id}"
    async with session.post(f"{url}/replying", headers=bearer(ana)) as r:
        assert await r.json() == {"others_replying": []}
    reply = {"body": "Hello, we are on it.", "key": "k1"}
    async with session.post(f"{url}/replies", json=reply, headers=bearer(ben)) as r:
        assert r.status == 409
        assert (await r.json())["error"]["code"] == "collision"
    async with session.post(
        f"{url}/replies", json={**reply, "override": True}, headers=bearer(ben)
    ) as r:
        assert r.status == 202
    async with session.post(
        f"{url}/replies", json={**reply, "body": " "}, headers=bearer(ana)
    ) as r:
        assert r.status == 400
    async with site.db.connection() as conn:
        queued = await conn.fetchval(
            "SELECT count(*) FROM outbox_item WHERE workspace_id = $1", site.workspace_id
        )
    assert queued == 1


async def test_a_reply_the_checks_hold_back_says_why_and_whether_an_override_sends_it(
    site: Site,
) -> None:
    session, base = site.session, site.base
    ana = await site.api_token("ana@example.com")
    text = "@acme my order never came, write to sarah@example.com"
    await site.ingest(mention("1", conversation="c1", text=text))
    url = f"{base}/api/v1/threads/{await thread_of(site.db, site.workspace_id, 'c1')}/replies"
    echoing = {"body": "We wrote to sarah@example.com", "key": "k1"}
    async with session.post(url, json=echoing, headers=bearer(ana)) as r:
        assert r.status == 409
        said = (await r.json())["error"]
    assert said["code"] == "reply_checks"
    assert said["overridable"] is True
    assert [w["check"] for w in said["warnings"]] == ["personal_data"]
    async with session.post(url, json={**echoing, "override": True}, headers=bearer(ana)) as r:
        assert r.status == 202
    # Too long for X: no override sends it.
    too_long = {"body": "a" * 300, "key": "k2", "override": True}
    async with session.post(url, json=too_long, headers=bearer(ana)) as r:
        assert r.status == 409
        said = (await r.json())["error"]
    assert said["overridable"] is False
    assert said["warnings"][0]["blocking"] is True


async def test_a_community_answer_waits_for_an_agent_and_is_credited(site: Site) -> None:
    session, base = site.session, site.base
    await site.services.routing_settings.save(
        site.workspace_id, {"community": {"enabled": True, "topics": ["app"]}}, {}, {"rules": []}
    )
    member = await site.api_token("max@example.com", Role.COMMUNITY)
    agent = await site.api_token("ana@example.com")
    await site.ingest(
                mention("1", conversation="q", text="@acme how do I update the app?"),
                mention("2", author="u2", conversation="c",
                        text="@acme the app keeps crashing, useless"),
            )  # fmt: skip
    question = await thread_of(site.db, site.workspace_id, "q")
    complaint = await thread_of(site.db, site.workspace_id, "c")
    async with site.db.connection() as conn:
        offered = await conn.fetch(
            "SELECT thread_key, community FROM thread WHERE workspace_id = $1 ORDER BY thread_key",
            site.workspace_id,
        )
    assert [(r["thread_key"], r["community"]) for r in offered] == [("c", False), ("q", True)]
    answer = {"body": "Settings > About > Update: it takes a minute."}
    async with session.post(
        f"{base}/api/v1/threads/{complaint}/community-answers", json=answer, headers=bearer(member)
    ) as r:
        assert r.status == 404  # complaints are never theirs
    async with session.post(
        f"{base}/api/v1/threads/{question}/community-answers", json=answer, headers=bearer(member)
    ) as r:
        assert r.status == 201
        answer_id = (await r.json())["id"]
    async with session.get(f"{base}/api/v1/threads", headers=bearer(member)) as r:
        assert r.status == 403  # a member sees only what is offered to them
    async with session.get(f"{base}/api/v1/community-answers", headers=bearer(agent)) as r:
        assert [a["id"] for a in (await r.json())["items"]] == [answer_id]
    edited = {"decision": "edit", "body": "Go to Settings > About > Update."}
    async with session.post(
        f"{base}/api/v1/community-answers/{answer_id}/review", json=edited, headers=bearer(agent)
    ) as r:
        assert r.status == 200
        assert (await r.json())["outbox_id"] is not None
    async with session.post(
        f"{base}/api/v1/community-answers/{answer_id}/review", json=edited, headers=bearer(agent)
    ) as r:
        assert r.status == 404  # reviewed once
    async with session.get(f"{base}/api/v1/community/me", headers=bearer(member)) as r:
        assert await r.json() == {"answers": 1, "accepted": 1, "pending": 0, "rejected": 0}
    async with site.db.connection() as conn:
        posted = await conn.fetchval(
            "SELECT body FROM outbox_item WHERE workspace_id = $1", site.workspace_id
        )
    assert posted == "Go to Settings > About > Update."
