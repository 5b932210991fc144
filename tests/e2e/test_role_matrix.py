"""Every API endpoint against every role: those the OpenAPI document allows get past the role
check (their answer may still be 400 or 404), all others get 403."""

from __future__ import annotations

import re

import aiohttp
import pytest
from pydantic import SecretStr

from inbox.domain.people import Role
from inbox.store.people import PgPeopleStore
from inbox.usecases.admin_access import SECTION_ROLES
from tests.e2e.browsing import PASSWORD
from tests.e2e.site import Site, csrf_of, page_text, session_of, signed_in
from tests.factories import mention
from web.openapi import PATHS

pytestmark = pytest.mark.integration


async def _alone_in_role(site: Site, role: Role) -> str:
    """Someone with this role alone and no team, who may log in with PASSWORD: their e-mail."""
    email = f"{role.value}@example.com"
    await PgPeopleStore(site.db).save_agent(site.workspace_id, email, role.value, [role], [])
    await site.services.web_logins.set_password(site.workspace_id, email, SecretStr(PASSWORD))
    return email


async def test_each_endpoint_lets_in_exactly_its_roles(site: Site) -> None:
    session, base = site.session, site.base
    tokens = {}
    for role in Role:
        email = await _alone_in_role(site, role)
        tokens[role.value] = await site.services.tokens.issue(
            site.workspace_id, role.value, role, email
        )
    checked = 0
    for path, operations in PATHS.items():
        url = base + re.sub(r"\{[a-z_]+\}", "999999", path)
        for method, operation in operations.items():
            allowed = set(operation["x-roles"])
            for name, token in tokens.items():
                async with session.request(
                    method.upper(), url, json={}, headers={"Authorization": f"Bearer {token}"}
                ) as answer:
                    denied = answer.status == 403
                assert denied is (name not in allowed), (method, path, name, answer.status)
                checked += 1
    assert checked == len(Role) * sum(len(ops) for ops in PATHS.values())


async def test_each_admin_page_lets_in_exactly_its_roles(site: Site) -> None:
    """The admin pages by session: admins everywhere, leads where they run the team, nobody
    else anywhere (the JSON endpoints above are held to x-roles the same way)."""
    base = site.base
    for role in Role:
        async with session_of(base, await _alone_in_role(site, role)) as browser:
            for section, allowed in SECTION_ROLES.items():
                url = f"{base}/admin/{section.value}"
                async with browser.get(url, allow_redirects=False) as answer:
                    assert (answer.status == 200) is (role in allowed), (section, role)
                    assert (answer.status == 403) is (role not in allowed), (section, role)


# Who may post each action of a thread's page (docs/admin.md, "Who may do what"): the desk's
# actions change a thread's state and are for agents, leads and admins; notes are for every
# staff member (ops write what they know of an outage). Community members answer through
# their own flow, and get none of these.
DESK = {Role.AGENT, Role.LEAD, Role.ADMIN}
STAFF = DESK | {Role.OPS}
THREAD_ACTIONS = {
    "take": DESK,
    "snooze": DESK,
    "assign": DESK,
    "reply": DESK,
    "replying": DESK,
    "close": DESK,
    "resolve": DESK,
    "classification": DESK,
    "notes": STAFF,
    "customer-notes": STAFF,
}


async def _browser_of(site: Site, role: Role) -> tuple[aiohttp.ClientSession, str]:
    """A browser logged in with this role alone, and its session's CSRF token."""
    browser = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    await signed_in(browser, site.base, await _alone_in_role(site, role))
    return browser, csrf_of(await page_text(browser, f"{site.base}/me"))


async def test_each_thread_action_lets_in_exactly_its_roles(site: Site) -> None:
    base = site.base
    await site.ingest(mention("1", conversation="c1"))
    url = f"{base}/threads/{{thread_id}}/{{action}}"
    thread_id = (await site.services.list_threads(site.workspace_id, statuses=[], limit=1))[0].id
    for role in Role:
        browser, csrf = await _browser_of(site, role)
        async with browser:
            for action, allowed in THREAD_ACTIONS.items():
                form = {"csrf": csrf, "for": "1h", "body": "a note", "to": "team:1"}
                async with browser.post(
                    url.format(thread_id=thread_id, action=action), data=form,
                    allow_redirects=False,
                ) as answer:  # fmt: skip
                    denied = answer.status == 403
                assert denied is (role not in allowed), (action, role, answer.status)


async def test_ops_may_neither_take_nor_snooze_a_thread(site: Site) -> None:
    base = site.base
    await site.ingest(mention("1", conversation="c1"))
    (thread,) = await site.services.list_threads(site.workspace_id, statuses=[], limit=1)
    browser, csrf = await _browser_of(site, Role.OPS)
    async with browser:
        for action in ("take", "snooze"):
            async with browser.post(
                f"{base}/threads/{thread.id}/{action}",
                data={"csrf": csrf, "for": "1d"},
                allow_redirects=False,
            ) as answer:
                assert answer.status == 403
                assert "agents, leads and admins" in await answer.text()
    async with site.db.connection() as conn:
        held = await conn.fetchrow(
            "SELECT assignee_id, snoozed_until, updated_at FROM thread WHERE id = $1", thread.id
        )
    assert tuple(held) == (None, None, thread.updated_at)
