"""The people store on PostgreSQL: what the demo and `inbox agent add` write through it."""

from __future__ import annotations

from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.people import PgPeopleStore


async def test_an_agents_languages_are_set_by_their_address_in_any_case(
    db: Database, workspace_id: int
) -> None:
    people = PgPeopleStore(db)
    await people.save_agent(workspace_id, "lea@example.com", "Léa", [Role.AGENT], [])
    await people.set_languages(workspace_id, "Lea@Example.com", ["fr", "en"])
    languages = await db.fetchval(
        "SELECT languages FROM agent WHERE workspace_id = $1 AND email = 'lea@example.com'",
        workspace_id,
    )
    assert languages == ["fr", "en"]


async def test_team_languages_are_set_by_team_name_and_other_teams_keep_theirs(
    db: Database, workspace_id: int
) -> None:
    people = PgPeopleStore(db)
    await people.save_agent(
        workspace_id, "sam@example.com", "Sam", [Role.AGENT], ["Support FR", "Support EN", "VIP"]
    )
    await people.set_team_languages(
        workspace_id, {"Support FR": ["fr"], "Support EN": ["en"], "Nobody's team": ["de"]}
    )
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT name, languages FROM team WHERE workspace_id = $1 ORDER BY name", workspace_id
        )
    assert [(r["name"], r["languages"]) for r in rows] == [
        ("Support EN", ["en"]),
        ("Support FR", ["fr"]),
        ("VIP", []),
    ]
