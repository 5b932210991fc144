"""Batch ingestion against the real PostgreSQL: dedupe, customers, threading, cursors."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from inbox.domain.ingestion import (
    ConnectorCursor,
    IngestBatch,
    IngestResult,
    RejectedPayload,
)
from inbox.domain.mention import Mention
from inbox.domain.network import Network
from inbox.ports.ingest import IngestUnitOfWork
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.ingest import IngestMentions
from tests.factories import mention

pytestmark = pytest.mark.integration


async def ingest(db: Database, workspace_id: int, *mentions: Mention, **kw: Any) -> IngestResult:
    return await IngestMentions(PgIngestStore(db))(workspace_id, IngestBatch(mentions, **kw))


async def threads_by_member(db: Database, workspace_id: int) -> dict[str, dict[str, Any]]:
    """external id -> the row of its thread (mentions without a thread are left out)."""
    rows = await db_fetch(
        db,
        """SELECT m.external_id, t.id, t.status, t.customer_id, t.message_count, t.opened_at,
                  t.thread_key, t.last_outbound_at
           FROM mention m JOIN thread t ON t.workspace_id = m.workspace_id AND t.id = m.thread_id
           WHERE m.workspace_id = $1""",
        workspace_id,
    )
    return {r["external_id"]: dict(r) for r in rows}


async def db_fetch(db: Database, query: str, *args: Any) -> list[Any]:
    async with db.connection() as conn:
        return list(await conn.fetch(query, *args))


COUNT_ROWS = {
    table: f"SELECT count(*) FROM {table} WHERE workspace_id = $1"  # noqa: S608 (fixed names)
    for table in ("mention", "thread", "customer", "identity", "connector_cursor", "quarantine")
}


async def count(db: Database, table: str, workspace_id: int) -> int:
    return int(await db.fetchval(COUNT_ROWS[table], workspace_id))


async def test_new_authors_get_a_customer_and_each_conversation_a_thread(
    db: Database, workspace_id: int
) -> None:
    result = await ingest(
        db,
        workspace_id,
        mention("1", author="alice", conversation="1"),
        mention("2", author="bob", conversation="2", minute=1),
        mention("3", author="alice", conversation="1", reply_to="1", minute=2),
    )
    assert (result.mentions_added, result.threads_created, result.customers_created) == (3, 2, 2)
    threads = await threads_by_member(db, workspace_id)
    assert threads["1"]["id"] == threads["3"]["id"] != threads["2"]["id"]
    assert threads["1"]["message_count"] == 2
    assert threads["1"]["status"] == "new"
    assert await count(db, "identity", workspace_id) == 2


async def test_a_known_author_reuses_their_identity_and_customer(
    db: Database, workspace_id: int
) -> None:
    await ingest(db, workspace_id, mention("1", author="alice", conversation="1"))
    result = await ingest(db, workspace_id, mention("2", author="alice", conversation="2"))
    assert result.customers_created == 0
    threads = await threads_by_member(db, workspace_id)
    assert threads["1"]["customer_id"] == threads["2"]["customer_id"]


async def test_duplicates_within_and_across_batches_are_stored_once(
    db: Database, workspace_id: int
) -> None:
    first = await ingest(db, workspace_id, mention("1"), mention("1"), mention("2"))
    second = await ingest(db, workspace_id, mention("2"), mention("3"))
    assert (first.mentions_added, first.duplicates) == (2, 1)
    assert (second.mentions_added, second.duplicates) == (1, 1)
    assert await count(db, "mention", workspace_id) == 3


async def test_same_ids_on_two_networks_are_two_mentions(db: Database, workspace_id: int) -> None:
    result = await ingest(db, workspace_id, mention("1"), mention("1", network=Network.MASTODON))
    assert result.mentions_added == 2


async def test_reply_chains_without_conversation_key_join_one_thread_in_one_batch(
    db: Database, workspace_id: int
) -> None:
    await ingest(
        db,
        workspace_id,
        mention("c", reply_to="b", minute=2),
        mention("a", minute=0),
        mention("b", reply_to="a", minute=1),
    )
    threads = await threads_by_member(db, workspace_id)
    assert threads["a"]["id"] == threads["b"]["id"] == threads["c"]["id"]


async def test_replies_seen_before_their_parents_merge_into_one_thread(
    db: Database, workspace_id: int
) -> None:
    await ingest(db, workspace_id, mention("c", author="carol", reply_to="b", minute=2))
    await ingest(db, workspace_id, mention("b", author="bob", reply_to="a", minute=1))
    await ingest(db, workspace_id, mention("a", author="alice", minute=0))
    threads = await threads_by_member(db, workspace_id)
    assert threads["a"]["id"] == threads["b"]["id"] == threads["c"]["id"]
    assert threads["a"]["thread_key"] == "a"
    assert threads["a"]["message_count"] == 3
    assert await count(db, "thread", workspace_id) == 1
    alice = await db.fetchval(
        "SELECT customer_id FROM identity WHERE workspace_id = $1 AND external_user_id = 'alice'",
        workspace_id,
    )
    assert threads["a"]["customer_id"] == alice  # the earliest writer owns the thread


async def test_a_customer_writing_after_resolution_reopens_the_thread(
    db: Database, workspace_id: int
) -> None:
    await ingest(db, workspace_id, mention("1", conversation="1", minute=0))
    await db.fetchval(
        "UPDATE thread SET status = 'resolved', resolved_at = $2 WHERE workspace_id = $1",
        workspace_id,
        mention("x", minute=10).created_at,
    )
    backfilled = await ingest(db, workspace_id, mention("2", conversation="1", minute=5))
    assert backfilled.threads_reopened == 0
    result = await ingest(db, workspace_id, mention("3", conversation="1", minute=20))
    assert result.threads_reopened == 1
    threads = await threads_by_member(db, workspace_id)
    assert threads["3"]["status"] == "open"


async def test_messages_from_the_brand_account_are_outbound_on_their_thread(
    db: Database, workspace_id: int
) -> None:
    await PgWorkspaceStore(db).add_account(workspace_id, Network.X, "brand", "acme_support")
    await ingest(db, workspace_id, mention("1", author="alice", conversation="1"))
    result = await ingest(
        db, workspace_id, mention("2", author="brand", conversation="1", reply_to="1", minute=3)
    )
    assert result.customers_created == 0
    rows = await db_fetch(
        db, "SELECT external_id, direction, customer_id FROM mention ORDER BY external_id"
    )
    assert [(r["external_id"], r["direction"]) for r in rows] == [
        ("1", "inbound"),
        ("2", "outbound"),
    ]
    assert rows[1]["customer_id"] is None
    threads = await threads_by_member(db, workspace_id)
    assert threads["2"]["id"] == threads["1"]["id"]
    assert threads["1"]["status"] == "open"
    assert threads["1"]["last_outbound_at"] == mention("2", minute=3).created_at


async def test_a_brand_post_waits_unthreaded_until_a_customer_answers_it(
    db: Database, workspace_id: int
) -> None:
    await PgWorkspaceStore(db).add_account(workspace_id, Network.X, "brand", "acme_support")
    first = await ingest(db, workspace_id, mention("p", author="brand", conversation="p"))
    assert first.threads_created == 0
    await ingest(db, workspace_id, mention("r", author="alice", conversation="p", minute=5))
    threads = await threads_by_member(db, workspace_id)
    assert threads["p"]["id"] == threads["r"]["id"]
    assert threads["r"]["message_count"] == 2
    assert threads["r"]["status"] == "new"  # the brand spoke before the customer, not to them


async def test_the_cursor_commits_with_its_mentions(db: Database, workspace_id: int) -> None:
    cursor = ConnectorCursor(connector="x:mentions:1", position="1001")
    await ingest(db, workspace_id, mention("1"), cursor=cursor)
    stored = await db.fetchval(
        "SELECT position FROM connector_cursor WHERE workspace_id = $1 AND connector = $2",
        workspace_id,
        "x:mentions:1",
    )
    assert stored == "1001"


async def test_a_failed_batch_leaves_neither_mentions_nor_cursor(
    db: Database, workspace_id: int
) -> None:
    class Failing:
        async def __call__(
            self, tx: IngestUnitOfWork, workspace_id: int, result: IngestResult
        ) -> None:
            raise RuntimeError("crash after writing")

    use_case = IngestMentions(PgIngestStore(db), hooks=[Failing()])
    batch = IngestBatch([mention("1")], cursor=ConnectorCursor(connector="c", position="9"))
    with pytest.raises(RuntimeError, match="crash after writing"):
        await use_case(workspace_id, batch)
    assert await count(db, "mention", workspace_id) == 0
    assert await count(db, "connector_cursor", workspace_id) == 0


async def test_rejected_payloads_are_quarantined_with_their_error_and_bytes(
    db: Database, workspace_id: int
) -> None:
    bad = RejectedPayload(source="file.jsonl:7", raw=b'{"data": [', error="line 7: invalid JSON")
    result = await ingest(db, workspace_id, mention("1"), rejected=[bad])
    assert (result.mentions_added, result.quarantined) == (1, 1)
    rows = await db_fetch(db, "SELECT source, raw, error FROM quarantine")
    assert [(r["source"], bytes(r["raw"]), r["error"]) for r in rows] == [
        ("file.jsonl:7", b'{"data": [', "line 7: invalid JSON")
    ]


async def test_one_notification_per_batch_names_the_changed_threads(
    db: Database, workspace_id: int, database_dsn: str
) -> None:
    import asyncpg

    received: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(database_dsn)
    try:
        await listener.add_listener("inbox_threads", lambda *args: received.put_nowait(args[3]))
        result = await ingest(
            db, workspace_id, *(mention(str(i), conversation=str(i % 3)) for i in range(9))
        )
        payload = json.loads(await asyncio.wait_for(received.get(), timeout=10))
        await asyncio.sleep(0)  # let any further notification of this batch arrive
        await listener.execute("SELECT 1")
        assert received.empty()
    finally:
        await listener.close()
    assert payload["workspace_id"] == workspace_id
    # Each thread with its state (inbox/store/live_sql.py), its id first.
    assert [state[0] for state in payload["threads"]] == sorted(result.changed_thread_ids)
    assert len(result.changed_thread_ids) == 3


async def test_workspaces_do_not_share_mentions_or_customers(db: Database) -> None:
    store = PgWorkspaceStore(db)
    first = await store.ensure_workspace("one", "One")
    second = await store.ensure_workspace("two", "Two")
    await ingest(db, first, mention("1", author="alice"))
    result = await ingest(db, second, mention("1", author="alice"))
    assert (result.mentions_added, result.customers_created) == (1, 1)


async def test_payloads_with_nul_and_lone_surrogates_are_stored_not_refused(
    db: Database, workspace_id: int
) -> None:
    hostile = mention("h1", text="a\x00b \ud800").model_copy(
        update={"raw": {"text\x00": "a\x00b", "emoji": "\ud83d", "ok": "é"}}
    )
    result = await ingest(db, workspace_id, hostile, mention("h2"))
    assert result.mentions_added == 2
    raw = await db.fetchval(
        "SELECT raw FROM mention WHERE workspace_id = $1 AND external_id = 'h1'", workspace_id
    )
    assert json.loads(raw) == {"text": "ab", "emoji": "\ufffd", "ok": "é"}
