"""The admin pages over real HTTP on loopback: who may open what, CSRF, Post/Redirect/Get,
refusals that name the field, secrets that never come back, escaping, and that what is saved
takes effect (a new person logs in, a deactivated one is logged out, holidays re-plan clocks)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime

import aiohttp
import pytest
from pydantic import SecretStr

from inbox.domain.ingestion import IngestBatch
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.people import PgPeopleStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.services import Services
from tests.e2e.browsing import PASSWORD
from tests.e2e.site import csrf_of, running_deadline, session_of
from tests.factories import mention
from web.admin import ROUTES

pytestmark = pytest.mark.integration

ADMIN = "ada@example.com"
XSS = "<script>alert(1)</script>"
SCRIPT_TAG = '<script src="/static/inbox.js" defer></script>'
Client = tuple[aiohttp.ClientSession, str]


async def person(
    services: Services, db: Database, workspace_id: int, email: str, *roles: Role
) -> int:
    agent_id = await PgPeopleStore(db).save_agent(
        workspace_id, email, email.split("@")[0], list(roles), []
    )
    await services.web_logins.set_password(workspace_id, email, SecretStr(PASSWORD))
    return agent_id


async def page(browser: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with browser.get(url, allow_redirects=False) as answer:
        return answer.status, await answer.text()


def refused(answer: tuple[int, str, str], field: str) -> str:
    """The page shown again for a refused form, naming the field: its HTML."""
    status, _, html = answer
    assert status == 400, html[:300]
    assert f"<strong>{field}</strong>" in html
    return html


async def post(
    browser: aiohttp.ClientSession, url: str, form: Mapping[str, str | list[str]], csrf_from: str
) -> tuple[int, str, str]:
    """Post the form with the CSRF token of the page at `csrf_from`: (status, Location, body)."""
    _, html = await page(browser, csrf_from)
    data = aiohttp.FormData()
    data.add_field("csrf", csrf_of(html))
    for name, value in form.items():
        for item in value if isinstance(value, list) else [value]:
            data.add_field(name, item)
    async with browser.post(url, data=data, allow_redirects=False) as answer:
        return answer.status, answer.headers.get("Location", ""), await answer.text()


@pytest.fixture
def base(client: Client) -> str:
    """The app's address; each test logs in with a browser of its own."""
    return client[1]


@pytest.fixture
async def admin_id(services: Services, db: Database, workspace_id: int) -> int:
    return await person(services, db, workspace_id, ADMIN, Role.ADMIN)


def _concrete(path: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{([a-z_]+)\}", lambda m: str(ids[m.group(1)]), path)


async def test_every_admin_page_renders_for_an_admin(base: str, admin_id: int) -> None:
    ids = {"agent_id": admin_id}
    async with session_of(base, ADMIN) as browser:
        _, inbox = await page(browser, f"{base}/inbox")
        assert 'href="/admin"' in inbox
        for method, path, _ in ROUTES:
            if method != "GET":
                continue
            status, html = await page(browser, base + _concrete(path, ids))
            assert status == 200, (path, html[:300])
            assert "<h1>" in html
            assert "<script>" not in html.replace(SCRIPT_TAG, "")


async def test_leads_run_the_team_but_not_roles_accounts_webhooks_or_workspaces(
    base: str, services: Services, db: Database, workspace_id: int, admin_id: int
) -> None:
    await person(services, db, workspace_id, "lea@example.com", Role.LEAD)
    ana = await person(services, db, workspace_id, "ana@example.com", Role.AGENT)
    async with session_of(base, "lea@example.com") as lead:
        _, inbox = await page(lead, f"{base}/inbox")
        assert 'href="/admin"' in inbox
        for section in ("people", "teams", "calendars", "sla", "routing", "canned"):
            assert (await page(lead, f"{base}/admin/{section}"))[0] == 200, section
        for section in ("workspaces", "accounts", "webhooks"):
            assert (await page(lead, f"{base}/admin/{section}"))[0] == 403, section
        _, overview = await page(lead, f"{base}/admin")
        assert 'href="/admin/webhooks"' not in overview
        people = f"{base}/admin/people"
        status, where, _ = await post(
            lead, f"{people}/{ana}", {"name": "Ana", "capacity": "3", "on_shift": "1"}, people
        )
        assert (status, where) == (303, f"/admin/people/{ana}?notice=saved")
        for action, form in (
            ("roles", {"roles": "admin"}),
            ("password", {}),
            ("deactivate", {}),
        ):
            status, _, _ = await post(lead, f"{people}/{ana}/{action}", form, people)
            assert status == 403, action
        status, _, _ = await post(lead, people, {"email": "x@example.com", "name": "X"}, people)
        assert status == 403
    async with db.connection() as conn:
        row = await conn.fetchrow(
            "SELECT capacity, roles, active FROM agent WHERE workspace_id = $1 AND id = $2",
            workspace_id,
            ana,
        )
    assert row is not None
    assert (row["capacity"], list(row["roles"]), row["active"]) == (3, ["agent"], True)


@pytest.mark.parametrize("role", [Role.AGENT, Role.COMMUNITY, Role.OPS])
async def test_agents_community_and_ops_get_403_on_every_admin_route(
    base: str, services: Services, db: Database, workspace_id: int, role: Role
) -> None:
    agent_id = await person(services, db, workspace_id, f"{role.value}@example.com", role)
    ids = {"agent_id": agent_id, "team_id": 1, "account_id": 1, "webhook_id": 1}
    async with session_of(base, f"{role.value}@example.com") as browser:
        own_page = "/community" if role is Role.COMMUNITY else "/me"
        _, inbox = await page(browser, f"{base}{own_page}")
        assert 'href="/admin"' not in inbox
        token = csrf_of(inbox)
        for method, path, _ in ROUTES:
            async with browser.request(
                method,
                base + _concrete(path, ids),
                data={"csrf": token, "name": "x", "document": "{}"},
                allow_redirects=False,
            ) as answer:
                assert answer.status == 403, (method, path, answer.status)


async def test_a_post_without_the_session_csrf_token_is_refused(base: str, admin_id: int) -> None:
    async with session_of(base, ADMIN) as browser:
        for data in ({"name": "Care"}, {"name": "Care", "csrf": "forged"}):
            async with browser.post(
                f"{base}/admin/teams", data=data, allow_redirects=False
            ) as answer:
                assert answer.status == 403
        assert "Care" not in (await page(browser, f"{base}/admin/teams"))[1]
    async with (
        aiohttp.ClientSession() as stranger,
        stranger.get(f"{base}/admin/teams", allow_redirects=False) as answer,
    ):
        assert (answer.status, answer.headers["Location"]) == (303, "/login")


async def test_a_person_added_here_logs_in_with_the_password_shown_once(
    base: str, db: Database, admin_id: int
) -> None:
    people = f"{base}/admin/people"
    async with session_of(base, ADMIN) as admin:
        status, _, _ = await post(
            admin, f"{base}/admin/teams", {"name": "Care"}, f"{base}/admin/teams"
        )
        assert status == 303
        status, _, shown = await post(
            admin,
            people,
            {"email": "Ben@Example.com", "name": "Ben", "roles": ["agent", "lead"],
             "teams": "Care", "capacity": "5", "languages": "fr, en", "on_shift": "1"},
            people,
        )  # fmt: skip
        assert status == 200
        found = re.search(r'<code class="secret">([^<]+)</code>', shown)
        assert found is not None
        password = found.group(1)
        _, listed = await page(admin, people)
        assert "ben@example.com" in listed
        assert password not in listed
        again = {"email": "ben@example.com", "name": "Ben", "roles": "agent", "capacity": "8"}
        html = refused(await post(admin, people, again, people), "email")
        assert "has an account already" in html
    async with session_of(base, "ben@example.com", password) as ben:
        status, html = await page(ben, f"{base}/admin/teams")
        assert status == 200  # a lead
        assert "Care" in html
    async with db.connection() as conn:
        teams = await conn.fetchval(
            "SELECT array_agg(t.name) FROM team_member m JOIN team t"
            " ON t.workspace_id = m.workspace_id AND t.id = m.team_id"
            " JOIN agent a ON a.workspace_id = m.workspace_id AND a.id = m.agent_id"
            " WHERE a.email = 'ben@example.com'"
        )
    assert teams == ["Care"]


async def test_deactivating_someone_logs_them_out_and_keeps_them_listed(
    base: str, services: Services, db: Database, workspace_id: int, admin_id: int
) -> None:
    ana = await person(services, db, workspace_id, "ana@example.com", Role.AGENT)
    async with (
        session_of(base, "ana@example.com") as agent,
        session_of(base, ADMIN) as admin,
    ):
        assert (await page(agent, f"{base}/inbox"))[0] == 200
        where = f"{base}/admin/people/{ana}"
        status, location, _ = await post(admin, f"{where}/deactivate", {}, where)
        assert (status, location) == (303, f"/admin/people/{ana}?notice=deactivated")
        status, _ = await page(agent, f"{base}/inbox")
        assert status == 303  # to the login page: the session is gone
        _, listed = await page(admin, f"{base}/admin/people")
        assert "ana@example.com" in listed
        assert "deactivated" in listed
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as again,
        again.post(
            f"{base}/login",
            data={"email": "ana@example.com", "password": PASSWORD},
            allow_redirects=False,
        ) as answer,
    ):
        assert answer.status == 401
    async with db.connection() as conn:
        sessions = await conn.fetchval(
            "SELECT count(*) FROM web_session WHERE workspace_id = $1 AND agent_id = $2",
            workspace_id,
            ana,
        )
    assert sessions == 0


async def test_an_admin_cannot_take_away_their_own_admin_role_or_deactivate_themselves(
    base: str, admin_id: int
) -> None:
    where = f"{base}/admin/people/{admin_id}"
    async with session_of(base, ADMIN) as admin:
        refused(await post(admin, f"{where}/roles", {"roles": "agent"}, where), "roles")
        refused(await post(admin, f"{where}/deactivate", {}, where), "active")
        assert (await page(admin, f"{base}/admin/workspaces"))[0] == 200


async def test_french_holidays_fill_a_calendar_and_a_clock_on_a_holiday_is_replanned(
    base: str, services: Services, db: Database, workspace_id: int, admin_id: int
) -> None:
    office = {
        "tz": "Europe/Paris",
        "weekly": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    }
    policies: dict[str, object] = {
        "policies": {"office": {"name": "office", "calendar": "office"}},
        "default": "office",
    }
    await services.sla_settings(workspace_id, {"office": office}, policies)
    # Monday 13 July 2026, 17:30 in Paris: 30 minutes today, 30 tomorrow, 14 July.
    evening = mention("1", conversation="c1").model_copy(
        update={"created_at": datetime(2026, 7, 13, 15, 30, tzinfo=UTC)}
    )
    await services.ingest(workspace_id, IngestBatch([evening]))

    assert await running_deadline(db, workspace_id) == datetime(2026, 7, 14, 7, 30, tzinfo=UTC)
    calendars = f"{base}/admin/calendars"
    async with session_of(base, ADMIN) as admin:
        status, location, _ = await post(
            admin,
            f"{calendars}/holidays/fill",
            {"calendar": "office", "country": "FR", "subdivision": "", "years": "2026"},
            calendars,
        )
        assert (status, location) == (303, "/admin/calendars?notice=replanned")
        _, html = await page(admin, base + location)
        assert "running SLA clocks were re-planned" in html
        assert "2026-07-14 Fête nationale" in html or "2026-07-14 National Day" in html
        assert "2026-12-25" in html
        unknown = {"calendar": "office", "country": "ZZ", "years": "2026"}
        refused(await post(admin, f"{calendars}/holidays/fill", unknown, calendars), "country")
    # The Fête nationale is off: the second half hour runs on Thursday morning.
    assert await running_deadline(db, workspace_id) == datetime(2026, 7, 15, 7, 30, tzinfo=UTC)
    async with session_of(base, ADMIN) as admin:
        _, html = await page(admin, calendars)
        edited = "\n".join(
            line for line in _textarea(html, "holidays").splitlines() if "2026-07-14" not in line
        )
        status, _, _ = await post(
            admin, f"{calendars}/holidays", {"calendar": "office", "holidays": edited}, calendars
        )
        assert status == 303
    assert await running_deadline(db, workspace_id) == datetime(2026, 7, 14, 7, 30, tzinfo=UTC)


def _textarea(html: str, name: str) -> str:
    found = re.search(rf'<textarea name="{name}"[^>]*>([^<]*)</textarea>', html)
    assert found is not None
    return found.group(1)


async def test_a_bad_routing_document_is_refused_naming_the_rule_and_field(
    base: str, services: Services, workspace_id: int, admin_id: int
) -> None:
    routing = f"{base}/admin/routing"
    document = (
        "rules:\n"
        "  - name: vip first\n"
        "    when: {customer_vip: true}\n"
        "    then: {priority: high}\n"
        "  - name: refunds\n"
        "    when: {text_contains_any: [refund]}\n"
        "    then: {priority: sky-high}\n"
    )
    async with session_of(base, ADMIN) as admin:
        status, _, html = await post(admin, routing, {"document": document}, routing)
        assert status == 400
        assert "rule 2" in html
        assert "refunds" in html
        assert "priority" in html
        assert "sky-high" in _textarea(html, "document")  # the text typed is kept
        fixed = document.replace("sky-high", "urgent")
        status, location, _ = await post(admin, routing, {"document": fixed}, routing)
        assert (status, location) == (303, "/admin/routing?notice=saved")
        _, html = await page(admin, routing)
        assert "<td>refunds</td>" in html
        status, _, html = await post(admin, routing, {"document": "rules: [\n"}, routing)
        assert status == 400
        assert "<strong>line" in html
    assert (await services.routing_settings.current(workspace_id)).version >= 1


async def test_the_routing_page_shows_what_the_complaint_threshold_does(
    base: str, workspace_id: int, admin_id: int
) -> None:
    routing = f"{base}/admin/routing"
    async with session_of(base, ADMIN) as admin:
        _, html = await page(admin, routing)
        assert "the model&#39;s own" in html or "the model's own" in html
        assert html.count("(in effect)") == 1
        document = "settings: {complaint_threshold: 0.6}\n"
        status, _, _ = await post(admin, routing, {"document": document}, routing)
        assert status == 303
        _, html = await page(admin, routing)
        assert "<strong>0.60</strong>" in html
        assert "set by this workspace" in html
        assert "<strong>0.60 (in effect)</strong>" in html


async def test_credentials_and_webhook_secrets_never_appear_in_any_admin_page(
    base: str, db: Database, workspace_id: int, admin_id: int
) -> None:
    secret = "s3cr3t-bearer-token-that-must-stay-hidden"
    accounts = f"{base}/admin/accounts"
    async with session_of(base, ADMIN) as admin:
        status, _, _ = await post(
            admin,
            accounts,
            {"network": "x", "external_id": "12345", "handle": "@acme_care",
             "secret_bearer_token": secret},
            accounts,
        )  # fmt: skip
        assert status == 303
        _, html = await page(admin, accounts)
        assert "@acme_care" in html
        assert "Bearer token (reads): set" in html
        assert "API key (posting): not set" in html
        account_id = re.search(r"/admin/accounts/(\d+)/credentials", html)
        assert account_id is not None
        status, _, refused = await post(
            admin,
            accounts,
            {"network": "x", "external_id": "not-a-number", "handle": "acme",
             "secret_consumer_key": secret},
            accounts,
        )  # fmt: skip
        assert status == 400
        assert secret not in refused
        status, _, _ = await post(
            admin,
            f"{accounts}/{account_id.group(1)}/credentials",
            {"network": "x", "secret_consumer_key": secret + "-key"},
            accounts,
        )
        assert status == 303
        status, _, _ = await post(admin, f"{accounts}/{account_id.group(1)}/disable", {}, accounts)
        assert status == 303
        webhooks = f"{base}/admin/webhooks"
        status, _, shown = await post(
            admin, webhooks, {"url": "https://hooks.example.com/in?token=abc"}, webhooks
        )
        assert status == 200
        found = re.search(r'<code class="secret">([^<]+)</code>', shown)
        assert found is not None
        hook_secret = found.group(1)
        for method, path, _ in ROUTES:
            if method == "GET":
                _, html = await page(admin, base + _concrete(path, {"agent_id": admin_id}))
                assert secret not in html, path
                assert hook_secret not in html, path
                assert "token=abc" not in html, path
        _, html = await page(admin, accounts)
        assert "disabled" in html
    stored = await _credential_names(db, workspace_id)
    assert stored == ["bearer_token", "consumer_key"]


async def _credential_names(db: Database, workspace_id: int) -> list[str]:
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT name, ciphertext FROM account_credential WHERE workspace_id = $1 ORDER BY name",
            workspace_id,
        )
    assert all(b"s3cr3t" not in bytes(row["ciphertext"]) for row in rows)
    return [row["name"] for row in rows]


async def test_a_team_named_like_a_script_is_escaped_everywhere_it_is_shown(
    base: str, admin_id: int
) -> None:
    teams = f"{base}/admin/teams"
    async with session_of(base, ADMIN) as admin:
        status, _, _ = await post(admin, teams, {"name": XSS, "topics": "billing"}, teams)
        assert status == 303
        for url in (teams, f"{base}/admin/people", f"{base}/admin/people/{admin_id}"):
            _, html = await page(admin, url)
            assert XSS not in html, url
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        html = refused(await post(admin, teams, {"name": XSS.upper()}, teams), "name")
        assert XSS.upper() not in html


async def test_workspaces_and_preferences_are_saved_or_refused_naming_the_field(
    base: str, services: Services, workspace_id: int, admin_id: int
) -> None:
    where = f"{base}/admin/workspaces"
    async with session_of(base, ADMIN) as admin:
        plain_http = {
            "crm_url_template": "http://crm.example.com/{crm_id}",
            "agent_comparisons": "1",
        }
        html = refused(
            await post(admin, f"{where}/preferences", plain_http, where), "crm_url_template"
        )
        assert 'value="http://crm.example.com/{crm_id}"' in html
        template = "https://crm.example.com/c/{crm_id}"
        status, location, _ = await post(
            admin,
            f"{where}/preferences",
            {"crm_url_template": template, "agent_comparisons": "1"},
            where,
        )
        assert (status, location) == (303, "/admin/workspaces?notice=saved")
        status, _, _ = await post(admin, where, {"slug": "globex", "name": "Globex"}, where)
        assert status == 303
        refused(await post(admin, where, {"slug": "globex", "name": "Again"}, where), "slug")
        _, html = await page(admin, where)
        assert "globex" in html
    preferences = await services.workspace_preferences.load(workspace_id)
    assert preferences.crm_url("a b") == "https://crm.example.com/c/a%20b"
    assert preferences.agent_comparisons


def ticked_kinds(html: str) -> list[str]:
    """The evidence kinds the auto-merge form shows ticked."""
    boxes = re.findall(r'<input type="checkbox" name="kinds" value="(\w+)"([^>]*)>', html)
    return sorted(kind for kind, rest in boxes if "checked" in rest)


async def test_an_admin_chooses_the_evidence_that_merges_customers_and_the_choice_is_audited(
    base: str, services: Services, db: Database, workspace_id: int, admin_id: int
) -> None:
    where = f"{base}/admin/workspaces"
    chosen = {"kinds": ["same_email", "same_crm_id"]}
    async with session_of(base, ADMIN) as admin:
        _, html = await page(admin, where)
        assert ticked_kinds(html) == ["same_crm_id"]  # the default
        assert 'value="same_handle"' not in html  # a name is never offered
        status, location, _ = await post(admin, f"{where}/auto-merge", chosen, where)
        assert (status, location) == (303, "/admin/workspaces?notice=saved")
        html = refused(
            await post(admin, f"{where}/auto-merge", {"kinds": ["same_handle"]}, where),
            "auto_merge",
        )
        assert "too weak to merge without a person" in html
        _, html = await page(admin, where)
        assert ticked_kinds(html) == ["same_crm_id", "same_email"]
    await person(services, db, workspace_id, "lea@example.com", Role.LEAD)
    async with session_of(base, "lea@example.com") as lead:
        status, _, _ = await post(lead, f"{where}/auto-merge", {"kinds": []}, f"{base}/inbox")
        assert status == 403

    accepted = await services.customers.auto_merge_kinds(workspace_id)
    assert sorted(accepted) == ["same_crm_id", "same_email"]
    rows = await db.fetch(
        "SELECT actor_id, object_id, summary FROM audit_entry"
        " WHERE workspace_id = $1 AND action = 'auto_merge_changed'",
        workspace_id,
    )
    assert [(r["actor_id"], r["object_id"], json.loads(r["summary"])) for r in rows] == [
        (admin_id, str(workspace_id), {"kinds": ["same_crm_id", "same_email"]})
    ]


async def test_canned_responses_are_added_edited_and_deleted_with_placeholders_checked(
    base: str, services: Services, workspace_id: int, admin_id: int
) -> None:
    canned = f"{base}/admin/canned"
    async with session_of(base, ADMIN) as admin:
        typo = {"name": "sorry", "body": "Sorry {customr}!"}
        assert "customr" in refused(await post(admin, canned, typo, canned), "body")
        status, _, _ = await post(
            admin, canned, {"name": "sorry", "body": "Sorry {customer}!"}, canned
        )
        assert status == 303
        status, _, _ = await post(
            admin,
            f"{canned}/edit",
            {"original": "sorry", "name": "apology", "body": "So sorry {customer}.",
             "language": "en"},
            canned,
        )  # fmt: skip
        assert status == 303
        assert [(r.name, r.language) for r in await services.canned.all(workspace_id)] == [
            ("apology", "en")
        ]
        status, _, _ = await post(admin, f"{canned}/delete", {"original": "apology"}, canned)
        assert status == 303
    assert await services.canned.all(workspace_id) == []


async def test_sla_policies_are_refused_naming_the_field_then_saved(
    base: str, services: Services, workspace_id: int, admin_id: int
) -> None:
    sla = f"{base}/admin/sla"
    bad = (
        '{"policies": {"p": {"name": "p", "calendar": "always",'
        ' "targets": {"first_response": 0}}}, "default": "p"}'
    )
    async with session_of(base, ADMIN) as admin:
        status, _, html = await post(admin, sla, {"document": bad}, sla)
        assert status == 400
        assert "policies.p.targets.first_response" in html
        status, _, html = await post(
            admin, sla, {"document": bad.replace('"always"', '"nowhere"').replace("0}", "30}")}, sla
        )
        assert status == 400
        assert "policies.p.calendar" in html
        status, _, _ = await post(admin, sla, {"document": bad.replace("0}", "30}")}, sla)
        assert status == 303
        _, html = await page(admin, sla)
        assert "<td>30 min</td>" in html
    assert (await services.sla_settings.current(workspace_id)).policies["default"] == "p"


async def test_the_preferences_api_reads_for_leads_and_writes_for_admins(
    client: Client, services: Services, db: Database, workspace_id: int
) -> None:
    session, base = client
    url = f"{base}/api/v1/admin/workspace-preferences"
    await PgPeopleStore(db).save_agent(workspace_id, ADMIN, "Ada", [Role.ADMIN], [])
    token = await services.tokens.issue(workspace_id, "admin", Role.ADMIN, ADMIN)
    headers = {"Authorization": f"Bearer {token}"}
    async with session.get(url, headers=headers) as answer:
        assert await answer.json() == {"crm_url_template": None, "agent_comparisons": False}
    async with session.put(
        url, headers=headers, json={"crm_url_template": "ftp://x/{crm_id}"}
    ) as answer:
        assert answer.status == 400
        assert "crm_url_template" in (await answer.json())["error"]["message"]
    body = {"crm_url_template": "https://crm.example.com/{crm_id}", "agent_comparisons": True}
    async with session.put(url, headers=headers, json=body) as answer:
        assert (answer.status, await answer.json()) == (200, body)


async def test_text_postgres_cannot_store_is_refused_naming_the_field_not_a_server_error(
    base: str, admin_id: int
) -> None:
    nul = "bad\x00name"
    forms: list[tuple[str, dict[str, str | list[str]], str]] = [
        ("/admin/teams", {"name": nul}, "name"),
        ("/admin/canned", {"name": nul, "body": "hello"}, "name"),
        ("/admin/people", {"email": f"{nul}@example.com", "name": "x", "roles": "agent"}, "email"),
        ("/admin/workspaces", {"slug": "ok", "name": nul}, "name"),
        ("/admin/routing", {"document": '{"rules": [{"name": "a\\u0000b"}]}'}, "routing"),
        ("/admin/sla", {"document": '{"policies": {}, "default": "\\u0000"}'}, "policies"),
        ("/admin/webhooks", {"url": f"https://hooks.example.com/{nul}"}, "webhook url"),
    ]
    async with session_of(base, ADMIN) as admin:
        for path, form, field in forms:
            status, _, html = await post(admin, base + path, form, base + path)
            assert status == 400, (path, status)
            assert f"<strong>{field}" in html, path


async def test_mastodon_and_bluesky_accounts_are_connected_by_command_and_rekeyed_here(
    base: str, db: Database, workspace_id: int, admin_id: int
) -> None:
    accounts = f"{base}/admin/accounts"
    await PgWorkspaceStore(db).configure_account(
        workspace_id, Network.MASTODON, "1042", "acme", {"instance": "https://fake.social"}
    )
    async with session_of(base, ADMIN) as admin:
        _, html = await page(admin, accounts)
        assert "inbox connect mastodon --instance URL" in html
        assert "inbox connect bluesky --handle NAME" in html
        assert "Credentials of @acme (mastodon)" in html
        status, _, refused = await post(
            admin,
            accounts,
            {"network": "mastodon", "external_id": "7", "handle": "other"},
            accounts,
        )
        assert status == 400
        assert "inbox connect mastodon" in refused
        account_id = re.search(r"/admin/accounts/(\d+)/credentials", html)
        assert account_id is not None
        status, _, _ = await post(
            admin,
            f"{accounts}/{account_id.group(1)}/credentials",
            {"network": "mastodon", "secret_access_token": "s3cr3t-new-token"},
            accounts,
        )
        assert status == 303
    assert await _credential_names(db, workspace_id) == ["access_token"]


async def test_a_webhook_to_an_internal_address_is_refused_on_the_form_naming_the_field(
    base: str, db: Database, workspace_id: int, admin_id: int
) -> None:
    webhooks = f"{base}/admin/webhooks"
    async with session_of(base, ADMIN) as admin:
        for url, reason in (
            ("http://127.0.0.1:5432/x", "points to a loopback address (127.0.0.1)"),
            ("https://10.0.0.5/hooks", "points to a private address (10.0.0.5)"),
            ("https://[::ffff:169.254.169.254]/", "points to a link-local address"),
        ):
            html = refused(await post(admin, webhooks, {"url": url}, webhooks), "webhook url")
            assert reason in html, url
            assert f'value="{url}"' in html  # what was typed stays in the form
    assert await db.fetchval("SELECT count(*) FROM webhook") == 0
