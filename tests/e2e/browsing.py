"""What the browser tests share: Debian's Chromium driven by Playwright, people to log in as,
messages dated from now, axe-core's verdict, and screenshots where asked for.

The `browser` fixture (tests/e2e/conftest.py) skips, saying why, where Chromium or Playwright
is missing; `serious_violations` skips where axe-core is.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from inbox.domain.mention import Mention
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.people import PgPeopleStore
from inbox.usecases.services import Services

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "correct horse battery"
# Flags a headless Chromium needs here: root, no GPU, and no calls home on a closed network.
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# axe-core's findings that fail a page.
BLOCKING = frozenset({"serious", "critical"})
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


async def person(
    services: Services, db: Database, workspace_id: int, email: str, role: Role
) -> None:
    await PgPeopleStore(db).save_agent(workspace_id, email, email.split("@")[0], [role], ["care"])
    await services.web_logins.set_password(workspace_id, email, SecretStr(PASSWORD))


async def logged_in(browser: Any, base: str, email: str, lands_on: str | None = "/inbox") -> Any:
    """A page logged in as `email`, waiting for where their role lands them (`lands_on`;
    None: wherever the login sends them)."""
    page = await browser.new_page()
    await page.goto(f"{base}/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    if lands_on is None:
        async with page.expect_navigation():
            await page.click("button[type=submit]")
    else:
        await page.click("button[type=submit]")
        await page.wait_for_url(f"{base}{lands_on}")
    return page


def recent(message: Mention, minutes_ago: float) -> Mention:
    """The message as if written that long ago (the pages show waits and deadlines from now)."""
    return message.model_copy(
        update={"created_at": datetime.now(UTC) - timedelta(minutes=minutes_ago)}
    )


async def screenshot(page: Any, name: str, *, full_page: bool = True) -> None:
    folder = os.environ.get("INBOX_SCREENSHOTS")
    if folder:
        await page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=full_page)


async def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as shown: "rule: targets"."""
    axe = pytest.importorskip("axe_playwright_python.async_playwright", reason="no axe-core")
    results = await axe.Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(", ".join(node["target"]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


async def wider_than_screen(page: Any) -> int:
    """How many pixels the page is wider than its window (0 when it fits)."""
    overflow: int = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return max(0, overflow)


async def fit_and_accessible(page: Any) -> list[str]:
    """What is wrong with the page as shown: axe-core's serious findings, and a page wider
    than its window."""
    problems = await serious_violations(page)
    overflow = await wider_than_screen(page)
    if overflow:
        problems.append(f"{overflow} px wider than the screen")
    return problems


async def listening(page: Any) -> None:
    """Until the page's event stream is open (the server said hello): what changes from then
    on reaches it live."""
    await page.wait_for_selector("html[data-live=open]", state="attached", timeout=20_000)
