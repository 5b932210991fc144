"""A fediverse status can carry any date its server relays: from the fake instance over
loopback, each such mention is stored at its arrival, its clock and the detector run from
there, and the claimed date is kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from inbox.bootstrap import build_services
from inbox.store.database import Database
from inbox.store.incidents import PgIncidentStore
from routing.signals import SeriesKey
from tests.integration.test_mastodon_connector import BRAND, build_world, connected, runner_for

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

    counts = await PgIncidentStore(db).complaint_counts(
        before - timedelta(minutes=1), after + timedelta(minutes=1)
    )
    counted = sum(c.count for c in counts if c.key == SeriesKey(workspace_id))
    assert counted == 4, "every complaint counted in the present, none in a forged future"


async def test_a_post_dated_9999_does_not_move_the_channels_last_post_into_the_future(
    db: Database, workspace_id: int
) -> None:
    world = build_world()
    fake, customers = world.fake, world.customers
    fake.clock = lambda: datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    fake.post(customers[0], f"@{BRAND} the network is down (dated 9999)")
    fake.clock = lambda: datetime.now(UTC)
    fake.post(customers[1], f"@{BRAND} the network is down here too")

    async with connected(db, workspace_id, world) as m:
        m.poller.ingest = build_services(db).ingest
        runner = runner_for(m, db)
        before = datetime.now(UTC)
        outcome = await runner.tick()
        after = datetime.now(UTC)

    assert outcome is not None
    assert outcome.added == 2
    last = runner.health.last_item_at
    assert last is not None
    assert before - timedelta(minutes=1) <= last <= after, (
        "the channel's newest post is the newest stored, dated by its arrival"
    )
    stored = await db.fetchval(
        "SELECT health FROM channel_health WHERE workspace_id = $1", workspace_id
    )
    saved = datetime.fromisoformat(json.loads(stored)["health"]["last_item_at"])
    assert saved == last, "and so is what the channels API and the next start read"
