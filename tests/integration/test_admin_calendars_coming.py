"""The calendars page's year ahead: the days a calendar is closed in the next 12 months, from
its country's list and from the dates typed in, each marked with where it comes from."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.store.audit import PgAuditTrail
from inbox.store.database import Database
from inbox.store.sla_settings import PgSlaSettingsStore
from inbox.usecases.admin_calendars import ComingHoliday, ManageCalendars
from inbox.usecases.sla import KeepClocks
from inbox.usecases.sla_settings import SaveSlaSettings

pytestmark = pytest.mark.integration

# New Year's Eve, 23:30 in London: already 1 January 2027 in Paris.
NOW = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
OFFICE = {"tz": "Europe/Paris", "weekly": {"mon": [["09:00", "18:00"]]}}
POLICIES: dict[str, object] = {
    "policies": {"office": {"name": "office", "calendar": "office"}},
    "default": "office",
}


async def _calendars(db: Database, workspace_id: int, office: dict[str, object]) -> ManageCalendars:
    sla = SaveSlaSettings(PgSlaSettingsStore(db), KeepClocks())
    await sla(workspace_id, {"office": office}, POLICIES)
    return ManageCalendars(sla, PgAuditTrail(db), clock=lambda: NOW)


def _admin(workspace_id: int) -> WebSession:
    return WebSession(workspace_id, 1, "Ada", frozenset({Role.ADMIN}), "csrf")


async def test_the_year_ahead_lists_the_country_s_holidays_beside_the_typed_ones(
    db: Database, workspace_id: int
) -> None:
    office = {
        **OFFICE,
        "country": "FR",
        "holidays": ["2026-12-25", "2027-03-15", "2027-07-14", "2028-01-03"],
        "holiday_names": {"2027-03-15": "Company day", "2027-07-14": "Our own name"},
    }
    manage = await _calendars(db, workspace_id, office)
    (view,) = await manage.all(_admin(workspace_id))
    assert view.region == "FR"
    assert view.coming_until == date(2027, 12, 31)  # a year from today in Paris
    by_day = {holiday.day: holiday for holiday in view.coming}
    # From today in the calendar's zone: the past Christmas and what lies beyond are left out.
    assert min(by_day) == date(2027, 1, 1)
    assert max(by_day) == date(2027, 12, 25)
    assert by_day[date(2027, 1, 1)].from_country
    assert not by_day[date(2027, 1, 1)].listed
    assert by_day[date(2027, 3, 15)] == ComingHoliday(
        date(2027, 3, 15), "Company day", from_country=False, listed=True
    )
    assert by_day[date(2027, 7, 14)] == ComingHoliday(
        date(2027, 7, 14), "Our own name", from_country=True, listed=True
    )
    assert len([h for h in view.coming if h.from_country]) == 11  # France's eleven


async def test_a_calendar_without_a_country_lists_only_its_dates(
    db: Database, workspace_id: int
) -> None:
    manage = await _calendars(db, workspace_id, {**OFFICE, "holidays": ["2027-05-01"]})
    (view,) = await manage.all(_admin(workspace_id))
    assert view.region == ""
    assert view.coming == (ComingHoliday(date(2027, 5, 1), "", from_country=False, listed=True),)


async def test_a_subdivision_names_its_region(db: Database, workspace_id: int) -> None:
    manage = await _calendars(db, workspace_id, {**OFFICE, "country": "FR", "subdivision": "57"})
    (view,) = await manage.all(_admin(workspace_id))
    assert view.region == "FR-57"
    assert date(2027, 12, 26) in {h.day for h in view.coming}  # Moselle's own
