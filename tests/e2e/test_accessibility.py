"""Every page, as each role that uses it, at desktop and phone widths, checked by axe-core in
Chromium: no serious or critical violation. Skipped, with the reason, without Chromium or
without the axe package."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.usecases.services import Services
from tests.e2e.test_browser import CHROMIUM, FLAGS, logged_in, person, recent
from tests.factories import mention

pytestmark = pytest.mark.integration

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is not installed")
axe_api = pytest.importorskip(
    "axe_playwright_python.async_playwright", reason="axe-playwright-python is not installed"
)

WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}
BLOCKING = {"serious", "critical"}
THREAD = "{thread}"  # replaced by the seeded thread's address
PAGES = {
    Role.AGENT: ["/inbox", "/inbox?view=all", THREAD, "/search?q=parcel", "/me"],
    Role.LEAD: ["/dashboard", "/inbox?view=all", THREAD],
    Role.OPS: ["/incidents", "/inbox?view=all"],
    Role.ADMIN: [
        "/admin", "/admin/people", "/admin/teams", "/admin/calendars", "/admin/sla",
        "/admin/routing", "/admin/canned", "/admin/accounts", "/admin/webhooks",
        "/admin/workspaces",
    ],
}  # fmt: skip


def blocking_violations(results: Any, address: str, width: str) -> list[str]:
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [", ".join(node["target"]) for node in violation["nodes"]][:3]
            found.append(f"{width} {address}: {violation['id']} ({violation['impact']}) {targets}")
    return found


async def seeded_thread(services: Services, db: Database, workspace_id: int) -> int:
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                recent(mention("1", conversation="c1", text="@acme where is my parcel?"), 30),
                recent(mention("2", author="u2", conversation="c2", text="@acme no signal"), 5),
            ]
        ),
    )
    async with db.connection() as conn:
        thread_id: int = await conn.fetchval(
            "SELECT id FROM thread WHERE workspace_id = $1 ORDER BY id LIMIT 1", workspace_id
        )
    return thread_id


@pytest.fixture
async def chromium() -> Any:
    if CHROMIUM is None:
        pytest.skip("no Chromium here: install Debian's chromium package")
    async with playwright_api.async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


async def audit(chromium: Any, base: str, email: str | None, addresses: list[str]) -> list[str]:
    axe = axe_api.Axe()
    page = await logged_in(chromium, base, email) if email else await chromium.new_page()
    problems = []
    for width, (wide, high) in WIDTHS.items():
        await page.set_viewport_size({"width": wide, "height": high})
        for address in addresses:
            answer = await page.goto(base + address)
            assert answer is not None
            assert answer.status == 200, (address, answer.status)
            problems += blocking_violations(await axe.run(page), address, width)
    await page.close()
    return problems


@pytest.mark.parametrize("role", list(PAGES), ids=lambda role: str(role))
async def test_each_roles_pages_have_no_serious_accessibility_violation(
    role: Role,
    chromium: Any,
    client: tuple[aiohttp.ClientSession, str],
    services: Services,
    db: Database,
    workspace_id: int,
) -> None:
    _, base = client
    thread = f"/threads/{await seeded_thread(services, db, workspace_id)}"
    email = f"{role}@example.com"
    await person(services, db, workspace_id, email, role)
    addresses = [thread if address == THREAD else address for address in PAGES[role]]
    problems = await audit(chromium, base, email, addresses)
    assert not problems, "\n".join(problems)


async def test_the_login_page_has_no_serious_accessibility_violation(
    chromium: Any, client: tuple[aiohttp.ClientSession, str]
) -> None:
    _, base = client
    problems = await audit(chromium, base, None, ["/login"])
    assert not problems, "\n".join(problems)
