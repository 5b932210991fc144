"""People of the workspace for the routing tests: agents of a team, with a capacity."""

from __future__ import annotations

from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.people import PgPeopleStore


async def agent_of_team(
    db: Database, workspace_id: int, name: str, display_name: str, *, capacity: int, team: str
) -> int:
    """An agent, name@example.com, of `team`, holding at most `capacity` threads: their id."""
    agent_id = await PgPeopleStore(db).save_agent(
        workspace_id, f"{name}@example.com", display_name, [Role.AGENT], [team]
    )
    async with db.connection() as conn:
        await conn.execute(
            "UPDATE agent SET capacity = $3 WHERE workspace_id = $1 AND id = $2",
            workspace_id, agent_id, capacity,
        )  # fmt: skip
    return agent_id
