"""A burst of logins over real HTTP, with real argon2: the throttle answers 429 with a
Retry-After, and the server keeps answering meanwhile."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from pydantic import SecretStr

from inbox.domain.people import Role
from inbox.store.people import PgPeopleStore
from inbox.usecases.web_auth import THROTTLE
from tests.e2e.browsing import PASSWORD
from tests.e2e.site import Site

pytestmark = pytest.mark.integration


async def post_login(
    session: aiohttp.ClientSession, base: str, password: str
) -> tuple[int, str | None, str]:
    async with session.post(
        f"{base}/login",
        data={"email": "ana@example.com", "password": password},
        allow_redirects=False,
    ) as answer:
        return answer.status, answer.headers.get("Retry-After"), await answer.text()


async def test_a_burst_of_wrong_passwords_is_checked_five_times_then_answered_429(
    site: Site,
) -> None:
    session, base = site.session, site.base
    await PgPeopleStore(site.db).save_agent(
        site.workspace_id, "ana@example.com", "Ana", [Role.AGENT], []
    )
    await site.services.web_logins.set_password(
        site.workspace_id, "ana@example.com", SecretStr(PASSWORD)
    )
    burst = await asyncio.gather(*(post_login(session, base, "a wrong guess!") for _ in range(40)))
    statuses = [status for status, _, _ in burst]
    assert statuses.count(401) == THROTTLE.per_address
    assert statuses.count(429) == 40 - THROTTLE.per_address
    async with session.get(f"{base}/healthz") as health:
        assert health.status == 200
    status, retry_after, page = await post_login(session, base, PASSWORD)
    assert status == 429  # the right password too: this address waits for its window
    assert retry_after is not None
    assert 0 < int(retry_after) <= THROTTLE.window.total_seconds()
    assert "too many failed logins: try again in" in page
