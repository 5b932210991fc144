"""The customer record over HTTP: the API (read, edit, search, merge, split, undo) with its
roles and workspaces, the customer's page, the sidebar's form and the review list, with
every network text escaped."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from inbox.domain.audit import COMMAND_LINE
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.customers import RecordEdit
from inbox.usecases.services import Services
from tests.e2e.browsing import PASSWORD, person
from tests.factories import T0

pytestmark = pytest.mark.integration

Client = tuple[aiohttp.ClientSession, str]
HOSTILE = '<script>alert("x")</script>'


def said(external_id: str, network: Network, author: str, handle: str, name: str) -> Mention:
    return Mention(
        network=network,
        external_id=external_id,
        author=Author(external_id=author, handle=handle, display_name=name),
        text=f"hello from {name}",
        created_at=T0 + timedelta(minutes=int(external_id)),
        conversation_key=f"c-{external_id}",
        raw={"id": external_id},
    )


async def _two_identities(services: Services, db: Database, workspace_id: int) -> tuple[int, int]:
    """Jane on X and on Mastodon (a hostile display name on Mastodon): two customers."""
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                said("1", Network.X, "u1", "jane", "Jane"),
                said("2", Network.MASTODON, "m1", "jane@example.social", HOSTILE),
            ]
        ),
    )
    ids = [
        await db.fetchval(
            "SELECT customer_id FROM identity WHERE workspace_id = $1 AND external_user_id = $2",
            workspace_id,
            author,
        )
        for author in ("u1", "m1")
    ]
    return ids[0], ids[1]


async def _token(services: Services, db: Database, workspace_id: int, role: Role) -> dict[str, str]:
    email = f"{role.value}@example.com"
    await person(services, db, workspace_id, email, role)
    token = await services.tokens.issue(workspace_id, role.value, role, email)
    return {"Authorization": f"Bearer {token}"}


async def _json(
    session: aiohttp.ClientSession, method: str, url: str, headers: dict[str, str], **kw: Any
) -> tuple[int, Any]:
    async with session.request(method, url, headers=headers, **kw) as answer:
        return answer.status, await answer.json()


async def test_the_api_reads_edits_and_searches_a_record(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    session, base = client
    jane, mastodon = await _two_identities(services, db, workspace_id)
    agent = await _token(services, db, workspace_id, Role.AGENT)
    url = f"{base}/api/v1/customers/{jane}"
    body = {"vip": True, "owner": "agent@example.com", "crm_id": "CRM-1", "tags": ["Gold"]}
    status, edited = await _json(session, "PATCH", url, agent, json=body)
    assert status == 200, edited
    assert edited["owner"]["email"] == "agent@example.com"
    assert (edited["vip"], edited["crm_id"], edited["tags"]) == (True, "CRM-1", ["gold"])
    search = f"{base}/api/v1/customers?q=JAN&limit=1"
    status, first = await _json(session, "GET", search, agent)
    _, second = await _json(session, "GET", f"{search}&after={first['next_after']}", agent)
    assert status == 200
    assert sorted(c["id"] for c in first["items"] + second["items"]) == sorted([jane, mastodon])
    _, by_crm = await _json(session, "GET", f"{base}/api/v1/customers?q=CRM-1", agent)
    assert [c["id"] for c in by_crm["items"]] == [jane]
    status, cleared = await _json(session, "PATCH", url, agent, json={"crm_id": None})
    assert (status, cleared["crm_id"], cleared["vip"]) == (200, None, True)
    status, page = await _json(session, "GET", url, agent)
    assert [t["network"] for t in page["threads"]] == ["x"]
    status, refused = await _json(session, "PATCH", url, agent, json={"language": "french"})
    assert status == 400
    assert "language" in refused["error"]["message"]


async def test_ops_read_a_record_and_may_not_change_it(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    session, base = client
    jane, _ = await _two_identities(services, db, workspace_id)
    ops = await _token(services, db, workspace_id, Role.OPS)
    url = f"{base}/api/v1/customers/{jane}"
    assert (await _json(session, "GET", url, ops))[0] == 200
    assert (await _json(session, "PATCH", url, ops, json={"vip": True}))[0] == 403


async def test_a_person_of_another_workspace_gets_404_by_id_and_nothing_by_search(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    session, base = client
    jane, mastodon = await _two_identities(services, db, workspace_id)
    other = await PgWorkspaceStore(db).ensure_workspace("other", "Other")
    stranger = await _token(services, db, other, Role.ADMIN)
    url = f"{base}/api/v1/customers/{jane}"
    assert (await _json(session, "GET", url, stranger))[0] == 404
    assert (await _json(session, "PATCH", url, stranger, json={"vip": True}))[0] == 404
    status, found = await _json(session, "GET", f"{base}/api/v1/customers?q=jane", stranger)
    assert (status, found["items"]) == (200, [])
    merge = {"other_id": mastodon, "reason": "mine"}
    assert (await _json(session, "POST", f"{url}/merge", stranger, json=merge))[0] == 404


async def test_a_merge_asks_for_a_choice_where_both_differ_and_split_and_undo_reverse_it(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    session, base = client
    jane, mastodon = await _two_identities(services, db, workspace_id)
    lead = await _token(services, db, workspace_id, Role.LEAD)
    api = f"{base}/api/v1/customers"
    await _json(session, "PATCH", f"{api}/{jane}", lead, json={"crm_id": "A"})
    await _json(session, "PATCH", f"{api}/{mastodon}", lead, json={"crm_id": "B"})
    merge = {"other_id": mastodon, "reason": "same e-mail"}
    status, refused = await _json(session, "POST", f"{api}/{jane}/merge", lead, json=merge)
    assert status == 409
    assert "crm_id" in refused["error"]["message"]
    merge["choices"] = {"crm_id": "other"}
    status, merged = await _json(session, "POST", f"{api}/{jane}/merge", lead, json=merge)
    assert status == 200, merged
    _, record = await _json(session, "GET", f"{api}/{jane}", lead)
    assert record["crm_id"] == "B"
    assert sorted(t["network"] for t in record["threads"]) == ["mastodon", "x"]
    assert record["changes"][0]["reason"] == "same e-mail"
    undo = f"{base}/api/v1/customer-changes/{merged['change_id']}/undo"
    assert (await _json(session, "POST", undo, lead))[0] == 200
    _, record = await _json(session, "GET", f"{api}/{jane}", lead)
    assert (record["crm_id"], [t["network"] for t in record["threads"]]) == ("A", ["x"])
    await _json(session, "POST", f"{api}/{jane}/merge", lead, json=merge)
    (identity,) = [i["id"] for i in record["identities"]]
    _, merged_record = await _json(session, "GET", f"{api}/{jane}", lead)
    mastodon_identity = next(
        i["id"] for i in merged_record["identities"] if i["network"] == "mastodon"
    )
    split = {"identity_id": mastodon_identity, "reason": "two people after all"}
    status, made = await _json(session, "POST", f"{api}/{jane}/split", lead, json=split)
    assert status == 201
    _, apart = await _json(session, "GET", f"{api}/{made['new_customer_id']}", lead)
    assert [t["network"] for t in apart["threads"]] == ["mastodon"]
    assert identity not in [i["id"] for i in apart["identities"]]
    # Each change the token made is in the audit trail, by the token, from this address.
    rows = await db.fetch(
        "SELECT action, actor_kind, address FROM audit_entry WHERE workspace_id = $1 ORDER BY id",
        workspace_id,
    )
    assert [r["action"] for r in rows] == [
        "customer_edited", "customer_edited", "customers_merged", "customer_merge_undone",
        "customers_merged", "customer_split",
    ]  # fmt: skip
    assert {(r["actor_kind"], r["address"]) for r in rows} == {("token", "127.0.0.1")}


@asynccontextmanager
async def _browser(base: str, email: str) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        form = {"email": email, "password": PASSWORD}
        async with browser.post(f"{base}/login", data=form, allow_redirects=False) as answer:
            assert answer.status == 303
        yield browser


async def _page(browser: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with browser.get(url, allow_redirects=False) as answer:
        return answer.status, await answer.text()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def test_the_customer_page_lists_every_thread_escaped_for_staff_only(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    _, base = client
    jane, mastodon = await _two_identities(services, db, workspace_id)
    await services.customers.merge(
        workspace_id, jane, mastodon, choices={}, by=COMMAND_LINE, reason="same"
    )
    for role in (Role.AGENT, Role.OPS, Role.COMMUNITY):
        await person(services, db, workspace_id, f"{role.value}@example.com", role)
    async with _browser(base, "agent@example.com") as agent:
        status, page = await _page(agent, f"{base}/customers/{jane}")
        assert status == 200
        assert HOSTILE not in page
        assert "&lt;script&gt;" in page
        assert page.count('href="/threads/') == 2
        assert 'action="/customers/' in page
        assert (await _page(agent, f"{base}/customers/{mastodon}"))[0] == 303  # merged
        x_thread = await db.fetchval(
            "SELECT id FROM thread WHERE workspace_id = $1 AND network = 'x'", workspace_id
        )
        status, thread_page = await _page(agent, f"{base}/threads/{x_thread}")
        assert "hello from &lt;script&gt;" in thread_page  # the Mastodon thread, in its history
        assert (await _page(agent, f"{base}/customers/suggestions"))[0] == 403
    async with _browser(base, "ops@example.com") as ops:
        status, page = await _page(ops, f"{base}/customers/{jane}")
        assert status == 200
        assert "/record" not in page  # read only
    async with _browser(base, "community@example.com") as member:
        assert (await _page(member, f"{base}/customers/{jane}"))[0] == 403
    other = await PgWorkspaceStore(db).ensure_workspace("other", "Other")
    await services.ingest(other, IngestBatch([said("9", Network.X, "u9", "kim", "Kim")]))
    foreign = await db.fetchval("SELECT id FROM customer WHERE workspace_id = $1", other)
    async with _browser(base, "agent@example.com") as agent:
        assert (await _page(agent, f"{base}/customers/{foreign}"))[0] == 404


async def test_the_sidebar_form_saves_the_record_and_returns_to_the_thread(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    _, base = client
    jane, _ = await _two_identities(services, db, workspace_id)
    await person(services, db, workspace_id, "agent@example.com", Role.AGENT)
    thread_id = await db.fetchval(
        "SELECT id FROM thread WHERE workspace_id = $1 AND customer_id = $2", workspace_id, jane
    )
    async with _browser(base, "agent@example.com") as agent:
        status, page = await _page(agent, f"{base}/threads/{thread_id}")
        assert status == 200
        assert f'action="/customers/{jane}/record"' in page
        assert "May be the same person" in page  # the same handle on Mastodon
        form = {"vip": "1", "owner": "", "crm_id": "CRM-9", "tags": "gold, fr", "language": "fr",
                "thread": str(thread_id), "back": f"/threads/{thread_id}"}  # fmt: skip
        async with agent.post(
            f"{base}/customers/{jane}/record", data=form, allow_redirects=False
        ) as answer:
            assert answer.status == 403  # no CSRF token
        form["csrf"] = _csrf(page)
        async with agent.post(
            f"{base}/customers/{jane}/record", data=form, allow_redirects=False
        ) as answer:
            assert answer.status == 303
            assert answer.headers["Location"].startswith(f"/threads/{thread_id}?notice=")
    record = await services.customers.show(workspace_id, jane)
    assert (record.fields.vip, record.fields.crm_id) == (True, "CRM-9")
    assert (record.fields.tags, record.fields.language) == (("gold", "fr"), "fr")


async def test_leads_review_the_suggestions_with_their_evidence(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    _, base = client
    await _two_identities(services, db, workspace_id)
    await person(services, db, workspace_id, "lead@example.com", Role.LEAD)
    async with _browser(base, "lead@example.com") as lead:
        status, page = await _page(lead, f"{base}/customers/suggestions")
    assert status == 200
    assert "same handle" in page
    assert HOSTILE not in page


async def test_merge_split_and_undo_from_the_customer_page(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    _, base = client
    jane, mastodon = await _two_identities(services, db, workspace_id)
    await services.customers.edit(workspace_id, jane, RecordEdit(language="fr"), COMMAND_LINE)
    await services.customers.edit(workspace_id, mastodon, RecordEdit(language="en"), COMMAND_LINE)
    await person(services, db, workspace_id, "agent@example.com", Role.AGENT)
    async with _browser(base, "agent@example.com") as agent:
        _, page = await _page(agent, f"{base}/customers/{jane}")
        assert 'name="keep_language"' in page  # both differ: the form asks
        form = {"csrf": _csrf(page), "other": str(mastodon), "reason": "same person"}
        async with agent.post(f"{base}/customers/{jane}/merge", data=form) as answer:
            assert answer.status == 409  # no choice made
        form["keep_language"] = "other"
        async with agent.post(
            f"{base}/customers/{jane}/merge", data=form, allow_redirects=False
        ) as answer:
            assert answer.status == 303
        assert (await services.customers.show(workspace_id, jane)).fields.language == "en"
        _, page = await _page(agent, f"{base}/customers/{jane}")
        undo = re.search(r'action="(/customer-changes/\d+/undo)"', page)
        assert undo is not None
        async with agent.post(
            base + undo.group(1), data={"csrf": _csrf(page)}, allow_redirects=False
        ) as answer:
            assert answer.status == 303
        assert (await services.customers.show(workspace_id, jane)).fields.language == "fr"
        await services.customers.merge(
            workspace_id,
            jane,
            mastodon,
            choices={"language": "kept"},
            by=COMMAND_LINE,
            reason="again",
        )
        _, page = await _page(agent, f"{base}/customers/{jane}")
        record = await services.customers.show(workspace_id, jane)
        identity = next(i.id for i in record.identities if i.network == "mastodon")
        form = {"csrf": _csrf(page), "identity": str(identity), "reason": "two people"}
        async with agent.post(
            f"{base}/customers/{jane}/split", data=form, allow_redirects=False
        ) as answer:
            assert answer.status == 303
            assert answer.headers["Location"].startswith("/customers/")
    assert [t.network for t in await services.customers.threads(workspace_id, jane)] == ["x"]
