"""The export page in a real browser, at a desktop's and a phone's width, checked with
axe-core; the form downloads the file it names. Skipped, with the reason, where no Chromium
or no axe-core is installed. Set INBOX_SCREENSHOTS to a folder to save what it looks like."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.usecases.services import Services
from tests.e2e.browsing import WIDTHS, fit_and_accessible, logged_in, person, screenshot
from tests.factories import mention

pytestmark = pytest.mark.integration


async def test_a_lead_finds_the_export_from_the_dashboard_and_downloads_sla_clocks(
    browser: Any,
    client: tuple[aiohttp.ClientSession, str],
    services: Services,
    db: Database,
    workspace_id: int,
) -> None:
    _, base = client
    await person(services, db, workspace_id, "lea@example.com", Role.LEAD)
    await services.ingest(workspace_id, IngestBatch([mention("s1", conversation="s")]))
    lead = await logged_in(browser, base, "lea@example.com", None)
    await lead.goto(f"{base}/dashboard")
    await lead.click("#exports-link")
    await lead.wait_for_url(f"{base}/exports")
    for label, size in WIDTHS.items():
        await lead.set_viewport_size(size)
        await lead.goto(f"{base}/exports")
        assert await fit_and_accessible(lead) == [], label
        await screenshot(lead, f"exports-{label}")
    await lead.select_option("select[name=what]", "sla-clocks")
    await lead.fill("input[name=since]", "2026-03-01")
    await lead.fill("input[name=until]", "2026-03-03")
    async with lead.expect_download() as started:
        await lead.click("#export-form button")
    download = await started.value
    assert download.suggested_filename == "sla-clocks.csv"
