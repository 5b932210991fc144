"""The JSON API over real HTTP on loopback, backed by the real database."""

from __future__ import annotations

import aiohttp
import pytest

from inbox.domain.people import Role
from tests.e2e.site import Site
from tests.factories import mention

pytestmark = pytest.mark.integration


async def test_healthz_reports_the_database(
    client: tuple[aiohttp.ClientSession, str],
) -> None:
    session, base = client
    async with session.get(f"{base}/healthz") as response:
        assert response.status == 200
        health = await response.json()
        assert health["status"] == "ok"
        # The live listener joins the parts once it has started: only the database is sure.
        assert health["parts"]["database"] == {"status": "ok", "detail": "ok"}
        assert set(health["parts"]) <= {"database", "listener"}
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_threads_need_a_token(client: tuple[aiohttp.ClientSession, str]) -> None:
    session, base = client
    async with session.get(f"{base}/api/v1/threads") as response:
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "unauthenticated"
    headers = {"Authorization": "Bearer inb_1_" + "x" * 43}
    async with session.get(f"{base}/api/v1/threads", headers=headers) as response:
        assert response.status == 401


async def test_a_community_token_cannot_list_every_thread(site: Site) -> None:
    session, base = site.session, site.base
    headers = await site.bearer("helper", Role.COMMUNITY)
    async with session.get(f"{base}/api/v1/threads", headers=headers) as response:
        assert response.status == 403


async def test_an_agent_lists_the_threads_of_their_workspace_newest_first(site: Site) -> None:
    session, base = site.session, site.base
    await site.ingest(
        mention("1", conversation="1", text="<script>alert(1)</script> my box is down"),
        mention("2", conversation="2", minute=1),
        mention("3", conversation="3", minute=2),
    )
    headers = await site.bearer("agent", Role.AGENT)
    async with session.get(f"{base}/api/v1/threads?limit=2", headers=headers) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        page = await response.json()
    assert [t["thread_key"] for t in page["items"]] == ["3", "2"]
    async with session.get(
        f"{base}/api/v1/threads?limit=2&before={page['next_before']}", headers=headers
    ) as response:
        rest = await response.json()
    assert [t["excerpt"] for t in rest["items"]] == ["<script>alert(1)</script> my box is down"]
    assert rest["next_before"] is None


async def test_a_bad_filter_is_named_in_the_error(site: Site) -> None:
    session, base = site.session, site.base
    headers = await site.bearer("agent", Role.AGENT)
    async with session.get(f"{base}/api/v1/threads?status=closed", headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["error"]["message"].startswith("status:")
    async with session.get(f"{base}/api/v1/threads?limit=ten", headers=headers) as response:
        assert response.status == 400
        assert "limit" in (await response.json())["error"]["message"]


async def test_the_openapi_document_describes_every_api_route(site: Site) -> None:
    from web.app import create_app

    session, base = site.session, site.base
    async with session.get(f"{base}/api/v1/openapi.json") as answer:
        document = await answer.json()
    assert document["openapi"].startswith("3.")
    app = create_app(site.services)
    routes = {
        (route.resource.canonical, route.method.lower())
        for route in app.router.routes()  # the sub-applications' routes too, with their prefix
        if route.resource is not None
        and route.resource.canonical.startswith("/api/v1/")
        and route.method != "HEAD"
    }
    described = {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    assert routes - {("/api/v1/openapi.json", "get")} == described
    for operations in document["paths"].values():
        for operation in operations.values():
            assert operation["description"].startswith("Roles: ")
