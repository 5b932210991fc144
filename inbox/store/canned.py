"""Canned responses of a workspace."""

from __future__ import annotations

from collections.abc import Sequence

from inbox.store.database import Database

ALL = "SELECT name, body, language FROM canned_response WHERE workspace_id = $1 ORDER BY name"
CLEAR = "DELETE FROM canned_response WHERE workspace_id = $1"
INSERT = """
INSERT INTO canned_response (workspace_id, name, body, language)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])
"""


class PgCannedStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self, workspace_id: int) -> list[tuple[str, str, str | None]]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(ALL, workspace_id)
        return [(row["name"], row["body"], row["language"]) for row in rows]

    async def replace(
        self, workspace_id: int, responses: Sequence[tuple[str, str, str | None]]
    ) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(CLEAR, workspace_id)
            if responses:
                names, bodies, languages = (list(column) for column in zip(*responses, strict=True))
                await conn.execute(INSERT, workspace_id, names, bodies, languages)
