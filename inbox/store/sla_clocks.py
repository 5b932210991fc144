"""SLA clocks in PostgreSQL, written inside the ingestion batch's transaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime

from inbox.domain.network import Network
from inbox.domain.sla import SlaSettings, StoredClock, ThreadTimeline, TimelineEntry
from inbox.domain.thread import Priority, ThreadKind
from inbox.store.database import Connection, Database
from inbox.store.ingest_sql import LOCK_WORKSPACE

SETTINGS = "SELECT version, calendars, policies FROM sla_config WHERE workspace_id = $1"

# Every message of the changed threads, oldest first, with the facts policies select on.
TIMELINES = """
SELECT t.id, t.network, t.kind, t.priority, t.team_id,
       m.direction = 'inbound' AS inbound, m.created_at, NOT m.automated AS qualifying,
       m.language, false AS closes
FROM thread t
JOIN mention m ON m.workspace_id = t.workspace_id AND m.thread_id = t.id
WHERE t.workspace_id = $1 AND t.id = ANY($2::bigint[])
UNION ALL
SELECT t.id, t.network, t.kind, t.priority, t.team_id,
       false, c.at, false, NULL, true
FROM thread t
JOIN thread_closure c ON c.workspace_id = t.workspace_id AND c.thread_id = t.id
WHERE t.workspace_id = $1 AND t.id = ANY($2::bigint[])
ORDER BY 1, 7
"""

CLOCKS_OF = """
SELECT thread_id, kind, started_at, stopped_at, policy, calendar, config_version,
       budget_seconds, deadline, warn_at, outcome, business_seconds, arrived_in_hours
FROM sla_clock
WHERE workspace_id = $1 AND thread_id = ANY($2::bigint[])
"""

SAVE_CLOCKS = """
INSERT INTO sla_clock AS c (workspace_id, thread_id, kind, started_at, stopped_at, policy,
                            calendar, config_version, budget_seconds, deadline, warn_at,
                            business_seconds, arrived_in_hours, outcome, next_due_at)
SELECT $1, d.thread_id, d.kind, d.started_at, d.stopped_at, d.policy, d.calendar,
       d.config_version, d.budget_seconds, d.deadline, d.warn_at, d.business_seconds,
       d.arrived_in_hours,
       CASE WHEN d.excluded THEN 'excluded'
            WHEN d.stopped_at IS NULL THEN NULL
            WHEN d.deadline IS NULL OR d.stopped_at <= d.deadline THEN 'met'
            ELSE 'breached' END,
       CASE WHEN d.stopped_at IS NULL THEN coalesce(d.warn_at, d.deadline) END
FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[],
            $7::text[], $8::integer[], $9::integer[], $10::timestamptz[], $11::timestamptz[],
            $12::integer[], $13::boolean[], $14::boolean[])
     AS d (thread_id, kind, started_at, stopped_at, policy, calendar, config_version,
           budget_seconds, deadline, warn_at, business_seconds, arrived_in_hours, excluded)
ON CONFLICT (workspace_id, thread_id, kind, started_at) DO UPDATE SET
    stopped_at = excluded.stopped_at,
    outcome = excluded.outcome,
    business_seconds = excluded.business_seconds,
    arrived_in_hours = excluded.arrived_in_hours,
    -- events already fired are not due again
    next_due_at = CASE
        WHEN excluded.stopped_at IS NOT NULL THEN NULL
        WHEN c.warned_at IS NULL THEN excluded.warn_at
        WHEN c.breached_at IS NULL THEN excluded.deadline
        END,
    deadline = excluded.deadline,
    warn_at = excluded.warn_at,
    policy = excluded.policy,
    calendar = excluded.calendar,
    config_version = excluded.config_version,
    budget_seconds = excluded.budget_seconds
WHERE c.outcome IS DISTINCT FROM 'excluded'
  AND (c.stopped_at IS DISTINCT FROM excluded.stopped_at
       OR c.deadline IS DISTINCT FROM excluded.deadline
       OR c.config_version IS DISTINCT FROM excluded.config_version)
"""

# Clocks the messages no longer imply (a backfilled answer that came earlier than thought).
DROP_STALE = """
DELETE FROM sla_clock c
USING unnest($2::bigint[], $3::text[], $4::timestamptz[]) AS d (t, k, s)
WHERE c.workspace_id = $1 AND c.thread_id = d.t AND c.kind = d.k AND c.started_at = d.s
  AND c.outcome IS DISTINCT FROM 'excluded'
"""

# Out-of-hours acknowledgements, queued in the outbox with the clocks that asked for them;
# the idempotency key makes a replayed batch queue nothing twice.
QUEUE_ACKNOWLEDGEMENTS = """
INSERT INTO outbox_item (workspace_id, thread_id, network, kind, idempotency_key, body,
                         in_reply_to, account_id)
SELECT $1, t.id, t.network, 'acknowledgement', a.key, a.body,
       (SELECT m.external_id FROM mention m
        WHERE m.workspace_id = $1 AND m.thread_id = t.id AND m.direction = 'inbound'
        ORDER BY m.created_at DESC LIMIT 1),
       (SELECT n.id FROM network_account n
        WHERE n.workspace_id = $1 AND n.network = t.network AND n.enabled
        ORDER BY n.id LIMIT 1)
FROM unnest($2::bigint[], $3::text[], $4::text[]) AS a (thread_id, key, body)
JOIN thread t ON t.workspace_id = $1 AND t.id = a.thread_id
ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
"""

# Closing without an answer resolves the thread; a customer writing again reopens it.
RECORD_CLOSURE = """
WITH closed AS (
    UPDATE thread SET status = 'resolved', resolved_at = $3, updated_at = now()
    WHERE workspace_id = $1 AND id = $2
    RETURNING id
)
INSERT INTO thread_closure (workspace_id, thread_id, at, reason, closed_by)
SELECT $1, id, $3, $4, $5 FROM closed
RETURNING id
"""

# Wakes the timer when a running clock may now fall due before what it sleeps towards.
NOTIFY_DEADLINES = "SELECT pg_notify('inbox_sla', $1)"


class PgClockWriter:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def sla_settings(self, workspace_id: int) -> SlaSettings | None:
        row = await self._conn.fetchrow(SETTINGS, workspace_id)
        if row is None:
            return None
        return SlaSettings(
            row["version"], dict(json.loads(row["calendars"])), dict(json.loads(row["policies"]))
        )

    async def timelines(self, workspace_id: int, thread_ids: Sequence[int]) -> list[ThreadTimeline]:
        rows = await self._conn.fetch(TIMELINES, workspace_id, list(thread_ids))
        timelines: dict[int, ThreadTimeline] = {}
        for row in rows:
            timeline = timelines.get(row["id"])
            if timeline is None:
                timeline = timelines[row["id"]] = ThreadTimeline(
                    thread_id=row["id"],
                    network=Network(row["network"]),
                    kind=ThreadKind(row["kind"]),
                    priority=Priority(row["priority"]),
                    team_id=row["team_id"],
                    vip=False,
                )
            timeline.messages.append(
                TimelineEntry(row["created_at"], row["inbound"], row["qualifying"], row["closes"])
            )
            if row["inbound"] and row["language"] and timeline.language is None:
                timelines[row["id"]] = replace(timeline, language=row["language"])
        return list(timelines.values())

    async def record_closure(
        self, workspace_id: int, thread_id: int, at: datetime, reason: str, closed_by: str
    ) -> bool:
        found = await self._conn.fetchval(
            RECORD_CLOSURE, workspace_id, thread_id, at, reason, closed_by
        )
        return found is not None

    async def queue_acknowledgements(
        self, workspace_id: int, acknowledgements: Sequence[tuple[int, str, str]]
    ) -> None:
        if acknowledgements:
            await self._conn.execute(
                QUEUE_ACKNOWLEDGEMENTS,
                workspace_id,
                [thread_id for thread_id, _, _ in acknowledgements],
                [key for _, key, _ in acknowledgements],
                [body for _, _, body in acknowledgements],
            )

    async def clocks_of(self, workspace_id: int, thread_ids: Sequence[int]) -> list[StoredClock]:
        rows = await self._conn.fetch(CLOCKS_OF, workspace_id, list(thread_ids))
        return [StoredClock(**dict(row)) for row in rows]

    async def save_clocks(
        self,
        workspace_id: int,
        clocks: Sequence[StoredClock],
        stale: Sequence[StoredClock] = (),
    ) -> None:
        if stale:
            await self._conn.execute(
                DROP_STALE,
                workspace_id,
                [c.thread_id for c in stale],
                [c.kind for c in stale],
                [c.started_at for c in stale],
            )
        if not clocks:
            return
        await self._conn.execute(
            SAVE_CLOCKS,
            workspace_id,
            [c.thread_id for c in clocks],
            [c.kind for c in clocks],
            [c.started_at for c in clocks],
            [c.stopped_at for c in clocks],
            [c.policy for c in clocks],
            [c.calendar for c in clocks],
            [c.config_version for c in clocks],
            [c.budget_seconds for c in clocks],
            [c.deadline for c in clocks],
            [c.warn_at for c in clocks],
            [c.business_seconds for c in clocks],
            [c.arrived_in_hours for c in clocks],
            [c.outcome == "excluded" for c in clocks],
        )
        running = [c.deadline for c in clocks if c.stopped_at is None and c.deadline]
        if running:
            payload = {"workspace_id": workspace_id, "earliest": min(running).isoformat()}
            await self._conn.execute(NOTIFY_DEADLINES, json.dumps(payload))


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


class PgSlaSettingsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, workspace_id: int) -> SlaSettings | None:
        async with self._db.connection() as conn:
            return await PgClockWriter(conn).sla_settings(workspace_id)

    async def save(
        self, workspace_id: int, calendars: dict[str, object], policies: dict[str, object]
    ) -> int:
        value = await self._db.fetchval(
            SAVE_SETTINGS, workspace_id, json.dumps(calendars), json.dumps(policies)
        )
        return int(value)

    async def threads_with_running_clocks(self, workspace_id: int) -> list[list[int]]:
        async with self._db.connection() as conn:
            ids = [row["thread_id"] for row in await conn.fetch(RUNNING_THREADS, workspace_id)]
        return [ids[i : i + REPLAN_CHUNK] for i in range(0, len(ids), REPLAN_CHUNK)]

    @asynccontextmanager
    async def clock_transaction(self, workspace_id: int) -> AsyncIterator[PgClockWriter]:
        async with self._db.transaction() as conn:
            await conn.execute(LOCK_WORKSPACE, workspace_id)
            yield PgClockWriter(conn)
