"""An inbox row as the store reads it: whether the thread is answered and who wrote it are
worked out in the statement, and its instants read as integers (fewer and cheaper columns
decoded at every page), the same as the thread and its latest customer message hold them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox.store.database import Database
from inbox.store.inbox_list import PgInboxList

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
INBOUND = NOW - timedelta(minutes=30, microseconds=123_457)
DUE = NOW + timedelta(minutes=50, microseconds=1)

# (thread key, last inbound, last answered, the latest customer message's handle and name)
THREADS = [
    ("answered-after", INBOUND, INBOUND + timedelta(minutes=5), "@ana", "Ana"),
    ("answered-at-once", INBOUND, INBOUND, None, "Bea"),
    ("answered-before", INBOUND, INBOUND - timedelta(minutes=5), "", "Cleo"),
    ("never-answered", INBOUND, None, "", ""),
    ("no-customer-message", None, INBOUND, None, None),
]
THREAD = """
INSERT INTO thread (workspace_id, network, thread_key, status, priority, kind, opened_at,
                    last_inbound_at, last_answered_at, sla_due_at, excerpt)
VALUES ($1, 'x', $2, 'open', 'normal', 'complaint', $3, $4, $5, $6, 'hello')
RETURNING id
"""
MESSAGE = """
INSERT INTO mention (workspace_id, network, external_id, thread_id, thread_key, direction,
                     author_external_id, author_handle, author_name, body, created_at, raw)
VALUES ($1, 'x', $2, $3, $2, 'inbound', 'u-' || $2, $4, $5, 'hello', $6, '{}')
"""


async def test_a_row_is_answered_and_authored_as_its_thread_and_latest_message_say(
    db: Database, workspace_id: int
) -> None:
    ids = {}
    async with db.connection() as conn:
        for key, inbound, answered, handle, name in THREADS:
            ids[key] = await conn.fetchval(
                THREAD, workspace_id, key, INBOUND - timedelta(hours=1), inbound, answered, DUE
            )
            if inbound is not None:
                await conn.execute(MESSAGE, workspace_id, key, ids[key], handle, name, inbound)

    rows = await PgInboxList(db).inbox(workspace_id, "all", 0, 100, now=NOW)

    read = {row.thread_id: (row.answered, row.author) for row in rows}
    assert read == {
        ids["answered-after"]: (True, "@ana"),
        ids["answered-at-once"]: (True, "Bea"),
        ids["answered-before"]: (False, "Cleo"),  # an empty handle is no handle
        ids["never-answered"]: (False, ""),
        ids["no-customer-message"]: (False, None),
    }


async def test_a_rows_instants_are_read_to_the_microsecond_in_utc(
    db: Database, workspace_id: int
) -> None:
    async with db.connection() as conn:
        opened = INBOUND - timedelta(hours=1)
        thread_id = await conn.fetchval(
            THREAD, workspace_id, "instants", opened, INBOUND, None, DUE
        )
        await conn.execute(MESSAGE, workspace_id, "instants", thread_id, "@ana", None, INBOUND)

    (row,) = await PgInboxList(db).inbox(workspace_id, "all", 0, 100, now=NOW)

    assert (row.sla_due_at, row.last_inbound_at, row.waiting_since) == (DUE, INBOUND, opened)
    assert row.sla_due_at is not None
    assert row.sla_due_at.tzinfo == UTC
