"""Deliveries that arrive together are written in one transaction, each caller answered with
its own counts once its messages are committed."""

from __future__ import annotations

import asyncio

import pytest

from inbox.domain.ingestion import ConnectorCursor, IngestBatch, IngestResult
from inbox.store.database import Database
from inbox.usecases.group_commit import GroupCommit
from inbox.usecases.services import Services
from tests.factories import mention

pytestmark = pytest.mark.integration


@pytest.fixture
def services(db: Database) -> Services:
    from inbox.bootstrap import build_services

    return build_services(db)


async def test_concurrent_deliveries_share_transactions_and_keep_their_own_counts(
    services: Services, db: Database, workspace_id: int
) -> None:
    written: list[int] = []

    async def counted(workspace: int, batch: IngestBatch) -> IngestResult:
        written.append(len(batch.mentions))
        return await services.ingest(workspace, batch)

    group = GroupCommit(counted)
    # The same message sent by two callers, and forty callers with one message each.
    shared = mention("shared", author="u0", conversation="c0")
    batches = [IngestBatch([shared]), IngestBatch([shared])] + [
        IngestBatch([mention(str(n), author=f"u{n}", conversation=f"c{n}")]) for n in range(40)
    ]
    results = await asyncio.gather(*(group(workspace_id, b) for b in batches))

    assert sum(written) == 42
    assert len(written) < 42  # fewer transactions than deliveries
    assert [r.mentions_added for r in results[:2]] == [1, 0]  # the first sender's
    assert [r.duplicates for r in results[:2]] == [0, 1]
    assert all(r.mentions_added == 1 for r in results[2:])
    async with db.connection() as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM mention WHERE workspace_id = $1", workspace_id
        )
    assert stored == 41

    again = await group(workspace_id, IngestBatch([shared]))
    assert (again.mentions_added, again.duplicates) == (0, 1)


async def test_a_failed_transaction_fails_every_caller_and_a_cursor_batch_goes_alone(
    services: Services, workspace_id: int
) -> None:
    calls: list[int] = []

    async def failing(workspace: int, batch: IngestBatch) -> IngestResult:
        calls.append(len(batch.mentions))
        await asyncio.sleep(0)
        raise RuntimeError("the database went away")

    group = GroupCommit(failing)
    outcomes = await asyncio.gather(
        *(group(workspace_id, IngestBatch([mention(str(n))])) for n in range(5)),
        return_exceptions=True,
    )
    assert all(isinstance(o, RuntimeError) for o in outcomes)

    alone = GroupCommit(services.ingest)
    cursor = ConnectorCursor(connector="x:test", position="42")
    result = await alone(workspace_id, IngestBatch([mention("9")], cursor=cursor))
    assert result.mentions_added == 1
