"""The metrics' count of SLA warnings and breaches is kept by the timer as it fires them:
read in one row per kind, whatever the number of events ever fired, and equal to them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inbox.store.database import Database
from inbox.store.sla_reports import PgSlaGauges
from inbox.store.sla_timer import PgSlaTimerStore
from tests.integration.test_sla_alerts import FRIDAY_16_PARIS, TUESDAY_10_PARIS, setup

pytestmark = pytest.mark.integration

EVENTS_FIRED = "SELECT count(*) FROM sla_event WHERE workspace_id = $1 AND kind = $2"


async def test_the_metrics_count_each_event_the_timer_fires_once(
    db: Database, workspace_id: int
) -> None:
    await setup(db, workspace_id, None)
    gauges = PgSlaGauges(db)
    timer = PgSlaTimerStore(db)
    before = await gauges.gauges(workspace_id, TUESDAY_10_PARIS)
    assert (before["warnings_fired"], before["breaches_fired"]) == (0, 0)

    await timer.fire_due(TUESDAY_10_PARIS + timedelta(minutes=61))
    friday_night = FRIDAY_16_PARIS + timedelta(hours=5)
    await timer.fire_due(friday_night)
    await timer.fire_due(friday_night)  # nothing is due twice: nothing is counted twice

    after = await gauges.gauges(workspace_id, friday_night)
    assert after["breaches_fired"] == 2
    assert after["breaches_fired"] == await db.fetchval(EVENTS_FIRED, workspace_id, "breach")
    assert after["warnings_fired"] == await db.fetchval(EVENTS_FIRED, workspace_id, "warning")
