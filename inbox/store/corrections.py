"""The agents' corrections of the classifier: made on a thread (with its SLA clocks re-planned
in the same transaction), then read by the worker, which learns from them one workspace at
a time, never one workspace's texts beside another's, and keeps the adjustments it learns."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from inbox.domain.errors import NotFoundError
from inbox.domain.routing import StoredCorrection
from inbox.store.database import Connection, Database
from inbox.store.live_sql import announce_threads
from inbox.store.sla_clocks import PgClockWriter
from inbox.store.thread_sql import CORRECT

# Corrections of kind and urgency newer than the workspace's adjustment (or it has none).
WORKSPACES_TO_LEARN = """
SELECT c.workspace_id
FROM classification_correction c
LEFT JOIN classifier_adjustment a ON a.workspace_id = c.workspace_id
WHERE c.field IN ('kind', 'urgency')
GROUP BY c.workspace_id, a.last_correction
HAVING max(c.id) > coalesce(a.last_correction, 0)
ORDER BY c.workspace_id
"""
# An agent who changed their mind: the latest correction of a thread's field is the answer.
CORRECTIONS = """
SELECT id, text, language, field, value FROM (
    SELECT DISTINCT ON (c.thread_id, c.field)
           c.id, c.text, t.language, c.field, c.new_value #>> '{}' AS value
    FROM classification_correction c
    LEFT JOIN thread t ON t.workspace_id = c.workspace_id AND t.id = c.thread_id
    WHERE c.workspace_id = $1 AND c.field IN ('kind', 'urgency') AND c.text <> ''
    ORDER BY c.thread_id, c.field, c.id DESC
) latest
ORDER BY id
"""
SAVE_ADJUSTMENT = """
INSERT INTO classifier_adjustment AS a (workspace_id, document, last_correction)
VALUES ($1, $2::jsonb, $3)
ON CONFLICT (workspace_id) DO UPDATE
SET document = excluded.document, last_correction = excluded.last_correction,
    version = a.version + 1, learned_at = now()
"""


class PgCorrectionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def workspaces_to_learn(self) -> list[int]:
        async with self._db.connection() as conn:
            return [row["workspace_id"] for row in await conn.fetch(WORKSPACES_TO_LEARN)]

    async def corrections(self, workspace_id: int) -> list[StoredCorrection]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(CORRECTIONS, workspace_id)
        return [
            StoredCorrection(row["id"], row["text"], row["language"], row["field"], row["value"])
            for row in rows
        ]

    async def save_adjustment(
        self, workspace_id: int, document: dict[str, object], last_correction: int
    ) -> None:
        async with self._db.connection() as conn:
            await conn.execute(SAVE_ADJUSTMENT, workspace_id, json.dumps(document), last_correction)


CORRECTED_COLUMNS = {
    "kind": "kind",
    "language": "language",
    "urgency": "priority",
    "topics": "topics",
}


class PgThreadEditor:
    """Changes to a thread's classification, with the SLA clocks of the same transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.clocks = PgClockWriter(conn)
        self.corrected: dict[int, set[int]] = {}  # by workspace, announced as `edit` ends

    async def correct(
        self, workspace_id: int, thread_id: int, field: str, value: object, corrected_by: str
    ) -> object:
        """The old value; NotFoundError when there is no such thread."""
        column = CORRECTED_COLUMNS[field]
        cast = (
            "ARRAY(SELECT jsonb_array_elements_text($4::jsonb))"
            if field == "topics"
            else "$4::jsonb #>> '{}'"
        )
        sql = CORRECT.format(column=column, value=cast)
        old = await self._conn.fetchval(
            sql, workspace_id, thread_id, field, json.dumps(value), corrected_by
        )
        if old is None:
            raise NotFoundError("thread", thread_id)
        self.corrected.setdefault(workspace_id, set()).add(thread_id)
        return json.loads(old)


class PgThreadEdits:
    def __init__(self, db: Database) -> None:
        self._db = db

    @asynccontextmanager
    async def edit(self) -> AsyncIterator[PgThreadEditor]:
        async with self._db.transaction() as conn:
            editor = PgThreadEditor(conn)
            yield editor
            # After the clocks it re-planned: the deadline the rows show is the new one.
            for workspace_id, thread_ids in editor.corrected.items():
                await announce_threads(conn, workspace_id, thread_ids)
