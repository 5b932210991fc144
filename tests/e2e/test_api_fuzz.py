"""Schemathesis over the OpenAPI document: requests generated from every operation's schema,
sent over real HTTP to the running app with a token of a role the operation allows, find no
server error. A 4xx is fine (generated input is mostly wrong); a 5xx is a bug."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from inbox.domain.people import Role
from tests.e2e.site import Site
from tests.factories import mention
from web import openapi

pytestmark = pytest.mark.integration

CASES_PER_OPERATION = 30


def _generated_cases(operation: Any) -> list[Any]:
    """Hypothesis draws the cases outside the event loop; they are sent afterwards."""
    cases: list[Any] = []

    @settings(
        max_examples=CASES_PER_OPERATION,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
        deadline=None,
        derandomize=True,
    )
    @given(operation.as_strategy())
    def collect(case: Any) -> None:
        cases.append(case)

    collect()
    return cases


def _operations() -> list[Any]:
    schema = schemathesis.openapi.from_dict(openapi.document())
    results: list[Any] = list(schema.get_all_operations())
    return [result.ok() for result in results]


async def test_generated_requests_never_get_a_server_error(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    await site.ingest(*(mention(str(n), author=f"u{n}", conversation=f"c{n}") for n in range(1, 6)))
    tokens = {
        role.value: await site.services.tokens.issue(
            site.workspace_id, f"fuzz-{role.value}", role, "ana@example.com"
        )
        for role in Role
    }
    operations = await asyncio.to_thread(_operations)
    assert len(operations) >= 20
    failures: list[str] = []
    for operation in operations:
        roles = [r for r in operation.definition.raw.get("x-roles", []) if r in tokens]
        token = tokens[roles[0]] if roles else tokens[Role.ADMIN.value]
        for case in await asyncio.to_thread(_generated_cases, operation):
            status, sent = await _send(session, base, case, token)
            if status >= 500:
                failures.append(f"{case.method} {case.formatted_path} {sent} -> {status}")
    assert failures == [], "\n".join(failures)


async def _send(
    session: aiohttp.ClientSession, base: str, case: Any, token: str
) -> tuple[int, str]:
    headers = {k: str(v) for k, v in (case.headers or {}).items() if isinstance(v, str | int)}
    headers["Authorization"] = f"Bearer {token}"
    body: bytes | None = None
    if not isinstance(case.body, schemathesis.core.NotSet):
        body = json.dumps(case.body).encode()
        headers["Content-Type"] = case.media_type or "application/json"
    query = {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in (case.query or {}).items()}
    async with session.request(
        case.method,
        base.rstrip("/") + case.formatted_path,
        params=query,
        data=body,
        headers=headers,
        allow_redirects=False,
    ) as response:
        await response.read()
        return response.status, (body or b"")[:200].decode(errors="replace")
