"""Second factors, recovery codes, sign-ins waiting for a code, and the workspace's rule, in
PostgreSQL. Secrets are sealed with the instance key before they are written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from pydantic import SecretStr

from inbox.domain.audit import AuditEntry
from inbox.ports.two_factor import PendingLogin, SecondFactor
from inbox.store.audit import append
from inbox.store.database import Database
from inbox.store.secret_box import SecretBox

FACTOR = """
SELECT f.sealed_secret, f.confirmed_at IS NOT NULL AS confirmed, f.last_step,
       (SELECT count(*) FROM agent_recovery_code c
        WHERE c.workspace_id = f.workspace_id AND c.agent_id = f.agent_id
          AND c.used_at IS NULL) AS recovery_left
FROM agent_second_factor f
WHERE f.workspace_id = $1 AND f.agent_id = $2
"""
BEGIN = """
INSERT INTO agent_second_factor (workspace_id, agent_id, sealed_secret, created_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (workspace_id, agent_id) DO UPDATE
    SET sealed_secret = excluded.sealed_secret, created_at = excluded.created_at
    WHERE agent_second_factor.confirmed_at IS NULL
"""
CONFIRM = """
UPDATE agent_second_factor SET confirmed_at = $4, last_step = $3
WHERE workspace_id = $1 AND agent_id = $2 AND confirmed_at IS NULL
RETURNING agent_id
"""
# Compare-and-set: of two sign-ins with the same code, one moves the step and the other finds
# it moved.
ACCEPT_STEP = """
UPDATE agent_second_factor SET last_step = $3
WHERE workspace_id = $1 AND agent_id = $2 AND confirmed_at IS NOT NULL
  AND (last_step IS NULL OR last_step < $3)
RETURNING agent_id
"""
FORGET_CODES = "DELETE FROM agent_recovery_code WHERE workspace_id = $1 AND agent_id = $2"
ADD_CODES = """
INSERT INTO agent_recovery_code (workspace_id, agent_id, position, code_hash)
SELECT $1, $2, position, code_hash
FROM unnest($3::text[]) WITH ORDINALITY AS c(code_hash, position)
"""
UNUSED_CODES = """
SELECT position, code_hash FROM agent_recovery_code
WHERE workspace_id = $1 AND agent_id = $2 AND used_at IS NULL
ORDER BY position
"""
USE_CODE = """
UPDATE agent_recovery_code SET used_at = $4
WHERE workspace_id = $1 AND agent_id = $2 AND position = $3 AND used_at IS NULL
RETURNING position
"""
HAS_CONFIRMED = """
SELECT 1 FROM agent_second_factor
WHERE workspace_id = $1 AND agent_id = $2 AND confirmed_at IS NOT NULL
"""
REMOVE = """
DELETE FROM agent_second_factor WHERE workspace_id = $1 AND agent_id = $2 RETURNING agent_id
"""
REQUIRED = "SELECT required FROM workspace_two_factor WHERE workspace_id = $1"
SET_REQUIRED = """
INSERT INTO workspace_two_factor (workspace_id, required, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (workspace_id) DO UPDATE SET required = $2, updated_at = $3
"""
ADD_PENDING = """
INSERT INTO pending_login (workspace_id, token_hash, agent_id, email, address, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
"""
# Expired ones go as new ones come: the table holds only the sign-ins of the last minutes.
FORGET_EXPIRED = "DELETE FROM pending_login WHERE workspace_id = $1 AND expires_at <= $2"
PENDING = """
SELECT p.agent_id, p.email, p.address FROM pending_login p
JOIN agent a ON a.workspace_id = p.workspace_id AND a.id = p.agent_id AND a.active
WHERE p.workspace_id = $1 AND p.token_hash = $2 AND p.expires_at > $3
"""
END_PENDING = "DELETE FROM pending_login WHERE workspace_id = $1 AND token_hash = $2"


class PgTwoFactor:
    def __init__(self, db: Database, keys: Callable[[], SecretBox]) -> None:
        self._db = db
        self._keys = keys  # asked for when a secret is first sealed or opened

    async def factor(self, workspace_id: int, agent_id: int) -> SecondFactor | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(FACTOR, workspace_id, agent_id)
        if row is None:
            return None
        return SecondFactor(
            secret=self._keys().open(row["sealed_secret"], what="second factor"),
            confirmed=row["confirmed"],
            last_step=row["last_step"],
            recovery_left=row["recovery_left"],
        )

    async def begin(
        self, workspace_id: int, agent_id: int, secret: SecretStr, now: datetime
    ) -> None:
        sealed = self._keys().seal(secret)
        async with self._db.connection() as conn:
            await conn.execute(BEGIN, workspace_id, agent_id, sealed, now)

    async def confirm(
        self,
        workspace_id: int,
        agent_id: int,
        step: int,
        recovery_hashes: Sequence[str],
        now: datetime,
        audit: AuditEntry,
    ) -> bool:
        async with self._db.transaction() as conn:
            if await conn.fetchval(CONFIRM, workspace_id, agent_id, step, now) is None:
                return False
            await conn.execute(FORGET_CODES, workspace_id, agent_id)
            await conn.execute(ADD_CODES, workspace_id, agent_id, list(recovery_hashes))
            await append(conn, audit, now)
        return True

    async def accept_step(self, workspace_id: int, agent_id: int, step: int) -> bool:
        async with self._db.connection() as conn:
            return await conn.fetchval(ACCEPT_STEP, workspace_id, agent_id, step) is not None

    async def unused_recovery_codes(
        self, workspace_id: int, agent_id: int
    ) -> list[tuple[int, str]]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(UNUSED_CODES, workspace_id, agent_id)
        return [(row["position"], row["code_hash"]) for row in rows]

    async def use_recovery_code(
        self, workspace_id: int, agent_id: int, position: int, now: datetime
    ) -> bool:
        async with self._db.connection() as conn:
            used = await conn.fetchval(USE_CODE, workspace_id, agent_id, position, now)
        return used is not None

    async def replace_recovery_codes(
        self, workspace_id: int, agent_id: int, hashes: Sequence[str], audit: AuditEntry
    ) -> bool:
        async with self._db.transaction() as conn:
            if await conn.fetchval(HAS_CONFIRMED, workspace_id, agent_id) is None:
                return False
            await conn.execute(FORGET_CODES, workspace_id, agent_id)
            await conn.execute(ADD_CODES, workspace_id, agent_id, list(hashes))
            await append(conn, audit)
        return True

    async def remove(self, workspace_id: int, agent_id: int, audit: AuditEntry) -> bool:
        async with self._db.transaction() as conn:
            await conn.execute(FORGET_CODES, workspace_id, agent_id)
            if await conn.fetchval(REMOVE, workspace_id, agent_id) is None:
                return False
            await append(conn, audit)
        return True

    async def required(self, workspace_id: int) -> bool:
        async with self._db.connection() as conn:
            return bool(await conn.fetchval(REQUIRED, workspace_id))

    async def set_required(
        self, workspace_id: int, required: bool, now: datetime, audit: AuditEntry
    ) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(SET_REQUIRED, workspace_id, required, now)
            await append(conn, audit, now)

    async def add_pending(
        self, token_hash: bytes, pending: PendingLogin, expires_at: datetime
    ) -> None:
        async with self._db.connection() as conn:
            await conn.execute(
                ADD_PENDING,
                pending.workspace_id,
                token_hash,
                pending.agent_id,
                pending.email,
                pending.address,
                expires_at,
            )

    async def pending(
        self, workspace_id: int, token_hash: bytes, now: datetime
    ) -> PendingLogin | None:
        async with self._db.connection() as conn:
            await conn.execute(FORGET_EXPIRED, workspace_id, now)
            row = await conn.fetchrow(PENDING, workspace_id, token_hash, now)
        if row is None:
            return None
        return PendingLogin(workspace_id, row["agent_id"], row["email"], row["address"])

    async def end_pending(self, workspace_id: int, token_hash: bytes) -> None:
        async with self._db.connection() as conn:
            await conn.execute(END_PENDING, workspace_id, token_hash)
