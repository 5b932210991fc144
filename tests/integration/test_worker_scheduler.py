"""The worker's one scheduler against the real database: the SLA timer's leader keeps its
instants on it beside the periodic passes, and takes them away when it stops leading."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.store.database import Database
from inbox.store.sla_timer import PgSlaTimerStore
from inbox.supervise import Backoff
from inbox.usecases.health import HealthBoard
from inbox.usecases.sla_timer import SlaTimer
from inbox.worker import LongRunning, Periodic, Worker
from tests.factories import mention

pytestmark = pytest.mark.integration


def now() -> datetime:
    return datetime.now(UTC)


async def breaches(db: Database, workspace_id: int) -> int:
    count = await db.fetchval(
        "SELECT count(*) FROM sla_event WHERE workspace_id = $1 AND kind = 'breach'", workspace_id
    )
    return int(count)


async def test_the_sla_timer_fires_on_the_workers_scheduler_and_leaves_no_job_when_stopped(
    db: Database, workspace_id: int
) -> None:
    stop = asyncio.Event()
    board = HealthBoard()
    worker = Worker(board, stop, backoff=Backoff(first_seconds=0.01, max_seconds=0.1))
    timer = SlaTimer(
        PgSlaTimerStore(db),
        clock=now,
        leadership_retry_seconds=0.2,
        report=lambda ok, detail: board.report("timer", ok, detail),
        scheduler=worker.scheduler,
    )
    passes = 0

    async def outbox() -> None:
        nonlocal passes
        passes += 1

    running = asyncio.create_task(
        worker.run(
            [LongRunning("timer", timer.run, reports_itself=True)],
            [Periodic("outbox", 0.05, outbox)],
        )
    )
    try:
        for _ in range(300):
            if board.parts().get("timer") is not None:
                break
            await asyncio.sleep(0.05)
        assert board.parts()["timer"].detail == "leading"
        assert {job.id for job in worker.scheduler.get_jobs()} >= {"sla-safety"}
        # Due in two seconds: planned on the shared scheduler by NOTIFY, fired by itself.
        due = now() + timedelta(seconds=2)
        message = mention("1", conversation="1").model_copy(
            update={"created_at": due - timedelta(minutes=60)}
        )
        await build_services(db).ingest(workspace_id, IngestBatch([message]))
        for _ in range(300):
            if await breaches(db, workspace_id):
                break
            await asyncio.sleep(0.05)
        assert await breaches(db, workspace_id) == 1
        assert passes > 1
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
    assert not worker.scheduler.running
    assert worker.scheduler.get_jobs() == []
