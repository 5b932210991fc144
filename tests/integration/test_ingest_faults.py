"""Hostile and broken payloads at ingestion, on the real PostgreSQL: each message is judged
alone, the good ones of a batch are always stored, nothing is lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from inbox.bootstrap import build_services
from inbox.domain.ingestion import ConnectorCursor, IngestBatch, IngestResult
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.ports.ingest import IngestUnitOfWork
from inbox.store.database import Database
from inbox.store.incidents import PgIncidentStore
from inbox.store.ingest import PgIngestStore, PgIngestUnitOfWork
from inbox.usecases.group_commit import GroupCommit
from inbox.usecases.ingest import IngestMentions
from routing.signals import SeriesKey

pytestmark = pytest.mark.integration

MINUTE = timedelta(minutes=1)


def complaint(
    external_id: str,
    created_at: datetime,
    *,
    raw: dict[str, Any] | None = None,
    network: Network = Network.X,
) -> Mention:
    return Mention(
        network=network,
        external_id=external_id,
        author=Author(external_id=f"author-{external_id}", handle=f"customer{external_id}"),
        text="@acme no network at all since this morning, panne totale, nothing works",
        created_at=created_at,
        conversation_key=f"c-{external_id}",
        raw=raw if raw is not None else {"id": external_id},
    )


async def rows(db: Database, query: str, *args: Any) -> list[dict[str, Any]]:
    async with db.connection() as conn:
        return [dict(r) for r in await conn.fetch(query, *args)]


async def test_unbelievable_dates_are_stored_at_their_arrival_with_the_claim_kept(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    before = datetime.now(UTC)
    claims = {
        "next-year": before + timedelta(days=365),
        "year-9999": datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        "year-1": datetime(1, 1, 1, tzinfo=UTC),
    }
    good = complaint("good", before - timedelta(minutes=2))
    batch = [good, *(complaint(name, claimed) for name, claimed in claims.items())]
    result = await services.ingest(workspace_id, IngestBatch(batch))
    after = datetime.now(UTC)

    assert result.mentions_added == 4
    stored = {
        r["external_id"]: r
        for r in await rows(
            db,
            """SELECT m.external_id, m.created_at, m.claimed_at, c.started_at, c.deadline
               FROM mention m JOIN sla_clock c
                 ON c.workspace_id = m.workspace_id AND c.thread_id = m.thread_id
               WHERE m.workspace_id = $1""",
            workspace_id,
        )
    }
    assert stored["good"]["created_at"] == good.created_at
    assert stored["good"]["claimed_at"] is None
    for name, claimed in claims.items():
        row = stored[name]
        assert before <= row["created_at"] <= after, f"{name} is dated by its arrival"
        # The zero date of many systems, 0001-01-01T00:00Z, is the driver's -infinity: it is
        # stored as such and read back as datetime.min.
        kept = datetime.min if claimed == datetime.min.replace(tzinfo=UTC) else claimed
        assert row["claimed_at"] == kept, f"{name} keeps what the network claimed"
        # The default policy: an answer within the hour, from the arrival.
        assert row["started_at"] == row["created_at"]
        assert row["deadline"] == row["created_at"] + timedelta(hours=1)

    # The detector counted them at their arrival, and goes on at once.
    counts = await PgIncidentStore(db).complaint_counts(before - 3 * MINUTE, after + 2 * MINUTE)
    whole = [c for c in counts if c.key == SeriesKey(workspace_id)]
    assert sum(c.count for c in whole) == 4
    assert all(c.bucket <= after for c in whole)


async def test_non_finite_numbers_and_huge_integers_beside_good_messages_are_kept_as_text(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    now = datetime.now(UTC)
    deep: dict[str, Any] = {"leaf": 1}
    for _ in range(80):
        deep = {"nested": deep}
    batch = IngestBatch(
        [
            complaint("good-1", now),
            complaint("nan", now, raw={"data": {"score": float("nan")}}),
            complaint("inf", now, raw={"data": [float("inf"), -float("inf")]}),
            complaint("big", now, raw={"data": {"followers": 2**70, "huge": 10**5000}}),
            complaint("deep", now, raw={"data": deep}),
            complaint("good-2", now),
        ]
    )
    result = await services.ingest(workspace_id, batch)

    assert (result.mentions_added, result.quarantined) == (5, 1)
    raws = {
        r["external_id"]: r["raw"]
        for r in await rows(
            db, "SELECT external_id, raw::text AS raw FROM mention WHERE workspace_id = $1",
            workspace_id,
        )
    }  # fmt: skip
    assert set(raws) == {"good-1", "nan", "inf", "big", "good-2"}
    assert '"score": "NaN"' in raws["nan"]
    assert '["Infinity", "-Infinity"]' in raws["inf"]
    assert f'"followers": "{2**70}"' in raws["big"]
    (quarantined,) = await rows(
        db, "SELECT source, error FROM quarantine WHERE workspace_id = $1", workspace_id
    )
    assert quarantined["error"].startswith("x deep: raw.data.nested.nested.")
    assert "nested deeper than 64 levels" in quarantined["error"]


def refusing(poisoned: str, *, data_error: bool) -> Any:
    """An after-ingest hook that fails the transaction when `poisoned` is in it: with an
    error of the database's DataError family, or with another error."""

    async def hook(tx: IngestUnitOfWork, workspace_id: int, result: IngestResult) -> None:
        if (Network.X.value, poisoned) not in result.added_keys:
            return
        if data_error:
            assert isinstance(tx, PgIngestUnitOfWork)
            await tx.conn.execute("SELECT 'not a number'::integer")
        raise RuntimeError(f"refused {poisoned}")

    return hook


async def test_a_value_the_database_refuses_is_quarantined_alone_and_the_rest_is_stored(
    db: Database, workspace_id: int
) -> None:
    ingest = IngestMentions(PgIngestStore(db), hooks=[refusing("7", data_error=True)])
    now = datetime.now(UTC)
    cursor = ConnectorCursor(connector="x:test:mentions", position="99")
    batch = IngestBatch([complaint(str(n), now) for n in range(12)], cursor=cursor)

    result = await ingest(workspace_id, batch)

    assert (result.mentions_added, result.quarantined, result.duplicates) == (11, 1, 0)
    assert result.quarantined_keys == {(Network.X.value, "7")}
    stored = await rows(db, "SELECT external_id FROM mention WHERE workspace_id = $1", workspace_id)
    assert sorted(int(r["external_id"]) for r in stored) == [n for n in range(12) if n != 7]
    (quarantined,) = await rows(
        db, "SELECT raw, error FROM quarantine WHERE workspace_id = $1", workspace_id
    )
    assert quarantined["error"].startswith("x 7: not storable: invalid input syntax")
    assert quarantined["raw"] == b'{"id":"7"}'
    saved = await db.fetchval(
        "SELECT position FROM connector_cursor WHERE workspace_id = $1 AND connector = $2",
        workspace_id,
        cursor.connector,
    )
    assert saved == "99", "the cursor moves once everything is stored or quarantined"


async def test_a_delivery_that_cannot_be_stored_fails_alone_in_a_group_commit(
    db: Database, workspace_id: int
) -> None:
    ingest = IngestMentions(PgIngestStore(db), hooks=[refusing("poison", data_error=False)])
    group = GroupCommit(ingest)
    now = datetime.now(UTC)
    names = ["a", "b", "poison", "c", "d", "e"]
    outcomes = await asyncio.gather(
        *(group(workspace_id, IngestBatch([complaint(name, now)])) for name in names),
        return_exceptions=True,
    )

    by_name = dict(zip(names, outcomes, strict=True))
    poisoned = by_name.pop("poison")
    assert isinstance(poisoned, RuntimeError), "its sender gets its error"
    assert all(isinstance(r, IngestResult) and r.mentions_added == 1 for r in by_name.values())
    stored = await rows(db, "SELECT external_id FROM mention WHERE workspace_id = $1", workspace_id)
    assert sorted(r["external_id"] for r in stored) == ["a", "b", "c", "d", "e"]


async def test_a_delivery_quarantined_at_the_edge_is_counted_as_its_senders_quarantine(
    db: Database, workspace_id: int
) -> None:
    group = GroupCommit(build_services(db).ingest)
    now = datetime.now(UTC)
    deep: dict[str, Any] = {}
    for _ in range(100):
        deep = {"x": deep}
    batches = [
        IngestBatch([complaint("fine-1", now)]),
        IngestBatch([complaint("too-deep", now, raw=deep)]),
        IngestBatch([complaint("fine-2", now)]),
    ]
    results = await asyncio.gather(*(group(workspace_id, b) for b in batches))
    assert [(r.mentions_added, r.duplicates, r.quarantined) for r in results] == [
        (1, 0, 0),
        (0, 0, 1),
        (1, 0, 0),
    ]
