"""JSON request bodies over real HTTP: every route that reads one answers 400 naming the
problem for nesting too deep and for numbers that are not finite, never 500."""

from __future__ import annotations

import re

import aiohttp
import pytest

from inbox.domain.people import Role
from inbox.store.people import PgPeopleStore
from tests.e2e.site import Site
from web.openapi import PATHS

pytestmark = pytest.mark.integration

DEEP = "[" * 3000 + "]" * 3000
Client = tuple[aiohttp.ClientSession, str]

BAD_BODIES = {
    "NaN": ('{"count": NaN, "weight": NaN}', "NaN is not a number JSON allows"),
    "Infinity": ('{"count": Infinity}', "Infinity is not a number JSON allows"),
    "1e400": ('{"count": 1e400}', "inf is not a finite number"),
    "3,000 deep": ('{"count": ' + DEEP + "}", "nested more than 32 levels deep"),
}


@pytest.mark.parametrize(("body", "said"), BAD_BODIES.values(), ids=BAD_BODIES)
async def test_every_json_route_answers_400_naming_the_problem(
    site: Site, body: str, said: str
) -> None:
    session, base = site.session, site.base
    tokens = {}
    for role in (Role.ADMIN, Role.COMMUNITY):
        email = f"{role.value}@example.com"
        await PgPeopleStore(site.db).save_agent(site.workspace_id, email, role.value, [role], [])
        tokens[role.value] = await site.services.tokens.issue(
            site.workspace_id, role.value, role, email
        )
    checked = []
    for path, operations in PATHS.items():
        url = base + re.sub(r"\{[a-z_]+\}", "1", path)
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            role = "admin" if "admin" in operation["x-roles"] else operation["x-roles"][0]
            headers = {
                "Authorization": f"Bearer {tokens[role]}",
                "Content-Type": "application/json",
            }
            async with session.request(method, url, data=body, headers=headers) as answer:
                assert answer.status == 400, (method, path, answer.status)
                message = (await answer.json())["error"]["message"]
                assert said in message, (method, path, message)
            checked.append(path)
    assert {"/api/v1/routing", "/api/v1/queue/claim"} <= set(checked)
    assert len(checked) == 16
