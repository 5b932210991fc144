"""What people do from the pages besides replying and assigning, in PostgreSQL: notes on a
thread (and the notifications of those they name), notes about its customer, snoozing."""

from __future__ import annotations

import json
from datetime import datetime

from inbox.domain.web import PageNotification
from inbox.store import live_sql
from inbox.store.database import Database
from inbox.store.thread_sql import SNOOZE_ONE, WAKE_SNOOZED

ADD_NOTE = """
INSERT INTO note (workspace_id, thread_id, author_agent_id, body)
SELECT $1, id, $3, $4 FROM thread WHERE workspace_id = $1 AND id = $2
RETURNING id
"""
# Everyone active the note names by handle (their e-mail's local part), the writer aside.
NOTIFY_NAMED = """
INSERT INTO agent_notification (workspace_id, agent_id, kind, thread_id, note_id, by_agent_id)
SELECT $1, a.id, 'note_mention', $2, $3, $4 FROM agent a
WHERE a.workspace_id = $1 AND a.active AND a.id <> $4
  AND lower(split_part(a.email, '@', 1)) = ANY ($5::text[])
RETURNING agent_id
"""
# Delivered to the pages at commit, to the people named only.
ANNOUNCE_NOTIFICATIONS = "SELECT pg_notify('inbox_notifications', $1)"
NOTIFICATIONS = """
SELECT n.id, n.kind, n.thread_id, coalesce(b.display_name, '') AS by,
       coalesce(left(nt.body, 140), '') AS excerpt, n.created_at, n.read_at IS NOT NULL AS read
FROM agent_notification n
LEFT JOIN agent b ON b.workspace_id = n.workspace_id AND b.id = n.by_agent_id
LEFT JOIN note nt ON nt.workspace_id = n.workspace_id AND nt.id = n.note_id
WHERE n.workspace_id = $1 AND n.agent_id = $2
ORDER BY n.id DESC
LIMIT $3
"""
MARK_READ = """
UPDATE agent_notification SET read_at = $3
WHERE workspace_id = $1 AND agent_id = $2 AND read_at IS NULL
"""
# A note about the thread's customer, added through the thread (its customer).
ADD_CUSTOMER_NOTE = """
INSERT INTO customer_note (workspace_id, customer_id, author_agent_id, body)
SELECT $1, customer_id, $3, $4 FROM thread
WHERE workspace_id = $1 AND id = $2 AND customer_id IS NOT NULL
RETURNING id
"""


class PgPageActions:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_note(
        self,
        workspace_id: int,
        thread_id: int,
        agent_id: int,
        body: str,
        named: frozenset[str] = frozenset(),
    ) -> list[int] | None:
        async with self._db.transaction() as conn:
            note_id = await conn.fetchval(ADD_NOTE, workspace_id, thread_id, agent_id, body)
            if note_id is None:
                return None
            if not named:
                return []
            rows = await conn.fetch(
                NOTIFY_NAMED, workspace_id, thread_id, note_id, agent_id, sorted(named)
            )
            told = [row["agent_id"] for row in rows]
            if told:
                payload = {
                    "workspace_id": workspace_id,
                    "for_agents": told,
                    "thread_id": thread_id,
                    "kind": "note_mention",
                }
                await conn.execute(ANNOUNCE_NOTIFICATIONS, json.dumps(payload))
        return told

    async def add_customer_note(
        self, workspace_id: int, thread_id: int, agent_id: int, body: str
    ) -> bool:
        added = await self._db.fetchval(ADD_CUSTOMER_NOTE, workspace_id, thread_id, agent_id, body)
        return added is not None

    async def notifications(
        self, workspace_id: int, agent_id: int, limit: int
    ) -> list[PageNotification]:
        rows = await self._db.fetch(NOTIFICATIONS, workspace_id, agent_id, limit)
        return [
            PageNotification(
                id=row["id"],
                kind=row["kind"],
                thread_id=row["thread_id"],
                by=row["by"],
                excerpt=row["excerpt"],
                at=row["created_at"],
                read=row["read"],
            )
            for row in rows
        ]

    async def mark_read(self, workspace_id: int, agent_id: int, at: datetime) -> None:
        await self._db.execute(MARK_READ, workspace_id, agent_id, at)

    async def snooze(self, workspace_id: int, thread_id: int, until: datetime | None) -> bool:
        done = await self._db.fetchval(SNOOZE_ONE, workspace_id, thread_id, until)
        return done is not None

    async def wake_snoozed(self, workspace_id: int, now: datetime) -> list[int]:
        async with self._db.transaction() as conn:
            woken = [row["id"] for row in await conn.fetch(WAKE_SNOOZED, workspace_id, now)]
            await live_sql.announce_threads(conn, workspace_id, woken)
        return woken
