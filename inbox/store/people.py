"""Agents and teams of a workspace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from inbox.domain.people import Role
from inbox.store.database import Database

UPSERT_AGENT = """
INSERT INTO agent (workspace_id, email, display_name, roles)
VALUES ($1, lower($2), $3, $4)
ON CONFLICT (workspace_id, email)
DO UPDATE SET display_name = excluded.display_name, roles = excluded.roles, active = true
RETURNING id
"""
ENSURE_TEAMS = """
INSERT INTO team (workspace_id, name) SELECT $1, unnest($2::text[])
ON CONFLICT (workspace_id, name) DO NOTHING
"""
LEAVE_TEAMS = "DELETE FROM team_member WHERE workspace_id = $1 AND agent_id = $2"
JOIN_TEAMS = """
INSERT INTO team_member (workspace_id, team_id, agent_id)
SELECT $1, t.id, $2 FROM team t WHERE t.workspace_id = $1 AND t.name = ANY($3::text[])
"""

SET_LANGUAGES = "UPDATE agent SET languages = $3 WHERE workspace_id = $1 AND email = lower($2)"
SET_TEAM_LANGUAGES = "UPDATE team SET languages = $3 WHERE workspace_id = $1 AND name = $2"


class PgPeopleStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def save_agent(
        self,
        workspace_id: int,
        email: str,
        display_name: str,
        roles: Sequence[Role],
        teams: Sequence[str],
    ) -> int:
        """Create or update the agent (by e-mail) with exactly these roles and teams."""
        async with self._db.transaction() as conn:
            agent_id = int(
                await conn.fetchval(
                    UPSERT_AGENT, workspace_id, email, display_name, [r.value for r in roles]
                )
            )
            await conn.execute(ENSURE_TEAMS, workspace_id, list(teams))
            await conn.execute(LEAVE_TEAMS, workspace_id, agent_id)
            await conn.execute(JOIN_TEAMS, workspace_id, agent_id, list(teams))
        return agent_id

    async def set_languages(self, workspace_id: int, email: str, languages: Sequence[str]) -> None:
        async with self._db.connection() as conn:
            await conn.execute(SET_LANGUAGES, workspace_id, email, list(languages))

    async def set_team_languages(
        self, workspace_id: int, languages: Mapping[str, Sequence[str]]
    ) -> None:
        async with self._db.transaction() as conn:
            await conn.executemany(
                SET_TEAM_LANGUAGES,
                [(workspace_id, name, list(spoken)) for name, spoken in languages.items()],
            )
