"""Web sessions and failed logins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from inbox.domain.login_throttle import LoginAttempt, LoginThrottle
from inbox.domain.people import Role
from inbox.domain.web import AgentLogin, Membership, WebSession
from inbox.store.database import Database
from inbox.store.presence_sql import PRESENCE_COLUMNS, presence

# A sign-in stays usable while any of its memberships is active: deactivated in the workspace
# where it was made, a person still works in the others.
_IN_USE = """(a.active OR EXISTS (
    SELECT FROM agent l
    WHERE l.login_workspace_id = a.workspace_id AND l.login_agent_id = a.id AND l.active))"""
# With the person's own time zone and their first team (whose calendar's zone is theirs
# when they chose none).
FIND_LOGIN = f"""
SELECT a.workspace_id, a.id, a.display_name, a.roles, a.password_hash, a.time_zone, a.active,
       (SELECT min(m.team_id) FROM team_member m
        WHERE m.workspace_id = a.workspace_id AND m.agent_id = a.id) AS team_id
FROM agent a JOIN workspace w ON w.workspace_id = a.workspace_id
WHERE w.workspace_id = $1 AND a.email = lower($2) AND a.login_agent_id IS NULL AND {_IN_USE}
"""  # noqa: S608 (constants only)
FIND_MEMBER_LOGIN = """
SELECT a.workspace_id, a.id, a.display_name, a.roles, a.password_hash, a.time_zone, a.active,
       (SELECT min(m.team_id) FROM team_member m
        WHERE m.workspace_id = a.workspace_id AND m.agent_id = a.id) AS team_id
FROM agent a WHERE a.workspace_id = $1 AND a.id = $2 AND a.active
"""
# Where an e-mail's own sign-ins are (a person made in several workspaces apart, before they
# were linked, has one in each); a membership linked to another's sign-in is not one.
SIGN_IN_WORKSPACES = f"""
SELECT a.workspace_id FROM agent a
WHERE a.email = lower($1) AND a.login_agent_id IS NULL AND a.password_hash IS NOT NULL
  AND {_IN_USE}
ORDER BY a.workspace_id LIMIT 5
"""  # noqa: S608 (constants only)
# The workspaces a sign-in reaches: its own row's and those of the rows linked to it.
_MEMBERSHIPS = """
SELECT m.workspace_id, m.id AS agent_id, w.name
FROM agent m JOIN workspace w ON w.workspace_id = m.workspace_id
WHERE m.active AND (
    (m.workspace_id = {ws} AND m.id = {agent})
    OR (m.login_workspace_id = {ws} AND m.login_agent_id = {agent}))
"""
MEMBERSHIPS = _MEMBERSHIPS.format(
    ws="coalesce($3::bigint, $1::bigint)", agent="coalesce($4::bigint, $2::bigint)"
)
IDENTITY = """
SELECT login_workspace_id, login_agent_id FROM agent WHERE workspace_id = $1 AND id = $2
"""
UPDATE_AGENT_HASH = """
UPDATE agent SET password_hash = $3
WHERE workspace_id = $1 AND email = lower($2) AND login_agent_id IS NULL
RETURNING id
"""
CREATE = """
INSERT INTO web_session (token_hash, workspace_id, agent_id, csrf_token, expires_at,
                         default_time_zone)
VALUES ($1, $2, $3, $4, $5, $6)
"""
# The sign-in a session's agent row belongs to: the row it is linked to, else its own.
_ID_WS = "coalesce(a.login_workspace_id, a.workspace_id)"
_ID_AGENT = "coalesce(a.login_agent_id, a.id)"
# Every page asks: a read, and a write only every few minutes (a write per request would
# flush the WAL on every page view). The two halves of a lookup, `TOUCH` (a CTE) and
# `SESSION` (a SELECT), with the workspace, token hash and now as parameters: FIND puts them
# together, and the inbox's page statement (inbox_list.DESK) reads its list beside them.
TOUCH = """touched AS (
    UPDATE web_session SET last_seen_at = {now}
    WHERE workspace_id = {workspace} AND token_hash = {token}
      AND last_seen_at < {now}::timestamptz - interval '5 minutes'
)"""
SESSION = f"""
SELECT s.workspace_id, s.agent_id, s.csrf_token, a.display_name, a.roles,
       coalesce(a.time_zone, s.default_time_zone) AS time_zone, a.time_zone AS chosen_time_zone,
       a.login_workspace_id, a.login_agent_id,
       {PRESENCE_COLUMNS},
       (SELECT array_agg(m.workspace_id ORDER BY m.name, m.workspace_id)
        FROM ({_MEMBERSHIPS.format(ws=_ID_WS, agent=_ID_AGENT)}) m) AS member_ids,
       (SELECT array_agg(m.name ORDER BY m.name, m.workspace_id)
        FROM ({_MEMBERSHIPS.format(ws=_ID_WS, agent=_ID_AGENT)}) m) AS member_names
FROM web_session s
JOIN agent a ON a.workspace_id = s.workspace_id AND a.id = s.agent_id AND a.active
WHERE s.workspace_id = {{workspace}} AND s.token_hash = {{token}} AND s.expires_at > {{now}}
"""  # noqa: S608 (constants only)
_FIND_PARAMETERS = {"token": "$1", "now": "$2", "workspace": "$3"}
FIND = f"WITH {TOUCH.format(**_FIND_PARAMETERS)}{SESSION.format(**_FIND_PARAMETERS)}"
DELETE = "DELETE FROM web_session WHERE workspace_id = $1 AND token_hash = $2"
SET_TIME_ZONE = "UPDATE agent SET time_zone = $3 WHERE workspace_id = $1 AND id = $2"
# One statement, so that concurrent attempts are counted one after the other (each upsert waits
# for the row lock of the one before it and sees its count):
# 1. `own`: has this address logged in to this e-mail lately?
# 2. `by_email`: if not, the e-mail's gate lets the attempt through when its next slot is due,
#    and sets the next one (free for the first attempts of a window, then doubling delays); a
#    refused attempt changes nothing.
# 3. `by_address`: an attempt the gate let through is counted for its e-mail and address, up
#    to the limit; beyond it nothing is written and no number comes back.
# The last two selects read the limits that refused an attempt, for its Retry-After.
COUNT_ATTEMPT = """
WITH own AS (
    SELECT coalesce(bool_or(succeeded_at > $4::timestamptz - $10::interval), false) AS address
    FROM login_attempt WHERE workspace_id = $1 AND email = lower($2) AND address = $3
),
by_email AS (
    INSERT INTO login_email_gate AS g (workspace_id, email, reserved, window_start)
    SELECT $1, lower($2), 1, $4 FROM own WHERE NOT own.address
    ON CONFLICT (workspace_id, email) DO UPDATE SET
        reserved = CASE WHEN g.window_start > $4::timestamptz - $5::interval
                        THEN g.reserved + 1 ELSE 1 END,
        next_try_at = CASE
            WHEN g.window_start <= $4::timestamptz - $5::interval OR g.reserved < $7 THEN NULL
            ELSE $4::timestamptz
                 + least($9::interval, $8::interval * power(2, least(g.reserved - $7, 20)))
        END,
        window_start = CASE WHEN g.window_start > $4::timestamptz - $5::interval
                            THEN g.window_start ELSE $4 END
    WHERE g.next_try_at IS NULL OR g.next_try_at <= $4
    RETURNING reserved
),
by_address AS (
    INSERT INTO login_attempt AS a (workspace_id, email, address, attempts, window_start)
    SELECT $1, lower($2), $3, 1, $4 FROM own WHERE own.address OR EXISTS (SELECT FROM by_email)
    ON CONFLICT (workspace_id, email, address) DO UPDATE SET
        attempts = CASE WHEN a.window_start > $4::timestamptz - $5::interval
                        THEN a.attempts + 1 ELSE 1 END,
        window_start = CASE WHEN a.window_start > $4::timestamptz - $5::interval
                            THEN a.window_start ELSE $4 END
    WHERE a.attempts < $6 OR a.window_start <= $4::timestamptz - $5::interval
    RETURNING attempts
)
SELECT (SELECT attempts FROM by_address) AS number,
       (SELECT address FROM own) OR EXISTS (SELECT FROM by_email) AS passed_email_gate,
       (SELECT next_try_at FROM login_email_gate
        WHERE workspace_id = $1 AND email = lower($2)) AS email_next_try_at,
       (SELECT window_start + $5::interval FROM login_attempt
        WHERE workspace_id = $1 AND email = lower($2) AND address = $3) AS address_window_end
"""
LOGIN_SUCCEEDED = """
UPDATE login_attempt SET attempts = 0, succeeded_at = $4
WHERE workspace_id = $1 AND email = lower($2) AND address = $3
"""
# Counts whose window is over and addresses no longer the person's own are kept no longer.
FORGET_STALE_ATTEMPTS = """
DELETE FROM login_attempt
WHERE workspace_id = $1 AND window_start <= $2::timestamptz - $3::interval
  AND (succeeded_at IS NULL OR succeeded_at <= $2::timestamptz - $4::interval)
"""
FORGET_STALE_GATES = """
DELETE FROM login_email_gate
WHERE workspace_id = $1 AND window_start <= $2::timestamptz - $3::interval
  AND (next_try_at IS NULL OR next_try_at <= $2)
"""


def web_session(row: Any) -> WebSession:
    """A session read with SESSION (a row, or the same names in a mapping)."""
    return WebSession(
        workspace_id=row["workspace_id"],
        agent_id=row["agent_id"],
        name=row["display_name"],
        roles=frozenset(Role(r) for r in row["roles"]),
        csrf_token=row["csrf_token"],
        time_zone=row["time_zone"],
        chosen_time_zone=row["chosen_time_zone"],
        presence=presence(row),
        workspaces=tuple(zip(row["member_ids"] or (), row["member_names"] or (), strict=True)),
        linked_sign_in=(
            (row["login_workspace_id"], row["login_agent_id"])
            if row["login_agent_id"] is not None
            else None
        ),
    )


def _login(row: asyncpg.Record | None) -> AgentLogin | None:
    if row is None:
        return None
    return AgentLogin(
        workspace_id=row["workspace_id"],
        agent_id=row["id"],
        name=row["display_name"],
        roles=frozenset(Role(r) for r in row["roles"]),
        password_hash=row["password_hash"],
        time_zone=row["time_zone"],
        team_id=row["team_id"],
        active=row["active"],
    )


class PgWebSessions:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def login_of(self, workspace_id: int, email: str) -> AgentLogin | None:
        return _login(await self._db.fetchrow(FIND_LOGIN, workspace_id, email))

    async def member_login(self, workspace_id: int, agent_id: int) -> AgentLogin | None:
        return _login(await self._db.fetchrow(FIND_MEMBER_LOGIN, workspace_id, agent_id))

    async def set_password(self, workspace_id: int, email: str, password_hash: str) -> bool:
        agent_id = await self._db.fetchval(UPDATE_AGENT_HASH, workspace_id, email, password_hash)
        return agent_id is not None

    async def create(
        self,
        token_hash: bytes,
        workspace_id: int,
        agent_id: int,
        csrf_token: str,
        expires_at: datetime,
        default_time_zone: str = "UTC",
    ) -> None:
        async with self._db.connection() as conn:
            await conn.execute(
                CREATE,
                token_hash,
                workspace_id,
                agent_id,
                csrf_token,
                expires_at,
                default_time_zone,
            )

    async def find(self, workspace_id: int, token_hash: bytes, now: datetime) -> WebSession | None:
        row = await self._db.fetchrow(FIND, token_hash, now, workspace_id)
        return None if row is None else web_session(row)

    async def sign_in_workspaces(self, email: str) -> list[int]:
        return [row["workspace_id"] for row in await self._db.fetch(SIGN_IN_WORKSPACES, email)]

    async def memberships(self, workspace_id: int, agent_id: int) -> list[Membership]:
        """Every workspace the sign-in of this agent row reaches (the row's own among them)."""
        async with self._db.connection() as conn:
            link = await conn.fetchrow(IDENTITY, workspace_id, agent_id)
            if link is None:
                return []
            rows = await conn.fetch(
                MEMBERSHIPS,
                workspace_id,
                agent_id,
                link["login_workspace_id"],
                link["login_agent_id"],
            )
        return sorted(
            (Membership(r["workspace_id"], r["agent_id"], r["name"]) for r in rows),
            key=lambda m: (m.name, m.workspace_id),
        )

    async def delete(self, workspace_id: int, token_hash: bytes) -> None:
        await self._db.execute(DELETE, workspace_id, token_hash)

    async def set_time_zone(self, workspace_id: int, agent_id: int, time_zone: str | None) -> None:
        await self._db.execute(SET_TIME_ZONE, workspace_id, agent_id, time_zone)

    async def count_attempt(
        self, workspace_id: int, email: str, address: str, now: datetime, throttle: LoginThrottle
    ) -> LoginAttempt:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(
                COUNT_ATTEMPT,
                workspace_id,
                email,
                address,
                now,
                throttle.window,
                throttle.per_address,
                throttle.free_per_email,
                throttle.first_delay,
                throttle.longest_delay,
                throttle.own_address_for,
            )
        assert row is not None
        if row["number"] is not None:
            return LoginAttempt(row["number"])
        # Read as the statement began, not under the lock that refused the attempt: at worst a
        # little early, and the person is told to come back a little too soon.
        refused_by = "address_window_end" if row["passed_email_gate"] else "email_next_try_at"
        return LoginAttempt(None, row[refused_by] or now)

    async def login_succeeded(
        self, workspace_id: int, email: str, address: str, now: datetime, throttle: LoginThrottle
    ) -> None:
        async with self._db.connection() as conn:
            await conn.execute(LOGIN_SUCCEEDED, workspace_id, email, address, now)
            await conn.execute(
                FORGET_STALE_ATTEMPTS, workspace_id, now, throttle.window, throttle.own_address_for
            )
            await conn.execute(FORGET_STALE_GATES, workspace_id, now, throttle.window)
