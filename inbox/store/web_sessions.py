"""Web sessions and failed logins."""

from __future__ import annotations

from datetime import datetime

from inbox.domain.people import Role
from inbox.domain.web import AgentLogin, WebSession
from inbox.store.database import Database

FIND_LOGIN = """
SELECT a.workspace_id, a.id, a.display_name, a.roles, a.password_hash
FROM agent a JOIN workspace w ON w.workspace_id = a.workspace_id
WHERE w.workspace_id = $1 AND a.email = lower($2) AND a.active
"""
UPDATE_AGENT_HASH = """
UPDATE agent SET password_hash = $3 WHERE workspace_id = $1 AND email = lower($2)
RETURNING id
"""
CREATE = """
INSERT INTO web_session (token_hash, workspace_id, agent_id, csrf_token, expires_at)
VALUES ($1, $2, $3, $4, $5)
"""
# Every page asks: a read, and a write only every few minutes (a write per request would
# flush the WAL on every page view).
FIND = """
WITH touched AS (
    UPDATE web_session SET last_seen_at = $2
    WHERE token_hash = $1 AND last_seen_at < $2::timestamptz - interval '5 minutes'
)
SELECT s.workspace_id, s.agent_id, s.csrf_token, a.display_name, a.roles
FROM web_session s
JOIN agent a ON a.workspace_id = s.workspace_id AND a.id = s.agent_id AND a.active
WHERE s.token_hash = $1 AND s.expires_at > $2
"""
DELETE = "DELETE FROM web_session WHERE token_hash = $1"
RECORD_FAILURE = "INSERT INTO login_failure (email, address, at) VALUES (lower($1), $2, $3)"
RECENT_FAILURES = """
SELECT (SELECT count(*) FROM login_failure WHERE email = lower($1) AND at > $3) AS by_email,
       (SELECT count(*) FROM login_failure WHERE address = $2 AND at > $3) AS by_address
"""


class PgWebSessions:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def login_of(self, workspace_id: int, email: str) -> AgentLogin | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(FIND_LOGIN, workspace_id, email)
        if row is None:
            return None
        return AgentLogin(
            workspace_id=row["workspace_id"],
            agent_id=row["id"],
            name=row["display_name"],
            roles=frozenset(Role(r) for r in row["roles"]),
            password_hash=row["password_hash"],
        )

    async def set_password(self, workspace_id: int, email: str, password_hash: str) -> bool:
        async with self._db.connection() as conn:
            agent_id = await conn.fetchval(UPDATE_AGENT_HASH, workspace_id, email, password_hash)
        return agent_id is not None

    async def create(
        self,
        token_hash: bytes,
        workspace_id: int,
        agent_id: int,
        csrf_token: str,
        expires_at: datetime,
    ) -> None:
        async with self._db.connection() as conn:
            await conn.execute(CREATE, token_hash, workspace_id, agent_id, csrf_token, expires_at)

    async def find(self, token_hash: bytes, now: datetime) -> WebSession | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(FIND, token_hash, now)
        if row is None:
            return None
        return WebSession(
            workspace_id=row["workspace_id"],
            agent_id=row["agent_id"],
            name=row["display_name"],
            roles=frozenset(Role(r) for r in row["roles"]),
            csrf_token=row["csrf_token"],
        )

    async def delete(self, token_hash: bytes) -> None:
        async with self._db.connection() as conn:
            await conn.execute(DELETE, token_hash)

    async def record_failure(self, email: str, address: str, at: datetime) -> None:
        async with self._db.connection() as conn:
            await conn.execute(RECORD_FAILURE, email, address, at)

    async def recent_failures(self, email: str, address: str, since: datetime) -> int:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(RECENT_FAILURES, email, address, since)
        assert row is not None
        return max(int(row["by_email"]), int(row["by_address"]))
