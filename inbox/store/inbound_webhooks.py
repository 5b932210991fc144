"""Inbound webhook sources: their sealed secrets and the brand accounts they speak for."""

from __future__ import annotations

import json
from typing import Any

from pydantic import SecretStr

from inbox.domain.inbound_webhooks import InboundSource, NewSource, SourceKind, SourceSummary
from inbox.domain.network import Network
from inbox.store.database import Connection, Database
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import CONFIGURE_ACCOUNT

COLUMNS = """s.workspace_id, s.id, s.name, s.kind, s.secret_sealed, s.verify_token_sealed,
       s.access_token_sealed, s.settings::text AS settings, s.facebook_account_id,
       s.instagram_account_id, s.created_at"""

ADD = f"""
INSERT INTO inbound_source AS s (workspace_id, name, kind, secret_sealed, verify_token_sealed,
                                 access_token_sealed, settings, facebook_account_id,
                                 instagram_account_id)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
ON CONFLICT (workspace_id, name) DO NOTHING
RETURNING {COLUMNS}
"""  # noqa: S608 (COLUMNS is a constant, not input)

FIND = f"""
SELECT {COLUMNS}
FROM inbound_source s JOIN workspace w ON w.workspace_id = s.workspace_id
WHERE w.slug = $1 AND s.name = $2
"""  # noqa: S608 (COLUMNS is a constant, not input)

ALL = f"SELECT {COLUMNS} FROM inbound_source s WHERE s.workspace_id = $1 ORDER BY s.name"  # noqa: S608

REPLYING = f"""
SELECT {COLUMNS} FROM inbound_source s
WHERE s.kind = 'meta' AND s.access_token_sealed IS NOT NULL
ORDER BY s.workspace_id, s.id
"""  # noqa: S608 (COLUMNS is a constant, not input)

# The accounts stay (their messages keep their direction) but no longer send.
REMOVE = """
WITH gone AS (
    DELETE FROM inbound_source WHERE workspace_id = $1 AND name = $2
    RETURNING workspace_id, facebook_account_id, instagram_account_id
)
UPDATE network_account a SET enabled = false
FROM gone
WHERE a.workspace_id = gone.workspace_id
  AND a.id IN (gone.facebook_account_id, gone.instagram_account_id)
RETURNING a.id
"""
EXISTS = "SELECT 1 FROM inbound_source WHERE workspace_id = $1 AND name = $2"


class PgInboundSourceStore:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box

    def _seal(self, secret: SecretStr | None) -> bytes | None:
        return None if secret is None else self._box.seal(secret)

    def _open(self, sealed: bytes | None, what: str) -> SecretStr | None:
        return None if sealed is None else self._box.open(sealed, what=what)

    def _source(self, row: Any) -> InboundSource:
        secret = self._box.open(row["secret_sealed"], what="inbound webhook secret")
        return InboundSource(
            workspace_id=row["workspace_id"],
            id=row["id"],
            name=row["name"],
            kind=SourceKind(row["kind"]),
            secret=secret,
            verify_token=self._open(row["verify_token_sealed"], "Meta verify token"),
            access_token=self._open(row["access_token_sealed"], "Meta access token"),
            settings=json.loads(row["settings"]),
            facebook_account_id=row["facebook_account_id"],
            instagram_account_id=row["instagram_account_id"],
            created_at=row["created_at"],
        )

    async def add(self, workspace_id: int, source: NewSource) -> InboundSource | None:
        """The new source with its accounts, or None when the workspace already has a source
        of that name."""
        name = source.name
        async with self._db.transaction() as conn:
            if await conn.fetchval(EXISTS, workspace_id, name):
                return None
            account_ids = {
                network: await _configure_account(conn, workspace_id, network, ids, name)
                for network, ids in source.accounts.items()
            }
            row = await conn.fetchrow(
                ADD,
                workspace_id,
                name,
                source.kind.value,
                self._box.seal(source.secret),
                self._seal(source.verify_token),
                self._seal(source.access_token),
                json.dumps(dict(source.settings)),
                account_ids.get(Network.FACEBOOK),
                account_ids.get(Network.INSTAGRAM),
            )
        return None if row is None else self._source(row)

    async def find(self, workspace_slug: str, name: str) -> InboundSource | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(FIND, workspace_slug, name)
        return None if row is None else self._source(row)

    async def all(self, workspace_id: int) -> list[SourceSummary]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(ALL, workspace_id)
        return [
            SourceSummary(
                id=row["id"],
                name=row["name"],
                kind=SourceKind(row["kind"]),
                settings=json.loads(row["settings"]),
                can_reply=row["access_token_sealed"] is not None,
                created_at=row["created_at"],
            )
            for row in rows
        ]

    async def replying(self) -> list[InboundSource]:
        """Meta sources of every workspace that can post replies (the worker's channels)."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(REPLYING)
        return [self._source(row) for row in rows]

    async def remove(self, workspace_id: int, name: str) -> bool:
        async with self._db.transaction() as conn:
            existed = await conn.fetchval(EXISTS, workspace_id, name)
            await conn.fetch(REMOVE, workspace_id, name)
        return bool(existed)


async def _configure_account(
    conn: Connection, workspace_id: int, network: Network, ids: tuple[str, str], source: str
) -> int:
    external_id, handle = ids
    settings = json.dumps({"inbound_source": source})
    value = await conn.fetchval(
        CONFIGURE_ACCOUNT, workspace_id, network.value, external_id, handle, settings
    )
    return int(value)
