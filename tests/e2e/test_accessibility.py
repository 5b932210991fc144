"""Every page, as each role that uses it, at desktop and phone widths, in Chromium: checked by
axe-core (no serious or critical violation) and never wider than the screen. Skipped, with
the reason, without Chromium or without the axe package (tests/e2e/browsing.py).

The same tour takes the README's screenshots:
`INBOX_SCREENSHOTS=docs/screenshots pytest tests/e2e/test_accessibility.py`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from tests.e2e.browsing import WIDTHS, fit_and_accessible, logged_in, person, recent, screenshot
from tests.e2e.site import Site
from tests.factories import mention

pytestmark = pytest.mark.integration

# Addresses with the seeded thread's and incident's numbers filled in.
THREAD = "/threads/{thread}"
DESK = "/inbox?view=all&thread={thread}"
INCIDENT = "/incidents/{incident}"
PAGES = {
    Role.AGENT: [
        "/inbox", DESK, THREAD, "/search?q=parcel", "/me", "/community/review",
    ],
    Role.LEAD: ["/dashboard", "/inbox?view=all", THREAD],
    Role.OPS: ["/incidents", INCIDENT, "/inbox?view=all"],
    Role.COMMUNITY: ["/community"],
    Role.ADMIN: [
        "/admin", "/admin/people", "/admin/teams", "/admin/calendars", "/admin/sla",
        "/admin/routing", "/admin/canned", "/admin/accounts", "/admin/webhooks",
        "/admin/workspaces", "/admin/audit", "/me/two-factor",
    ],
}  # fmt: skip


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


async def seeded_workspace(site: Site) -> dict[str, int]:
    """The queue above, ingested, and an outage declared: the first customer's thread and the
    incident, by their numbers."""
    await site.ingest(
        *(
            recent(
                mention(str(n), author=author, network=network, conversation=author, text=text),
                minutes_ago,
            )
            for n, (author, network, minutes_ago, text) in enumerate(QUEUE)
        )
    )
    async with site.db.connection() as conn:
        thread_id: int = await conn.fetchval(
            "SELECT thread_id FROM mention WHERE workspace_id = $1 AND author_handle = $2",
            site.workspace_id,
            "handle_u1",
        )
    ops = WebSession(site.workspace_id, 1, "Omar", frozenset({Role.OPS}), "csrf")
    incident = await site.services.incidents.open(
        ops,
        title="Network outage, Lyon",
        keywords=["internet", "fibre"],
        places=["Lyon"],
        started_at=datetime.now(UTC) - timedelta(minutes=40),
    )
    return {"thread": thread_id, "incident": incident.id}


# The screenshots the README shows (docs/screenshots/NAME-desktop.png and NAME-phone.png).
SHOWN = {
    (Role.AGENT, DESK): "desk",
    (Role.LEAD, "/dashboard"): "dashboard",
    (Role.OPS, INCIDENT): "incident",
    (Role.COMMUNITY, "/community"): "community",
    (Role.ADMIN, "/admin/sla"): "admin-sla",
}


async def audit(
    browser: Any, base: str, email: str | None, addresses: dict[str, str | None]
) -> list[str]:
    """Each address (its screenshot's name, if the README shows it) at both widths."""
    page = await logged_in(browser, base, email, None) if email else await browser.new_page()
    problems = []
    for width, size in WIDTHS.items():
        await page.set_viewport_size(size)
        for address, shown in addresses.items():
            answer = await page.goto(base + address)
            assert answer is not None
            assert answer.status == 200, (address, answer.status)
            problems += [f"{width} {address}: {found}" for found in await fit_and_accessible(page)]
            if shown:
                await screenshot(page, f"{shown}-{width}", full_page=False)
    await page.close()
    return problems


@pytest.mark.parametrize("role", list(PAGES), ids=lambda role: str(role))
async def test_each_roles_pages_have_no_serious_accessibility_violation(
    site: Site, role: Role, browser: Any
) -> None:
    base = site.base
    numbers = await seeded_workspace(site)
    email = f"{role}@example.com"
    await person(site.services, site.db, site.workspace_id, email, role)
    addresses = {address.format(**numbers): SHOWN.get((role, address)) for address in PAGES[role]}
    problems = await audit(browser, base, email, addresses)
    assert not problems, "\n".join(problems)


async def test_the_login_page_has_no_serious_accessibility_violation(
    browser: Any, client: tuple[aiohttp.ClientSession, str]
) -> None:
    _, base = client
    problems = await audit(browser, base, None, {"/login": None})
    assert not problems, "\n".join(problems)
