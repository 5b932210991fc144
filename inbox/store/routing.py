"""Routing in PostgreSQL: snapshots for the pure decisions, threads waiting in team queues,
stale assignments, rules' subjects and counts, agents' status and teams' shifts, and the
routing configuration. The assignments themselves are written by `inbox.store.assignment`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from inbox.domain.presence import AgentStatus, Presence
from inbox.domain.routing import ClaimedThread, RoutingConfig
from inbox.store.assignment import PgAssignmentWriter
from inbox.store.database import Connection, Database
from inbox.store.live_sql import announce_threads
from inbox.store.presence_sql import ON_SHIFT, PRESENCE_COLUMNS, presence
from inbox.store.thread_sql import (
    APPLY_RULES,
    AWAITING_ANSWER_SQL,
    OPEN_STATUSES_SQL,
    RAISE_REPEATED,
    snoozed,
)
from routing.rules import RuleFacts, RuleOutcome, RuleSubject
from routing.snapshot import (
    AgentState,
    AssignedThread,
    Snapshot,
    TeamState,
    ThreadToRoute,
)

STAFF_ROLES = ("agent", "lead", "admin")

AGENTS = f"""
SELECT a.id, a.display_name, a.roles, a.active, a.capacity, a.languages, a.networks, a.topics,
       {ON_SHIFT} AS on_shift, a.away, a.busy, a.last_assigned_at,
       coalesce((SELECT array_agg(m.team_id) FROM team_member m
                 WHERE m.workspace_id = a.workspace_id AND m.agent_id = a.id), '{{}}') AS team_ids,
       (SELECT count(*) FROM thread t
        WHERE t.workspace_id = a.workspace_id AND t.assignee_id = a.id
          AND t.status IN {OPEN_STATUSES_SQL}) AS open_threads,
       (SELECT count(*) FROM assignment s
        WHERE s.workspace_id = a.workspace_id AND s.agent_id = a.id AND s.at > $2)
           AS assigned_recently
FROM agent a
WHERE a.workspace_id = $1 AND a.active
"""  # noqa: S608 (constants only)
TEAMS = "SELECT id, name, languages, networks, skills, vip FROM team WHERE workspace_id = $1"

# What routing reads of a thread `t` (with its customer `c`).
FACTS_COLUMNS = """t.id, t.network, t.language, t.topics, t.kind, t.priority,
       t.personal_data, t.private, t.team_id, coalesce(c.vip, false) AS vip, c.owner_agent_id,
       (SELECT min(m.team_id) FROM team_member m
        WHERE m.workspace_id = t.workspace_id AND m.agent_id = c.owner_agent_id) AS owner_team_id"""
# A thread's routing facts, with who holds it. With $3 true, only threads waiting for
# someone: nobody holds them, or their holder is gone (off shift, away, inactive).
THREAD_FACTS = f"""
SELECT t.assignee_id AS holder, {FACTS_COLUMNS},
       (SELECT s.agent_id FROM assignment s
        WHERE s.workspace_id = t.workspace_id AND s.thread_id = t.id AND s.agent_id IS NOT NULL
        ORDER BY s.at DESC, s.id DESC LIMIT 1) AS previous_assignee_id
FROM thread t
LEFT JOIN customer c ON c.workspace_id = t.workspace_id AND c.id = t.customer_id
WHERE t.workspace_id = $1 AND t.id = ANY($2::bigint[])
  AND (NOT $3::boolean OR (
        t.status IN {AWAITING_ANSWER_SQL}
        AND (t.assignee_id IS NULL OR NOT EXISTS (
              SELECT 1 FROM agent a
              WHERE a.workspace_id = t.workspace_id AND a.id = t.assignee_id
                AND a.active AND {ON_SHIFT} AND NOT a.away))))
"""  # noqa: S608 (constants only)

# Threads waiting in a team's queue (of `$2`, or of any team when NULL) in the claim's order,
# the most pressing first; not those set aside (snoozed) nor those another transaction holds.
WAITING = f"""
SELECT {FACTS_COLUMNS}
FROM thread t
LEFT JOIN customer c ON c.workspace_id = t.workspace_id AND c.id = t.customer_id
WHERE t.workspace_id = $1 AND t.assignee_id IS NULL AND t.status IN {AWAITING_ANSWER_SQL}
  AND t.team_id IS NOT NULL AND ($2::bigint[] IS NULL OR t.team_id = ANY ($2))
  AND NOT {snoozed("$3")}
ORDER BY array_position(ARRAY['urgent', 'high', 'normal', 'low'], t.priority),
         t.sla_due_at NULLS LAST, t.id
LIMIT $4
FOR UPDATE OF t SKIP LOCKED
"""  # noqa: S608 (constants only)
# One pass over a workspace's waiting threads at a time: two passes at once would each count
# the same free seat. Held until the transaction ends.
LOCK_WAITING = "SELECT pg_advisory_xact_lock(hashtextextended('inbox_waiting_threads', $1))"
# The teams of these threads and of these agents, and of the agents holding these threads:
# whose queues a change (a close, a hand-over, someone back) may let move.
TEAMS_AROUND = """
SELECT DISTINCT x.team_id FROM (
    SELECT t.team_id FROM thread t WHERE t.workspace_id = $1 AND t.id = ANY ($2::bigint[])
    UNION ALL
    SELECT m.team_id FROM thread t
    JOIN team_member m ON m.workspace_id = t.workspace_id AND m.agent_id = t.assignee_id
    WHERE t.workspace_id = $1 AND t.id = ANY ($2::bigint[])
    UNION ALL
    SELECT m.team_id FROM team_member m
    WHERE m.workspace_id = $1 AND m.agent_id = ANY ($3::bigint[])
) x
WHERE x.team_id IS NOT NULL
ORDER BY x.team_id
"""
# An agent's own status: away and busy are one choice (available clears both).
SET_STATUS = f"""
UPDATE agent a SET away = ($3 = 'away'), busy = ($3 = 'busy')
WHERE a.workspace_id = $1 AND a.id = $2 AND a.active
RETURNING {PRESENCE_COLUMNS}
"""  # noqa: S608 (constants only)
TEAM_IDS = "SELECT id FROM team WHERE workspace_id = $1 ORDER BY id"
# Teams whose calendar opened or closed since the last pass, with their new state.
SET_SHIFTS = """
UPDATE team tm SET shift_open = d.open
FROM unnest($2::bigint[], $3::boolean[]) AS d (id, open)
WHERE tm.workspace_id = $1 AND tm.id = d.id AND tm.shift_open IS DISTINCT FROM d.open
RETURNING tm.id, d.open
"""

# What rules look at: the thread's classification and its latest customer message.
RULE_SUBJECTS = f"""
SELECT t.id, t.network, t.kind, t.language, t.topics, t.priority, t.personal_data,
       t.assignee_id IS NOT NULL AS assigned, coalesce(c.vip, false) AS vip,
       last.body, last.created_at
FROM thread t
LEFT JOIN customer c ON c.workspace_id = t.workspace_id AND c.id = t.customer_id
JOIN LATERAL (
    SELECT m.body, m.created_at FROM mention m
    WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id AND m.direction = 'inbound'
    ORDER BY m.created_at DESC LIMIT 1
) last ON true
WHERE t.workspace_id = $1 AND t.id = ANY($2::bigint[]) AND t.status IN {AWAITING_ANSWER_SQL}
"""  # noqa: S608 (constants only)

AGENTS_BY_EMAIL = """
SELECT email, id FROM agent WHERE workspace_id = $1 AND email = ANY($2::text[]) AND active
"""


STALE = f"""
SELECT t.id, t.assignee_id, t.team_id, t.assigned_at
FROM thread t
WHERE t.workspace_id = $1 AND t.assignee_id IS NOT NULL AND t.status IN {AWAITING_ANSWER_SQL}
  AND t.assigned_at < $2
  AND (t.last_answered_at IS NULL OR t.last_answered_at < t.assigned_at)
ORDER BY t.assigned_at
LIMIT $3
FOR UPDATE OF t SKIP LOCKED
"""  # noqa: S608 (constants only)

COUNT_RULES = """
INSERT INTO routing_rule_count AS r (workspace_id, rule, fired, last_fired_at)
SELECT $1, rule, fired, $4 FROM unnest($2::text[], $3::bigint[]) AS x(rule, fired)
ON CONFLICT (workspace_id, rule)
DO UPDATE SET fired = r.fired + excluded.fired, last_fired_at = excluded.last_fired_at
"""
RULE_COUNTS = "SELECT rule, fired FROM routing_rule_count WHERE workspace_id = $1"

LOAD_CONFIG = """
SELECT c.settings, c.lexicon, c.rules, coalesce(c.version, 0) AS version,
       a.document AS adjustment, coalesce(a.version, 0) AS adjustment_version
FROM (SELECT $1::bigint AS workspace_id) w
LEFT JOIN routing_config c ON c.workspace_id = w.workspace_id
LEFT JOIN classifier_adjustment a ON a.workspace_id = w.workspace_id
WHERE c.workspace_id IS NOT NULL OR a.workspace_id IS NOT NULL
"""
SAVE_CONFIG = """
INSERT INTO routing_config AS c (workspace_id, settings, lexicon, rules)
VALUES ($1, $2::jsonb, $3::jsonb, $4::jsonb)
ON CONFLICT (workspace_id) DO UPDATE
SET settings = excluded.settings, lexicon = excluded.lexicon, rules = excluded.rules,
    version = c.version + 1, updated_at = now()
RETURNING version
"""


def _states(rows: Sequence[Any]) -> tuple[AgentState, ...]:
    return tuple(
        AgentState(
            agent_id=row["id"],
            team_ids=frozenset(row["team_ids"]),
            languages=frozenset(row["languages"]),
            networks=frozenset(row["networks"]),
            topics=frozenset(row["topics"]),
            on_shift=row["on_shift"],
            away=row["away"],
            busy=row["busy"],
            capacity=row["capacity"],
            open_threads=row["open_threads"],
            assigned_recently=row["assigned_recently"],
            last_assigned_at=row["last_assigned_at"],
            community="community" in row["roles"]
            and not any(role in row["roles"] for role in STAFF_ROLES),
            active=row["active"],
            name=row["display_name"],
        )
        for row in rows
    )


def _facts(row: Any, *, queued: bool = False) -> ThreadToRoute:
    """A thread's facts as THREAD_FACTS (or WAITING, `queued`) reads them."""
    return ThreadToRoute(
        thread_id=row["id"],
        network=row["network"],
        language=row["language"],
        topics=frozenset(row["topics"]),
        kind=row["kind"],
        priority=row["priority"],
        vip=row["vip"],
        owner_agent_id=row["owner_agent_id"],
        owner_team_id=row["owner_team_id"],
        previous_assignee_id=None if queued else row["previous_assignee_id"],
        personal_data=row["personal_data"],
        private=row["private"],
        team_id=row["team_id"],
        queued=queued,
    )


def _config(row: Any) -> RoutingConfig | None:
    if row is None:
        return None
    defaults = RoutingConfig()
    return RoutingConfig(
        version=row["version"],
        settings=json.loads(row["settings"]) if row["settings"] else defaults.settings,
        lexicon=json.loads(row["lexicon"]) if row["lexicon"] else defaults.lexicon,
        rules=json.loads(row["rules"]) if row["rules"] else defaults.rules,
        adjustment=json.loads(row["adjustment"]) if row["adjustment"] else None,
        adjustment_version=row["adjustment_version"],
    )


class PgRoutingWriter:
    """Routing on one open connection: inside an ingestion batch, or a transaction of its own."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # Its assignments: a transaction of its own announces the threads they moved as it
        # ends (an ingestion batch announces all of its threads itself).
        self.assignments = PgAssignmentWriter(conn)

    async def snapshot(self, workspace_id: int, now: datetime, window: timedelta) -> Snapshot:
        agents = await self._conn.fetch(AGENTS, workspace_id, now - window)
        teams = await self._conn.fetch(TEAMS, workspace_id)
        return Snapshot(
            agents=_states(agents),
            teams=tuple(
                TeamState(
                    team_id=row["id"],
                    name=row["name"],
                    languages=frozenset(row["languages"]),
                    networks=frozenset(row["networks"]),
                    topics=frozenset(row["skills"]),
                    vip=row["vip"],
                )
                for row in teams
            ),
            now=now,
        )

    async def config(self, workspace_id: int) -> RoutingConfig | None:
        return _config(await self._conn.fetchrow(LOAD_CONFIG, workspace_id))

    async def to_route(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[tuple[ThreadToRoute, int | None]]:
        """Threads waiting for someone, with who holds them now (None: the queue)."""
        rows = await self._conn.fetch(THREAD_FACTS, workspace_id, list(thread_ids), True)
        routed = []
        for row in rows:
            facts = _facts(row)
            if row["holder"] is not None:
                facts = replace(facts, previous_assignee_id=row["holder"])
            routed.append((facts, row["holder"]))
        return routed

    async def rule_subjects(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[RuleSubject]:
        rows = await self._conn.fetch(RULE_SUBJECTS, workspace_id, list(thread_ids))
        return [
            RuleSubject(
                thread_id=row["id"],
                assigned=row["assigned"],
                facts=RuleFacts(
                    kind=row["kind"] if row["kind"] != "unclassified" else "other",
                    language=row["language"],
                    topics=frozenset(row["topics"]),
                    urgency=row["priority"],
                    network=row["network"],
                    customer_vip=row["vip"],
                    followers=None,
                    personal_data=row["personal_data"],
                    text=row["body"],
                    at=row["created_at"],
                ),
            )
            for row in rows
        ]

    async def apply_rules(
        self, workspace_id: int, outcomes: Sequence[tuple[int, RuleOutcome]]
    ) -> None:
        changing = [
            (thread_id, o)
            for thread_id, o in outcomes
            if o.team is not None or o.priority is not None or o.tags
        ]
        if not changing:
            return
        await self._conn.execute(
            APPLY_RULES,
            workspace_id,
            [thread_id for thread_id, _ in changing],
            [o.team for _, o in changing],
            [o.priority for _, o in changing],
            [json.dumps(sorted(o.tags)) for _, o in changing],
        )

    async def raise_repeated(
        self, workspace_id: int, thread_ids: Sequence[int], unanswered: int
    ) -> list[int]:
        rows = await self._conn.fetch(RAISE_REPEATED, workspace_id, list(thread_ids), unanswered)
        return [row["id"] for row in rows]

    async def agents_by_email(self, workspace_id: int, emails: Sequence[str]) -> dict[str, int]:
        rows = await self._conn.fetch(AGENTS_BY_EMAIL, workspace_id, [e.lower() for e in emails])
        return {row["email"]: row["id"] for row in rows}

    async def stale(
        self, workspace_id: int, assigned_before: datetime, limit: int = 500
    ) -> list[AssignedThread]:
        """Assigned before that instant and not answered since, locked until the transaction
        ends (another worker skips them)."""
        held = await self._conn.fetch(STALE, workspace_id, assigned_before, limit)
        if not held:
            return []
        facts = {
            row["id"]: _facts(row)
            for row in await self._conn.fetch(
                THREAD_FACTS, workspace_id, [r["id"] for r in held], False
            )
        }
        return [
            AssignedThread(
                thread=facts[row["id"]],
                agent_id=row["assignee_id"],
                team_id=row["team_id"],
                assigned_at=row["assigned_at"],
                answered=False,
            )
            for row in held
        ]

    async def waiting(
        self, workspace_id: int, team_ids: Collection[int] | None, now: datetime, limit: int
    ) -> list[ThreadToRoute]:
        """Threads waiting in the queues of these teams (None: every team), most pressing
        first, locked until the transaction ends; one caller at a time per workspace."""
        await self._conn.execute(LOCK_WAITING, workspace_id)
        teams = None if team_ids is None else sorted(team_ids)
        rows = await self._conn.fetch(WAITING, workspace_id, teams, now, limit)
        return [_facts(row, queued=True) for row in rows]

    async def teams_around(
        self, workspace_id: int, thread_ids: Sequence[int] = (), agent_ids: Sequence[int] = ()
    ) -> list[int]:
        rows = await self._conn.fetch(TEAMS_AROUND, workspace_id, list(thread_ids), list(agent_ids))
        return [row["team_id"] for row in rows]

    async def set_status(
        self, workspace_id: int, agent_id: int, status: AgentStatus
    ) -> Presence | None:
        """The agent's presence once set; None when there is no such active agent."""
        row = await self._conn.fetchrow(SET_STATUS, workspace_id, agent_id, status.value)
        return None if row is None else presence(row)

    async def team_ids(self, workspace_id: int) -> list[int]:
        return [row["id"] for row in await self._conn.fetch(TEAM_IDS, workspace_id)]

    async def set_shifts(self, workspace_id: int, open_now: Mapping[int, bool]) -> dict[int, bool]:
        """Record which teams are on shift; those that changed, with their new state."""
        if not open_now:
            return {}
        teams = sorted(open_now)
        rows = await self._conn.fetch(SET_SHIFTS, workspace_id, teams, [open_now[t] for t in teams])
        return {row["id"]: row["open"] for row in rows}

    async def count_rules(self, workspace_id: int, fired: dict[str, int], at: datetime) -> None:
        if fired:
            names = sorted(fired)
            await self._conn.execute(
                COUNT_RULES, workspace_id, names, [fired[n] for n in names], at
            )


class PgRoutingStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgRoutingWriter]:
        async with self._db.transaction() as conn:
            writer = PgRoutingWriter(conn)
            yield writer
            # Threads it gave to someone else change views: announced with their final state.
            for workspace_id, thread_ids in writer.assignments.assigned.items():
                await announce_threads(conn, workspace_id, thread_ids)

    async def claim(
        self, workspace_id: int, agent_id: int, limit: int, at: datetime
    ) -> list[ClaimedThread]:
        """Up to `limit` threads from the agent's queue, never beyond their capacity."""
        async with self.transaction() as writer:
            return await writer.assignments.claim(workspace_id, agent_id, limit, at)

    async def rule_counts(self, workspace_id: int) -> dict[str, int]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(RULE_COUNTS, workspace_id)
        return {row["rule"]: row["fired"] for row in rows}

    async def load_config(self, workspace_id: int) -> RoutingConfig | None:
        async with self._db.connection() as conn:
            return _config(await conn.fetchrow(LOAD_CONFIG, workspace_id))

    async def save_config(
        self,
        workspace_id: int,
        settings: dict[str, object],
        lexicon: dict[str, object],
        rules: dict[str, object],
    ) -> int:
        async with self._db.connection() as conn:
            version = await conn.fetchval(
                SAVE_CONFIG,
                workspace_id,
                json.dumps(settings),
                json.dumps(lexicon),
                json.dumps(rules),
            )
        return int(version)
