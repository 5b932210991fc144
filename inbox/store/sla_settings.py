"""SLA settings in PostgreSQL, and the transactions and reads around the clock writer.

The settings transaction saves a new version and re-plans the running clocks with the clock
writer (inbox/store/sla_clocks.py), which closures use in a transaction of their own; reads
for the API come through the same writer's statements.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from inbox.domain.sla import MajorIncidentWindow, SlaSettings, StoredClock
from inbox.store.database import Database
from inbox.store.ingest_sql import LOCK_WORKSPACE
from inbox.store.live_sql import announce_threads
from inbox.store.sla_clocks import PgClockWriter


class PgSlaQuery:
    """Reads for the API: a workspace's SLA settings and one thread's clocks."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def sla_settings(self, workspace_id: int) -> SlaSettings | None:
        async with self._db.connection() as conn:
            return await PgClockWriter(conn).sla_settings(workspace_id)

    async def thread_clocks(self, workspace_id: int, thread_id: int) -> list[StoredClock]:
        async with self._db.connection() as conn:
            clocks = await PgClockWriter(conn).clocks_of(workspace_id, [thread_id])
        return sorted(clocks, key=lambda c: c.started_at)

    async def major_incident_windows(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[MajorIncidentWindow]:
        async with self._db.connection() as conn:
            return await PgClockWriter(conn).major_incident_windows(workspace_id, thread_ids)


SAVE_SETTINGS = """
INSERT INTO sla_config (workspace_id, calendars, policies) VALUES ($1, $2::jsonb, $3::jsonb)
ON CONFLICT (workspace_id) DO UPDATE SET
    calendars = excluded.calendars, policies = excluded.policies,
    version = sla_config.version + 1, updated_at = now()
RETURNING version
"""
RUNNING_THREADS = """
SELECT DISTINCT thread_id FROM sla_clock
WHERE workspace_id = $1 AND stopped_at IS NULL
ORDER BY thread_id
"""
REPLAN_CHUNK = 1000


class PgSlaSettingsWriter(PgClockWriter):
    """The clock writer of a settings transaction, which also saves the settings."""

    async def save_settings(
        self, workspace_id: int, calendars: dict[str, object], policies: dict[str, object]
    ) -> int:
        value = await self._conn.fetchval(
            SAVE_SETTINGS, workspace_id, json.dumps(calendars), json.dumps(policies)
        )
        return int(value)

    async def threads_with_running_clocks(self, workspace_id: int) -> list[list[int]]:
        # Read under the workspace lock: no batch can start a clock before the re-plan ends.
        ids = [row["thread_id"] for row in await self._conn.fetch(RUNNING_THREADS, workspace_id)]
        return [ids[i : i + REPLAN_CHUNK] for i in range(0, len(ids), REPLAN_CHUNK)]


class PgSlaSettingsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, workspace_id: int) -> SlaSettings | None:
        async with self._db.connection() as conn:
            return await PgClockWriter(conn).sla_settings(workspace_id)

    @asynccontextmanager
    async def settings_transaction(self, workspace_id: int) -> AsyncIterator[PgSlaSettingsWriter]:
        async with self._db.transaction() as conn:
            await conn.execute(LOCK_WORKSPACE, workspace_id)
            yield PgSlaSettingsWriter(conn)

    @asynccontextmanager
    async def clock_transaction(self, workspace_id: int) -> AsyncIterator[PgClockWriter]:
        async with self._db.transaction() as conn:
            await conn.execute(LOCK_WORKSPACE, workspace_id)
            writer = PgClockWriter(conn)
            yield writer
            # The threads it closed leave the pages' views: announced with their final state.
            await announce_threads(conn, workspace_id, writer.closed)
