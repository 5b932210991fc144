"""Every API endpoint against every role: those the OpenAPI document allows get past the role
check (their answer may still be 400 or 404), all others get 403."""

from __future__ import annotations

import re

import aiohttp
import pytest
from pydantic import SecretStr

from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.people import PgPeopleStore
from inbox.usecases.admin_access import SECTION_ROLES
from inbox.usecases.services import Services
from web.openapi import PATHS

pytestmark = pytest.mark.integration


async def test_each_endpoint_lets_in_exactly_its_roles(
    client: tuple[aiohttp.ClientSession, str], services: Services, db: Database, workspace_id: int
) -> None:
    session, base = client
    tokens = {}
    for role in Role:
        email = f"{role.value}@example.com"
        await PgPeopleStore(db).save_agent(workspace_id, email, role.value, [role], [])
        tokens[role.value] = await services.tokens.issue(workspace_id, role.value, role, email)
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


async def test_each_admin_page_lets_in_exactly_its_roles(
    client: tuple[aiohttp.ClientSession, str], services: Services, db: Database, workspace_id: int
) -> None:
    """The admin pages by session: admins everywhere, leads where they run the team, nobody
    else anywhere (the JSON endpoints above are held to x-roles the same way)."""
    _, base = client
    for role in Role:
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
            for section, allowed in SECTION_ROLES.items():
                url = f"{base}/admin/{section.value}"
                async with browser.get(url, allow_redirects=False) as answer:
                    assert (answer.status == 200) is (role in allowed), (section, role)
                    assert (answer.status == 403) is (role not in allowed), (section, role)
