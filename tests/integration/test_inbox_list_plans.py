"""The inbox list's statement, as PostgreSQL plans it: every page and live update reads it,
so it is planned once (a generic plan) rather than afresh at each run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inbox.store.database import Database
from inbox.store.inbox_list import inbox_query

pytestmark = pytest.mark.integration

# PostgreSQL weighs a generic plan after five custom ones.
RUNS = 8
# Enough open threads that a plan for an unknown limit would cost more than one for 100.
THREADS = """
INSERT INTO thread (workspace_id, network, thread_key, status, priority, kind, opened_at,
                    last_inbound_at, sla_due_at, excerpt)
SELECT $1, 'x', 'plan-' || n, 'open', 'normal', 'complaint', now(), now(),
       now() + n * interval '1 minute', 'message ' || n
FROM generate_series(1, 5000) AS n
"""


async def test_a_view_statement_is_planned_once_not_at_every_run(
    db: Database, workspace_id: int
) -> None:
    statement = inbox_query("all", (), None, False, 100)
    async with db.connection() as conn:
        await conn.execute(THREADS, workspace_id)
        await conn.execute("ANALYZE thread")
        for _ in range(RUNS):
            await conn.fetch(statement, workspace_id, datetime.now(UTC))
        plans = await conn.fetchrow(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
            statement,
        )

    assert plans is not None
    assert plans["generic_plans"] > 0, dict(plans)
    assert plans["custom_plans"] < RUNS, dict(plans)
