"""Saving SLA settings against the real database: a refused document changes nothing (the
settings, every running clock's plan) and ingestion goes on; an accepted one is saved and
its running clocks re-planned in one transaction, all of it or none."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from inbox.bootstrap import build_services
from inbox.domain.errors import ConfigurationError
from inbox.domain.ingestion import IngestBatch
from inbox.ports.sla import ClockWriter
from inbox.store.database import Database
from inbox.store.sla_settings import PgSlaSettingsStore
from inbox.usecases.services import Services
from inbox.usecases.sla import KeepClocks
from inbox.usecases.sla_rules import SlaRules
from inbox.usecases.sla_settings import SaveSlaSettings
from sla.calendar import CalendarError
from tests.factories import T0, mention

pytestmark = pytest.mark.integration

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE: dict[str, Any] = {
    "tz": "Europe/Paris",
    "weekly": {day: [["09:00", "18:00"]] for day in WEEKDAYS},
}


def book(**targets: object) -> dict[str, object]:
    policy: dict[str, object] = {"name": "standard", "calendar": "office", "targets": targets}
    return {"policies": {"standard": policy}, "default": "standard"}


def deep_union(depth: int) -> dict[str, Any]:
    calendar = OFFICE
    for _ in range(depth):
        calendar = {"union": [calendar]}
    return calendar


async def state(db: Database, services: Services, workspace_id: int) -> dict[str, Any]:
    """The settings in force and every clock as planned."""
    settings = await services.sla_settings.current(workspace_id)
    async with db.connection() as conn:
        rows = await conn.fetch(
            """SELECT thread_id, kind, started_at, stopped_at, deadline, warn_at, next_due_at,
                      policy, config_version, budget_seconds
               FROM sla_clock WHERE workspace_id = $1 ORDER BY thread_id, kind, started_at""",
            workspace_id,
        )
        due = await conn.fetch(
            "SELECT id, sla_due_at FROM thread WHERE workspace_id = $1 ORDER BY id", workspace_id
        )
    return {
        "settings": (settings.version, settings.calendars, settings.policies),
        "clocks": [dict(row) for row in rows],
        "threads": [dict(row) for row in due],
    }


@pytest.fixture
async def services(db: Database, workspace_id: int) -> Services:
    """The workspace counting in an office calendar, with two clocks running."""
    services = build_services(db)
    await services.sla_settings(workspace_id, {"office": OFFICE}, book())
    await services.ingest(
        workspace_id,
        IngestBatch(
            [mention("1", conversation="1"), mention("2", author="u2", minute=5, conversation="2")]
        ),
    )
    return services


REFUSED = {
    "hours emptied": ({"office": {**OFFICE, "weekly": {}}}, book(), "calendars.office: not open"),
    "300,000 holidays": (
        {"office": {**OFFICE, "holidays": ["2026-12-25"] * 300_000}},
        book(),
        "calendars.office: 'holidays': at most 1000 dates",
    ),
    "a target of 35.8 million minutes": (
        {"office": OFFICE},
        book(first_response=35_791_395),
        "policies.standard.targets.first_response: ",
    ),
    "a union nested 3,000 deep": (
        {"office": deep_union(3000)},
        book(),
        "calendars.office: nested more than",
    ),
    "a union nested 9 deep": (
        {"office": deep_union(9)},
        book(),
        "calendars.office: 'union': unions nested more than 8 deep",
    ),
    "a union of calendars that never open": (
        {"office": {"union": [{**OFFICE, "weekly": {}}, {"tz": "UTC", "weekly": {"mon": []}}]}},
        book(),
        "calendars.office: union member 1 (Europe/Paris): not open",
    ),
    "a warning share that is not a number": (
        {"office": OFFICE},
        {
            "policies": {
                "standard": {"name": "standard", "calendar": "office", "warn_at": float("nan")}
            },
            "default": "standard",
        },
        "policies.policies.standard.warn_at: nan is not a finite number",
    ),
    "a policy in an unknown calendar": (
        {"office": OFFICE},
        {
            "policies": {"standard": {"name": "standard", "calendar": "nowhere"}},
            "default": "standard",
        },
        "policies.standard.calendar: unknown calendars: nowhere",
    ),
}


@pytest.mark.parametrize(("calendars", "policies", "said"), REFUSED.values(), ids=REFUSED)
async def test_a_refused_document_changes_nothing_and_ingestion_goes_on(
    db: Database,
    services: Services,
    workspace_id: int,
    calendars: dict[str, object],
    policies: dict[str, object],
    said: str,
) -> None:
    before = await state(db, services, workspace_id)
    with pytest.raises(ConfigurationError) as refused:
        await services.sla_settings(workspace_id, calendars, policies)
    assert str(refused.value).startswith(said), str(refused.value)[:300]
    assert await state(db, services, workspace_id) == before
    await services.ingest(workspace_id, IngestBatch([mention("3", author="u3", minute=10)]))
    clocks = (await state(db, services, workspace_id))["clocks"]
    assert len(clocks) == 3
    # 10:10 in Paris, on a Monday: the office calendar, one business hour.
    assert clocks[-1]["deadline"] == T0 + timedelta(minutes=70)


async def test_a_valid_document_is_saved_and_running_clocks_replanned_at_once(
    db: Database, services: Services, workspace_id: int
) -> None:
    before = await state(db, services, workspace_id)
    version, replanned = await services.sla_settings(
        workspace_id, {"office": OFFICE}, book(first_response=20)
    )
    after = await state(db, services, workspace_id)
    assert (version, replanned) == (before["settings"][0] + 1, 2)
    assert after["settings"][0] == version
    assert [c["deadline"] - c["started_at"] for c in after["clocks"]] == [timedelta(minutes=20)] * 2
    assert {c["config_version"] for c in after["clocks"]} == {version}
    assert [t["sla_due_at"] for t in after["threads"]] == [c["deadline"] for c in after["clocks"]]


class FailsOnceReplanned(KeepClocks):
    """Re-plans as usual, then fails: a re-plan that breaks after writing some clocks."""

    async def keep(
        self,
        writer: ClockWriter,
        workspace_id: int,
        thread_ids: Sequence[int],
        created: frozenset[int] = frozenset(),
        *,
        rules: SlaRules | None = None,
    ) -> None:
        await super().keep(writer, workspace_id, thread_ids, created, rules=rules)
        raise CalendarError("the calendar broke while re-planning")


async def test_a_replan_that_fails_midway_leaves_the_settings_and_every_clock_as_they_were(
    db: Database, services: Services, workspace_id: int
) -> None:
    before = await state(db, services, workspace_id)
    failing = SaveSlaSettings(PgSlaSettingsStore(db), FailsOnceReplanned())
    with pytest.raises(ConfigurationError, match="the calendar broke while re-planning"):
        await failing(workspace_id, {"office": OFFICE}, book(first_response=20))
    assert await state(db, services, workspace_id) == before


async def test_settings_saved_while_a_calendar_is_unused_may_leave_it_never_open(
    db: Database, services: Services, workspace_id: int
) -> None:
    draft = {**OFFICE, "weekly": {}}
    version, _ = await services.sla_settings(
        workspace_id, {"office": OFFICE, "draft": draft}, book()
    )
    assert (await services.sla_settings.current(workspace_id)).version == version
    with pytest.raises(ConfigurationError, match=r"calendars\.draft: not open"):
        await services.sla_settings(
            workspace_id,
            {"office": OFFICE, "draft": draft},
            {"policies": {"standard": {"name": "standard", "calendar": "draft"}},
             "default": "standard"},
        )  # fmt: skip
