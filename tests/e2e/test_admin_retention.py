"""The Retention section of the admin pages over real HTTP: admins only, CSRF, a refusal that
names the field, the periods saved and audited, and the last pass shown."""

from __future__ import annotations

from typing import Any

import pytest

from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.usecases.services import Services
from tests.e2e import browsing
from tests.e2e.site import Site, session_of
from tests.e2e.test_accessibility import audit
from tests.e2e.test_admin_pages import ADMIN, admin_id, base, page, person, post, refused

pytestmark = pytest.mark.integration

__all__ = ["admin_id", "base"]  # fixtures shared with the other admin pages' tests
WHERE = "/admin/retention"


async def test_an_admin_sets_the_periods_and_a_bad_one_is_refused_naming_the_field(
    base: str, services: Services, db: Database, workspace_id: int, admin_id: int
) -> None:
    where = base + WHERE
    async with session_of(base, ADMIN) as admin:
        status, html = await page(admin, where)
        assert status == 200
        assert 'name="raw_payload_days"' in html
        assert 'value="90"' in html
        assert "No pass yet" in html
        bad = {"raw_payload_days": "0", "closed_thread_text_months": "", "quarantine_days": "7"}
        shown = refused(await post(admin, where, bad, where), "raw_payload_days")
        assert "must be between 1 and 36500" in shown
        good = {"raw_payload_days": "30", "closed_thread_text_months": "", "quarantine_days": "7"}
        status, location, _ = await post(admin, where, good, where)
        assert (status, location) == (303, f"{WHERE}?notice=saved")
    settings = (await services.retention.overview(workspace_id)).settings
    assert settings.as_dict() == {
        "raw_payload_days": 30,
        "closed_thread_text_months": None,
        "quarantine_days": 7,
    }
    await services.retention.run(workspace_id)
    async with session_of(base, ADMIN) as admin:
        _, html = await page(admin, where)
    assert "by the command line" in html
    audited = await db.fetchval(
        "SELECT count(*) FROM audit_entry WHERE workspace_id = $1 AND action = 'retention_set'",
        workspace_id,
    )
    assert audited == 1


async def test_leads_may_not_open_or_change_retention(
    base: str, services: Services, db: Database, workspace_id: int, admin_id: int
) -> None:
    await person(services, db, workspace_id, "lea@example.com", Role.LEAD)
    async with session_of(base, "lea@example.com") as lead:
        assert (await page(lead, base + WHERE))[0] == 403
        _, overview = await page(lead, f"{base}/admin")
        assert f'href="{WHERE}"' not in overview
        status, _, _ = await post(lead, base + WHERE, {"raw_payload_days": "1"}, f"{base}/me")
    assert status == 403


async def test_the_retention_page_fits_both_widths_with_no_serious_accessibility_violation(
    site: Site, browser: Any
) -> None:
    email = "admin@example.com"
    await browsing.person(site.services, site.db, site.workspace_id, email, Role.ADMIN)
    await site.services.retention.run(site.workspace_id)
    problems = await audit(browser, site.base, email, {WHERE: "admin-retention"})
    assert not problems, "\n".join(problems)
