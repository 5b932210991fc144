"""Who holds each thread, in PostgreSQL: every statement that writes `assignment`, and the
thread's holder with it, lives here.

Each write moves `thread.assignee_id` (and maybe its team) and logs the move in `assignment`
in the same statement, with its source and reasons, so the log never disagrees with the
thread. The writer works on a connection whose transaction its caller owns: an ingestion
batch, a routing pass, a person's action on one thread or on a selection.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from inbox.domain.bulk import AssignTarget, Skipped
from inbox.domain.routing import ClaimedThread
from inbox.store import live_sql
from inbox.store.database import Connection, Database
from inbox.store.thread_events import assigned_events
from inbox.store.thread_sql import (
    ANSWER,
    AWAITING_ANSWER_SQL,
    OPEN_STATUSES_SQL,
    SELECTED,
    skipped_because,
)
from routing.snapshot import Assignment

# Writes `thread` here, not in thread_sql: the move and its log are one statement, so they agree.
# Routing's decisions. Only threads still in the state the decision saw are written ($9: the
# holder it saw, or NULL for the queue), so a claim racing the router never loses.
APPLY_DECISIONS = f"""
WITH d AS (
    SELECT * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::boolean[], $6::text[],
                         $9::bigint[])
        AS d(thread_id, agent_id, team_id, community, reasons, holder)
), written AS (
    UPDATE thread t
    SET assignee_id = d.agent_id, team_id = coalesce(d.team_id, t.team_id),
        community = d.community,
        assigned_at = CASE WHEN d.agent_id IS NULL THEN NULL ELSE $7::timestamptz END,
        updated_at = now(), event_seq = t.event_seq + 1
    FROM d
    WHERE t.workspace_id = $1 AND t.id = d.thread_id
      AND t.assignee_id IS NOT DISTINCT FROM d.holder
    RETURNING t.id, t.event_seq, t.network, t.assignee_id, t.team_id
), {assigned_events("written", "$7::timestamptz", "$8::text")}, logged AS (
    INSERT INTO assignment (workspace_id, thread_id, agent_id, team_id, community, source,
                            reasons, at)
    SELECT $1, d.thread_id, d.agent_id, d.team_id, d.community, $8, d.reasons::jsonb, $7
    FROM d JOIN written w ON w.id = d.thread_id
    RETURNING agent_id
)
UPDATE agent a SET last_assigned_at = $7
FROM (SELECT DISTINCT agent_id FROM logged WHERE agent_id IS NOT NULL) x
WHERE a.workspace_id = $1 AND a.id = x.agent_id
"""  # noqa: S608 (constants only)

# Writes `thread` here, not in thread_sql: the move and its log are one statement, so they agree.
# The next threads of an agent's queue (their teams' and the unteamed), most pressing first,
# then the nearest SLA deadline; rows another claimer holds are skipped, never waited for.
CLAIM = f"""
WITH me AS (
    -- The agent's row is locked: two claims of one agent (two tabs) queue here, so the room
    -- left under capacity is counted once.
    SELECT a.capacity - (SELECT count(*) FROM thread t
                         WHERE t.workspace_id = a.workspace_id AND t.assignee_id = a.id
                           AND t.status IN {OPEN_STATUSES_SQL}) AS room,
           coalesce((SELECT array_agg(m.team_id) FROM team_member m
                     WHERE m.workspace_id = a.workspace_id AND m.agent_id = a.id), '{{}}') AS teams
    FROM agent a WHERE a.workspace_id = $1 AND a.id = $2 AND a.active
    FOR UPDATE
), picked AS (
    SELECT t.id FROM thread t, me
    WHERE t.workspace_id = $1 AND t.assignee_id IS NULL AND t.status IN {AWAITING_ANSWER_SQL}
      AND (t.team_id IS NULL OR t.team_id = ANY(me.teams))
    ORDER BY array_position(ARRAY['urgent', 'high', 'normal', 'low'], t.priority),
             t.sla_due_at NULLS LAST, t.id
    LIMIT least($3, greatest((SELECT room FROM me), 0))
    FOR UPDATE OF t SKIP LOCKED
), claimed AS (
    UPDATE thread t SET assignee_id = $2, assigned_at = $4, updated_at = now(),
                        event_seq = t.event_seq + 1
    FROM picked WHERE t.workspace_id = $1 AND t.id = picked.id
    RETURNING t.id, t.priority, t.sla_due_at, t.team_id, t.event_seq, t.network, t.assignee_id
), {assigned_events("claimed", "$4", "'claim'")}, logged AS (
    INSERT INTO assignment (workspace_id, thread_id, agent_id, team_id, source, reasons, at)
    SELECT $1, id, $2, team_id, 'claim', '["claimed from the queue"]'::jsonb, $4 FROM claimed
)
SELECT id, priority, sla_due_at FROM claimed
ORDER BY array_position(ARRAY['urgent', 'high', 'normal', 'low'], priority),
         sla_due_at NULLS LAST, id
"""  # noqa: S608 (constants only)

# Writes `thread` here, not in thread_sql: the move and its log are one statement, so they agree.
# An agent takes one open thread themselves; announced to the pages in the same statement.
TAKE = f"""
WITH taken AS (
    UPDATE thread SET assignee_id = $3, assigned_at = $4, community = false, updated_at = now(),
                      event_seq = event_seq + 1
    WHERE workspace_id = $1 AND id = $2 AND status IN {OPEN_STATUSES_SQL}
    RETURNING *
), {assigned_events("taken", "$4", "'manual'")}, recorded AS (
    INSERT INTO assignment (workspace_id, thread_id, agent_id, team_id, source, reasons, at)
    SELECT $1, id, $3, team_id, 'manual', '["taken by hand"]'::jsonb, $4 FROM taken
    RETURNING thread_id
)
SELECT r.thread_id, {live_sql.NOTIFY_ONE_THREAD}
FROM recorded r JOIN taken t ON t.id = r.thread_id
"""  # noqa: S608 (constants only)

# Writes `thread` here, not in thread_sql: the move and its log are one statement, so they agree.
# A person gives one open thread to an active colleague ($3) or a team ($4), announced to the
# pages in the same statement.
ASSIGN_BY_HAND = f"""
WITH target AS (
    SELECT (SELECT id FROM agent WHERE workspace_id = $1 AND id = $3 AND active) AS agent_id,
           (SELECT id FROM team WHERE workspace_id = $1 AND id = $4) AS team_id
), given AS (
    UPDATE thread t
    SET assignee_id = target.agent_id,
        team_id = coalesce(target.team_id, t.team_id),
        assigned_at = $6, community = false, updated_at = now(), event_seq = t.event_seq + 1
    FROM target
    WHERE t.workspace_id = $1 AND t.id = $2 AND t.status IN {OPEN_STATUSES_SQL}
      AND ($3::bigint IS NULL OR target.agent_id IS NOT NULL)
      AND ($4::bigint IS NULL OR target.team_id IS NOT NULL)
    RETURNING t.*
), {assigned_events("given", "$6", "'manual'")}, recorded AS (
    INSERT INTO assignment (workspace_id, thread_id, agent_id, team_id, source, reasons, at)
    SELECT $1, id, assignee_id, team_id, 'manual',
           jsonb_build_array('assigned by agent ' || $5), $6
    FROM given
    RETURNING thread_id
)
SELECT r.thread_id, {live_sql.NOTIFY_ONE_THREAD}
FROM recorded r JOIN given t ON t.id = r.thread_id
"""  # noqa: S608 (constants only)

# Writes `thread` here, not in thread_sql: the move and its log are one statement, so they agree.
# A selection of threads to one active colleague ($3) or one team's queue ($4): open threads
# only, and not one the colleague already holds (its assignment clock would start again for
# nothing).
ASSIGN_SELECTION = f"""
WITH {SELECTED},
changed AS (
    UPDATE thread t
    SET assignee_id = $3, team_id = coalesce($4, t.team_id), assigned_at = $5,
        community = false, updated_at = now(), event_seq = t.event_seq + 1
    FROM found f
    WHERE t.workspace_id = $1 AND t.id = f.id AND t.status IN {OPEN_STATUSES_SQL}
      AND ($3::bigint IS NULL OR t.assignee_id IS DISTINCT FROM $3)
    RETURNING t.id, t.team_id, t.event_seq, t.network, t.assignee_id
),
{assigned_events("changed", "$5", "'manual'")},
logged AS (
    INSERT INTO assignment (workspace_id, thread_id, agent_id, team_id, source, reasons, at)
    SELECT $1, c.id, $3, c.team_id, 'manual', jsonb_build_array($6::text), $5 FROM changed c
)
{ANSWER}"""  # noqa: S608 (constants only)


class PgAssignmentWriter:
    """Every change of who holds a thread, on one open connection whose transaction the caller
    owns. The threads it moved, by workspace, are in `assigned` for the caller to announce."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.assigned: dict[int, set[int]] = {}

    async def apply(
        self,
        workspace_id: int,
        assignments: Sequence[Assignment],
        at: datetime,
        source: str,
        holders: Sequence[int | None] | None = None,
    ) -> None:
        """Routing's decisions, for the threads still held as the decision saw them."""
        if not assignments:
            return
        self._remember(workspace_id, [a.thread_id for a in assignments])
        await self._conn.execute(
            APPLY_DECISIONS,
            workspace_id,
            [a.thread_id for a in assignments],
            [a.agent_id for a in assignments],
            [a.team_id for a in assignments],
            [a.community for a in assignments],
            [json.dumps(list(a.reasons), ensure_ascii=False) for a in assignments],
            at,
            source,
            list(holders) if holders is not None else [None] * len(assignments),
        )

    async def claim(
        self, workspace_id: int, agent_id: int, limit: int, at: datetime
    ) -> list[ClaimedThread]:
        """Up to `limit` threads from the agent's queue, never beyond their capacity."""
        rows = await self._conn.fetch(CLAIM, workspace_id, agent_id, limit, at)
        self._remember(workspace_id, [row["id"] for row in rows])
        return [ClaimedThread(row["id"], row["priority"], row["sla_due_at"]) for row in rows]

    async def assign_selection(
        self,
        workspace_id: int,
        thread_ids: Sequence[int],
        target: AssignTarget,
        at: datetime,
        reason: str,
    ) -> tuple[list[int], dict[int, Skipped], list[int]]:
        """(done, skipped with why, the colleagues who held the threads given away)."""
        rows = await self._conn.fetch(
            ASSIGN_SELECTION,
            workspace_id,
            list(thread_ids),
            target.agent_id,
            target.team_id,
            at,
            reason,
        )
        done = [row["id"] for row in rows if row["done"]]
        self._remember(workspace_id, done)
        skipped = {
            row["id"]: skipped_because(row, already=target.agent_id is not None)
            for row in rows
            if not row["done"]
        }
        holders = sorted({row["was"] for row in rows if row["done"] and row["was"] is not None})
        return done, skipped, holders

    def _remember(self, workspace_id: int, thread_ids: Sequence[int]) -> None:
        self.assigned.setdefault(workspace_id, set()).update(thread_ids)


class PgHandAssignments:
    """A person's own assignments of one thread, each in a transaction of its own and
    announced to the pages by its statement."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def take(self, workspace_id: int, thread_id: int, agent_id: int, at: datetime) -> bool:
        """False when there is no such open thread."""
        async with self._db.transaction() as conn:
            return await conn.fetchval(TAKE, workspace_id, thread_id, agent_id, at) is not None

    async def assign(
        self,
        workspace_id: int,
        thread_id: int,
        agent_id: int | None,
        team_id: int | None,
        by_agent_id: int,
        at: datetime,
    ) -> bool:
        """False when the thread is not open, or the colleague or team is not there."""
        async with self._db.transaction() as conn:
            done = await conn.fetchval(
                ASSIGN_BY_HAND, workspace_id, thread_id, agent_id, team_id, str(by_agent_id), at
            )
        return done is not None
