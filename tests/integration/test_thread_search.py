"""Thread search reads the newest messages first, in widening windows of date, and answers
exactly what a search of the whole history answers: the same threads in the same order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.store.database import Database
from inbox.store.thread_search import search_threads
from tests.factories import T0, mention

pytestmark = pytest.mark.integration

DAY = 24 * 60  # minutes
NOW = T0 + timedelta(days=90)

# The whole history, grouped and sorted: what search answered before it had windows, and the
# specification of what it must answer.
EVERYTHING = """
SELECT t.id, t.network, t.status, t.excerpt, max(m.created_at) AS latest
FROM mention m JOIN thread t ON t.workspace_id = m.workspace_id AND t.id = m.thread_id
WHERE m.workspace_id = $1
  AND (to_tsvector('inbox_fr'::regconfig, m.body) || to_tsvector('inbox_en'::regconfig, m.body))
      @@ (plainto_tsquery('inbox_fr'::regconfig, $2) || plainto_tsquery('inbox_en'::regconfig, $2))
GROUP BY t.id, t.network, t.status, t.excerpt
ORDER BY latest DESC, t.id DESC
LIMIT $3
"""


def shown(row: Any) -> tuple[Any, ...]:
    """The columns a search of the whole history answers (a result reads more beside them)."""
    return tuple(row[column] for column in ("id", "network", "status", "excerpt", "latest"))


def minute_of(at: datetime) -> int:
    return int((at - T0).total_seconds() // 60)


async def fill(db: Database, workspace_id: int) -> None:
    """Threads over ninety days: `parcel` in every message,
    `refund` in a few of the last month and many older ones, `voucher` in one message
    of a year-old thread, and two threads whose newest `parcel` is at the same minute."""
    messages = []
    for n in range(320):
        # newest first in arrival order is not newest by date: ages are shuffled by a stride
        age_minutes = 10 + (n * 397) % (89 * DAY)
        words = "parcel late" + (" refund" if n % 3 == 0 and age_minutes > 31 * DAY else "")
        messages.append(
            mention(
                f"m{n}",
                author=f"c{n % 40}",
                conversation=f"conv{n % 90}",
                minute=minute_of(NOW) - age_minutes,
                text=f"{words} number {n}",
            )
        )
    for n in range(4):
        messages.append(
            mention(
                f"r{n}",
                author="d1",
                conversation=f"recent{n}",
                minute=minute_of(NOW) - (n + 1) * 3 * DAY,
                text="a refund please",
            )
        )
    messages.append(
        mention("v1", author="e1", conversation="old", minute=-300 * DAY, text="my voucher")
    )
    messages += [
        mention(f"tie{n}", author="f1", conversation=f"tie{n}", minute=minute_of(NOW) - 5,
                text="parcel tie")
        for n in range(2)
    ]  # fmt: skip
    services = build_services(db)
    for start in range(0, len(messages), 100):
        await services.ingest(workspace_id, IngestBatch(messages[start : start + 100]))


@pytest.mark.parametrize(
    ("words", "limit"),
    [
        ("parcel", 5),  # a page found in the last day
        ("parcel", 50),  # needs the month
        ("parcel", 500),  # more than there are: the whole history
        ("refund", 3),  # the month holds the page
        ("refund", 10),  # the month holds four threads: the rest is older
        ("voucher", 50),  # a rare word: read where it is, a year back
        ("nothing", 50),
        ("parcel", 0),
    ],
)
async def test_windowed_search_answers_what_the_whole_history_answers(
    db: Database, workspace_id: int, words: str, limit: int
) -> None:
    await fill(db, workspace_id)
    async with db.connection() as conn:
        expected = [tuple(row) for row in await conn.fetch(EVERYTHING, workspace_id, words, limit)]
        found = [shown(row) for row in await search_threads(conn, workspace_id, words, limit, NOW)]
    assert found == expected


async def test_a_word_too_sparse_for_a_page_in_a_month_is_read_over_the_whole_history(
    db: Database, workspace_id: int
) -> None:
    await fill(db, workspace_id)
    async with db.connection() as conn:
        expected = [tuple(row) for row in await conn.fetch(EVERYTHING, workspace_id, "refund", 50)]
        found = [shown(row) for row in await search_threads(conn, workspace_id, "refund", 50, NOW)]
    assert found == expected
    assert len(found) > 4  # the month's four threads and older ones


async def test_threads_whose_newest_match_ties_come_newest_thread_first(
    db: Database, workspace_id: int
) -> None:
    await fill(db, workspace_id)
    async with db.connection() as conn:
        found = await search_threads(conn, workspace_id, "parcel", 2, NOW)
    assert found[0]["latest"] == found[1]["latest"] == NOW - timedelta(minutes=5)
    assert found[0]["id"] > found[1]["id"]
