"""The thread API (a thread with its messages, notes and assignments; notes added) and the
CSV exports, over HTTP, with roles and workspaces."""

from __future__ import annotations

import csv
import io
import json

import aiohttp
import pytest
from pydantic import SecretStr

from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.people import PgPeopleStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.services import Services
from tests.factories import T0, mention

pytestmark = pytest.mark.integration

Client = tuple[aiohttp.ClientSession, str]
DAY = T0.date().isoformat()


async def token(services: Services, db: Database, workspace_id: int, role: Role) -> str:
    email = f"{role.value}-{workspace_id}@example.com"
    await PgPeopleStore(db).save_agent(workspace_id, email, role.value, [role], [])
    return await services.tokens.issue(workspace_id, role.value, role, email)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


async def thread_id(db: Database, workspace_id: int, key: str) -> int:
    found = await db.fetchval(
        "SELECT id FROM thread WHERE workspace_id = $1 AND thread_key = $2", workspace_id, key
    )
    assert found is not None
    return int(found)


async def test_a_thread_comes_with_its_messages_a_page_at_a_time_its_notes_and_assignments(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    session, base = client
    await services.ingest(
        workspace_id,
        IngestBatch([mention(f"m{n}", conversation="c", minute=n) for n in range(3)]),
    )
    thread = await thread_id(db, workspace_id, "c")
    agent = await token(services, db, workspace_id, Role.AGENT)
    async with session.post(
        f"{base}/api/v1/queue/claim", json={"count": 1}, headers=bearer(agent)
    ) as answer:
        assert answer.status == 200
    async with session.post(
        f"{base}/api/v1/threads/{thread}/notes",
        json={"body": "Called them back, waiting for the invoice"},
        headers=bearer(agent),
    ) as answer:
        assert answer.status == 201

    url = f"{base}/api/v1/threads/{thread}"
    async with session.get(url, params={"limit": "2"}, headers=bearer(agent)) as answer:
        assert answer.status == 200
        first = await answer.json()
    assert [m["external_id"] for m in first["messages"]] == ["m0", "m1"]
    assert first["messages"][0]["text"] == "message m0"
    assert first["next_messages_after"] == 2
    assert [n["text"] for n in first["notes"]] == ["Called them back, waiting for the invoice"]
    assert [(a["source"], a["agent_id"] is not None) for a in first["assignments"]] == [
        ("claim", True)
    ]
    assert "raw" not in first["messages"][0]
    params = {"limit": "2", "after": "2"}
    async with session.get(url, params=params, headers=bearer(agent)) as answer:
        rest = await answer.json()
    assert [m["external_id"] for m in rest["messages"]] == ["m2"]
    assert rest["next_messages_after"] is None


async def test_a_note_needs_a_text_and_an_agents_token(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    session, base = client
    await services.ingest(workspace_id, IngestBatch([mention("n1", conversation="n")]))
    thread = await thread_id(db, workspace_id, "n")
    agent = await token(services, db, workspace_id, Role.AGENT)
    url = f"{base}/api/v1/threads/{thread}/notes"
    async with session.post(url, json={"body": "  "}, headers=bearer(agent)) as answer:
        assert answer.status == 400
        assert "note" in (await answer.json())["error"]["message"]
    member = await token(services, db, workspace_id, Role.COMMUNITY)
    async with session.post(url, json={"body": "seen"}, headers=bearer(member)) as answer:
        assert answer.status == 403
    ops = await token(services, db, workspace_id, Role.OPS)
    async with session.post(url, json={"body": "fibre cut in Lyon"}, headers=bearer(ops)) as answer:
        assert answer.status == 201


async def test_another_workspace_gets_404_for_a_thread_and_nothing_in_its_exports(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    session, base = client
    await services.ingest(workspace_id, IngestBatch([mention("w1", conversation="w")]))
    thread = await thread_id(db, workspace_id, "w")
    other = await PgWorkspaceStore(db).ensure_workspace("globex", "Globex")
    stranger = await token(services, db, other, Role.ADMIN)
    async with session.get(f"{base}/api/v1/threads/{thread}", headers=bearer(stranger)) as answer:
        assert answer.status == 404
    async with session.post(
        f"{base}/api/v1/threads/{thread}/notes", json={"body": "hi"}, headers=bearer(stranger)
    ) as answer:
        assert answer.status in (403, 404)  # an admin token acts for no agent here
    for kind in ("conversations", "sla-clocks"):
        async with session.get(
            f"{base}/api/v1/exports/{kind}.csv",
            params={"since": DAY, "until": DAY},
            headers=bearer(stranger),
        ) as answer:
            assert answer.status == 200
            lines = (await answer.text()).splitlines()
        assert len(lines) == 1  # the header alone
    assert await db.fetchval("SELECT count(*) FROM note") == 0


async def test_exports_are_for_leads_and_admins_and_filter_by_days_team_and_network(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    session, base = client
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                mention("e1", conversation="e1", text='=HYPERLINK("http://evil")'),
                mention("e2", conversation="e2", minute=60 * 24 * 3),
            ]
        ),
    )
    url = f"{base}/api/v1/exports/conversations.csv"
    agent = await token(services, db, workspace_id, Role.AGENT)
    async with session.get(url, headers=bearer(agent)) as answer:
        assert answer.status == 403
    lead = await token(services, db, workspace_id, Role.LEAD)
    params = {"since": DAY, "until": DAY, "network": "x"}
    async with session.get(url, params=params, headers=bearer(lead)) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(await answer.text())))
    assert [row["thread_id"] for row in rows] == [str(await thread_id(db, workspace_id, "e1"))]
    assert rows[0]["excerpt"] == '\'=HYPERLINK("http://evil")'
    async with session.get(
        url, params={**params, "network": "mastodon"}, headers=bearer(lead)
    ) as answer:
        assert len((await answer.text()).splitlines()) == 1
    async with session.get(url, params={**params, "team": "7"}, headers=bearer(lead)) as answer:
        assert len((await answer.text()).splitlines()) == 1
    async with session.get(
        url, params={"since": DAY, "until": "2020-01-01"}, headers=bearer(lead)
    ) as answer:
        assert answer.status == 400
    clocks = f"{base}/api/v1/exports/sla-clocks.csv"
    async with session.get(clocks, params=params, headers=bearer(lead)) as answer:
        assert answer.status == 200
        clock_rows = list(csv.DictReader(io.StringIO(await answer.text())))
    assert {row["kind"] for row in clock_rows} == {"first_response"}
    # Each export that ran is in the audit trail, by the token, with what it asked for; the
    # refused ones (403, 400) are not.
    rows = await db.fetch(
        "SELECT actor_kind, object_id, summary FROM audit_entry"
        " WHERE workspace_id = $1 AND action = 'exported' ORDER BY id",
        workspace_id,
    )
    assert [(r["actor_kind"], r["object_id"]) for r in rows] == [
        ("token", "conversations"), ("token", "conversations"), ("token", "conversations"),
        ("token", "sla_clocks"),
    ]  # fmt: skip
    assert json.loads(rows[1]["summary"])["network"] == "mastodon"


async def test_a_large_export_is_streamed_page_by_page(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    session, base = client
    count = 12_000
    await db.execute(
        """INSERT INTO thread (workspace_id, network, thread_key, opened_at, excerpt)
           SELECT $1, 'x', 'bulk-' || n, $2::timestamptz + n * interval '1 second',
                  'complaint number ' || n
           FROM generate_series(1, $3) AS n""",
        workspace_id,
        T0,
        count,
    )
    admin = await token(services, db, workspace_id, Role.ADMIN)
    chunks = rows = 0
    async with session.get(
        f"{base}/api/v1/exports/conversations.csv",
        params={"since": DAY, "until": DAY},
        headers=bearer(admin),
    ) as answer:
        assert answer.status == 200
        assert "Content-Length" not in answer.headers
        assert answer.headers["Transfer-Encoding"] == "chunked"
        async for data, end_of_chunk in answer.content.iter_chunks():
            rows += data.count(b"\n")
            chunks += end_of_chunk
    assert rows == count + 1
    # The header, then one chunk per page of rows read from the cursor (1,000 a page).
    assert chunks >= count // 1000


async def test_the_export_page_is_linked_from_the_dashboard_for_leads_only(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    _, base = client
    for role, linked in ((Role.LEAD, True), (Role.OPS, False)):
        email = f"{role.value}@example.com"
        await PgPeopleStore(db).save_agent(workspace_id, email, role.value, [role], [])
        await services.web_logins.set_password(workspace_id, email, SecretStr("a long password"))
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            async with browser.post(
                f"{base}/login",
                data={"email": email, "password": "a long password"},
                allow_redirects=False,
            ) as answer:
                assert answer.status == 303
            async with browser.get(f"{base}/dashboard") as answer:
                assert ('href="/exports"' in await answer.text()) is linked
            async with browser.get(f"{base}/exports", allow_redirects=False) as answer:
                assert answer.status == (200 if linked else 403)
            async with browser.get(
                f"{base}/exports/conversations.csv",
                params={"what": "sla-clocks", "since": DAY, "until": DAY},
                allow_redirects=False,
            ) as answer:
                assert answer.status == (200 if linked else 403)
                if linked:
                    assert (await answer.text()).startswith("clock_id,thread_id")
