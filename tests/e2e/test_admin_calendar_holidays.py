"""The calendars page over real HTTP: a calendar that follows a country's public holidays
lists the coming ones, marked as the country's, beside the dates typed in."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.usecases.services import Services
from tests.e2e.site import session_of
from tests.e2e.test_admin_pages import ADMIN, page, person

pytestmark = pytest.mark.integration


def _row(html: str, day: date) -> str:
    found = re.search(rf'<tr><td><time datetime="{day.isoformat()}">.*?</tr>', html, re.S)
    assert found is not None, f"no row for {day}"
    return found.group(0)


async def test_the_country_s_coming_holidays_are_listed_beside_the_typed_ones(
    base: str, services: Services, db: Database, workspace_id: int
) -> None:
    await person(services, db, workspace_id, ADMIN, Role.ADMIN)
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    christmas = date(today.year, 12, 25)
    christmas = christmas if christmas >= today else christmas.replace(year=today.year + 1)
    typed = next(
        d for d in (today + timedelta(days=40), today + timedelta(days=41)) if d != christmas
    )
    office = {
        "tz": "Europe/Paris",
        "weekly": {"mon": [["09:00", "18:00"]]},
        "country": "FR",
        "holidays": [typed.isoformat()],
        "holiday_names": {typed.isoformat(): "Company <day>"},
    }
    policies: dict[str, object] = {
        "policies": {"office": {"name": "office", "calendar": "office"}},
        "default": "office",
    }
    await services.sla_settings(workspace_id, {"office": office}, policies)

    async with session_of(base, ADMIN) as admin:
        status, html = await page(admin, f"{base}/admin/calendars")
    assert status == 200
    assert "public holidays of <strong>FR</strong>" in html
    assert "FR public holiday" in _row(html, christmas)
    mine = _row(html, typed)
    assert "Company &lt;day&gt;" in mine  # escaped
    assert "listed here" in mine
    # The typed list stays editable as it was: the country's days are not copied into it.
    assert christmas.isoformat() not in re.sub(r"<table.*?</table>", "", html, flags=re.S)


@pytest.fixture
def base(client: tuple[object, str]) -> str:
    return client[1]
