"""SLA clocks of threads linked to a declared major incident, against the real database: the
ops' actions re-plan them, the timer fires nothing while they are suspended, and the
customer's wait is what it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Direction
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.store.database import Database
from inbox.store.incidents import PgIncidentStore
from inbox.store.sla_settings import PgSlaQuery
from inbox.store.sla_timer import PgSlaTimerStore
from inbox.usecases.incidents import Incidents
from inbox.usecases.incidents_watch import ComplaintWatcher
from inbox.usecases.sla import KeepClocks
from inbox.usecases.sla_explain import ExplainThreadSla
from tests.factories import T0, mention, paris_office

pytestmark = pytest.mark.integration

# T0 is Monday 2 March 2026, 10:00 in Paris: inside the office's hours all the while below.
OFFICE = paris_office()
COMPLAINT = "@acme the network is down, no signal at all since this morning"


def minute(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def ops(workspace_id: int) -> WebSession:
    return WebSession(workspace_id, 1, "Omar", frozenset({Role.OPS}), "csrf")


async def configure(db: Database, workspace_id: int, *, suspend: bool) -> None:
    policies: dict[str, object] = {
        "policies": {
            "care": {
                "name": "care",
                "calendar": "office",
                "suspend_during_major_incidents": suspend,
            }
        },
        "default": "care",
    }
    await build_services(db).sla_settings(workspace_id, {"office": OFFICE}, policies)


async def complain(db: Database, workspace_id: int, external_id: str, at: int) -> int:
    message = mention(external_id, minute=at, conversation=external_id, text=COMPLAINT)
    await build_services(db).ingest(workspace_id, IngestBatch([message]))
    async with db.connection() as conn:
        thread_id: int = await conn.fetchval(
            "SELECT thread_id FROM mention WHERE workspace_id = $1 AND external_id = $2",
            workspace_id,
            external_id,
        )
    return thread_id


async def first_response(db: Database, workspace_id: int, thread_id: int) -> dict[str, Any]:
    async with db.connection() as conn:
        row = await conn.fetchrow(
            """SELECT deadline, warn_at, next_due_at, t.sla_due_at
               FROM sla_clock c JOIN thread t ON t.workspace_id = c.workspace_id
                AND t.id = c.thread_id
               WHERE c.workspace_id = $1 AND c.thread_id = $2 AND c.kind = 'first_response'""",
            workspace_id,
            thread_id,
        )
    assert row is not None
    return dict(row)


async def fired(db: Database, at: datetime) -> list[str]:
    return [event.kind for event in await PgSlaTimerStore(db).fire_due(at)]


@pytest.mark.parametrize("suspend", [True, False], ids=["suspending policy", "plain policy"])
async def test_a_major_incident_suspends_the_linked_threads_clocks_under_a_policy_that_says_so(
    db: Database, workspace_id: int, suspend: bool
) -> None:
    await configure(db, workspace_id, suspend=suspend)
    thread_id = await complain(db, workspace_id, "down-1", at=0)  # due at +60, warned at +45
    clock = Clock(minute(10))
    incidents = Incidents(PgIncidentStore(db), ComplaintWatcher(), clock=clock)
    explain = ExplainThreadSla(PgSlaQuery(db), KeepClocks(), clock=clock)
    incident = await incidents.open(
        ops(workspace_id), title="Network down in Lyon", started_at=minute(0)
    )
    assert incident.linked == 1

    clock.now = minute(20)
    declared = await incidents.declare_major(ops(workspace_id), incident.id)
    assert declared.major

    during = await first_response(db, workspace_id, thread_id)
    if suspend:
        # Neither a deadline nor a next event: nothing to warn or breach about.
        assert during == {
            "deadline": None,
            "warn_at": None,
            "next_due_at": None,
            "sla_due_at": None,
        }
        assert await fired(db, minute(120)) == []
        detail = await incidents.detail(ops(workspace_id), incident.id)
        assert detail.suspends_clocks
    else:
        assert during["deadline"] == minute(60)
        assert await fired(db, minute(120)) == ["breach"]

    clock.now = minute(120)
    (during_why,) = await explain(workspace_id, thread_id)
    assert during_why["customer_wait_minutes"] == 120  # what the customer lived, either way
    if suspend:
        assert during_why["deadline"] is None
        assert during_why["business_minutes"] == 20
        assert during_why["suspensions"] == [
            {"incident_id": incident.id, "from": minute(20).isoformat(), "to": None}
        ]
        assert f"(still suspended) by major incident #{incident.id}" in during_why["summary"]
    else:
        assert during_why["suspensions"] == []

    clock.now = minute(200)
    await incidents.close(ops(workspace_id), incident.id)
    after = await first_response(db, workspace_id, thread_id)
    if suspend:
        # 180 business minutes suspended (10:20 to 13:20 in Paris): due 180 minutes later.
        assert after["deadline"] == minute(60 + 180)
        assert after["warn_at"] == minute(45 + 180)
        assert after["sla_due_at"] == minute(240)
        assert await fired(db, minute(230)) == ["warning"]
        assert await fired(db, minute(241)) == ["breach"]
    else:
        assert after["deadline"] == minute(60)
        assert await fired(db, minute(241)) == []  # fired once, long ago

    clock.now = minute(250)
    (after_why,) = await explain(workspace_id, thread_id)
    assert after_why["customer_wait_minutes"] == 250
    if suspend:
        assert after_why["business_minutes"] == 250 - 180
        assert after_why["suspensions"] == [
            {
                "incident_id": incident.id,
                "from": minute(20).isoformat(),
                "to": minute(200).isoformat(),
            }
        ]
        assert f"by major incident #{incident.id}" in after_why["summary"]
    else:
        assert after_why["business_minutes"] == 250


async def test_a_complaint_arriving_during_a_major_incident_starts_suspended(
    db: Database, workspace_id: int
) -> None:
    await configure(db, workspace_id, suspend=True)
    clock = Clock(minute(0))
    incidents = Incidents(PgIncidentStore(db), ComplaintWatcher(), clock=clock)
    incident = await incidents.open(ops(workspace_id), title="Outage", major=True)

    thread_id = await complain(db, workspace_id, "down-2", at=30)  # linked by its own batch
    assert (await first_response(db, workspace_id, thread_id))["deadline"] is None

    clock.now = minute(90)
    await incidents.declare_major(ops(workspace_id), incident.id, major=False)  # stands down
    # Suspended from its first instant until the stand-down: a full hour from then on.
    assert (await first_response(db, workspace_id, thread_id))["deadline"] == minute(150)


async def test_an_answer_during_the_suspension_is_on_time_and_stays_so(
    db: Database, workspace_id: int
) -> None:
    await configure(db, workspace_id, suspend=True)
    thread_id = await complain(db, workspace_id, "down-3", at=0)
    clock = Clock(minute(30))
    incidents = Incidents(PgIncidentStore(db), ComplaintWatcher(), clock=clock)
    await incidents.open(ops(workspace_id), title="Outage", major=True, started_at=minute(0))

    answer = mention(
        "answer-3", author="brand", minute=100, conversation="down-3", direction=Direction.OUTBOUND
    )
    await build_services(db).ingest(workspace_id, IngestBatch([answer]))
    async with db.connection() as conn:
        row = await conn.fetchrow(
            """SELECT outcome, business_seconds, stopped_at - started_at AS waited
               FROM sla_clock WHERE workspace_id = $1 AND thread_id = $2""",
            workspace_id,
            thread_id,
        )
    assert row is not None
    assert row["outcome"] == "met"  # 30 business minutes before the incident, none during
    assert row["business_seconds"] == 30 * 60
    assert row["waited"] == timedelta(minutes=100)  # the report's customer-wait figure
