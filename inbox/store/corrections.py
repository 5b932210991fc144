"""The agents' corrections as the worker learns from them, and the adjustments it learns:
one workspace at a time, never one workspace's texts beside another's."""

from __future__ import annotations

import json

from inbox.domain.routing import StoredCorrection
from inbox.store.database import Database

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
