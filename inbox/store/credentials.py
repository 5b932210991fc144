"""Credentials of connected accounts, sealed with the instance's key."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import SecretStr

from inbox.store.database import Database
from inbox.store.secret_box import SecretBox

UPSERT_CREDENTIAL = """
INSERT INTO account_credential (workspace_id, account_id, name, ciphertext)
SELECT $1, $2, name, ciphertext FROM unnest($3::text[], $4::bytea[]) AS c (name, ciphertext)
ON CONFLICT (workspace_id, account_id, name)
DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = now()
"""
FORGET_OTHERS = """
DELETE FROM account_credential
WHERE workspace_id = $1 AND account_id = $2 AND NOT (name = ANY($3::text[]))
"""
LOAD_CREDENTIALS = """
SELECT name, ciphertext FROM account_credential WHERE workspace_id = $1 AND account_id = $2
"""


class PgCredentialStore:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box

    async def replace(
        self, workspace_id: int, account_id: int, secrets: Mapping[str, SecretStr]
    ) -> None:
        """Store these secrets for the account and forget any other it had."""
        names = sorted(secrets)
        sealed = [self._box.seal(secrets[name]) for name in names]
        async with self._db.transaction() as conn:
            await conn.execute(UPSERT_CREDENTIAL, workspace_id, account_id, names, sealed)
            await conn.execute(FORGET_OTHERS, workspace_id, account_id, names)

    async def load(self, workspace_id: int, account_id: int) -> dict[str, SecretStr]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(LOAD_CREDENTIALS, workspace_id, account_id)
        return {
            row["name"]: self._box.open(row["ciphertext"], what=f"credential {row['name']}")
            for row in rows
        }
