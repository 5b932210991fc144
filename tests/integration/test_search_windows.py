"""Search reads the messages that arrived lately first and widens only while that is not
enough: whatever the windows, it finds the threads the whole history gives, in its order."""

from __future__ import annotations

import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.store.database import Database
from inbox.store.inbox_list import SEARCH_THREADS
from inbox.store.inbox_pages import PgInboxPages
from inbox.usecases.services import Services
from tests.factories import mention

pytestmark = pytest.mark.integration

# Conversation: (days since it was written, days since it arrived). "d" is an old post that
# arrived lately (a backfill): it is in the recent window but not among its sure threads.
AGES = {"a": (1, 1), "b": (2, 2), "c": (100, 100), "d": (400, 1), "e": (500, 500)}


async def _threads(db: Database, workspace_id: int, services: Services) -> dict[int, str]:
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                mention(key, author=f"u{key}", conversation=key, text=f"where is my parcel {key}")
                for key in AGES
            ]
        ),
    )
    for key, (written, arrived) in AGES.items():
        await db.execute(
            "UPDATE mention SET created_at = now() - make_interval(days => $2),"
            " ingested_at = now() - make_interval(days => $3)"
            " WHERE workspace_id = $1 AND external_id = $4",
            workspace_id,
            written,
            arrived,
            key,
        )
    rows = await db.fetch("SELECT id, thread_key FROM thread WHERE workspace_id = $1", workspace_id)
    return {row["id"]: row["thread_key"] for row in rows}


@pytest.mark.parametrize(
    ("limit", "expected"),
    [(2, "ab"), (3, "abc"), (4, "abcd"), (10, "abcde")],
)
async def test_search_finds_the_newest_threads_of_the_whole_history_in_its_order(
    db: Database, workspace_id: int, services: Services, limit: int, expected: str
) -> None:
    keys = await _threads(db, workspace_id, services)
    found = await PgInboxPages(db).search(workspace_id, "parcel", limit)
    assert "".join(keys[thread[0]] for thread in found.threads) == expected
    whole = await db.fetch(SEARCH_THREADS, workspace_id, "parcel", limit)
    assert [keys[row["id"]] for row in whole] == list(expected)
