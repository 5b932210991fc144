"""A thread with its messages (paged by their place in the thread), notes and assignments,
read in one snapshot (a repeatable-read transaction): the parts agree with each other."""

from __future__ import annotations

import json
from typing import Any

from inbox.domain.thread_detail import (
    DetailAssignment,
    DetailMessage,
    DetailNote,
    ThreadDetail,
)
from inbox.store.database import Reads

THREAD = """
SELECT id, network, status, priority, kind, language, customer_id, team_id, assignee_id,
       opened_at, resolved_at, sla_due_at, message_count
FROM thread WHERE workspace_id = $1 AND id = $2
"""
# A message's place is its rank in the thread's time order (ties by network id), so a page
# boundary holds while messages keep arriving at the end. One more than asked says whether a
# next page exists. Uses the index mention_thread (workspace_id, thread_id, created_at).
MESSAGES = """
SELECT * FROM (
    SELECT row_number() OVER (ORDER BY created_at, external_id) AS id, network, external_id,
           direction, author_handle, author_name, body AS text, created_at, url, in_reply_to
    FROM mention WHERE workspace_id = $1 AND thread_id = $2
) m
WHERE m.id > $3
ORDER BY m.id
LIMIT $4 + 1
"""
NOTES = """
SELECT n.id, n.author_agent_id, a.display_name AS author, n.body AS text, n.created_at
FROM note n LEFT JOIN agent a ON a.workspace_id = n.workspace_id AND a.id = n.author_agent_id
WHERE n.workspace_id = $1 AND n.thread_id = $2
ORDER BY n.created_at, n.id
"""
ASSIGNMENTS = """
SELECT agent_id, team_id, community, source, reasons::text AS reasons, at
FROM assignment WHERE workspace_id = $1 AND thread_id = $2
ORDER BY at, id
"""


class PgThreadDetail:
    def __init__(self, reads: Reads) -> None:
        self._db = reads

    async def thread_detail(
        self, workspace_id: int, thread_id: int, messages_after: int, limit: int
    ) -> ThreadDetail | None:
        async with (
            self._db.connection() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            thread = await conn.fetchrow(THREAD, workspace_id, thread_id)
            if thread is None:
                return None
            messages = await conn.fetch(MESSAGES, workspace_id, thread_id, messages_after, limit)
            notes = await conn.fetch(NOTES, workspace_id, thread_id)
            assignments = await conn.fetch(ASSIGNMENTS, workspace_id, thread_id)
        page = [DetailMessage(**dict(row)) for row in messages[:limit]]
        return ThreadDetail(
            **dict(thread),
            messages=page,
            next_messages_after=page[-1].id if len(messages) > limit else None,
            notes=[DetailNote(**dict(row)) for row in notes],
            assignments=[_assignment(row) for row in assignments],
        )


def _assignment(row: Any) -> DetailAssignment:
    values = dict(row)
    values["reasons"] = [str(reason) for reason in json.loads(values["reasons"])]
    return DetailAssignment(**values)
