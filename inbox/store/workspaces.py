"""Workspaces and their connected network accounts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from inbox.domain.network import Network, NetworkAccount
from inbox.store.database import Database

ENSURE_WORKSPACE = """
WITH inserted AS (
    INSERT INTO workspace (slug, name) VALUES ($1, $2)
    ON CONFLICT (slug) DO NOTHING
    RETURNING workspace_id
)
SELECT workspace_id FROM inserted
UNION ALL
SELECT workspace_id FROM workspace WHERE slug = $1
LIMIT 1
"""

WORKSPACE_ID = "SELECT workspace_id FROM workspace WHERE slug = $1"

ADD_ACCOUNT = """
INSERT INTO network_account (workspace_id, network, external_id, handle, display_name)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (workspace_id, network, external_id)
DO UPDATE SET handle = excluded.handle, display_name = excluded.display_name
RETURNING workspace_id, id, network, external_id, handle, display_name, created_at
"""

CONFIGURE_ACCOUNT = """
INSERT INTO network_account (workspace_id, network, external_id, handle, settings)
VALUES ($1, $2, $3, $4, $5::jsonb)
ON CONFLICT (workspace_id, network, external_id)
DO UPDATE SET handle = excluded.handle, settings = excluded.settings, enabled = true
RETURNING id
"""

ENABLED_ACCOUNTS = """
SELECT workspace_id, id, external_id, handle, settings
FROM network_account
WHERE network = $1 AND enabled
ORDER BY workspace_id, id
"""


@dataclass(frozen=True, slots=True)
class ConfiguredAccount:
    workspace_id: int
    account_id: int
    external_id: str
    handle: str
    settings: dict[str, Any]


class PgWorkspaceStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure_workspace(self, slug: str, name: str) -> int:
        value = await self._db.fetchval(ENSURE_WORKSPACE, slug, name)
        if value is None:
            # Another process created it at the same moment (a web and a worker starting
            # together): the insert gave way to that row, which this statement's snapshot,
            # taken before it committed, cannot see. A new statement does.
            value = await self._db.fetchval(WORKSPACE_ID, slug)
        return int(value)

    async def all_ids(self) -> list[int]:
        async with self._db.connection() as conn:
            rows = await conn.fetch("SELECT workspace_id FROM workspace ORDER BY workspace_id")
        return [int(row["workspace_id"]) for row in rows]

    async def workspace_id(self, slug: str) -> int | None:
        value = await self._db.fetchval(WORKSPACE_ID, slug)
        return None if value is None else int(value)

    async def add_account(
        self,
        workspace_id: int,
        network: Network,
        external_id: str,
        handle: str,
        display_name: str | None = None,
    ) -> NetworkAccount:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(
                ADD_ACCOUNT, workspace_id, network.value, external_id, handle, display_name
            )
        assert row is not None
        return NetworkAccount(**dict(row))

    async def configure_account(
        self,
        workspace_id: int,
        network: Network,
        external_id: str,
        handle: str,
        settings: dict[str, Any],
    ) -> int:
        value = await self._db.fetchval(
            CONFIGURE_ACCOUNT,
            workspace_id,
            network.value,
            external_id,
            handle,
            json.dumps(settings),
        )
        return int(value)

    async def enabled_accounts(self, network: Network) -> list[ConfiguredAccount]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(ENABLED_ACCOUNTS, network.value)
        return [
            ConfiguredAccount(
                row["workspace_id"],
                row["id"],
                row["external_id"],
                row["handle"],
                dict(json.loads(row["settings"])),
            )
            for row in rows
        ]
