"""Two workspaces on one web server, over HTTP: a person or an API token of one reaches nothing
of the other, by id (404), by search (no hit) or by list (nothing); a person of both sees each
only in its own session, chosen after sign-in and changed by the switcher."""

from __future__ import annotations

import re
from dataclasses import dataclass

import aiohttp
import pytest
from pydantic import SecretStr
from yarl import URL

from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.store.canned import PgCannedStore
from inbox.store.database import Database
from inbox.store.secret_box import SecretBox
from inbox.store.webhooks import PgWebhookStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.services import Services
from tests.e2e.browsing import PASSWORD
from tests.e2e.browsing import person as agent
from tests.e2e.site import csrf_of
from tests.e2e.test_two_factor import _code as totp_code
from tests.e2e.test_two_factor import _code_step as code_step
from tests.e2e.test_two_factor import _password as password_step
from tests.e2e.test_two_factor import _turn_on as two_factor_turned_on
from tests.factories import mention

pytestmark = pytest.mark.integration

Client = tuple[aiohttp.ClientSession, str]


@dataclass(frozen=True)
class Seeded:
    """One workspace's data, each piece carrying the workspace's own word."""

    workspace_id: int
    word: str
    admin_email: str
    admin_id: int
    thread_id: int
    customer_id: int
    incident_id: int
    webhook_id: int
    canned_name: str
    token: str


def _browser() -> aiohttp.ClientSession:
    # unsafe: keep cookies of an IP-address host (the loopback server), as a browser does.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _signed_in(base: str, email: str) -> tuple[aiohttp.ClientSession, str]:
    """A browser signed in (landing wherever the sign-in sends it), and where it landed."""
    browser = _browser()
    async with browser.post(
        f"{base}/login", data={"email": email, "password": PASSWORD}, allow_redirects=False
    ) as answer:
        assert answer.status == 303, await answer.text()
        return browser, answer.headers["Location"]


async def _text(browser: aiohttp.ClientSession, url: str) -> str:
    async with browser.get(url) as answer:
        assert answer.status == 200, (url, answer.status)
        return await answer.text()


async def _csrf(browser: aiohttp.ClientSession, base: str) -> str:
    return csrf_of(await _text(browser, f"{base}/me"))


async def _posted(browser: aiohttp.ClientSession, url: str, data: dict[str, str]) -> int:
    async with browser.post(url, data=data, allow_redirects=False) as answer:
        return answer.status


async def _seed(
    services: Services, db: Database, base: str, workspace_id: int, word: str
) -> Seeded:
    """An admin, a thread with its customer, a note on each, an incident, an outbound webhook,
    a canned response and an API token, all in this workspace and all saying `word`."""
    admin_email = f"admin@{word}.example"
    await agent(services, db, workspace_id, admin_email, Role.ADMIN)
    admin_id = int(
        await db.fetchval(
            "SELECT id FROM agent WHERE workspace_id = $1 AND email = $2", workspace_id, admin_email
        )
    )
    await services.ingest(
        workspace_id,
        IngestBatch([mention(f"{word}-1", author=word, conversation=word, text=f"{word} is down")]),
    )
    row = await db.fetchrow(
        "SELECT id, customer_id FROM thread WHERE workspace_id = $1", workspace_id
    )
    assert row is not None
    thread_id, customer_id = int(row["id"]), int(row["customer_id"])
    box = SecretBox(SecretStr(SecretBox.new_key()))
    webhook = await PgWebhookStore(db, box).add(
        workspace_id, f"https://{word}.example/hook", ("*",), SecretStr("s")
    )
    canned_name = f"{word} refund"
    await PgCannedStore(db).replace(workspace_id, [(canned_name, f"{word} body", None)])
    token = await services.tokens.issue(workspace_id, word, Role.ADMIN, admin_email)

    browser, _ = await _signed_in(base, admin_email)
    async with browser:
        csrf = await _csrf(browser, base)
        for action in ("notes", "customer-notes"):
            url = f"{base}/threads/{thread_id}/{action}"
            assert await _posted(browser, url, {"csrf": csrf, "body": f"{word} note"}) == 303
        async with browser.post(
            f"{base}/incidents",
            data={"csrf": csrf, "title": f"{word} outage", "keywords": word},
            allow_redirects=False,
        ) as answer:
            assert answer.status == 303, await answer.text()
            found = re.match(r"^/incidents/(\d+)", answer.headers["Location"])
    assert found is not None
    return Seeded(
        workspace_id,
        word,
        admin_email,
        admin_id,
        thread_id,
        customer_id,
        int(found.group(1)),
        webhook.id,
        canned_name,
        token,
    )


@pytest.fixture
async def two(
    client: Client, services: Services, db: Database, workspace_id: int
) -> tuple[Seeded, Seeded]:
    _, base = client
    other = await PgWorkspaceStore(db).ensure_workspace("globex", "Globex")
    return (
        await _seed(services, db, base, workspace_id, "acmeword"),
        await _seed(services, db, base, other, "globexword"),
    )


def _pages_by_id(them: Seeded) -> list[str]:
    return [
        f"/threads/{them.thread_id}",
        f"/incidents/{them.incident_id}",
        f"/admin/people/{them.admin_id}",
        # No customer page exists here yet; any that comes must answer the same.
        f"/customers/{them.customer_id}",
    ]


def _posts_by_id(them: Seeded) -> list[str]:
    return [
        f"/threads/{them.thread_id}/notes",
        f"/threads/{them.thread_id}/customer-notes",
        f"/threads/{them.thread_id}/take",
        f"/threads/{them.thread_id}/close",
        f"/incidents/{them.incident_id}/acknowledge",
        f"/incidents/{them.incident_id}/close",
        f"/admin/people/{them.admin_id}/deactivate",
        f"/admin/people/{them.admin_id}/password",
        f"/admin/people/{them.admin_id}/roles",
        f"/admin/webhooks/{them.webhook_id}/remove",
    ]


def _lists() -> list[str]:
    return ["/inbox?view=all", "/incidents", "/admin/people", "/admin/webhooks", "/admin/canned"]


@pytest.mark.parametrize("direction", ["acme reaches into globex", "globex reaches into acme"])
async def test_a_person_of_one_workspace_reaches_nothing_of_the_other(
    client: Client, db: Database, two: tuple[Seeded, Seeded], direction: str
) -> None:
    _, base = client
    us, them = two if direction.startswith("acme") else (two[1], two[0])
    browser, landed = await _signed_in(base, us.admin_email)
    async with browser:
        assert landed == "/admin"
        csrf = await _csrf(browser, base)
        for path in _pages_by_id(them):
            async with browser.get(base + path, allow_redirects=False) as answer:
                assert answer.status == 404, path
        for path in _posts_by_id(them):
            data = {"csrf": csrf, "body": "x", "roles": "agent", "reason": "x"}
            assert await _posted(browser, base + path, data) == 404, path
        # Canned responses are named, not numbered: deleting theirs by name deletes nothing.
        await _posted(
            browser, f"{base}/admin/canned/delete", {"csrf": csrf, "original": them.canned_name}
        )
        # Their own word finds nothing; a word of both finds ours alone.
        searched = await _text(browser, f"{base}/search?q={them.word}")
        assert f"/threads/{them.thread_id}" not in searched
        assert "is down" not in searched
        assert them.word.upper() not in searched
        searched = await _text(browser, f"{base}/search?q=down")
        assert f"/threads/{us.thread_id}" in searched
        assert f"/threads/{them.thread_id}" not in searched
        assert them.word not in searched
        for path in _lists():
            html = await _text(browser, base + path)
            assert them.word not in html, path
            assert us.word in html, path  # the list does show its own workspace
    # Nothing of theirs changed.
    notes = await db.fetchval(
        "SELECT count(*) FROM note WHERE workspace_id = $1", them.workspace_id
    )
    assert notes == 1
    assert await db.fetchval(
        "SELECT count(*) FROM canned_response WHERE workspace_id = $1", them.workspace_id
    )
    assert await db.fetchval(
        "SELECT active FROM agent WHERE workspace_id = $1 AND id = $2",
        them.workspace_id,
        them.admin_id,
    )


@pytest.mark.parametrize("direction", ["acme reaches into globex", "globex reaches into acme"])
async def test_a_token_of_one_workspace_reaches_nothing_of_the_other(
    client: Client, two: tuple[Seeded, Seeded], direction: str
) -> None:
    session, base = client
    us, them = two if direction.startswith("acme") else (two[1], two[0])
    api = f"{base}/api/v1"
    auth = {"Authorization": f"Bearer {us.token}"}
    by_id = [
        ("GET", f"/threads/{them.thread_id}/sla", None),
        ("POST", f"/threads/{them.thread_id}/close", {"reason": "resolved"}),
        ("POST", f"/threads/{them.thread_id}/classification", {"field": "language", "value": "fr"}),
        ("POST", f"/threads/{them.thread_id}/replying", {}),
        ("POST", f"/threads/{them.thread_id}/replies", {"body": "x", "key": "k1"}),
    ]
    for method, path, body in by_id:
        async with session.request(method, api + path, json=body, headers=auth) as answer:
            assert answer.status == 404, (path, answer.status, await answer.text())
    for path in ("/threads", "/canned-responses", "/audit", "/channels"):
        async with session.get(api + path, headers=auth) as answer:
            assert answer.status == 200, path
            text = await answer.text()
        assert them.word not in text, path
    async with session.get(f"{api}/threads", headers=auth) as answer:
        listed = await answer.json()
    assert them.word not in str(listed)
    assert us.word in str(listed)


async def _add_existing(base: str, admin_email: str, email: str) -> int:
    """The admin adds, by e-mail, someone who signs in to another workspace."""
    browser, _ = await _signed_in(base, admin_email)
    async with browser:
        csrf = await _csrf(browser, base)
        data = {
            "csrf": csrf,
            "email": email,
            "name": "Carol",
            "roles": "agent",
            "capacity": "8",
            "existing": "1",
        }
        return await _posted(browser, f"{base}/admin/people", data)


@pytest.fixture
async def carol_in_both(
    client: Client, services: Services, db: Database, two: tuple[Seeded, Seeded]
) -> tuple[Seeded, Seeded]:
    """Carol, an agent of Acme, whom Globex's admin then adds by her e-mail."""
    _, base = client
    acme, globex = two
    await agent(services, db, acme.workspace_id, "carol@example.com", Role.AGENT)
    assert await _add_existing(base, globex.admin_email, "carol@example.com") == 303
    return two


async def _switch(browser: aiohttp.ClientSession, base: str, workspace_id: int) -> str:
    csrf = await _csrf(browser, base)
    async with browser.post(
        f"{base}/workspace",
        data={"csrf": csrf, "workspace": str(workspace_id)},
        allow_redirects=False,
    ) as answer:
        assert answer.status == 303, await answer.text()
        return answer.headers["Location"]


async def test_a_person_of_both_chooses_after_sign_in_and_the_switcher_changes_what_is_shown(
    client: Client, db: Database, carol_in_both: tuple[Seeded, Seeded]
) -> None:
    _, base = client
    acme, globex = carol_in_both

    browser, landed = await _signed_in(base, "carol@example.com")
    async with browser:
        assert landed == "/login/workspace"
        chooser = await _text(browser, base + landed)
        assert "Acme" in chooser
        assert "Globex" in chooser
        # Where the sign-in's own workspace is, until she chooses.
        assert "acmeword" in await _text(browser, f"{base}/inbox?view=all")

        assert await _switch(browser, base, globex.workspace_id) == "/inbox"
        shown = await _text(browser, f"{base}/inbox?view=all")
        assert "globexword" in shown
        assert "acmeword" not in shown
        assert 'id="workspace-switch"' in shown
        async with browser.get(f"{base}/threads/{acme.thread_id}") as answer:
            assert answer.status == 404
        found = await _text(browser, f"{base}/search?q=acmeword")
        assert f"/threads/{acme.thread_id}" not in found

        await _switch(browser, base, acme.workspace_id)
        shown = await _text(browser, f"{base}/inbox?view=all")
        assert "acmeword" in shown
        assert "globexword" not in shown
        async with browser.get(f"{base}/threads/{globex.thread_id}") as answer:
            assert answer.status == 404


async def test_switching_asks_the_session_token_and_a_workspace_of_the_person(
    client: Client, services: Services, db: Database, two: tuple[Seeded, Seeded]
) -> None:
    _, base = client
    acme, globex = two
    browser, _ = await _signed_in(base, acme.admin_email)
    async with browser:
        csrf = await _csrf(browser, base)
        no_csrf = {"workspace": str(globex.workspace_id)}
        assert await _posted(browser, f"{base}/workspace", no_csrf) == 403
        not_theirs = {"csrf": csrf, "workspace": str(globex.workspace_id)}
        assert await _posted(browser, f"{base}/workspace", not_theirs) == 404
        # Still in their own workspace, and nowhere else.
        assert "acmeword" in await _text(browser, f"{base}/inbox?view=all")


async def test_a_switch_ends_the_old_session(
    client: Client, db: Database, carol_in_both: tuple[Seeded, Seeded]
) -> None:
    _, base = client
    _, globex = carol_in_both
    browser, _ = await _signed_in(base, "carol@example.com")
    async with browser:
        before = browser.cookie_jar.filter_cookies(URL(base))["inbox_session"].value
        await _switch(browser, base, globex.workspace_id)
    async with _browser() as stale:
        stale.cookie_jar.update_cookies({"inbox_session": before})
        async with stale.get(f"{base}/inbox", allow_redirects=False) as answer:
            assert answer.status == 303
            assert answer.headers["Location"] == "/login"


async def test_the_password_of_a_person_added_from_another_workspace_stays_theirs(
    client: Client, db: Database, carol_in_both: tuple[Seeded, Seeded]
) -> None:
    _, base = client
    acme, globex = carol_in_both
    # Neither the admin of the workspace she joined nor that of her own sets it: either would
    # reach into the other's workspace.
    for them in (globex, acme):
        carol = await _carol_in(db, them.workspace_id)
        browser, _ = await _signed_in(base, them.admin_email)
        async with browser:
            csrf = await _csrf(browser, base)
            reset = {"csrf": csrf, "password": "the admin's choice of password"}
            url = f"{base}/admin/people/{carol}/password"
            async with browser.post(url, data=reset, allow_redirects=False) as answer:
                assert answer.status == 400
                assert "signs in to other workspaces too" in await answer.text()
    refused = {"email": "carol@example.com", "password": "the admin's choice of password"}
    async with _browser() as stranger:
        assert await _posted(stranger, f"{base}/login", refused) == 401
    browser, landed = await _signed_in(base, "carol@example.com")
    await browser.close()
    assert landed == "/login/workspace"


async def _carol_in(db: Database, workspace_id: int) -> int:
    return int(
        await db.fetchval(
            "SELECT id FROM agent WHERE workspace_id = $1 AND email = 'carol@example.com'",
            workspace_id,
        )
    )


async def test_deactivated_in_her_own_workspace_she_still_signs_in_to_the_other(
    client: Client, db: Database, carol_in_both: tuple[Seeded, Seeded]
) -> None:
    _, base = client
    acme, _ = carol_in_both
    browser, _ = await _signed_in(base, acme.admin_email)
    async with browser:
        csrf = await _csrf(browser, base)
        url = f"{base}/admin/people/{await _carol_in(db, acme.workspace_id)}/deactivate"
        assert await _posted(browser, url, {"csrf": csrf}) == 303
    browser, landed = await _signed_in(base, "carol@example.com")
    async with browser:
        assert landed == "/inbox"
        shown = await _text(browser, f"{base}/inbox?view=all")
        assert "globexword" in shown
        assert "acmeword" not in shown
        assert 'id="workspace-switch"' not in shown


async def test_adding_by_e_mail_someone_who_signs_in_nowhere_else_is_refused(
    client: Client, two: tuple[Seeded, Seeded]
) -> None:
    _, base = client
    _, globex = two
    browser, _ = await _signed_in(base, globex.admin_email)
    async with browser:
        csrf = await _csrf(browser, base)
        data = {
            "csrf": csrf,
            "email": "nobody@example.com",
            "name": "Nobody",
            "roles": "agent",
            "capacity": "8",
            "existing": "1",
        }
        async with browser.post(f"{base}/admin/people", data=data) as answer:
            html = await answer.text()
    assert "signs in to no other workspace" in html


async def test_with_a_second_factor_the_workspace_is_asked_after_the_code(
    client: Client, db: Database, carol_in_both: tuple[Seeded, Seeded]
) -> None:
    _, base = client
    _, globex = carol_in_both
    secret, _ = await two_factor_turned_on(base, "carol@example.com")
    async with _browser() as browser:
        assert await password_step(browser, base, "carol@example.com") == (303, "/login/code")
        status, where, _ = await code_step(browser, base, totp_code(secret, ahead=1))
        assert (status, where) == (303, "/login/workspace")
        assert await _switch(browser, base, globex.workspace_id) == "/inbox"
        assert "globexword" in await _text(browser, f"{base}/inbox?view=all")


async def test_a_workspace_that_requires_a_second_factor_lets_in_no_member_from_elsewhere_without(
    client: Client, db: Database, carol_in_both: tuple[Seeded, Seeded]
) -> None:
    _, base = client
    _, globex = carol_in_both
    await db.execute(
        "INSERT INTO workspace_two_factor (workspace_id, required, updated_at) "
        "VALUES ($1, true, now())",
        globex.workspace_id,
    )
    browser, _ = await _signed_in(base, "carol@example.com")
    async with browser:
        csrf = await _csrf(browser, base)
        chosen = {"csrf": csrf, "workspace": str(globex.workspace_id)}
        async with browser.post(f"{base}/workspace", data=chosen) as answer:
            assert answer.status == 400
            assert "requires two-factor sign-in" in await answer.text()
    secret, _ = await two_factor_turned_on(base, "carol@example.com")
    async with _browser() as browser:
        assert await password_step(browser, base, "carol@example.com") == (303, "/login/code")
        status, where, _ = await code_step(browser, base, totp_code(secret, ahead=1))
        assert (status, where) == (303, "/login/workspace")
        assert await _switch(browser, base, globex.workspace_id) == "/inbox"
        # Her second factor, seen from there, is the one she signs in with.
        assert "<strong>On.</strong>" in await _text(browser, f"{base}/me")
