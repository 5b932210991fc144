"""The incident pages over HTTP: hand open, merge and close, roles, escaping, the banner."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import aiohttp
import pytest
from pydantic import SecretStr

from inbox.domain.incidents import IncidentStatus
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.secret_box import SecretBox
from inbox.store.webhooks import PgWebhookStore
from tests.e2e.browsing import person
from tests.e2e.site import Site, csrf_of, log_in, page_text

pytestmark = pytest.mark.integration

XSS = "<script>alert(1)</script>"
Client = tuple[aiohttp.ClientSession, str]


async def post(session: aiohttp.ClientSession, url: str, data: dict[str, str]) -> str:
    async with session.post(url, data=data, allow_redirects=False) as answer:
        assert answer.status == 303, await answer.text()
        return answer.headers["Location"]


async def declare(session: aiohttp.ClientSession, base: str, csrf: str, **fields: str) -> int:
    location = await post(session, f"{base}/incidents", {"csrf": csrf, **fields})
    found = re.match(r"^/incidents/(\d+)", location)
    assert found is not None
    return int(found.group(1))


async def deliveries(db: Database, kind: str) -> int:
    return int(
        await db.fetchval("SELECT count(*) FROM webhook_delivery WHERE event_kind = $1", kind)
    )


async def test_ops_open_merge_and_close_by_hand_with_keywords_and_places_escaped(
    site: Site,
) -> None:
    session, base = site.session, site.base
    box = SecretBox(SecretStr(SecretBox.new_key()))
    await PgWebhookStore(site.db, box).add(
        site.workspace_id, "https://hooks.example/in", ("*",), SecretStr("s")
    )
    await site.hire("omar@example.com", Role.OPS)
    await log_in(session, base, "omar@example.com")
    csrf = csrf_of(await page_text(session, f"{base}/incidents"))
    first = await declare(
        session, base, csrf, title=f"Fibre {XSS}", keywords=f"fibre, {XSS}", places=f"Lyon, {XSS}"
    )
    html = await page_text(session, f"{base}/incidents/{first}")
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    listed = await page_text(session, f"{base}/incidents?partial=1")
    assert XSS not in listed
    assert f"/incidents/{first}" in listed
    second = await declare(session, base, csrf, title="Mobile data down", major="1")

    location = await post(
        session, f"{base}/incidents/{first}/merge", {"csrf": csrf, "into": str(second)}
    )
    assert location == f"/incidents/{second}?notice=merged"
    await post(session, f"{base}/incidents/{second}/close", {"csrf": csrf})
    async with site.db.connection() as conn:
        rows = await conn.fetch(
            "SELECT id, status FROM incident WHERE workspace_id = $1", site.workspace_id
        )
    assert {r["id"]: r["status"] for r in rows} == {
        first: IncidentStatus.MERGED.value,
        second: IncidentStatus.CLOSED.value,
    }
    assert await deliveries(site.db, "incident.opened") == 2
    assert await deliveries(site.db, "incident.closed") == 2
    async with session.post(
        f"{base}/incidents/{second}/close", data={"csrf": csrf}, allow_redirects=False
    ) as again:
        assert again.status == 404  # closed already: nothing happens twice


@pytest.mark.parametrize("role", [Role.AGENT, Role.COMMUNITY])
async def test_agents_and_community_members_are_refused_every_incident_page_and_action(
    site: Site, role: Role
) -> None:
    session, base = site.session, site.base
    await site.hire("boss@example.com", Role.OPS)
    await person(site.services, site.db, site.workspace_id, "someone@example.com", role)
    await log_in(session, base, "boss@example.com")
    csrf = csrf_of(await page_text(session, f"{base}/incidents"))
    incident = await declare(session, base, csrf, title="Outage")
    session.cookie_jar.clear()
    await log_in(session, base, "someone@example.com")
    csrf = csrf_of(await page_text(session, f"{base}/me"))
    assert "/incidents" not in await page_text(session, f"{base}/me")
    for url in ("/incidents", f"/incidents/{incident}"):
        async with session.get(f"{base}{url}", allow_redirects=False) as answer:
            assert answer.status == 403
    for action in ("", "/close", "/merge", "/acknowledge", "/follow-up"):
        url = f"{base}/incidents" + (f"/{incident}{action}" if action else "")
        async with session.post(
            url, data={"csrf": csrf, "title": "x", "into": "1"}, allow_redirects=False
        ) as answer:
            assert answer.status == 403, url


async def test_an_agent_sees_the_banner_on_a_thread_linked_to_an_open_incident(site: Site) -> None:
    session, base = site.session, site.base
    now = datetime.now(UTC)
    complaint = Mention(
        network=Network.X,
        external_id="c1",
        author=Author(external_id="u1", handle="camille", display_name="Camille"),
        text="@acme no signal at all in Lyon, the network is down",
        created_at=now,
        raw={"id": "c1"},
    )
    await site.ingest(complaint)
    thread_id = int(
        await site.db.fetchval("SELECT id FROM thread WHERE workspace_id = $1", site.workspace_id)
    )
    await site.hire("omar@example.com", Role.OPS)
    await site.hire("ana@example.com")
    await log_in(session, base, "omar@example.com")
    csrf = csrf_of(await page_text(session, f"{base}/incidents"))
    incident = await declare(session, base, csrf, title=f"Network {XSS}", topics="network")
    assert f"/threads/{thread_id}" in await page_text(session, f"{base}/incidents/{incident}")
    session.cookie_jar.clear()
    await log_in(session, base, "ana@example.com")
    html = await page_text(session, f"{base}/threads/{thread_id}")
    assert 'class="incident-banner"' in html
    assert "Network &lt;script&gt;" in html
    assert XSS not in html
