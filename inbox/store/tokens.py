"""API tokens: only their hashes are stored."""

from __future__ import annotations

from inbox.domain.people import Role
from inbox.store.database import Database

FIND_BY_HASH = """
UPDATE api_token SET last_used_at = now()
WHERE workspace_id = $1 AND token_hash = $2 AND revoked_at IS NULL
RETURNING id, role
"""

INSERT_HASHED = """
INSERT INTO api_token (workspace_id, name, role, token_hash) VALUES ($1, $2, $3, $4)
RETURNING id
"""


class PgTokenStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def find_token(self, workspace_id: int, token_hash: bytes) -> tuple[int, Role] | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(FIND_BY_HASH, workspace_id, token_hash)
        return None if row is None else (int(row["id"]), Role(row["role"]))

    async def create_token(
        self, workspace_id: int, name: str, role: Role, token_hash: bytes
    ) -> int:
        value = await self._db.fetchval(INSERT_HASHED, workspace_id, name, role.value, token_hash)
        return int(value)
