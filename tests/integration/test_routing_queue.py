"""The queue against the real database: claims by priority then deadline, 16 claimers never
sharing a thread, capacity, reassignment of threads nobody answered, settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from inbox.bootstrap import build_services
from inbox.domain.errors import ConfigurationError
from inbox.domain.ingestion import IngestBatch
from inbox.store.database import Database
from inbox.store.routing import PgRoutingStore
from inbox.usecases.assignment import ClaimNext, ReassignStale
from inbox.usecases.routing import RoutingSettings
from inbox.usecases.routing_config import RoutingConfigs
from tests.factories import mention
from tests.integration.people import agent_of_team

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


async def threads(db: Database, workspace_id: int, count: int) -> list[int]:
    batch = IngestBatch(
        [mention(f"m{n}", author=f"u{n}", conversation=f"c{n}") for n in range(count)]
    )
    await build_services(db).ingest(workspace_id, batch)
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT id FROM thread WHERE workspace_id = $1 ORDER BY id", workspace_id
        )
    return [r["id"] for r in rows]


async def agent(
    db: Database, workspace_id: int, name: str, *, capacity: int = 100, team: str = "care"
) -> int:
    return await agent_of_team(db, workspace_id, name, name, capacity=capacity, team=team)


async def test_claims_take_the_most_pressing_then_the_nearest_deadline(
    db: Database, workspace_id: int
) -> None:
    ids = await threads(db, workspace_id, 4)
    async with db.connection() as conn:
        await conn.execute(
            """UPDATE thread SET priority = CASE id WHEN $2 THEN 'low' WHEN $3 THEN 'urgent'
                                               ELSE 'normal' END,
                                 sla_due_at = CASE id WHEN $4 THEN $6::timestamptz
                                                      WHEN $5 THEN $6::timestamptz - interval '1h'
                                               END
               WHERE workspace_id = $1""",
            workspace_id, ids[0], ids[1], ids[2], ids[3], NOW,
        )  # fmt: skip
    ana = await agent(db, workspace_id, "ana")
    claim = ClaimNext(PgRoutingStore(db), clock=lambda: NOW)
    claimed = await claim(workspace_id, ana, 4)
    assert [c.thread_id for c in claimed] == [ids[1], ids[3], ids[2], ids[0]]


async def test_sixteen_concurrent_claimers_never_get_the_same_thread(
    db: Database, workspace_id: int
) -> None:
    ids = await threads(db, workspace_id, 200)
    agents = [await agent(db, workspace_id, f"a{n}") for n in range(16)]
    claim = ClaimNext(PgRoutingStore(db), clock=lambda: NOW)

    async def keep_claiming(agent_id: int) -> list[int]:
        got: list[int] = []
        while batch := await claim(workspace_id, agent_id, 3):
            got.extend(c.thread_id for c in batch)
        return got

    results = await asyncio.gather(*(keep_claiming(a) for a in agents))
    everything = [t for got in results for t in got]
    assert sorted(everything) == sorted(ids)
    async with db.connection() as conn:
        logged = await conn.fetchval(
            "SELECT count(*) FROM assignment WHERE workspace_id = $1 AND source = 'claim'",
            workspace_id,
        )
    assert logged == 200


async def test_a_claim_never_takes_an_agent_over_capacity(db: Database, workspace_id: int) -> None:
    await threads(db, workspace_id, 10)
    ana = await agent(db, workspace_id, "ana", capacity=3)
    claim = ClaimNext(PgRoutingStore(db), clock=lambda: NOW)
    assert len(await claim(workspace_id, ana, 5)) == 3
    assert await claim(workspace_id, ana, 1) == []
    with pytest.raises(ConfigurationError, match="between 1 and 50"):
        await claim(workspace_id, ana, 0)


async def test_a_thread_nobody_answered_goes_to_the_next_agent_of_its_team(
    db: Database, workspace_id: int
) -> None:
    await threads(db, workspace_id, 1)
    ana = await agent(db, workspace_id, "ana")
    ben = await agent(db, workspace_id, "ben")
    async with db.connection() as conn:
        team = await conn.fetchval("SELECT id FROM team WHERE workspace_id = $1", workspace_id)
        await conn.execute(
            "UPDATE thread SET assignee_id = $2, team_id = $3, assigned_at = $4"
            " WHERE workspace_id = $1",
            workspace_id, ana, team, NOW - timedelta(minutes=45),
        )  # fmt: skip
    store = PgRoutingStore(db)
    reassign = ReassignStale(store, RoutingConfigs(), clock=lambda: NOW)
    assert await reassign(workspace_id) == 1
    async with db.connection() as conn:
        row = await conn.fetchrow(
            "SELECT assignee_id, assigned_at FROM thread WHERE workspace_id = $1", workspace_id
        )
        reasons = await conn.fetchval(
            "SELECT reasons FROM assignment WHERE workspace_id = $1 AND source = 'reassign'",
            workspace_id,
        )
    assert (row["assignee_id"], row["assigned_at"]) == (ben, NOW)
    assert "30" in reasons  # the timeout is named
    assert await reassign(workspace_id) == 0  # ben's clock starts now


async def test_routing_settings_are_checked_before_they_are_stored(
    db: Database, workspace_id: int
) -> None:
    service = RoutingSettings(PgRoutingStore(db))
    with pytest.raises(ConfigurationError, match="fair_window_max"):
        await service.save(workspace_id, {"fair_window_max": 0}, {}, {"rules": []})
    with pytest.raises(ConfigurationError, match=r"not in settings\.acknowledgements"):
        await service.save(
            workspace_id,
            {},
            {},
            {"rules": [{"name": "ack", "then": {"auto_acknowledge": "night"}}]},
        )
    version = await service.save(
        workspace_id,
        {"reassign_after_minutes": 20, "acknowledgements": {"night": "We are back at 9."}},
        {"topics": {"roaming": ["roaming"]}},
        {"rules": [{"name": "ack", "then": {"auto_acknowledge": "night"}}]},
    )
    assert version == 1
    current = await service.current(workspace_id)
    assert current.settings["reassign_after_minutes"] == 20
    assert current.lexicon == {"topics": {"roaming": ["roaming"]}}


async def test_each_thread_keeps_its_nearest_running_deadline_for_the_queue(
    db: Database, workspace_id: int
) -> None:
    await threads(db, workspace_id, 1)
    async with db.connection() as conn:
        row = await conn.fetchrow(
            """SELECT t.sla_due_at, min(c.deadline) AS nearest FROM thread t
               JOIN sla_clock c ON c.workspace_id = t.workspace_id AND c.thread_id = t.id
               WHERE t.workspace_id = $1 GROUP BY t.sla_due_at""",
            workspace_id,
        )
    assert row["sla_due_at"] is not None
    assert row["sla_due_at"] == row["nearest"]
