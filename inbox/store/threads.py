"""Reading threads for the queue and the API."""

from __future__ import annotations

from collections.abc import Sequence

from inbox.domain.thread import Thread, ThreadStatus
from inbox.store.database import Database

# Newest first by id: a stable keyset for paging while new threads keep arriving.
LIST_THREADS = """
SELECT workspace_id, id, network, thread_key, status, priority, kind, customer_id, team_id,
       assignee_id, opened_at, last_inbound_at, last_outbound_at, message_count, resolved_at,
       excerpt, created_at, updated_at
FROM thread
WHERE workspace_id = $1
  AND status = ANY($2::text[])
  AND ($3::bigint IS NULL OR id < $3)
ORDER BY id DESC
LIMIT $4
"""


class PgThreadQuery:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list_threads(
        self,
        workspace_id: int,
        *,
        statuses: Sequence[ThreadStatus],
        limit: int,
        before_id: int | None,
    ) -> list[Thread]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                LIST_THREADS, workspace_id, [s.value for s in statuses], before_id, limit
            )
        return [Thread(**dict(row)) for row in rows]
