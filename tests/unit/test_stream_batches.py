"""What a live stream delivered is never lost when it cannot be written at once."""

from __future__ import annotations

import pytest

from connectors.common.live_stream import StreamBatches
from inbox.domain.errors import DatabaseUnavailableError
from inbox.domain.ingestion import IngestBatch, IngestResult, RejectedPayload
from tests.factories import mention


class Database:
    """The ingest port: refuses while `down`, else keeps each batch written."""

    def __init__(self) -> None:
        self.down = False
        self.written: list[IngestBatch] = []

    async def ingest(self, workspace_id: int, batch: IngestBatch) -> IngestResult:
        if self.down:
            raise DatabaseUnavailableError("the database connection failed: OSError")
        self.written.append(batch)
        return IngestResult(len(batch.mentions), 0, len(batch.rejected), 0, 0, 0)


def batches(database: Database) -> StreamBatches:
    return StreamBatches(
        database.ingest, 1, "x:1:stream", network="x", handle="acme", on_reconnect=None
    )


async def test_a_batch_that_cannot_be_written_is_written_with_the_next_one() -> None:
    database = Database()
    stream = batches(database)
    stream.mentions.append(mention("1"))
    stream.rejected.append(RejectedPayload("x-stream:acme", b"{", "not JSON"))
    stream.newest = "1"
    database.down = True
    with pytest.raises(DatabaseUnavailableError):
        await stream.flush()
    stream.mentions.append(mention("2"))
    stream.newest = "2"
    database.down = False
    await stream.flush()
    (written,) = database.written
    assert [m.external_id for m in written.mentions] == ["1", "2"]
    assert len(written.rejected) == 1
    assert written.cursor is not None
    assert written.cursor.position == "2"
    assert stream.ingested == 2
