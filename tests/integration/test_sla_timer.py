"""The SLA timer against the real database: on time, once, across restarts and rivals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.store.database import Database
from inbox.store.sla_timer import TIMER_LOCK_KEY, PgShiftReports, PgSlaTimerStore
from inbox.usecases.sla import KeepClocks
from inbox.usecases.sla_timer import SlaTimer
from tests.factories import mention, paris_office

pytestmark = pytest.mark.integration

T = TypeVar("T")


def now() -> datetime:
    return datetime.now(UTC)


async def complaint_at(db: Database, workspace_id: int, external_id: str, at: datetime) -> None:
    message = mention(external_id, conversation=external_id).model_copy(update={"created_at": at})
    await build_services(db).ingest(workspace_id, IngestBatch([message]))


async def events(db: Database, workspace_id: int) -> list[dict[str, Any]]:
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT kind, due_at, fired_at FROM sla_event WHERE workspace_id = $1 ORDER BY id",
            workspace_id,
        )
    return [dict(r) for r in rows]


def timer(db: Database, clock: Any = now) -> SlaTimer:
    return SlaTimer(PgSlaTimerStore(db), clock=clock, leadership_retry_seconds=0.2)


async def test_a_warning_then_a_breach_each_fire_once(db: Database, workspace_id: int) -> None:
    start = now() - timedelta(minutes=50)  # warning (45 min) due, breach (60 min) not yet
    await complaint_at(db, workspace_id, "1", start)
    sla = timer(db)
    assert [e.kind for e in await sla.fire()] == ["warning"]
    assert await sla.fire() == []
    later = SlaTimer(PgSlaTimerStore(db), clock=lambda: start + timedelta(minutes=61))
    assert [e.kind for e in await later.fire()] == ["breach"]
    assert await later.fire() == []
    assert [e["kind"] for e in await events(db, workspace_id)] == ["warning", "breach"]


async def test_a_breach_missed_while_no_timer_ran_fires_once_on_start_without_its_warning(
    db: Database, workspace_id: int
) -> None:
    await complaint_at(db, workspace_id, "1", now() - timedelta(hours=3))
    stop = asyncio.Event()
    running = asyncio.create_task(timer(db).run(stop))
    try:
        for _ in range(100):
            if await events(db, workspace_id):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await running
    restarted_stop = asyncio.Event()
    restarted = asyncio.create_task(timer(db).run(restarted_stop))
    await asyncio.sleep(0.5)
    restarted_stop.set()
    await restarted
    assert [e["kind"] for e in await events(db, workspace_id)] == ["breach"]


async def test_two_timers_racing_never_fire_an_event_twice(db: Database, workspace_id: int) -> None:
    for number in range(40):
        await complaint_at(db, workspace_id, f"m{number}", now() - timedelta(hours=2))
    first, second = await asyncio.gather(timer(db).fire(), timer(db).fire())
    assert len(first) + len(second) == 40
    assert len(await events(db, workspace_id)) == 40


async def test_only_one_worker_leads(db: Database, workspace_id: int) -> None:
    store = PgSlaTimerStore(db)
    async with (
        store.leadership(lambda: None) as leads,
        store.leadership(lambda: None) as also_leads,
    ):
        assert (leads.leader, also_leads.leader) == (True, False)


async def test_a_deadline_seconds_ahead_fires_by_itself_after_its_instant(
    db: Database, workspace_id: int
) -> None:
    stop = asyncio.Event()
    sla = timer(db)
    running = asyncio.create_task(sla.run(stop))
    try:
        await asyncio.sleep(0.3)  # leading, sleeping: the deadline below arrives by NOTIFY
        due = now() + timedelta(seconds=2)
        await complaint_at(db, workspace_id, "1", due - timedelta(minutes=60))
        for _ in range(200):
            if any(e["kind"] == "breach" for e in await events(db, workspace_id)):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await running
    breach = next(e for e in await events(db, workspace_id) if e["kind"] == "breach")
    assert breach["fired_at"] >= breach["due_at"]


async def test_at_closing_minus_15_minutes_running_clocks_are_listed_once(
    db: Database, workspace_id: int
) -> None:
    office = paris_office()
    await build_services(db).sla_settings(
        workspace_id,
        {"office": office},
        {"policies": {"office": {"name": "office", "calendar": "office"}}, "default": "office"},
    )
    friday = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)  # 18:00 in Paris
    await complaint_at(db, workspace_id, "1", friday)
    rules = KeepClocks()
    shifts = PgShiftReports(db)

    def at(moment: datetime) -> SlaTimer:
        return SlaTimer(PgSlaTimerStore(db), clock=lambda: moment, shifts=shifts, rules=rules)

    assert await at(friday + timedelta(minutes=30)).end_of_shift() == 0  # 18:30: too early
    assert await at(friday + timedelta(minutes=50)).end_of_shift() == 1  # 18:50
    assert await at(friday + timedelta(minutes=52)).end_of_shift() == 0  # already listed
    async with db.connection() as conn:
        report = await conn.fetchrow("SELECT closes_at, running FROM sla_shift_report")
    assert report["closes_at"] == friday + timedelta(hours=1)
    assert [c["kind"] for c in json.loads(report["running"])] == ["first_response"]


LOCK_HOLDER = """
SELECT pid FROM pg_locks
WHERE locktype = 'advisory' AND granted AND objsubid = 1
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND ((classid::bigint << 32) | objid::bigint) = $1
"""


async def test_a_timer_whose_lock_connection_is_terminated_leads_again_and_fires_what_fell_due(
    db: Database, workspace_id: int
) -> None:
    reports: list[tuple[bool, str]] = []
    stop = asyncio.Event()
    sla = SlaTimer(
        PgSlaTimerStore(db),
        clock=now,
        leadership_retry_seconds=0.2,
        report=lambda ok, detail: reports.append((ok, detail)),
    )
    running = asyncio.create_task(sla.run(stop))

    async def lock_holder() -> int | None:
        pid = await db.fetchval(LOCK_HOLDER, TIMER_LOCK_KEY)
        return int(pid) if pid is not None else None

    try:
        first = await eventually(lock_holder, "the timer to take the lock")
        assert await db.fetchval("SELECT pg_terminate_backend($1)", first)
        # Due long ago: whoever leads next fires it, whether at its start or on NOTIFY.
        await complaint_at(db, workspace_id, "1", now() - timedelta(hours=3))

        async def new_holder() -> int | None:
            pid = await lock_holder()
            return pid if pid not in (None, first) else None

        await eventually(new_holder, "the timer to take the lock on a new connection")
        await eventually(
            lambda: _breaches(db, workspace_id), "the breach that fell due to be fired"
        )
    finally:
        stop.set()
        await running
    assert reports[0] == (True, "leading")
    assert (False, "leadership lost; taking it again") in reports
    assert reports[-1] == (True, "leading")
    assert [e["kind"] for e in await events(db, workspace_id)] == ["breach"]


async def _breaches(db: Database, workspace_id: int) -> int | None:
    fired = [e for e in await events(db, workspace_id) if e["kind"] == "breach"]
    return len(fired) or None


async def eventually(check: Callable[[], Awaitable[T | None]], what: str) -> T:
    """`check()` until it answers something, for up to 30 seconds."""
    for _ in range(300):
        answer = await check()
        if answer is not None:
            return answer
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
