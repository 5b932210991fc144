"""Followers of ingestion: run once a batch is stored, never for one that rolled back, and
their failure never fails the batch."""

from __future__ import annotations

import pytest

from inbox.domain.ingestion import IngestBatch, IngestResult
from inbox.usecases.ingest import IngestMentions
from tests.factories import mention
from tests.fakes.ingest import FakeIngestStore


class Refused(Exception):
    pass


async def test_a_follower_sees_each_stored_batch_once_after_its_commit() -> None:
    store = FakeIngestStore()
    seen: list[tuple[int, int, bool]] = []

    async def follow(workspace_id: int, result: IngestResult) -> None:
        seen.append((workspace_id, result.mentions_added, store.units[-1].committed))

    ingest = IngestMentions(store, followers=[follow])
    await ingest(1, IngestBatch([mention("a1", conversation="a")]))
    await ingest(1, IngestBatch([mention("a1", conversation="a")]))  # a duplicate: 0 added

    assert seen == [(1, 1, True), (1, 0, True)]


async def test_a_failing_follower_is_logged_and_the_stored_batch_still_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def fail(workspace_id: int, result: IngestResult) -> None:
        raise Refused

    result = await IngestMentions(FakeIngestStore(), followers=[fail])(
        1, IngestBatch([mention("b1", conversation="b")])
    )

    assert result.mentions_added == 1
    assert "ingest_follower_failed" in {getattr(r, "action", None) for r in caplog.records}


async def test_no_follower_runs_for_a_batch_that_rolled_back() -> None:
    seen: list[IngestResult] = []

    async def follow(workspace_id: int, result: IngestResult) -> None:
        seen.append(result)

    async def refuse(*_: object) -> None:
        raise Refused

    with pytest.raises(Refused):
        await IngestMentions(FakeIngestStore(), hooks=[refuse], followers=[follow])(
            1, IngestBatch([mention("c1", conversation="c")])
        )

    assert seen == []
