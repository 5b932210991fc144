"""How errors are answered over real HTTP: the JSON API always in JSON, the pages with an
HTML page that says why and offers a way out, /metrics like the API it shares tokens with."""

from __future__ import annotations

import aiohttp
import pytest

from inbox.domain.people import Role
from tests.e2e.browsing import person
from tests.e2e.site import Site, csrf_of

pytestmark = pytest.mark.integration

Client = tuple[aiohttp.ClientSession, str]


async def test_the_api_answers_an_unknown_route_and_a_wrong_method_in_json(
    client: Client,
) -> None:
    session, base = client
    async with session.get(f"{base}/api/v1/no-such-thing") as answer:
        assert answer.status == 404
        assert (await answer.json())["error"]["code"] == "not_found"
    async with session.delete(f"{base}/api/v1/threads") as answer:
        assert answer.status == 405
        assert "GET" in answer.headers["Allow"]
        assert (await answer.json())["error"]["code"] == "method_not_allowed"


async def test_a_malformed_api_parameter_is_named_in_json(site: Site) -> None:
    session, base = site.session, site.base
    token = await site.services.tokens.issue(site.workspace_id, "lead", Role.LEAD)
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/html"}
    async with session.get(f"{base}/api/v1/reports/sla?tz=Mars/Olympus", headers=headers) as r:
        assert r.status == 400
        error = (await r.json())["error"]
    assert error["code"] == "bad_request"
    assert error["message"].startswith("tz: ")


async def test_metrics_without_a_token_answer_401_in_json_with_the_bearer_challenge(
    client: Client,
) -> None:
    session, base = client
    async with session.get(f"{base}/metrics", headers={"Accept": "text/html"}) as answer:
        assert answer.status == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await answer.json())["error"]["code"] == "unauthenticated"


async def test_a_page_refused_to_a_role_says_why_and_offers_a_way_out(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ana@example.com")
    await site.sign_in("ana@example.com")
    async with session.get(f"{base}/dashboard") as answer:
        assert answer.status == 403
        assert answer.content_type == "text/html"
        page = await answer.text()
    assert "the SLA dashboard is for leads, ops and admins" in page
    assert 'href="/inbox"' in page
    assert 'href="/login"' in page
    assert csrf_of(page)  # the log-out form: a way out as someone else


async def test_a_community_member_refused_the_inbox_is_pointed_to_their_own_page(
    site: Site,
) -> None:
    session, base = site.session, site.base
    await site.hire("cleo@example.com", Role.COMMUNITY)
    await site.sign_in("cleo@example.com")
    async with session.get(f"{base}/inbox") as answer:
        assert answer.status == 403
        page = await answer.text()
    assert 'href="/community"' in page
    assert 'href="/inbox"' not in page  # neither the way out nor the rail offer the desk


async def test_an_unknown_page_and_an_unknown_thread_are_404_pages(site: Site) -> None:
    session, base = site.session, site.base
    async with session.get(f"{base}/no-such-page") as answer:
        assert answer.status == 404
        assert answer.content_type == "text/html"
        assert 'href="/login"' in await answer.text()
    await site.hire("ana@example.com")
    await site.sign_in("ana@example.com")
    for address in ("/threads/999999", "/threads/not-a-number", f"/threads/{2**64}"):
        async with session.get(f"{base}{address}") as answer:
            assert answer.status == 404, address
            page = await answer.text()
        assert "not found" in page
        assert 'href="/inbox"' in page


async def test_a_malformed_form_is_a_400_page_naming_the_field(site: Site) -> None:
    session, base = site.session, site.base
    await site.hire("ops@example.com", Role.OPS)
    await site.sign_in("ops@example.com")
    async with session.get(f"{base}/incidents") as answer:
        csrf = csrf_of(await answer.text())
    async with session.post(
        f"{base}/incidents/1/merge", data={"csrf": csrf, "into": "two"}, allow_redirects=False
    ) as answer:
        assert answer.status == 400
        assert answer.content_type == "text/html"
        assert "into: " in await answer.text()


MALFORMED_BODIES = {
    "close": ("POST", "/threads/1/close", "agent", {"reason": 5}, "reason: "),
    "classification": ("POST", "/threads/1/classification", "agent", {"value": 1}, "field: "),
    "claim": ("POST", "/queue/claim", "agent", {"count": "two"}, "count: "),
    "routing": ("PUT", "/routing", "admin", {"rules": []}, "rules: "),
    "reply": ("POST", "/threads/1/replies", "agent", {"body": "hi"}, "key: "),
    "community answer": ("POST", "/threads/1/community-answers", "community", {}, "body: "),
    "review": ("POST", "/community-answers/1/review", "agent", {"decision": "ok"}, "decision: "),
    "canned": ("PUT", "/canned-responses", "lead", {"items": [{"name": "x"}]}, "items[0].body: "),
    "preferences": (
        "PUT",
        "/admin/workspace-preferences",
        "admin",
        {"agent_comparisons": "yes"},
        "agent_comparisons: ",
    ),
}


@pytest.mark.parametrize(
    ("method", "path", "role", "body", "named"), MALFORMED_BODIES.values(), ids=MALFORMED_BODIES
)
async def test_a_malformed_body_is_refused_naming_its_field(
    site: Site, method: str, path: str, role: str, body: dict[str, object], named: str
) -> None:
    session, base = site.session, site.base
    email = f"{role}@example.com"
    await person(site.services, site.db, site.workspace_id, email, Role(role))
    token = await site.services.tokens.issue(site.workspace_id, role, Role(role), email)
    async with session.request(
        method, f"{base}/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"}
    ) as answer:
        assert answer.status == 400
        error = (await answer.json())["error"]
    assert error["code"] == "bad_request"
    assert error["message"].startswith(named), error["message"]
