"""ingest_many on PostgreSQL, with the application's classifier and hooks: what batch after
batch would store, cursor by cursor."""

from __future__ import annotations

from typing import Any

import pytest

from inbox.bootstrap import build_services
from inbox.domain.ingestion import ConnectorCursor, IngestBatch
from inbox.domain.mention import Direction
from inbox.domain.network import Network
from inbox.store.database import Database
from inbox.store.workspaces import PgWorkspaceStore
from tests.factories import mention

pytestmark = pytest.mark.integration

CONNECTOR = "x:mentions:test"


def stream() -> list[IngestBatch]:
    """Conversations spread over batches: replies in later batches, a reply before its
    parent, duplicates across batches, the brand's own posts sent as inbound."""
    return [
        IngestBatch(
            [
                mention("1", author="alice", conversation="1", text="my fibre is down again"),
                mention("2", author="bob", conversation="2", minute=1),
                mention("4", author="carol", reply_to="3", minute=3),  # its parent comes later
            ],
            cursor=ConnectorCursor(connector=CONNECTOR, position="a"),
        ),
        IngestBatch(
            [
                mention("1", author="alice", conversation="1"),  # already stored
                mention("3", author="carol", minute=2),
                mention("5", author="brand", conversation="1", reply_to="1", minute=4),
            ],
            cursor=ConnectorCursor(connector=CONNECTOR, position="b"),
        ),
        IngestBatch(
            [
                mention("6", author="alice", conversation="1", reply_to="5", minute=5),
                mention("7", author="dave", conversation="7", minute=6, text="billed twice"),
                mention("2", author="bob", conversation="2", minute=1),  # already stored
            ],
            cursor=ConnectorCursor(connector=CONNECTOR, position="c"),
        ),
    ]


async def stored(db: Database, workspace_id: int) -> dict[str, Any]:
    async with db.connection() as conn:
        mentions = await conn.fetch(
            """SELECT m.external_id, m.direction, t.thread_key, t.status, t.message_count,
                      t.sla_due_at, t.kind, c.display_name AS customer
               FROM mention m
               LEFT JOIN thread t ON t.workspace_id = m.workspace_id AND t.id = m.thread_id
               LEFT JOIN customer c ON c.workspace_id = t.workspace_id AND c.id = t.customer_id
               WHERE m.workspace_id = $1 ORDER BY m.external_id""",
            workspace_id,
        )
        clocks = await conn.fetch(
            """SELECT t.thread_key, c.kind, c.started_at, c.deadline FROM sla_clock c
               JOIN thread t ON t.workspace_id = c.workspace_id AND t.id = c.thread_id
               WHERE c.workspace_id = $1 ORDER BY 1, 2, 3""",
            workspace_id,
        )
        cursor = await conn.fetchval(
            "SELECT position FROM connector_cursor WHERE workspace_id = $1 AND connector = $2",
            workspace_id,
            CONNECTOR,
        )
    return {"mentions": [dict(r) for r in mentions], "clocks": [dict(r) for r in clocks],
            "cursor": cursor}  # fmt: skip


async def test_a_stream_of_batches_stores_what_batch_after_batch_would(
    db: Database, workspace_id: int
) -> None:
    workspaces = PgWorkspaceStore(db)
    other = await workspaces.ensure_workspace("one-by-one", "One by one")
    for workspace in (workspace_id, other):
        await workspaces.add_account(workspace, Network.X, "brand", "acme_support")
    ingest = build_services(db).ingest

    results = [r async for r in ingest.ingest_many(workspace_id, stream())]
    one_by_one = [await ingest(other, batch) for batch in stream()]

    assert [(r.mentions_added, r.duplicates) for r in results] == [(3, 0), (2, 1), (2, 1)]
    assert [(r.mentions_added, r.threads_created) for r in results] == [
        (r.mentions_added, r.threads_created) for r in one_by_one
    ]
    pipelined, sequential = await stored(db, workspace_id), await stored(db, other)
    assert pipelined == sequential
    assert pipelined["cursor"] == "c"
    directions = {m["external_id"]: m["direction"] for m in pipelined["mentions"]}
    assert directions["5"] == Direction.OUTBOUND.value  # the brand's own, sent as inbound
    assert {m["external_id"] for m in pipelined["mentions"]} == {str(n) for n in range(1, 8)}
