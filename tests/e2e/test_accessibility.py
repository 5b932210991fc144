"""Every page, as each role that uses it, at desktop and phone widths, in Chromium: checked by
axe-core (no serious or critical violation) and never wider than the screen. Skipped, with
the reason, without Chromium or without the axe package.

The same tour takes the README's screenshots:
`INBOX_SCREENSHOTS=docs/screenshots pytest tests/e2e/test_accessibility.py`."""

from __future__ import annotations

import os
import re
from typing import Any

import aiohttp
import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.usecases.services import Services
from tests.e2e.test_browser import CHROMIUM, FLAGS, PASSWORD, person, recent
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
    Role.AGENT: [
        "/inbox", "/inbox?view=all", THREAD, "/search?q=parcel", "/me", "/community/review",
    ],
    Role.LEAD: ["/dashboard", "/inbox?view=all", THREAD],
    Role.OPS: ["/incidents", "/inbox?view=all"],
    Role.COMMUNITY: ["/community"],
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


# A morning's queue: what the pages and their screenshots show.
QUEUE = (
    ("u1", Network.X, 50, "@acme my fibre has been down since 7am, I work from home. Any news?"),
    ("u1", Network.X, 44, "@acme still nothing, and the status page says all is fine"),
    ("u2", Network.MASTODON, 35, "@acme@social.example is there an outage in Lyon? no internet"),
    ("u3", Network.BLUESKY, 28, "@acme.bsky.social how do I change the name on my contract?"),
    ("u4", Network.X, 21, "@acme mon numéro ne capte plus depuis ce matin, c'est une panne ?"),
    ("u5", Network.X, 12, "@acme thanks, the engineer came and it works again 👍"),
    (
        "u6",
        Network.MASTODON,
        6,
        "@acme@social.example 4 hours without internet, switching provider",
    ),
    ("u7", Network.X, 2, "@acme where is my parcel? order 55 was due yesterday"),
)


async def seeded_thread(services: Services, db: Database, workspace_id: int) -> int:
    """The queue above, ingested; the thread of its first customer."""
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                recent(
                    mention(str(n), author=author, network=network, conversation=author, text=text),
                    minutes_ago,
                )
                for n, (author, network, minutes_ago, text) in enumerate(QUEUE)
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


async def logged_in(browser: Any, base: str, email: str) -> Any:
    """A page logged in as `email`, wherever their role lands them."""
    page = await browser.new_page()
    await page.goto(f"{base}/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    return page


def shot_name(role: str, address: str, width: str) -> str:
    page = re.sub(r"[^a-z]+", "-", address.split("?")[0].strip("/").lower()).strip("-")
    return f"{role}-{page or 'home'}-{width}.png"


async def audit(
    chromium: Any, base: str, email: str | None, addresses: list[str], role: str
) -> list[str]:
    axe = axe_api.Axe()
    page = await logged_in(chromium, base, email) if email else await chromium.new_page()
    folder = os.environ.get("INBOX_SCREENSHOTS")
    problems = []
    for width, (wide, high) in WIDTHS.items():
        await page.set_viewport_size({"width": wide, "height": high})
        for address in addresses:
            answer = await page.goto(base + address)
            assert answer is not None
            assert answer.status == 200, (address, answer.status)
            problems += blocking_violations(await axe.run(page), address, width)
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                problems.append(f"{width} {address}: {overflow} px wider than the screen")
            if folder:
                path = os.path.join(folder, shot_name(role, address, width))
                await page.screenshot(path=path, full_page=width == "desktop")
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
    problems = await audit(chromium, base, email, addresses, str(role))
    assert not problems, "\n".join(problems)


async def test_the_login_page_has_no_serious_accessibility_violation(
    chromium: Any, client: tuple[aiohttp.ClientSession, str]
) -> None:
    _, base = client
    problems = await audit(chromium, base, None, ["/login"], "anyone")
    assert not problems, "\n".join(problems)
