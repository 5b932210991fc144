"""API tokens: only their hashes are stored."""

from __future__ import annotations

from inbox.domain.errors import NotFoundError
from inbox.domain.people import Role
from inbox.store.database import Database

FIND_BY_HASH = """
UPDATE api_token SET last_used_at = now()
WHERE workspace_id = $1 AND token_hash = $2 AND revoked_at IS NULL
RETURNING id, role, agent_id
"""

INSERT_HASHED = """
INSERT INTO api_token (workspace_id, name, role, token_hash, agent_id)
SELECT $1, $2, $3, $4, a.id
FROM (SELECT NULL) one
LEFT JOIN agent a ON a.workspace_id = $1 AND a.email = lower($5)
WHERE $5::text IS NULL OR a.id IS NOT NULL
RETURNING id
"""


class PgTokenStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def find_token(
        self, workspace_id: int, token_hash: bytes
    ) -> tuple[int, Role, int | None] | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(FIND_BY_HASH, workspace_id, token_hash)
        if row is None:
            return None
        return int(row["id"]), Role(row["role"]), row["agent_id"]

    async def create_token(
        self,
        workspace_id: int,
        name: str,
        role: Role,
        token_hash: bytes,
        agent_email: str | None = None,
    ) -> int:
        value = await self._db.fetchval(
            INSERT_HASHED, workspace_id, name, role.value, token_hash, agent_email
        )
        if value is None:
            raise NotFoundError("agent", agent_email or "")
        return int(value)
