"""When a person last answered a thread (`thread.last_answered_at`), kept by ingestion on every
path a brand message reaches a thread, and filled for threads stored before it existed. An
automated acknowledgement is outbound but answers nothing, as for the SLA clocks."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Direction, Mention
from inbox.domain.network import Network
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.store.live import PgLiveRows
from inbox.store.live_sql import THREAD_STATE
from inbox.store.migrate import available_migrations
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.ingest import IngestMentions
from tests.factories import mention

pytestmark = pytest.mark.integration


def _acknowledgement(external_id: str, reply_to: str, minute: int) -> Mention:
    brand = mention(
        external_id,
        conversation="c1",
        reply_to=reply_to,
        minute=minute,
        direction=Direction.OUTBOUND,
    )
    return brand.model_copy(update={"automated": True})


def _answer(
    external_id: str, reply_to: str, minute: int, conversation: str | None = "c1"
) -> Mention:
    return mention(
        external_id,
        conversation=conversation,
        reply_to=reply_to,
        minute=minute,
        direction=Direction.OUTBOUND,
    )


async def _ingest(db: Database, workspace_id: int, *mentions: Mention) -> None:
    await IngestMentions(PgIngestStore(db))(workspace_id, IngestBatch(mentions))


async def _answered(db: Database, workspace_id: int) -> dict[int, datetime | None]:
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT id, last_answered_at FROM thread WHERE workspace_id = $1", workspace_id
        )
    return {row["id"]: row["last_answered_at"] for row in rows}


async def test_an_acknowledgement_in_the_customers_batch_answers_nothing(
    db: Database, workspace_id: int
) -> None:
    await _ingest(db, workspace_id, mention("1", conversation="c1"), _acknowledgement("a", "1", 1))
    assert list((await _answered(db, workspace_id)).values()) == [None]


async def test_a_later_acknowledgement_answers_nothing_and_a_person_s_answer_does(
    db: Database, workspace_id: int
) -> None:
    await _ingest(db, workspace_id, mention("1", conversation="c1"))
    await _ingest(db, workspace_id, _acknowledgement("a", "1", 1))
    assert list((await _answered(db, workspace_id)).values()) == [None]
    await _ingest(db, workspace_id, _answer("h", "1", 20))
    await _ingest(db, workspace_id, _acknowledgement("b", "1", 30))  # a later one changes nothing
    assert list((await _answered(db, workspace_id)).values()) == [_answer("h", "1", 20).created_at]


async def test_a_brand_post_that_waited_unthreaded_counts_once_the_thread_opens(
    db: Database, workspace_id: int
) -> None:
    await PgWorkspaceStore(db).add_account(workspace_id, Network.X, "brand", "acme_support")
    post = mention("p", author="brand", conversation="p")
    await _ingest(db, workspace_id, post)
    await _ingest(db, workspace_id, mention("r", author="alice", conversation="p", minute=5))
    assert list((await _answered(db, workspace_id)).values()) == [post.created_at]


async def test_threads_merged_keep_the_latest_answer_of_either(
    db: Database, workspace_id: int
) -> None:
    # "c" answers "b", seen first; "a" opens its own thread; then "b" joins them under "a".
    await _ingest(db, workspace_id, mention("c", author="carol", reply_to="b", minute=2))
    await _ingest(db, workspace_id, _answer("h", "c", 3, conversation=None))
    await _ingest(db, workspace_id, mention("a", author="alice", minute=0))
    await _ingest(
        db,
        workspace_id,
        _acknowledgement("k", "a", 4).model_copy(update={"conversation_key": None}),
    )
    await _ingest(db, workspace_id, mention("b", author="bob", reply_to="a", minute=1))
    answered = await _answered(db, workspace_id)
    assert list(answered.values()) == [_answer("h", "c", 3).created_at]


async def test_the_migration_fills_the_answer_of_threads_stored_before_it(
    db: Database, workspace_id: int
) -> None:
    await _ingest(db, workspace_id, mention("1", conversation="c1"), _acknowledgement("a", "1", 1))
    await _ingest(db, workspace_id, mention("2", conversation="c2"), _answer("h", "2", 5, "c2"))
    await _ingest(
        db,
        workspace_id,
        _acknowledgement("b", "2", 9).model_copy(update={"conversation_key": "c2"}),
    )
    before = await _answered(db, workspace_id)
    (migration,) = [m for m in available_migrations() if m.version == 25]
    async with db.connection() as conn:
        await conn.execute("ALTER TABLE thread DROP COLUMN last_answered_at")
        await conn.execute(migration.sql)
    assert await _answered(db, workspace_id) == before
    assert sorted(before.values(), key=str) == [_answer("h", "2", 5).created_at, None]


async def test_live_updates_keep_an_acknowledged_thread_out_of_waiting_on_customer(
    db: Database, workspace_id: int
) -> None:
    await _ingest(db, workspace_id, mention("1", conversation="c1"), _acknowledgement("a", "1", 1))
    (thread_id,) = await _answered(db, workspace_id)
    ((state, row),) = await PgLiveRows(db).rows(workspace_id, [thread_id])
    assert not state.waiting_on_customer
    assert not row.answered
    assert row.waiting_since == mention("1").created_at
    async with db.connection() as conn:
        announced = await conn.fetchval(
            f"SELECT {THREAD_STATE} FROM thread t WHERE t.workspace_id = $1",  # noqa: S608
            workspace_id,
        )
    assert json.loads(announced)[5] is False  # waiting_on_customer, as announced
