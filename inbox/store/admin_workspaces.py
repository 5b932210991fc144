"""Workspaces as admins see them, and each workspace's preferences."""

from __future__ import annotations

import asyncpg

from inbox.domain.errors import ConfigurationError
from inbox.domain.workspace_settings import WorkspacePreferences, WorkspaceSummary
from inbox.store.database import Database

LOAD_PREFERENCES = """
SELECT crm_url_template, agent_comparisons FROM workspace_preferences WHERE workspace_id = $1
"""
SAVE_PREFERENCES = """
INSERT INTO workspace_preferences (workspace_id, crm_url_template, agent_comparisons)
VALUES ($1, $2, $3)
ON CONFLICT (workspace_id) DO UPDATE
SET crm_url_template = excluded.crm_url_template,
    agent_comparisons = excluded.agent_comparisons,
    updated_at = now()
"""
ALL_WORKSPACES = """
SELECT w.workspace_id, w.slug, w.name,
       (SELECT count(*) FROM agent a WHERE a.workspace_id = w.workspace_id AND a.active) AS people,
       (SELECT count(*) FROM network_account n WHERE n.workspace_id = w.workspace_id) AS accounts
FROM workspace w
ORDER BY w.slug
"""
CREATE_WORKSPACE = "INSERT INTO workspace (slug, name) VALUES ($1, $2) RETURNING workspace_id"


class PgWorkspacePreferences:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, workspace_id: int) -> WorkspacePreferences | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(LOAD_PREFERENCES, workspace_id)
        if row is None:
            return None
        return WorkspacePreferences(row["crm_url_template"], row["agent_comparisons"])

    async def save(self, workspace_id: int, preferences: WorkspacePreferences) -> None:
        async with self._db.connection() as conn:
            await conn.execute(
                SAVE_PREFERENCES,
                workspace_id,
                preferences.crm_url_template,
                preferences.agent_comparisons,
            )


class PgWorkspaceDirectory:
    """Every workspace of the instance (an instance-wide view: for admins only)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> list[WorkspaceSummary]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(ALL_WORKSPACES)
        return [
            WorkspaceSummary(r["workspace_id"], r["slug"], r["name"], r["people"], r["accounts"])
            for r in rows
        ]

    async def create(self, slug: str, name: str) -> int:
        try:
            async with self._db.connection() as conn:
                value = await conn.fetchval(CREATE_WORKSPACE, slug, name)
        except asyncpg.UniqueViolationError as exc:
            raise ConfigurationError("slug", f"a workspace {slug!r} exists already") from exc
        return int(value)
