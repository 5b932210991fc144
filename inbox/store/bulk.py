"""Acting on several threads at once, in PostgreSQL: one statement per action over every
thread named, each thread checked against the workspace and its state in that statement,
the threads changed announced to the pages as the transaction's last statement."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from inbox.domain.bulk import AssignTarget, Skipped
from inbox.store.assignees_sql import COLLEAGUES, TEAMS
from inbox.store.database import Connection, Database
from inbox.store.live_sql import announce_threads
from inbox.store.routing import PgRoutingWriter
from inbox.store.thread_sql import (
    ANSWER,
    SELECTED,
    SNOOZE_SELECTION,
    TAG,
    UNTAG,
    skipped_because,
)

STATUSES = f"""
WITH {SELECTED}, changed AS (SELECT NULL::bigint AS id WHERE false)
{ANSWER}"""

ASSIGNABLE_AGENT = """
SELECT display_name FROM agent
WHERE workspace_id = $1 AND id = $2 AND active AND roles && ARRAY['agent', 'lead', 'admin']
"""
TEAM_NAME = "SELECT name FROM team WHERE workspace_id = $1 AND id = $2"


def _found(rows: Sequence[Any]) -> dict[int, str]:
    return {row["id"]: row["status"] for row in rows if row["found"]}


class PgBulkWriter:
    """The actions on one transaction; routing on the same one (`routing`)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.routing = PgRoutingWriter(conn)
        self.changed: set[int] = set()

    async def _run(self, sql: str, workspace_id: int, thread_ids: Sequence[int], *args: Any) -> Any:
        rows = await self._conn.fetch(sql, workspace_id, list(thread_ids), *args)
        self.changed.update(row["id"] for row in rows if row["done"])
        return rows

    async def tag(
        self, workspace_id: int, thread_ids: Sequence[int], tags: Sequence[str], most: int
    ) -> tuple[list[int], dict[int, Skipped]]:
        """Threads that have the tags now (tagged, or already), and those skipped."""
        rows = await self._run(TAG, workspace_id, thread_ids, list(tags), most)
        done, skipped = [], {}
        for row in rows:
            if not row["found"]:
                skipped[row["id"]] = Skipped.NOT_FOUND
            elif row["done"] or set(tags) <= set(row["tags"]):
                done.append(row["id"])
            else:
                skipped[row["id"]] = Skipped.TOO_MANY_TAGS
        return done, skipped

    async def untag(
        self, workspace_id: int, thread_ids: Sequence[int], tags: Sequence[str]
    ) -> tuple[list[int], dict[int, Skipped]]:
        """Threads without the tags now (untagged, or never had them), and those skipped."""
        rows = await self._run(UNTAG, workspace_id, thread_ids, list(tags))
        done = [row["id"] for row in rows if row["found"]]
        return done, {row["id"]: Skipped.NOT_FOUND for row in rows if not row["found"]}

    async def snooze(
        self, workspace_id: int, thread_ids: Sequence[int], until: datetime
    ) -> tuple[list[int], dict[int, Skipped]]:
        rows = await self._run(SNOOZE_SELECTION, workspace_id, thread_ids, until)
        done = [row["id"] for row in rows if row["done"]]
        return done, {row["id"]: skipped_because(row) for row in rows if not row["done"]}

    async def target_name(self, workspace_id: int, target: AssignTarget) -> str | None:
        """The colleague's name or the team's ("team Support FR"); None if not there."""
        if target.agent_id is not None:
            name = await self._conn.fetchval(ASSIGNABLE_AGENT, workspace_id, target.agent_id)
            return None if name is None else str(name)
        name = await self._conn.fetchval(TEAM_NAME, workspace_id, target.team_id)
        return None if name is None else f"team {name}"


class PgBulkStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    @asynccontextmanager
    async def transaction(self, workspace_id: int) -> AsyncIterator[PgBulkWriter]:
        async with self._db.transaction() as conn:
            writer = PgBulkWriter(conn)
            yield writer
            # The threads acted on, and those routing then gave out, with their final state.
            changed = writer.changed | writer.routing.assignments.assigned.get(workspace_id, set())
            await announce_threads(conn, workspace_id, changed)

    async def statuses(self, workspace_id: int, thread_ids: Sequence[int]) -> dict[int, str]:
        """The status of each thread named that is in the workspace."""
        async with self._db.connection() as conn:
            return _found(await conn.fetch(STATUSES, workspace_id, list(thread_ids)))

    async def assignees(
        self, workspace_id: int
    ) -> tuple[tuple[tuple[int, str], ...], tuple[tuple[int, str], ...]]:
        """Whom threads may be given to: (colleagues, teams), each (id, name)."""
        async with self._db.connection() as conn:
            colleagues = await conn.fetch(COLLEAGUES, workspace_id)
            teams = await conn.fetch(TEAMS, workspace_id)
        return (
            tuple((row["id"], row["display_name"]) for row in colleagues),
            tuple((row["id"], row["name"]) for row in teams),
        )
