"""The audit trail over real HTTP: the admin page (filters, pages, escaping) and the API
(admins only, one workspace's rows only, described in the OpenAPI document)."""

from __future__ import annotations

import csv
import io
import re

import aiohttp
import pytest

from inbox.domain.audit import COMMAND_LINE, AuditEntry
from inbox.domain.people import Role
from inbox.store.audit import PgAuditTrail
from inbox.store.database import Database
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.audit import LARGEST_PAGE, PAGE_SIZE
from inbox.usecases.services import Services
from tests.e2e.site import session_of
from tests.e2e.test_admin_pages import ADMIN, XSS, page, person, post
from web.openapi import document

pytestmark = pytest.mark.integration

Client = tuple[aiohttp.ClientSession, str]


@pytest.fixture
def base(client: Client) -> str:
    return client[1]


@pytest.fixture
async def admin_id(services: Services, db: Database, workspace_id: int) -> int:
    return await person(services, db, workspace_id, ADMIN, Role.ADMIN)


async def _api(base: str, token: str, **params: str) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as api,
        api.get(
            f"{base}/api/v1/audit", params=params, headers={"Authorization": f"Bearer {token}"}
        ) as answer,
    ):
        return answer.status, await answer.json()


async def test_a_change_made_on_the_admin_pages_is_on_the_audit_page_escaped(
    base: str, admin_id: int, services: Services, db: Database, workspace_id: int
) -> None:
    ana = await person(services, db, workspace_id, "ana@example.com", Role.AGENT)
    people = f"{base}/admin/people/{ana}"
    async with session_of(base, ADMIN) as admin:
        status, _, _ = await post(admin, people, {"name": XSS, "capacity": "4"}, people)
        assert status == 303
        status, html = await page(admin, f"{base}/admin/audit")
    assert status == 200
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'data-action="work_changed"' in html
    assert "capacity" in html
    assert "8 → 4" in html  # before and after


async def test_the_page_goes_back_a_page_at_a_time_and_keeps_its_filters(
    base: str, admin_id: int, db: Database, workspace_id: int
) -> None:
    trail = PgAuditTrail(db)
    async with session_of(base, ADMIN) as admin:
        _, first = await page(admin, f"{base}/admin/audit")
        assert "No change recorded" in first
        for n in range(PAGE_SIZE + 5):
            await trail.record(
                AuditEntry(workspace_id, COMMAND_LINE, "team_changed", "team", str(n))
            )
        await trail.record(
            AuditEntry(workspace_id, COMMAND_LINE, "routing_changed", "routing", "1")
        )
        _, first = await page(admin, f"{base}/admin/audit?action=team_changed")
        assert first.count('data-action="team_changed"') == PAGE_SIZE
        assert 'data-action="routing_changed"' not in first
        older = re.search(r'href="(/admin/audit\?[^"]+)">Older changes', first)
        assert older is not None
        link = older.group(1).replace("&amp;", "&")
        assert "action=team_changed" in link
        _, second = await page(admin, base + link)
        assert second.count('data-action="team_changed"') == 5
        assert "Older changes" not in second


async def test_a_bad_filter_is_named(base: str, admin_id: int) -> None:
    async with session_of(base, ADMIN) as admin:
        status, html = await page(admin, f"{base}/admin/audit?since=yesterday")
    assert status == 400
    assert "<strong>since</strong>" in html


async def test_leads_and_agents_do_not_see_the_audit_page(
    base: str, services: Services, db: Database, workspace_id: int
) -> None:
    for email, role in (("lea@example.com", Role.LEAD), ("ana@example.com", Role.AGENT)):
        await person(services, db, workspace_id, email, role)
        async with session_of(base, email) as browser:
            assert (await page(browser, f"{base}/admin/audit"))[0] == 403


async def test_the_api_gives_an_admin_token_its_own_workspace_rows_only(
    base: str, admin_id: int, services: Services, db: Database, workspace_id: int
) -> None:
    other = await PgWorkspaceStore(db).ensure_workspace("other", "Other")
    people = f"{base}/admin/people"
    async with session_of(base, ADMIN) as admin:
        await post(admin, f"{people}/two-factor", {"required": "1"}, people)
    ours = await services.tokens.issue(workspace_id, "ours", Role.ADMIN)
    theirs = await services.tokens.issue(other, "theirs", Role.ADMIN)
    status, body = await _api(base, ours)
    assert status == 200
    items = body["items"]
    assert isinstance(items, list)
    assert [item["action"] for item in items] == ["two_factor_requirement_changed"]
    assert items[0]["actor"] == {"kind": "person", "id": admin_id, "name": "ada"}
    assert items[0]["summary"] == {"before": False, "after": True}
    assert body["next_before"] is None
    status, body = await _api(base, theirs)
    assert (status, body["items"]) == (200, [])


async def test_the_api_refuses_a_lead_token_and_a_bad_filter(
    base: str, services: Services, workspace_id: int
) -> None:
    lead = await services.tokens.issue(workspace_id, "lead", Role.LEAD)
    admin = await services.tokens.issue(workspace_id, "admin", Role.ADMIN)
    assert (await _api(base, lead))[0] == 403
    status, body = await _api(base, admin, until="31/12/2026")
    assert status == 400
    assert "until" in str(body)
    assert (await _api(base, admin, limit="0"))[0] == 400


def test_the_openapi_document_describes_the_audit_endpoint_for_admins() -> None:
    operation = document()["paths"]["/api/v1/audit"]["get"]
    assert operation["x-roles"] == ["admin"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {"person", "action", "since", "until", "limit", "before"}


async def test_a_change_through_the_api_names_its_token_and_address(
    base: str, services: Services, workspace_id: int
) -> None:
    admin = await services.tokens.issue(workspace_id, "integration", Role.ADMIN)
    headers = {"Authorization": f"Bearer {admin}"}
    body = {"crm_url_template": "https://crm.example.com/c/{crm_id}", "agent_comparisons": True}
    async with (
        aiohttp.ClientSession() as api,
        api.put(f"{base}/api/v1/admin/workspace-preferences", json=body, headers=headers) as put,
    ):
        assert put.status == 200
    _, trail = await _api(base, admin, action="preferences_changed")
    items = trail["items"]
    assert isinstance(items, list)
    (item,) = items
    assert item["actor"]["kind"] == "token"
    assert item["actor"]["name"].startswith("API token ")
    assert item["address"] == "127.0.0.1"
    assert item["summary"] == body


async def test_preferences_saved_on_the_admin_page_are_recorded(base: str, admin_id: int) -> None:
    workspaces = f"{base}/admin/workspaces"
    async with session_of(base, ADMIN) as admin:
        status, _, _ = await post(
            admin, f"{workspaces}/preferences", {"agent_comparisons": "1"}, workspaces
        )
        assert status == 303
        _, html = await page(admin, f"{base}/admin/audit?action=preferences_changed")
    assert 'data-action="preferences_changed"' in html
    assert "agent comparisons" in html


async def test_the_csv_export_holds_every_row_the_filters_keep_with_formulas_quoted(
    base: str, admin_id: int, db: Database, workspace_id: int
) -> None:
    trail = PgAuditTrail(db)
    for n in range(LARGEST_PAGE + 3):
        await trail.record(AuditEntry(workspace_id, COMMAND_LINE, "team_changed", "team", str(n)))
    await trail.record(
        AuditEntry(workspace_id, COMMAND_LINE, "team_created", "team", "=HYPERLINK(1)")
    )
    async with session_of(base, ADMIN) as admin:
        _, html = await page(admin, f"{base}/admin/audit?action=team_changed")
        link = re.search(r'href="([^"]+)" download', html)
        assert link is not None
        async with admin.get(base + link.group(1).replace("&amp;", "&")) as answer:
            assert answer.status == 200
            assert answer.headers["Content-Type"].startswith("text/csv")
            rows = list(csv.reader(io.StringIO(await answer.text())))
        assert rows[0][:6] == ["id", "at", "actor_kind", "actor_id", "actor", "action"]
        assert len(rows) == 1 + LARGEST_PAGE + 3
        assert {row[5] for row in rows[1:]} == {"team_changed"}
        async with admin.get(f"{base}/admin/audit?action=team_created&format=csv") as answer:
            created = list(csv.reader(io.StringIO(await answer.text())))
        assert created[1][7] == "'=HYPERLINK(1)"
