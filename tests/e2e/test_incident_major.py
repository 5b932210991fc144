"""Declaring an incident major from its page, and the suspension it brings where the SLA
policy says so: on the incident page, the thread's SLA block and the API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.usecases.services import Services
from tests.e2e.site import Site, csrf_of, log_in, page_text
from tests.e2e.test_incident_pages import declare, post

pytestmark = pytest.mark.integration

ALWAYS: dict[str, object] = {
    "tz": "UTC",
    "weekly": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}


async def suspending_policy(services: Services, workspace_id: int) -> None:
    policy = {"name": "care", "calendar": "always", "suspend_during_major_incidents": True}
    policies: dict[str, object] = {"policies": {"care": policy}, "default": "care"}
    await services.sla_settings(workspace_id, {"always": ALWAYS}, policies)


async def a_complaint(site: Site) -> int:
    complaint = Mention(
        network=Network.X,
        external_id="c1",
        author=Author(external_id="u1", handle="camille", display_name="Camille"),
        text="@acme no signal at all in Lyon, the network is down",
        created_at=datetime.now(UTC),
        raw={"id": "c1"},
    )
    await site.ingest(complaint)
    return int(
        await site.db.fetchval("SELECT id FROM thread WHERE workspace_id = $1", site.workspace_id)
    )


async def test_ops_declare_an_incident_major_and_the_linked_threads_clocks_are_suspended(
    site: Site,
) -> None:
    session, base = site.session, site.base
    await suspending_policy(site.services, site.workspace_id)
    thread_id = await a_complaint(site)
    await site.hire("omar@example.com", Role.OPS)
    await log_in(session, base, "omar@example.com")
    csrf = csrf_of(await page_text(session, f"{base}/incidents"))
    incident = await declare(session, base, csrf, title="Network down")
    html = await page_text(session, f"{base}/incidents/{incident}")
    assert "Declare major" in html
    assert "SLA clocks of linked threads suspended" not in html

    async with session.post(
        f"{base}/incidents/{incident}/major", data={"major": "1"}, allow_redirects=False
    ) as refused:
        assert refused.status == 403  # no CSRF token
    location = await post(session, f"{base}/incidents/{incident}/major", {"csrf": csrf})
    assert location == f"/incidents/{incident}?notice=major"
    html = await page_text(session, f"{base}{location}")
    assert "Declared major." in html
    assert "SLA clocks of linked threads suspended" in html
    assert "No longer major" in html

    thread = await page_text(session, f"{base}/threads/{thread_id}")
    assert f"(still suspended) by major incident #{incident}" in thread
    token = await site.services.tokens.issue(site.workspace_id, "lead", Role.LEAD)
    async with session.get(
        f"{base}/api/v1/threads/{thread_id}/sla", headers={"Authorization": f"Bearer {token}"}
    ) as answer:
        assert answer.status == 200
        (clock,) = (await answer.json())["clocks"]
    assert clock["deadline"] is None
    assert [s["incident_id"] for s in clock["suspensions"]] == [incident]
    assert clock["suspensions"][0]["to"] is None

    await post(session, f"{base}/incidents/{incident}/close", {"csrf": csrf})
    html = await page_text(session, f"{base}/incidents/{incident}")
    assert "were suspended while this incident was major" in html


async def test_agents_cannot_declare_an_incident_major(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("omar@example.com", Role.OPS)
    await site.hire("ana@example.com")
    await log_in(session, base, "omar@example.com")
    incident = await declare(
        session, base, csrf_of(await page_text(session, f"{base}/incidents")), title="Outage"
    )
    session.cookie_jar.clear()
    await log_in(session, base, "ana@example.com")
    csrf = csrf_of(await page_text(session, f"{base}/me"))
    async with session.post(
        f"{base}/incidents/{incident}/major", data={"csrf": csrf}, allow_redirects=False
    ) as answer:
        assert answer.status == 403
    assert not await site.db.fetchval("SELECT major FROM incident WHERE id = $1", incident)
