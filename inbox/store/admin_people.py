"""People and teams as admins and leads edit them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import asyncpg

from inbox.domain.audit import AuditEntry
from inbox.domain.errors import ConfigurationError
from inbox.domain.people import Role
from inbox.domain.workspace_settings import NewPerson, PersonRecord, TeamProfile, WorkProfile
from inbox.store.audit import append
from inbox.store.database import Connection, Database

PEOPLE = """
SELECT a.id, a.email, a.display_name, a.roles, a.active, a.capacity, a.languages, a.networks,
       a.topics, a.on_shift, a.away,
       a.password_hash IS NOT NULL OR a.login_agent_id IS NOT NULL AS has_password,
       coalesce(array_agg(t.name ORDER BY t.name) FILTER (WHERE t.name IS NOT NULL), '{}')
           AS teams
FROM agent a
LEFT JOIN team_member m ON m.workspace_id = a.workspace_id AND m.agent_id = a.id
LEFT JOIN team t ON t.workspace_id = m.workspace_id AND t.id = m.team_id
WHERE a.workspace_id = $1 AND ($2::bigint IS NULL OR a.id = $2)
GROUP BY a.workspace_id, a.id
ORDER BY a.active DESC, lower(a.display_name), a.id
"""
ADD_PERSON = """
INSERT INTO agent (workspace_id, email, display_name, roles, capacity, languages, networks,
                   topics, on_shift, away, password_hash)
VALUES ($1, lower($2), $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING id
"""
# The one sign-in of an e-mail in other workspaces, locked until the new membership is written
# (so that it cannot be deactivated in between); two rows: ambiguous, none: unknown.
SIGN_IN_ELSEWHERE = """
SELECT workspace_id, id FROM agent
WHERE email = lower($2) AND workspace_id <> $1 AND active AND login_agent_id IS NULL
  AND password_hash IS NOT NULL
LIMIT 2 FOR SHARE
"""
ADD_MEMBER = """
INSERT INTO agent (workspace_id, email, display_name, roles, capacity, languages, networks,
                   topics, on_shift, away, login_workspace_id, login_agent_id)
VALUES ($1, lower($2), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
RETURNING id
"""
SAVE_WORK = """
UPDATE agent SET display_name = $3, capacity = $4, languages = $5, networks = $6, topics = $7,
                 on_shift = $8, away = $9
WHERE workspace_id = $1 AND id = $2
RETURNING id
"""
LEAVE_TEAMS = "DELETE FROM team_member WHERE workspace_id = $1 AND agent_id = $2"
JOIN_TEAMS = """
INSERT INTO team_member (workspace_id, team_id, agent_id)
SELECT $1, t.id, $2 FROM team t WHERE t.workspace_id = $1 AND t.name = ANY($3::text[])
"""
SAVE_ROLES = "UPDATE agent SET roles = $3 WHERE workspace_id = $1 AND id = $2 RETURNING id"
SET_ACTIVE = "UPDATE agent SET active = $3 WHERE workspace_id = $1 AND id = $2 RETURNING id"
SET_HASH = """
UPDATE agent SET password_hash = $3
WHERE workspace_id = $1 AND id = $2 AND login_agent_id IS NULL
RETURNING id
"""
# A sign-in that other workspaces' memberships use: an admin of one of them setting its
# password would reach into the others.
SIGN_IN_SHARED = """
SELECT EXISTS (SELECT FROM agent WHERE login_workspace_id = $1 AND login_agent_id = $2)
    OR EXISTS (SELECT FROM agent WHERE workspace_id = $1 AND id = $2
               AND login_agent_id IS NOT NULL)
"""
END_SESSIONS = "DELETE FROM web_session WHERE workspace_id = $1 AND agent_id = $2"
REVOKE_TOKENS = """
UPDATE api_token SET revoked_at = now()
WHERE workspace_id = $1 AND agent_id = $2 AND revoked_at IS NULL
"""

TEAMS = """
SELECT t.id, t.name, t.skills, t.languages, t.networks, t.vip,
       (SELECT count(*) FROM team_member m JOIN agent a
            ON a.workspace_id = m.workspace_id AND a.id = m.agent_id AND a.active
        WHERE m.workspace_id = t.workspace_id AND m.team_id = t.id) AS members
FROM team t WHERE t.workspace_id = $1
ORDER BY lower(t.name)
"""
CREATE_TEAM = """
INSERT INTO team (workspace_id, name, skills, languages, networks, vip)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id
"""
SAVE_TEAM = """
UPDATE team SET name = $3, skills = $4, languages = $5, networks = $6, vip = $7
WHERE workspace_id = $1 AND id = $2
RETURNING id
"""


def _person(row: asyncpg.Record) -> PersonRecord:
    return PersonRecord(
        agent_id=row["id"],
        email=row["email"],
        name=row["display_name"],
        roles=frozenset(Role(r) for r in row["roles"]),
        active=row["active"],
        work=WorkProfile(
            teams=tuple(row["teams"]),
            capacity=row["capacity"],
            languages=tuple(row["languages"]),
            networks=tuple(row["networks"]),
            topics=tuple(row["topics"]),
            on_shift=row["on_shift"],
            away=row["away"],
        ),
        has_password=row["has_password"],
    )


def _work_columns(work: WorkProfile) -> tuple[object, ...]:
    """The agent's work columns, in the order ADD_PERSON and SAVE_WORK list them."""
    return (
        work.capacity,
        list(work.languages),
        list(work.networks),
        list(work.topics),
        work.on_shift,
        work.away,
    )


async def _join_teams(
    conn: Connection, workspace_id: int, agent_id: int, teams: Sequence[str]
) -> None:
    await conn.execute(LEAVE_TEAMS, workspace_id, agent_id)
    await conn.execute(JOIN_TEAMS, workspace_id, agent_id, list(teams))


async def _audited(conn: Connection, audit: AuditEntry | None) -> None:
    if audit is not None:
        await append(conn, audit)


class PgPeopleAdmin:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def people(self, workspace_id: int) -> list[PersonRecord]:
        rows = await self._db.fetch(PEOPLE, workspace_id, None)
        return [_person(row) for row in rows]

    async def person(self, workspace_id: int, agent_id: int) -> PersonRecord | None:
        row = await self._db.fetchrow(PEOPLE, workspace_id, agent_id)
        return None if row is None else _person(row)

    async def add(
        self, workspace_id: int, person: NewPerson, *, audit: AuditEntry | None = None
    ) -> int:
        try:
            async with self._db.transaction() as conn:
                agent_id = int(
                    await conn.fetchval(
                        ADD_PERSON,
                        workspace_id,
                        person.email,
                        person.name,
                        sorted(r.value for r in person.roles),
                        *_work_columns(person.work),
                        person.password_hash,
                    )
                )
                await _join_teams(conn, workspace_id, agent_id, person.work.teams)
                if audit is not None:
                    await append(conn, dataclasses.replace(audit, object_id=str(agent_id)))
        except asyncpg.UniqueViolationError as exc:
            raise ConfigurationError("email", f"{person.email} has an account already") from exc
        return agent_id

    async def add_member(
        self, workspace_id: int, person: NewPerson, *, audit: AuditEntry | None = None
    ) -> int:
        try:
            async with self._db.transaction() as conn:
                found = await conn.fetch(SIGN_IN_ELSEWHERE, workspace_id, person.email)
                if len(found) != 1:
                    raise ConfigurationError(
                        "email",
                        f"{person.email} signs in to no other workspace"
                        if not found
                        else f"{person.email} signs in to several workspaces apart: add them "
                        "with a password of their own",
                    )
                agent_id = int(
                    await conn.fetchval(
                        ADD_MEMBER,
                        workspace_id,
                        person.email,
                        person.name,
                        sorted(r.value for r in person.roles),
                        *_work_columns(person.work),
                        found[0]["workspace_id"],
                        found[0]["id"],
                    )
                )
                await _join_teams(conn, workspace_id, agent_id, person.work.teams)
                if audit is not None:
                    await append(conn, dataclasses.replace(audit, object_id=str(agent_id)))
        except asyncpg.UniqueViolationError as exc:
            raise ConfigurationError("email", f"{person.email} has an account already") from exc
        return agent_id

    async def save_work(
        self,
        workspace_id: int,
        agent_id: int,
        name: str,
        work: WorkProfile,
        *,
        audit: AuditEntry | None = None,
    ) -> bool:
        async with self._db.transaction() as conn:
            found = await conn.fetchval(
                SAVE_WORK, workspace_id, agent_id, name, *_work_columns(work)
            )
            if found is None:
                return False
            await _join_teams(conn, workspace_id, agent_id, work.teams)
            await _audited(conn, audit)
        return True

    async def save_roles(
        self,
        workspace_id: int,
        agent_id: int,
        roles: frozenset[Role],
        *,
        audit: AuditEntry | None = None,
    ) -> bool:
        async with self._db.transaction() as conn:
            found = await conn.fetchval(
                SAVE_ROLES, workspace_id, agent_id, sorted(r.value for r in roles)
            )
            if found is not None:
                await _audited(conn, audit)
        return found is not None

    async def set_active(
        self, workspace_id: int, agent_id: int, active: bool, *, audit: AuditEntry | None = None
    ) -> bool:
        async with self._db.transaction() as conn:
            found = await conn.fetchval(SET_ACTIVE, workspace_id, agent_id, active)
            if found is not None and not active:
                await conn.execute(END_SESSIONS, workspace_id, agent_id)
                await conn.execute(REVOKE_TOKENS, workspace_id, agent_id)
            if found is not None:
                await _audited(conn, audit)
        return found is not None

    async def set_password_hash(
        self,
        workspace_id: int,
        agent_id: int,
        password_hash: str,
        *,
        audit: AuditEntry | None = None,
    ) -> bool:
        async with self._db.transaction() as conn:
            if await conn.fetchval(SIGN_IN_SHARED, workspace_id, agent_id):
                raise ConfigurationError(
                    "password",
                    "this person signs in to other workspaces too: their password is set "
                    "from the command line of the workspace they first signed in to",
                )
            found = await conn.fetchval(SET_HASH, workspace_id, agent_id, password_hash)
            if found is not None:
                await conn.execute(END_SESSIONS, workspace_id, agent_id)
                await _audited(conn, audit)
        return found is not None


class PgTeamAdmin:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def teams(self, workspace_id: int) -> list[TeamProfile]:
        rows = await self._db.fetch(TEAMS, workspace_id)
        return [
            TeamProfile(
                team_id=row["id"],
                name=row["name"],
                topics=tuple(sorted(row["skills"])),
                languages=tuple(row["languages"]),
                networks=tuple(row["networks"]),
                vip=row["vip"],
                members=row["members"],
            )
            for row in rows
        ]

    async def create(self, workspace_id: int, team: TeamProfile) -> int:
        with _name_taken_refused(team):
            value = await self._db.fetchval(CREATE_TEAM, workspace_id, *_team_columns(team))
        return int(value)

    async def save(self, workspace_id: int, team: TeamProfile) -> bool:
        with _name_taken_refused(team):
            async with self._db.connection() as conn:
                found = await conn.fetchval(
                    SAVE_TEAM, workspace_id, team.team_id, *_team_columns(team)
                )
        return found is not None


@contextmanager
def _name_taken_refused(team: TeamProfile) -> Iterator[None]:
    """A team saved under another's name: refused naming the field, not a server error (the
    use case checks first; this catches a team named between its check and the write)."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        raise ConfigurationError("name", f"a team is named {team.name!r} already") from exc


def _team_columns(team: TeamProfile) -> tuple[object, ...]:
    return team.name, list(team.topics), list(team.languages), list(team.networks), team.vip
