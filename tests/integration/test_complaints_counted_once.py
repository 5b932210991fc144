"""The stored complaint counts hold what was stored, once: a batch whose transaction rolls back
is not counted, and a batch written again (split to isolate a refused message, retried by its
connector, a group commit's deliveries written alone) counts each stored complaint once. Real
PostgreSQL, the real classifier and incident link."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from inbox.domain.errors import DatabaseUnavailableError
from inbox.domain.ingestion import IngestBatch, IngestResult
from inbox.ports.ingest import IngestUnitOfWork
from inbox.store.database import Database
from inbox.store.incidents import PgIncidentStore
from inbox.store.ingest import PgIngestStore
from inbox.store.routing import PgRoutingStore
from inbox.usecases.group_commit import GroupCommit
from inbox.usecases.incidents import WatchComplaints
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.routing import ClassifyMentions
from inbox.usecases.routing_config import RoutingConfigs
from routing.signals import SeriesKey
from tests.integration.test_ingest_faults import complaint, refusing

pytestmark = pytest.mark.integration

MINUTE = timedelta(minutes=1)


def watched_ingest(db: Database, *after: Any) -> IngestMentions:
    """Ingestion as the process wires it for the detector, with `after` hooks running after
    the detector's in the same transaction (one that fails rolls everything back)."""
    return IngestMentions(
        PgIngestStore(db),
        classifier=ClassifyMentions(PgRoutingStore(db), RoutingConfigs()),
        hooks=[WatchComplaints(), *after],
    )


async def counted(db: Database, workspace_id: int, now: datetime) -> int:
    """The complaints counted for the whole workspace around `now`."""
    counts = await PgIncidentStore(db).complaint_counts(now - 2 * MINUTE, now + 2 * MINUTE)
    return sum(c.count for c in counts if c.key == SeriesKey(workspace_id))


def failing_once() -> Any:
    """A hook that fails its transaction the first time, as a database lost at the commit
    would; the batch is then sent again, as its connector does."""
    failed: list[bool] = []

    async def hook(tx: IngestUnitOfWork, workspace_id: int, result: IngestResult) -> None:
        if not failed:
            failed.append(True)
            raise ConnectionResetError("the database went away")

    return hook


async def test_a_batch_whose_transaction_fails_after_the_detector_is_not_counted(
    db: Database, workspace_id: int
) -> None:
    ingest = watched_ingest(db, failing_once())
    now = datetime.now(UTC)
    batch = IngestBatch([complaint(str(n), now) for n in range(5)])

    with pytest.raises(DatabaseUnavailableError):
        await ingest(workspace_id, batch)
    assert await counted(db, workspace_id, now) == 0, "nothing was stored, nothing counted"

    result = await ingest(workspace_id, batch)  # the connector sends it again
    assert result.mentions_added == 5
    assert await counted(db, workspace_id, now) == 5


async def test_a_batch_split_around_a_refused_message_counts_each_stored_complaint_once(
    db: Database, workspace_id: int
) -> None:
    ingest = watched_ingest(db, refusing("7", data_error=True))
    now = datetime.now(UTC)
    batch = IngestBatch([complaint(str(n), now) for n in range(12)])

    result = await ingest(workspace_id, batch)

    assert (result.mentions_added, result.quarantined) == (11, 1)
    assert await counted(db, workspace_id, now) == 11


async def test_a_group_commit_written_again_delivery_by_delivery_counts_each_once(
    db: Database, workspace_id: int
) -> None:
    group = GroupCommit(watched_ingest(db, refusing("poison", data_error=False)))
    now = datetime.now(UTC)
    names = ["a", "b", "poison", "c", "d"]

    outcomes = await asyncio.gather(
        *(group(workspace_id, IngestBatch([complaint(name, now)])) for name in names),
        return_exceptions=True,
    )

    assert sum(isinstance(o, IngestResult) and o.mentions_added == 1 for o in outcomes) == 4
    assert await counted(db, workspace_id, now) == 4


async def test_a_step_failing_after_the_commit_leaves_the_batch_stored_and_answered(
    db: Database, workspace_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("a follower's bug")

    async def hook(tx: IngestUnitOfWork, workspace_id: int, result: IngestResult) -> Any:
        return broken

    ingest = IngestMentions(PgIngestStore(db), hooks=[hook])
    result = await ingest(workspace_id, IngestBatch([complaint("kept", datetime.now(UTC))]))

    assert result.mentions_added == 1, "the caller is not told to send it again"
    assert await db.fetchval("SELECT count(*) FROM mention WHERE workspace_id = $1", workspace_id)
    assert any(getattr(r, "action", None) == "ingest_after_commit_failed" for r in caplog.records)
