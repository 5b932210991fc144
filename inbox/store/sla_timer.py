"""The SLA timer's side of the database: due clocks, events fired exactly once, leadership."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg

from inbox.domain.sla import SlaEvent, SlaSettings
from inbox.store.database import CONNECTION_GONE, Database

# Any constant of the inbox's own; two timers never run at once while one holds it.
TIMER_LOCK_KEY = 0x1B0C5_0002

NEXT_DUE = "SELECT min(next_due_at) FROM sla_clock WHERE next_due_at IS NOT NULL"

# Claims due clocks (another timer's claims are skipped, never waited for), records their
# events (the unique key makes each fire once, whoever tries), counts them for the metrics
# (in one order, so two timers never wait on each other crosswise) and moves each clock to
# its next event. A breach that is due makes a warning not yet sent pointless: it is skipped.
FIRE_DUE = """
WITH due AS (
    SELECT workspace_id, id, thread_id, warn_at, deadline, warned_at, breached_at
    FROM sla_clock
    WHERE next_due_at IS NOT NULL AND next_due_at <= $1
    ORDER BY next_due_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
), decided AS (
    SELECT *,
           (breached_at IS NULL AND deadline IS NOT NULL AND deadline <= $1) AS breach_now,
           (warned_at IS NULL AND warn_at IS NOT NULL AND warn_at <= $1
            AND NOT (deadline IS NOT NULL AND deadline <= $1)) AS warn_now
    FROM due
), fired AS (
    INSERT INTO sla_event (workspace_id, clock_id, thread_id, kind, due_at, fired_at)
    SELECT workspace_id, id, thread_id, 'breach', deadline, $1 FROM decided WHERE breach_now
    UNION ALL
    SELECT workspace_id, id, thread_id, 'warning', warn_at, $1 FROM decided WHERE warn_now
    ON CONFLICT (workspace_id, clock_id, kind) DO NOTHING
    RETURNING workspace_id, id, clock_id, thread_id, kind, due_at, fired_at
), counted AS (
    INSERT INTO sla_event_count (workspace_id, kind, fired)
    SELECT workspace_id, kind, count(*) FROM fired GROUP BY workspace_id, kind
    ORDER BY workspace_id, kind
    ON CONFLICT (workspace_id, kind) DO UPDATE SET fired = sla_event_count.fired + excluded.fired
), moved AS (
    UPDATE sla_clock c
    SET warned_at = CASE WHEN d.warn_now OR d.breach_now THEN coalesce(c.warned_at, $1)
                         ELSE c.warned_at END,
        breached_at = CASE WHEN d.breach_now THEN $1 ELSE c.breached_at END,
        next_due_at = CASE
            WHEN d.breach_now OR c.breached_at IS NOT NULL THEN NULL
            WHEN d.warn_now THEN c.deadline
            ELSE c.next_due_at END
    FROM decided d
    WHERE c.workspace_id = d.workspace_id AND c.id = d.id
)
SELECT * FROM fired
"""

NOTIFY_EVENTS = "SELECT pg_notify('inbox_sla_events', $1)"


class PgSlaTimerStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def next_due(self) -> datetime | None:
        value = await self._db.fetchval(NEXT_DUE)
        return value if isinstance(value, datetime) else None

    async def fire_due(self, now: datetime, limit: int = 500) -> list[SlaEvent]:
        async with self._db.transaction() as conn:
            rows = await conn.fetch(FIRE_DUE, now, limit)
            events = [SlaEvent(**dict(row)) for row in rows]
            if events:
                payload = [
                    {"workspace_id": e.workspace_id, "thread_id": e.thread_id, "kind": e.kind}
                    for e in events[:100]
                ]
                await conn.execute(NOTIFY_EVENTS, json.dumps(payload))
        return events

    @asynccontextmanager
    async def leadership(
        self, on_deadline_change: Callable[[], None]
    ) -> AsyncIterator[PgLeadership]:
        """Leader while this process is the one timer: a session advisory lock held on a
        connection of its own, which also listens for nearer deadlines. The lock lives as
        long as that connection: when it drops, `lost()` returns and the timer must take
        the lock again on a new one."""
        async with self._db.dedicated() as conn:
            leader = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", TIMER_LOCK_KEY))
            held = PgLeadership(conn, leader)
            if leader:
                await conn.add_listener("inbox_sla", lambda *_: on_deadline_change())
            yield held


# How often the leader checks that its lock's connection still answers. A server that
# terminates the session is noticed at once; a connection cut silently (a network partition)
# only by asking.
LEADERSHIP_PROBE_SECONDS = 10.0
PROBE_TIMEOUT_S = 5.0


class PgLeadership:
    def __init__(self, conn: asyncpg.Connection[Any], leader: bool) -> None:
        self._conn = conn
        self.leader = leader
        self._closed = asyncio.Event()
        conn.add_termination_listener(lambda _conn: self._closed.set())

    async def lost(self) -> None:
        while not self._conn.is_closed():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), LEADERSHIP_PROBE_SECONDS)
                return
            try:
                await asyncio.wait_for(self._conn.fetchval("SELECT 1"), PROBE_TIMEOUT_S)
            except CONNECTION_GONE:
                return


ALL_SETTINGS = "SELECT workspace_id, version, calendars, policies FROM sla_config"
RUNNING_IN_CALENDAR = """
SELECT thread_id, kind, started_at, deadline
FROM sla_clock
WHERE workspace_id = $1 AND calendar = $2 AND stopped_at IS NULL
ORDER BY deadline NULLS LAST
LIMIT 500
"""
RECORD_SHIFT = """
INSERT INTO sla_shift_report (workspace_id, calendar, closes_at, running)
VALUES ($1, $2, $3, $4::jsonb)
ON CONFLICT DO NOTHING
RETURNING closes_at
"""


class PgShiftReports:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def all_settings(self) -> list[tuple[int, SlaSettings]]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(ALL_SETTINGS)
        return [
            (
                row["workspace_id"],
                SlaSettings(
                    row["version"],
                    dict(json.loads(row["calendars"])),
                    dict(json.loads(row["policies"])),
                ),
            )
            for row in rows
        ]

    async def record(self, workspace_id: int, calendar: str, closes_at: datetime) -> int | None:
        """The running clocks' count if this closing's list is new; None if already made."""
        async with self._db.transaction() as conn:
            rows = await conn.fetch(RUNNING_IN_CALENDAR, workspace_id, calendar)
            running = [
                {
                    "thread_id": r["thread_id"],
                    "kind": r["kind"],
                    "started_at": r["started_at"].isoformat(),
                    "deadline": r["deadline"].isoformat() if r["deadline"] else None,
                }
                for r in rows
            ]
            made = await conn.fetchval(
                RECORD_SHIFT, workspace_id, calendar, closes_at, json.dumps(running)
            )
            if made is None:
                return None
            payload = {
                "workspace_id": workspace_id,
                "kind": "end_of_shift",
                "calendar": calendar,
                "running": len(running),
            }
            await conn.execute(NOTIFY_EVENTS, json.dumps([payload]))
        return len(running)
