"""Refused settings over real HTTP: the admin pages answer with the form, what was typed and
the error naming the field (never a 500), and save nothing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.usecases.services import Services
from tests.e2e.site import session_of
from tests.e2e.test_admin_pages import ADMIN, Client, person, post, refused
from tests.factories import mention

pytestmark = pytest.mark.integration

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OFFICE: dict[str, Any] = {
    "tz": "Europe/Paris",
    "weekly": {day: [["09:00", "18:00"]] for day in WEEKDAYS[:5]},
}
POLICIES: dict[str, object] = {
    "policies": {"standard": {"name": "standard", "calendar": "office"}},
    "default": "standard",
}
DEEP = "[" * 3000 + "]" * 3000


@pytest.fixture
def base(client: Client) -> str:
    return client[1]


@pytest.fixture
async def office(services: Services, db: Database, workspace_id: int) -> None:
    """An office calendar in force, a clock running under it and an admin to log in."""
    await services.sla_settings(workspace_id, {"office": OFFICE}, POLICIES)
    await services.ingest(workspace_id, IngestBatch([mention("1", conversation="1")]))
    await person(services, db, workspace_id, ADMIN, Role.ADMIN)


async def in_force(services: Services, db: Database, workspace_id: int) -> tuple[object, ...]:
    """The settings and the running clocks' deadlines."""
    settings = await services.sla_settings.current(workspace_id)
    async with db.connection() as conn:
        deadlines = await conn.fetch(
            "SELECT thread_id, deadline FROM sla_clock WHERE workspace_id = $1 ORDER BY 1",
            workspace_id,
        )
    return settings.version, settings.calendars, settings.policies, [tuple(d) for d in deadlines]


def value_of(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, name
    return found.group(1)


@pytest.mark.usefixtures("office")
async def test_emptied_hours_are_refused_with_the_form_as_typed_and_nothing_saved(
    base: str, services: Services, db: Database, workspace_id: int
) -> None:
    before = await in_force(services, db, workspace_id)
    calendars = f"{base}/admin/calendars"
    emptied = {"calendar": "office", "tz": "Europe/Paris", "on_call": "night@example.com"}
    emptied |= {f"hours_{day}": "" for day in WEEKDAYS}
    async with session_of(base, ADMIN) as admin:
        html = refused(
            await post(admin, f"{calendars}/hours", emptied, calendars), "calendars.office"
        )
        assert "not open at any time in the 366 days" in html
        assert "the policy &#39;standard&#39; counts in it" in html
        # The form is there again, as typed: hours empty, the on-call address kept.
        assert value_of(html, "hours_mon") == ""
        assert value_of(html, "on_call") == "night@example.com"
        too_many = emptied | {"hours_mon": ", ".join(["09:00-09:01"] * 13)}
        refused(await post(admin, f"{calendars}/hours", too_many, calendars), "hours mon")
    assert await in_force(services, db, workspace_id) == before
    async with session_of(base, ADMIN) as admin:
        shorter = emptied | {f"hours_{day}": "09:00-12:00" for day in WEEKDAYS[:5]}
        status, location, _ = await post(admin, f"{calendars}/hours", shorter, calendars)
        assert (status, location) == (303, "/admin/calendars?notice=replanned")
    assert (await in_force(services, db, workspace_id))[0] == before[0] + 1


@pytest.mark.usefixtures("office")
async def test_a_huge_holiday_list_is_refused_naming_the_holidays_and_kept_as_typed(
    base: str, services: Services, db: Database, workspace_id: int
) -> None:
    before = await in_force(services, db, workspace_id)
    calendars = f"{base}/admin/calendars"
    days = [datetime(2027, 1, 1) + timedelta(days=n) for n in range(1001)]
    typed = "\n".join(f"{day:%Y-%m-%d} closed" for day in days)
    async with session_of(base, ADMIN) as admin:
        form = {"calendar": "office", "holidays": typed}
        html = refused(await post(admin, f"{calendars}/holidays", form, calendars), "holidays")
        assert "at most 1000 dates" in html
        assert "2029-09-27 closed" in html  # the 1001st line, as typed
        ancient = {"calendar": "office", "holidays": "1066-10-14 Hastings"}
        refused(await post(admin, f"{calendars}/holidays", ancient, calendars), "holidays line 1")
    assert await in_force(services, db, workspace_id) == before


SLA_REFUSED = {
    "a target of 35.8 million minutes": (
        '{"policies": {"standard": {"name": "standard", "calendar": "office",'
        ' "targets": {"first_response": 35791395}}}, "default": "standard"}',
        "policies.standard.targets.first_response",
    ),
    "an integer of 5,000 digits": (
        '{"policies": {}, "default": ' + "9" * 5000 + "}",
        "policies",
    ),
    "nesting 3,000 deep": ('{"policies": ' + DEEP + "}", "policies"),
    "a warning share of NaN": (
        '{"policies": {"standard": {"name": "standard", "calendar": "office",'
        ' "warn_at": NaN}}, "default": "standard"}',
        "policies",
    ),
}


@pytest.mark.usefixtures("office")
@pytest.mark.parametrize(("document", "field"), SLA_REFUSED.values(), ids=SLA_REFUSED)
async def test_the_sla_page_refuses_bad_policies_naming_the_field_and_saves_nothing(
    base: str, services: Services, db: Database, workspace_id: int, document: str, field: str
) -> None:
    before = await in_force(services, db, workspace_id)
    sla = f"{base}/admin/sla"
    async with session_of(base, ADMIN) as admin:
        html = refused(await post(admin, sla, {"document": document}, sla), field)
        assert "Not saved." in html
        assert '<textarea name="document"' in html
    assert await in_force(services, db, workspace_id) == before


ROUTING_REFUSED = {
    "a NaN weight": (
        "lexicon:\n  cues:\n    fr:\n      complaint:\n        panne: .nan\n",
        "routing document.lexicon.cues.fr.complaint.panne",
    ),
    "an infinite audience": (
        "lexicon:\n  large_audience: .inf\n",
        "routing document.lexicon.large_audience",
    ),
    "nesting 3,000 deep": ("rules: " + DEEP, "routing document"),
    "a fairness window of 190,000 years": (
        "settings:\n  fair_window_minutes: 99999999999\n",
        "routing settings",
    ),
}


@pytest.mark.usefixtures("office")
@pytest.mark.parametrize(("document", "field"), ROUTING_REFUSED.values(), ids=ROUTING_REFUSED)
async def test_the_routing_page_refuses_bad_documents_naming_the_field_and_saves_nothing(
    base: str, services: Services, workspace_id: int, document: str, field: str
) -> None:
    routing = f"{base}/admin/routing"
    async with session_of(base, ADMIN) as admin:
        refused(await post(admin, routing, {"document": document}, routing), field)
    assert (await services.routing_settings.current(workspace_id)).version == 0
