"""A customer's access and erasure over HTTP: only an admin of the customer's workspace opens
the page, downloads the zip or erases; the erasure asks for the customer's number first; the
page and the zip escape the customer's hostile name."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.workspaces import PgWorkspaceStore
from tests.e2e.browsing import logged_in, screenshot, serious_violations
from tests.e2e.site import Site, csrf_of, session_of
from tests.factories import T0

pytestmark = pytest.mark.integration

HOSTILE = '<img src=x onerror="alert(1)">Jane'


def _said(external_id: str, author: str, name: str) -> Mention:
    return Mention(
        network=Network.X,
        external_id=external_id,
        author=Author(external_id=author, handle=f"handle{author}", display_name=name),
        text=f"my line is down {external_id}",
        created_at=T0 + timedelta(minutes=int(external_id)),
        conversation_key=f"c-{external_id}",
        raw={"id": external_id},
    )


async def _jane(site: Site) -> int:
    await site.ingest(_said("1", "u1", HOSTILE))
    found: int = await site.db.fetchval(
        "SELECT customer_id FROM identity WHERE workspace_id = $1 AND external_user_id = 'u1'",
        site.workspace_id,
    )
    return found


async def test_only_admins_reach_a_customers_access_and_erasure(site: Site) -> None:
    jane = await _jane(site)
    await site.hire("admin@example.com", Role.ADMIN)
    admin_page = ""
    async with session_of(site.base, "admin@example.com") as admin:
        async with admin.get(f"{site.base}/customers/{jane}") as answer:
            assert f'href="/customers/{jane}/rights"' in await answer.text()
        async with admin.get(f"{site.base}/customers/{jane}/rights") as answer:
            assert answer.status == 200
            admin_page = await answer.text()
    for role in (Role.AGENT, Role.LEAD, Role.OPS, Role.COMMUNITY):
        email = f"{role.value}@example.com"
        await site.hire(email, role)
        async with session_of(site.base, email) as browser:
            async with browser.get(f"{site.base}/customers/{jane}/rights") as answer:
                assert answer.status == 403, role
            if role is Role.AGENT:
                async with browser.get(f"{site.base}/customers/{jane}") as answer:
                    assert "/rights" not in await answer.text()
            # Their own session's token, so that only the role is wrong.
            home = "/community" if role is Role.COMMUNITY else "/me"
            token = csrf_of(await site.text(home, browser))
            for action in ("export", "erase"):
                async with browser.post(
                    f"{site.base}/customers/{jane}/{action}",
                    data={"csrf": token, "reason": "R-1", "confirm": str(jane)},
                    allow_redirects=False,
                ) as answer:
                    assert answer.status == 403, (role, action)
    assert "Erase this customer" in admin_page
    assert (await site.services.customers.show(site.workspace_id, jane)).display_name == HOSTILE


async def test_an_admin_downloads_the_zip_then_erases_after_typing_the_number(
    site: Site,
) -> None:
    jane = await _jane(site)
    await site.hire("admin@example.com", Role.ADMIN)
    async with session_of(site.base, "admin@example.com") as admin:
        async with admin.get(f"{site.base}/customers/{jane}/rights") as answer:
            page = await answer.text()
        assert "&lt;img src=x" in page
        assert "<img src=x" not in page
        async with admin.post(
            f"{site.base}/customers/{jane}/export", data={"csrf": csrf_of(page)}
        ) as answer:
            assert answer.status == 200
            assert answer.headers["Content-Type"] == "application/zip"
            body = await answer.read()
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            document = json.loads(archive.read(f"customer-{jane}.json"))
            readable = archive.read(f"customer-{jane}.html").decode()
        assert document["sections"]["customer"][0]["display_name"] == HOSTILE
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Jane" in readable
        assert "<img src=x" not in readable

        wrong = {"csrf": csrf_of(page), "reason": "request R-7", "confirm": "12345"}
        async with admin.post(
            f"{site.base}/customers/{jane}/erase", data=wrong, allow_redirects=False
        ) as answer:
            assert answer.status == 400
            assert "confirm" in await answer.text()
        assert (await site.services.customers.show(site.workspace_id, jane)).display_name == HOSTILE

        right = {**wrong, "confirm": str(jane)}
        async with admin.post(
            f"{site.base}/customers/{jane}/erase", data=right, allow_redirects=False
        ) as answer:
            assert answer.status == 303
            assert answer.headers["Location"] == f"/customers/{jane}/rights?notice=erased"
        after = await site.text(f"/customers/{jane}/rights", admin)
    record = await site.services.customers.show(site.workspace_id, jane)
    assert record.display_name is not None
    assert record.display_name.startswith("erased-")
    assert record.display_name in after
    assert "Erase this customer" not in after
    actions = await site.db.fetch(
        "SELECT action FROM audit_entry WHERE workspace_id = $1 AND object_id = $2 ORDER BY id",
        site.workspace_id,
        str(jane),
    )
    assert [row["action"] for row in actions] == ["customer.exported", "customer.erased"]


async def test_an_admin_finds_no_customer_of_another_workspace(site: Site) -> None:
    other = await PgWorkspaceStore(site.db).ensure_workspace("other", "Other")
    await site.services.ingest(other, IngestBatch([_said("9", "u9", "Kim")]))
    foreign = await site.db.fetchval("SELECT id FROM customer WHERE workspace_id = $1", other)
    await site.hire("admin@example.com", Role.ADMIN)
    async with session_of(site.base, "admin@example.com") as admin:
        async with admin.get(f"{site.base}/customers/{foreign}/rights") as answer:
            assert answer.status == 404
        page = await site.text("/me", admin)
        for action in ("export", "erase"):
            async with admin.post(
                f"{site.base}/customers/{foreign}/{action}",
                data={"csrf": csrf_of(page), "reason": "R-2", "confirm": str(foreign)},
                allow_redirects=False,
            ) as answer:
                assert answer.status == 404, action
    assert (
        await site.db.fetchval("SELECT display_name FROM customer WHERE workspace_id = $1", other)
        == "Kim"
    )


async def test_in_a_browser_an_admin_goes_from_the_customer_to_the_erasure_and_confirms_it(
    site: Site, browser: Any
) -> None:
    jane = await _jane(site)
    await site.hire("admin@example.com", Role.ADMIN)
    page = await logged_in(browser, site.base, "admin@example.com", "/admin")
    for width in (1440, 390):
        await page.set_viewport_size({"width": width, "height": 900})
        await page.goto(f"{site.base}/customers/{jane}")
        await page.click("text=Access and erasure requests")
        await page.wait_for_url(f"{site.base}/customers/{jane}/rights")
        await screenshot(page, f"customer-rights-{width}")
        assert await serious_violations(page) == []
    await page.fill("input[name=reason]", "request R-9")
    await page.fill("input[name=confirm]", str(jane))
    await page.click("text=Erase this customer")
    await page.wait_for_url(f"{site.base}/customers/{jane}/rights?notice=erased")
    assert "erased-" in await page.inner_text("main")
    await screenshot(page, "customer-rights-erased-390")
    await page.set_viewport_size({"width": 1440, "height": 900})
    await screenshot(page, "customer-rights-erased-1440")
