"""Who is replying to a thread, in PostgreSQL: the collision guard that tells an agent a
colleague has the reply box open on the same thread (the community's answers:
`inbox.store.community`)."""

from __future__ import annotations

from datetime import datetime

from inbox.domain.errors import NotFoundError
from inbox.store.database import Database

MARK_REPLYING = """
WITH mark AS (
    INSERT INTO thread_presence (workspace_id, thread_id, agent_id, replying_at)
    SELECT $1, t.id, $3, $4 FROM thread t WHERE t.workspace_id = $1 AND t.id = $2
    ON CONFLICT (workspace_id, thread_id, agent_id) DO UPDATE SET replying_at = $4
    RETURNING thread_id
)
SELECT (SELECT count(*) FROM mark) AS found,
       coalesce((SELECT array_agg(p.agent_id ORDER BY p.replying_at) FROM thread_presence p
                 WHERE p.workspace_id = $1 AND p.thread_id = $2 AND p.agent_id <> $3
                   AND p.replying_at > $5), '{}') AS others
"""
CLEAR_REPLYING = """
DELETE FROM thread_presence WHERE workspace_id = $1 AND thread_id = $2 AND agent_id = $3
"""


class PgReplyDesk:
    """Who is replying to a thread (the community's answers: inbox.store.community)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def mark_replying(
        self, workspace_id: int, thread_id: int, agent_id: int, at: datetime, since: datetime
    ) -> list[int]:
        """Record that the agent is replying; the other agents replying since `since`."""
        async with self._db.connection() as conn:
            row = await conn.fetchrow(MARK_REPLYING, workspace_id, thread_id, agent_id, at, since)
        if row is None or not row["found"]:
            raise NotFoundError("thread", thread_id)
        return list(row["others"])

    async def done_replying(self, workspace_id: int, thread_id: int, agent_id: int) -> None:
        async with self._db.connection() as conn:
            await conn.execute(CLEAR_REPLYING, workspace_id, thread_id, agent_id)
