"""Connected network accounts as admins manage them: secrets are written, never read back.

The key that seals them is asked for only when a secret is written, so that listing accounts
or toggling one never needs it (nor creates its file).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from pydantic import SecretStr

from inbox.store.database import Database
from inbox.store.secret_box import SecretBox

CREDENTIAL_NAMES = """
SELECT account_id, array_agg(name ORDER BY name) AS names
FROM account_credential WHERE workspace_id = $1
GROUP BY account_id
"""
ADD_ACCOUNT = """
INSERT INTO network_account (workspace_id, network, external_id, handle, settings)
VALUES ($1, $2, $3, $4, $5::jsonb)
ON CONFLICT (workspace_id, network, external_id)
DO UPDATE SET handle = excluded.handle
RETURNING id
"""
ACCOUNT_EXISTS = "SELECT 1 FROM network_account WHERE workspace_id = $1 AND id = $2 FOR UPDATE"
UPSERT_CREDENTIALS = """
INSERT INTO account_credential (workspace_id, account_id, name, ciphertext)
SELECT $1, $2, name, ciphertext FROM unnest($3::text[], $4::bytea[]) AS c (name, ciphertext)
ON CONFLICT (workspace_id, account_id, name)
DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = now()
"""
SET_ENABLED = """
UPDATE network_account SET enabled = $3 WHERE workspace_id = $1 AND id = $2 RETURNING id
"""


class PgAccountAdmin:
    def __init__(self, db: Database, box: Callable[[], SecretBox]) -> None:
        self._db = db
        self._box = box

    async def credential_names(self, workspace_id: int) -> dict[int, tuple[str, ...]]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(CREDENTIAL_NAMES, workspace_id)
        return {row["account_id"]: tuple(row["names"]) for row in rows}

    async def add_account(
        self, workspace_id: int, network: str, external_id: str, handle: str
    ) -> int:
        async with self._db.connection() as conn:
            value = await conn.fetchval(
                ADD_ACCOUNT, workspace_id, network, external_id, handle, json.dumps({})
            )
        return int(value)

    async def set_credentials(
        self, workspace_id: int, account_id: int, secrets: Mapping[str, SecretStr]
    ) -> bool:
        names = sorted(secrets)
        box = self._box()
        sealed = [box.seal(secrets[name]) for name in names]
        async with self._db.transaction() as conn:
            if await conn.fetchval(ACCOUNT_EXISTS, workspace_id, account_id) is None:
                return False
            if names:
                await conn.execute(UPSERT_CREDENTIALS, workspace_id, account_id, names, sealed)
        return True

    async def set_enabled(self, workspace_id: int, account_id: int, enabled: bool) -> bool:
        async with self._db.connection() as conn:
            found = await conn.fetchval(SET_ENABLED, workspace_id, account_id, enabled)
        return found is not None
