"""One detector for the database: complaint counts written by every ingestion path of every
process, evaluated by the one process that holds the detector's lock. Two "processes" are two
pools on one real PostgreSQL, each with its own ingestion and its own detector; the clock is
injected, the detectors tick on their own as in a worker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Mention
from inbox.store.database import Database
from inbox.store.incidents import DETECTOR_LOCK_KEY, PgIncidentStore
from inbox.store.migrate import available_migrations
from inbox.usecases.incident_detector import IncidentTimer
from inbox.usecases.incidents_watch import ComplaintWatcher
from inbox.usecases.services import Services
from routing.signals import SeriesKey
from tests.integration.test_incidents import NOW, Clock, complaint, ingest_history, steady_history

pytestmark = pytest.mark.integration

DEADLINE_S = 30.0
LYON = "@acme no signal at all in Lyon, is the network down? ({n})"


class Process:
    """What one process runs of the detection: its ingestion and its detector."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.services: Services = build_services(db)
        self.watcher = ComplaintWatcher()
        self.states: list[str] = []
        self.ticks = 0
        self.stop = asyncio.Event()
        self.timer = IncidentTimer(
            PgIncidentStore(db),
            self.watcher,
            clock=clock,
            relearn=timedelta(days=4),
            tick_seconds=0.05,
            leadership_retry_seconds=0.05,
            report=lambda ok, detail: self.states.append(detail),
        )
        tick = self.timer.tick

        async def counted_tick() -> object:
            done = await tick()
            self.ticks += 1
            return done

        self.timer.tick = counted_tick  # type: ignore[method-assign]
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.timer.run(self.stop))

    @property
    def leading(self) -> bool:
        return bool(self.states) and self.states[-1] == "leading"

    async def ticked_since(self, count: int) -> None:
        await eventually(lambda: self.ticks > count + 1)

    async def end(self) -> None:
        self.stop.set()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.task, DEADLINE_S)


async def eventually(condition: Callable[[], bool | Awaitable[bool]]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_S
    while True:
        answer = condition()
        if not isinstance(answer, bool):
            answer = await answer
        if answer:
            return
        if loop.time() > deadline:
            raise AssertionError("not within the deadline")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def two_processes(
    db: Database, database_dsn: str, clock: Clock
) -> AsyncIterator[tuple[Process, Process]]:
    other = await Database.connect(database_dsn, size=4, synchronous_commit="off")
    first, second = Process(db, clock), Process(other, clock)
    try:
        yield first, second
    finally:
        await first.end()
        await second.end()
        await other.close()


def burst(first: int, count: int, at: datetime) -> list[Mention]:
    first += 100_000  # apart from the history's numbers
    return [
        complaint(
            first + n, at + timedelta(seconds=n), LYON.format(n=first + n), f"lyon{first + n}"
        )
        for n in range(count)
    ]


async def detector_incidents(db: Database, workspace_id: int) -> list[int]:
    rows = await db.fetch(
        "SELECT id FROM incident WHERE workspace_id = $1 AND source = 'detector' ORDER BY id",
        workspace_id,
    )
    return [row["id"] for row in rows]


async def lock_holder_pid(db: Database) -> int | None:
    pid = await db.fetchval(
        """SELECT pid FROM pg_locks
           WHERE locktype = 'advisory' AND granted
             AND ((classid::bigint << 32) | objid::bigint) = $1""",
        DETECTOR_LOCK_KEY,
    )
    return int(pid) if pid is not None else None


async def test_a_burst_split_between_two_processes_is_seen_whole_and_opens_one_incident(
    db: Database, database_dsn: str, workspace_id: int
) -> None:
    clock = Clock(NOW)
    async with two_processes(db, database_dsn, clock) as (first, second):
        await ingest_history(first.services, workspace_id, steady_history(2, timedelta(minutes=20)))
        first.start()
        second.start()
        await eventually(lambda: first.leading or second.leading)
        leader = first if first.leading else second
        assert not (first.leading and second.leading), "one detector for the database"

        clock.now = NOW + timedelta(seconds=30)
        # Half the burst through one process's batch, half through the other's deliveries.
        await first.services.ingest(workspace_id, IngestBatch(burst(0, 6, NOW)))
        for mention in burst(6, 6, NOW + timedelta(seconds=10)):
            await second.services.ingest(workspace_id, IngestBatch([mention]))
        clock.now = NOW + timedelta(minutes=2)
        await eventually(lambda: _any(detector_incidents(db, workspace_id)))
        await leader.ticked_since(leader.ticks)

        (incident_id,) = await detector_incidents(db, workspace_id)
        detail = await PgIncidentStore(db).detail(workspace_id, incident_id)
        assert detail is not None
        assert len(detail.threads) == 12, "every complaint of the burst, from both processes"
        assert any(p.observed == 12 for p in detail.points), "counted whole, not half in each"


async def _any(found: Awaitable[list[int]]) -> bool:
    return bool(await found)


@pytest.mark.parametrize("dies", ["before it opens", "after it opened"])
async def test_a_leader_lost_mid_burst_hands_over_without_losing_it_or_opening_twice(
    db: Database, database_dsn: str, workspace_id: int, dies: str
) -> None:
    clock = Clock(NOW)
    async with two_processes(db, database_dsn, clock) as (first, second):
        await ingest_history(first.services, workspace_id, steady_history(2, timedelta(minutes=20)))
        first.start()
        await eventually(lambda: first.leading)
        second.start()
        await eventually(lambda: second.states == ["following"])

        clock.now = NOW + timedelta(seconds=30)
        await first.services.ingest(workspace_id, IngestBatch(burst(0, 12, NOW)))
        if dies == "after it opened":
            clock.now = NOW + timedelta(minutes=1, seconds=5)
            await eventually(lambda: _any(detector_incidents(db, workspace_id)))
        else:
            await first.ticked_since(first.ticks)  # it has read the burst's counts, no more
            assert await detector_incidents(db, workspace_id) == []

        # The leader's lock connection is closed under it, and its process stops.
        pid = await lock_holder_pid(db)
        assert pid is not None
        first.stop.set()
        await db.fetchval("SELECT pg_terminate_backend($1)", pid)
        await eventually(lambda: second.leading)

        await second.services.ingest(
            workspace_id, IngestBatch(burst(100, 6, NOW + timedelta(minutes=1, seconds=10)))
        )
        clock.now = NOW + timedelta(minutes=3)
        await eventually(lambda: _any(detector_incidents(db, workspace_id)))
        await second.ticked_since(second.ticks)

        opened = await detector_incidents(db, workspace_id)
        assert len(opened) == 1, "one burst, one incident, whoever led"
        detail = await PgIncidentStore(db).detail(workspace_id, opened[0])
        assert detail is not None
        assert detail.incident.is_open
        assert len(detail.threads) == 18
        assert "region:Lyon" in detail.incident.series
        assert second.watcher.is_open(SeriesKey(workspace_id, "region", "Lyon")), (
            "the new leader learned the burst from the stored counts"
        )


async def test_the_migration_counts_the_stored_complaints_as_ingestion_does(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    texts = [
        "@acme no network at all in Lyon, panne totale",
        "@acme plus de réseau à Lyon depuis midi, c'est une panne",
        "@acme my bill is wrong again, overcharged twice",
        "@acme internet down near Grenoble, I am leaving you for another operator",
    ]
    mentions = [
        complaint(200_000 + n, now - timedelta(minutes=n % 3, seconds=10), text)
        for n, text in enumerate(texts * 3)
    ]
    await services.ingest(workspace_id, IngestBatch(mentions))
    stored = PgIncidentStore(db)
    window = (now - timedelta(hours=1), now + timedelta(minutes=1))
    written = await stored.complaint_counts(*window)
    assert {c.key.kind for c in written} >= {"all", "topic", "keywords", "region"}

    (migration,) = [m for m in available_migrations() if m.name.endswith("complaint_counts")]
    backfill = migration.sql[migration.sql.index("INSERT INTO complaint_count") :]
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM complaint_count")
        await conn.execute(backfill)

    assert await stored.complaint_counts(*window) == written
