"""A fediverse status can carry any date its server relays: from the fake instance over
loopback, each such mention is stored at its arrival, its clock and the detector run from
there, and the claimed date is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox.bootstrap import build_services
from inbox.store.database import Database
from routing.signals import SeriesKey
from tests.integration.test_mastodon_connector import BRAND, build_world, connected

pytestmark = pytest.mark.integration


async def test_mentions_dated_far_ahead_or_in_year_one_are_stored_at_their_arrival(
    db: Database, workspace_id: int
) -> None:
    world = build_world()
    fake, customers = world.fake, world.customers
    claims = {
        "next year": datetime.now(UTC) + timedelta(days=365),
        "year 9999": datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        "year 1": datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC),
    }
    for label, claimed in claims.items():
        fake.clock = lambda claimed=claimed: claimed
        fake.post(
            customers[0], f"@{BRAND} no network at all since this morning, nothing works ({label})"
        )
    fake.clock = lambda: datetime.now(UTC)
    fake.post(customers[1], f"@{BRAND} no network at all since this morning, nothing works")

    services = build_services(db)
    async with connected(db, workspace_id, world) as m:
        m.poller.ingest = services.ingest
        before = datetime.now(UTC)
        assert (await m.poller.poll_mentions()).added == 4
        after = datetime.now(UTC)

    async with db.connection() as conn:
        rows = await conn.fetch(
            """SELECT m.body, m.created_at, m.claimed_at, c.started_at
               FROM mention m JOIN sla_clock c
                 ON c.workspace_id = m.workspace_id AND c.thread_id = m.thread_id
               WHERE m.workspace_id = $1""",
            workspace_id,
        )
    by_label = {label: row for row in rows for label in claims if f"({label})" in row["body"]}
    assert set(by_label) == set(claims)
    for label, claimed in claims.items():
        row = by_label[label]
        assert before <= row["created_at"] <= after, label
        assert abs(row["claimed_at"] - claimed) < timedelta(milliseconds=1), label
        assert row["started_at"] == row["created_at"], "the clock runs from the arrival"

    tick = services.incidents.watcher.close_until(after + timedelta(minutes=2))
    counted = sum(
        s.signal.observed
        for s in tick.signals
        if s.key == SeriesKey(workspace_id) and s.width == timedelta(minutes=1)
    )
    assert counted == 4, "every complaint counted in the present, none in a forged future"
