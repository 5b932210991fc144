"""Routing over HTTP: one-action corrections that re-plan SLA clocks, claims by an agent's
token, the routing settings for admins; roles enforced, bad input named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox.domain.people import Role
from inbox.store.people import PgPeopleStore
from tests.e2e.site import Site, running_deadline
from tests.factories import mention

pytestmark = pytest.mark.integration

URGENT_IN_15 = {
    "policies": {
        "standard": {"name": "standard", "calendar": "always"},
        "urgent": {"name": "urgent", "calendar": "always", "targets": {"first_response": 15}},
    },
    "rules": [{"when": {"priorities": ["urgent"]}, "policy": "urgent"}],
    "default": "standard",
}
ALWAYS = {"always": {"tz": "UTC", "weekly": {d: [["00:00", "24:00"]] for d in
          ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}}  # fmt: skip


async def one_thread(site: Site) -> int:
    message = mention("1", conversation="1", text="@acme still waiting for my refund").model_copy(
        update={"created_at": datetime.now(UTC) - timedelta(minutes=5)}
    )
    await site.ingest(message)
    async with site.db.connection() as conn:
        return int(
            await conn.fetchval("SELECT id FROM thread WHERE workspace_id = $1", site.workspace_id)
        )


async def test_an_agent_corrects_the_urgency_in_one_action_and_the_clock_follows(
    site: Site,
) -> None:
    session, base = site.session, site.base
    await site.services.sla_settings(site.workspace_id, ALWAYS, URGENT_IN_15)
    thread_id = await one_thread(site)
    before = await running_deadline(site.db, site.workspace_id)
    agent = await site.services.tokens.issue(site.workspace_id, "ana", Role.AGENT)
    async with session.post(
        f"{base}/api/v1/threads/{thread_id}/classification",
        json={"field": "urgency", "value": "urgent"},
        headers={"Authorization": f"Bearer {agent}"},
    ) as answer:
        assert answer.status == 200, await answer.text()
        assert await answer.json() == {
            "thread_id": thread_id, "field": "urgency", "old": "normal", "new": "urgent",
        }  # fmt: skip
    assert await running_deadline(site.db, site.workspace_id) == before - timedelta(minutes=45)
    async with site.db.connection() as conn:
        row = await conn.fetchrow(
            "SELECT field, old_value, new_value, text FROM classification_correction"
        )
    assert (row["field"], row["text"]) == ("urgency", "@acme still waiting for my refund")


@pytest.mark.parametrize(
    ("body", "status", "problem"),
    [
        ({"field": "colour", "value": "red"}, 400, "field"),
        ({"field": "kind", "value": "angry"}, 400, "a kind is one of"),
        ({"field": "topics", "value": "billing"}, 400, "topics are a list"),
    ],
)
async def test_bad_corrections_are_named(
    site: Site, body: dict[str, object], status: int, problem: str
) -> None:
    session, base = site.session, site.base
    thread_id = await one_thread(site)
    agent = await site.services.tokens.issue(site.workspace_id, "ana", Role.AGENT)
    async with session.post(
        f"{base}/api/v1/threads/{thread_id}/classification",
        json=body,
        headers={"Authorization": f"Bearer {agent}"},
    ) as answer:
        assert answer.status == status
        assert problem in (await answer.json())["error"]["message"]


async def test_claims_need_a_token_that_acts_for_an_agent(site: Site) -> None:
    session, base = site.session, site.base
    thread_id = await one_thread(site)
    await PgPeopleStore(site.db).save_agent(
        site.workspace_id, "ana@example.com", "Ana", [Role.AGENT], []
    )
    ana = await site.services.tokens.issue(site.workspace_id, "ana", Role.AGENT, "ana@example.com")
    robot = await site.services.tokens.issue(site.workspace_id, "crm", Role.AGENT)
    ops = await site.services.tokens.issue(site.workspace_id, "ops", Role.OPS)
    claim = f"{base}/api/v1/queue/claim"
    async with session.post(claim, json={}, headers={"Authorization": f"Bearer {robot}"}) as r:
        assert r.status == 403
    async with session.post(claim, json={}, headers={"Authorization": f"Bearer {ops}"}) as r:
        assert r.status == 403
    async with session.post(
        claim, json={"count": 2}, headers={"Authorization": f"Bearer {ana}"}
    ) as r:
        assert r.status == 200
        assert [item["thread_id"] for item in (await r.json())["items"]] == [thread_id]


async def test_only_admins_change_routing_and_leads_read_it(site: Site) -> None:
    session, base = site.session, site.base
    admin = await site.services.tokens.issue(site.workspace_id, "admin", Role.ADMIN)
    lead = await site.services.tokens.issue(site.workspace_id, "lead", Role.LEAD)
    url = f"{base}/api/v1/routing"
    document = {"settings": {"reassign_after_minutes": 15},
                "rules": {"rules": [{"name": "vip", "when": {"customer_vip": True},
                                     "then": {"priority": "urgent"}}]}}  # fmt: skip
    async with session.put(url, json=document, headers={"Authorization": f"Bearer {lead}"}) as r:
        assert r.status == 403
    async with session.put(url, json=document, headers={"Authorization": f"Bearer {admin}"}) as r:
        assert r.status == 200
        assert await r.json() == {"version": 1}
    bad = {"rules": {"rules": [{"name": "x", "then": {"priority": "asap"}}]}}
    async with session.put(url, json=bad, headers={"Authorization": f"Bearer {admin}"}) as r:
        assert r.status == 400
        assert "then.priority" in (await r.json())["error"]["message"]
    async with session.get(url, headers={"Authorization": f"Bearer {lead}"}) as r:
        shown = await r.json()
    assert shown["version"] == 1
    assert shown["rules"]["rules"][0]["name"] == "vip"
