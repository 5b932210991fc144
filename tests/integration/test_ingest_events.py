"""The thread events an ingestion batch writes with its messages, numbered thread by thread."""

from __future__ import annotations

import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Direction
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.usecases.ingest import IngestMentions
from tests.factories import mention

pytestmark = pytest.mark.integration


async def events_of(db: Database, workspace_id: int, key: str) -> list[tuple[int, str, str | None]]:
    rows = await db.fetch(
        """SELECT e.seq, e.kind, e.message_external_id FROM thread_event e
           JOIN thread t ON t.workspace_id = e.workspace_id AND t.id = e.thread_id
           WHERE e.workspace_id = $1 AND t.thread_key = $2 ORDER BY e.seq""",
        workspace_id,
        key,
    )
    return [(r["seq"], r["kind"], r["message_external_id"]) for r in rows]


async def test_a_batch_numbers_its_events_by_message_time_whatever_their_order_in_the_batch(
    db: Database, workspace_id: int
) -> None:
    ingest = IngestMentions(PgIngestStore(db))
    await ingest(
        workspace_id,
        IngestBatch(
            [
                mention("c3", conversation="c", minute=3),
                mention("d1", conversation="d", author="u2", minute=1),
                mention("c1", conversation="c", minute=1),
                # the brand's answer is no message received, and takes no number
                mention("c2", conversation="c", minute=2, author="brand",
                        direction=Direction.OUTBOUND),
                mention("c1b", conversation="c", minute=1),
            ]
        ),
    )  # fmt: skip
    await ingest(workspace_id, IngestBatch([mention("c4", conversation="c", minute=4)]))

    assert await events_of(db, workspace_id, "c") == [
        (1, "thread.created", None),
        (2, "message.received", "c1"),
        (3, "message.received", "c1b"),
        (4, "message.received", "c3"),
        (5, "message.received", "c4"),
    ]
    assert await events_of(db, workspace_id, "d") == [
        (1, "thread.created", None),
        (2, "message.received", "d1"),
    ]
    counters = await db.fetch(
        "SELECT thread_key, event_seq FROM thread WHERE workspace_id = $1 ORDER BY 1", workspace_id
    )
    assert [(r["thread_key"], r["event_seq"]) for r in counters] == [("c", 5), ("d", 2)]


async def test_a_batch_of_only_known_messages_writes_no_event(
    db: Database, workspace_id: int
) -> None:
    ingest = IngestMentions(PgIngestStore(db))
    batch = IngestBatch([mention("e1", conversation="e"), mention("e2", conversation="e")])
    await ingest(workspace_id, batch)
    await ingest(workspace_id, batch)

    assert [kind for _, kind, _ in await events_of(db, workspace_id, "e")] == [
        "thread.created",
        "message.received",
        "message.received",
    ]
