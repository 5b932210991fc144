"""SLA clocks in PostgreSQL: the clock writer, on the transaction that plans them (an
ingestion batch's, a closure's, a settings re-plan's, an incident's)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from itertools import groupby
from operator import itemgetter

from asyncpg import Record

from inbox.domain.ingestion import NewThreadTimeline
from inbox.domain.network import Network
from inbox.domain.sla import (
    MajorIncidentWindow,
    SlaSettings,
    StoredClock,
    ThreadTimeline,
    TimelineEntry,
)
from inbox.domain.thread import Priority, ThreadKind
from inbox.store.database import Connection
from inbox.store.thread_sql import RECORD_CLOSURES, THREAD_DUE

SETTINGS = "SELECT version, calendars, policies FROM sla_config WHERE workspace_id = $1"

# Every message of the threads in $2, oldest first, with the facts policies select on; of the
# threads in $3 (their batch gave the writer their messages) the facts alone, one row each.
# Messages of the same instant come in a fixed order, that of their ids in the "C" collation
# (Python's order of strings), so that the language of a thread is the same whichever way
# its timeline was put together.
TIMELINES = """
SELECT t.id, t.network, t.kind, t.priority, t.team_id,
       m.direction = 'inbound' AS inbound, m.created_at, NOT m.automated AS qualifying,
       m.language, false AS closes, m.external_id COLLATE "C" AS external_id
FROM thread t
JOIN mention m ON m.workspace_id = t.workspace_id AND m.thread_id = t.id
WHERE t.workspace_id = $1 AND t.id = ANY($2::bigint[])
UNION ALL
SELECT t.id, t.network, t.kind, t.priority, t.team_id,
       false, c.at, false, NULL, true, NULL
FROM thread t
JOIN thread_closure c ON c.workspace_id = t.workspace_id AND c.thread_id = t.id
WHERE t.workspace_id = $1 AND t.id = ANY($2::bigint[])
UNION ALL
SELECT t.id, t.network, t.kind, t.priority, t.team_id, NULL, NULL, NULL, NULL, NULL, NULL
FROM thread t
WHERE t.workspace_id = $1 AND t.id = ANY($3::bigint[])
ORDER BY 1, 7, 11
"""

# Looked up thread by thread through the unique index, the subquery kept apart (OFFSET 0): with
# statistics that lag a fast-growing workspace (a backlog being ingested), the planner would
# otherwise read every clock of the workspace through sla_clock_report, more at each batch.
CLOCKS_OF = """
SELECT c.thread_id, c.kind, c.started_at, c.stopped_at, c.policy, c.calendar, c.config_version,
       c.budget_seconds, c.deadline, c.warn_at, c.outcome, c.business_seconds,
       c.arrived_in_hours
FROM (SELECT DISTINCT unnest($2::bigint[]) AS id) t
CROSS JOIN LATERAL (
    SELECT * FROM sla_clock s WHERE s.workspace_id = $1 AND s.thread_id = t.id OFFSET 0
) c
"""

# The major periods of every incident the threads are linked to, found through the links'
# by-thread index: one read for a whole batch.
MAJOR_WINDOWS = """
SELECT l.thread_id, p.incident_id, p.started_at, p.ended_at
FROM incident_thread l
JOIN incident_major_period p ON p.workspace_id = l.workspace_id AND p.incident_id = l.incident_id
WHERE l.workspace_id = $1 AND l.thread_id = ANY($2::bigint[])
ORDER BY l.thread_id, p.started_at, p.incident_id
"""

# A clock row as written: StoredClock's fields, then the outcome and the instant of its next
# event, both worked out by _row.
CLOCK_COLUMNS = (
    "workspace_id",
    "thread_id",
    "kind",
    "started_at",
    "stopped_at",
    "policy",
    "calendar",
    "config_version",
    "budget_seconds",
    "deadline",
    "warn_at",
    "business_seconds",
    "arrived_in_hours",
    "outcome",
    "next_due_at",
)

SAVE_CLOCKS = """
INSERT INTO sla_clock AS c (workspace_id, thread_id, kind, started_at, stopped_at, policy,
                            calendar, config_version, budget_seconds, deadline, warn_at,
                            business_seconds, arrived_in_hours, outcome, next_due_at)
SELECT $1, *
FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[],
            $7::text[], $8::integer[], $9::integer[], $10::timestamptz[], $11::timestamptz[],
            $12::integer[], $13::boolean[], $14::text[], $15::timestamptz[])
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


DROP_STALE = """
DELETE FROM sla_clock c
USING unnest($2::bigint[], $3::text[], $4::timestamptz[]) AS d (t, k, s)
WHERE c.workspace_id = $1 AND c.thread_id = d.t AND c.kind = d.k AND c.started_at = d.s
  AND c.outcome IS DISTINCT FROM 'excluded'
"""

# Out-of-hours acknowledgements, queued in the outbox with the clocks that asked for them;
# the idempotency key makes a replayed batch queue nothing twice.
# One acknowledgement per customer in 12 hours, whatever their number of threads: a second
# one says nothing new, and networks refuse the same words posted twice.
QUEUE_ACKNOWLEDGEMENTS = """
INSERT INTO outbox_item (workspace_id, thread_id, network, kind, idempotency_key, body,
                         in_reply_to, account_id)
SELECT DISTINCT ON (coalesce(t.customer_id, -t.id))
       $1, t.id, t.network, 'acknowledgement', a.key, a.body,
       (SELECT m.external_id FROM mention m
        WHERE m.workspace_id = $1 AND m.thread_id = t.id AND m.direction = 'inbound'
        ORDER BY m.created_at DESC LIMIT 1),
       (SELECT n.id FROM network_account n
        WHERE n.workspace_id = $1 AND n.network = t.network AND n.enabled
        ORDER BY n.id LIMIT 1)
FROM unnest($2::bigint[], $3::text[], $4::text[]) AS a (thread_id, key, body)
JOIN thread t ON t.workspace_id = $1 AND t.id = a.thread_id
WHERE NOT EXISTS (
    SELECT 1 FROM outbox_item o
    JOIN thread p ON p.workspace_id = o.workspace_id AND p.id = o.thread_id
    WHERE o.workspace_id = $1 AND o.kind = 'acknowledgement'
      AND p.customer_id = t.customer_id AND o.created_at > now() - interval '12 hours')
ORDER BY coalesce(t.customer_id, -t.id), t.id
ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
"""


# Wakes the timer when a running clock may now fall due before what it sleeps towards.
NOTIFY_DEADLINES = "SELECT pg_notify('inbox_sla', $1)"


class PgClockWriter:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # The threads it closed: their timelines now end in a closure, whatever a batch
        # wrote into them; and a transaction of its own announces them as it ends.
        self.closed: set[int] = set()
        # The threads whose first clocks it copied in: written again, theirs are upserted.
        self._copied: set[int] = set()

    async def sla_settings(self, workspace_id: int) -> SlaSettings | None:
        row = await self._conn.fetchrow(SETTINGS, workspace_id)
        if row is None:
            return None
        return SlaSettings(
            row["version"], dict(json.loads(row["calendars"])), dict(json.loads(row["policies"]))
        )

    async def timelines(
        self,
        workspace_id: int,
        thread_ids: Sequence[int],
        written: Mapping[int, NewThreadTimeline] | None = None,
    ) -> list[ThreadTimeline]:
        held = written or {}
        if self.closed:  # a closure ends their timelines now: those are read back
            held = {t: w for t, w in held.items() if t not in self.closed}
        read = [t for t in thread_ids if t not in held]
        known = [t for t in thread_ids if t in held]
        rows = await self._conn.fetch(TIMELINES, workspace_id, read, known)
        timelines = []
        for thread_id, group in groupby(rows, key=itemgetter(0)):
            given = held.get(thread_id)
            if given is None:
                listed = list(group)
                facts = listed[0]
                messages, language = _messages(listed, TIMELINES_INBOUND)
            else:
                facts = next(group)
                messages, language = given.messages, given.language
            timelines.append(
                ThreadTimeline(
                    thread_id,
                    *_facts(facts[1], facts[2], facts[3]),
                    facts[4],
                    False,
                    messages,
                    language,
                )
            )
        return timelines

    async def record_closure(
        self, workspace_id: int, thread_id: int, at: datetime, reason: str, closed_by: str
    ) -> bool:
        closed = await self.record_closures(workspace_id, [thread_id], at, reason, closed_by)
        return bool(closed)

    async def thread_exists(self, workspace_id: int, thread_id: int) -> bool:
        found = await self._conn.fetchval(
            "SELECT true FROM thread WHERE workspace_id = $1 AND id = $2", workspace_id, thread_id
        )
        return bool(found)

    async def record_closures(
        self,
        workspace_id: int,
        thread_ids: Sequence[int],
        at: datetime,
        reason: str,
        closed_by: str,
    ) -> list[int]:
        rows = await self._conn.fetch(
            RECORD_CLOSURES, workspace_id, list(thread_ids), at, reason, closed_by
        )
        closed = [row["thread_id"] for row in rows]
        self.closed.update(closed)
        return closed

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

    async def major_incident_windows(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[MajorIncidentWindow]:
        rows = await self._conn.fetch(MAJOR_WINDOWS, workspace_id, list(thread_ids))
        return [MajorIncidentWindow(*row) for row in rows]

    async def save_clocks(
        self,
        workspace_id: int,
        clocks: Sequence[StoredClock],
        stale: Sequence[StoredClock] = (),
        fresh: Collection[int] = frozenset(),
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
            await self._keep_thread_due(workspace_id, (), stale)
            return
        # Fresh threads (created by this transaction) have no clock yet: theirs are copied
        # in, cheaper than the upsert, which the others take.
        copied_threads = {
            c.thread_id for c in clocks if c.thread_id in fresh and c.thread_id not in self._copied
        }
        copied = [_row(workspace_id, c) for c in clocks if c.thread_id in copied_threads]
        upserted = [_row(workspace_id, c) for c in clocks if c.thread_id not in copied_threads]
        if copied:
            await self._conn.copy_records_to_table(
                "sla_clock", records=copied, columns=CLOCK_COLUMNS
            )
            self._copied.update(copied_threads)
        if upserted:
            _, *columns = zip(*upserted, strict=True)
            await self._conn.execute(SAVE_CLOCKS, workspace_id, *columns)
        await self._keep_thread_due(workspace_id, clocks, stale)
        running = [c.deadline for c in clocks if c.stopped_at is None and c.deadline]
        if running:
            payload = {"workspace_id": workspace_id, "earliest": min(running).isoformat()}
            await self._conn.execute(NOTIFY_DEADLINES, json.dumps(payload))

    async def _keep_thread_due(
        self, workspace_id: int, clocks: Sequence[StoredClock], stale: Sequence[StoredClock]
    ) -> None:
        """Each thread's nearest running deadline (the queue's order), read back from the
        clocks as stored: a clock the upsert left alone (excluded) still counts."""
        changed = {c.thread_id for c in clocks}
        changed.update(c.thread_id for c in stale)
        if changed:
            await self._conn.execute(THREAD_DUE, workspace_id, sorted(changed))


def _row(workspace_id: int, clock: StoredClock) -> tuple[object, ...]:
    """The clock as written (CLOCK_COLUMNS)."""
    if clock.outcome == "excluded":
        outcome: str | None = "excluded"
    elif clock.stopped_at is None:
        outcome = None
    elif clock.deadline is None or clock.stopped_at <= clock.deadline:
        outcome = "met"
    else:
        outcome = "breached"
    next_due_at = None
    if clock.stopped_at is None:
        next_due_at = clock.warn_at if clock.warn_at is not None else clock.deadline
    return (
        workspace_id,
        clock.thread_id,
        clock.kind,
        clock.started_at,
        clock.stopped_at,
        clock.policy,
        clock.calendar,
        clock.config_version,
        clock.budget_seconds,
        clock.deadline,
        clock.warn_at,
        clock.business_seconds,
        clock.arrived_in_hours,
        outcome,
        next_due_at,
    )


def _timeline_order(row: Record) -> tuple[datetime, str]:
    return row["created_at"], row["external_id"]


# Where `inbound, created_at, qualifying, language, closes` start in a row of TIMELINES and in
# one returned by INSERT_MENTIONS (read by position: this runs for every message of a batch).
TIMELINES_INBOUND = 5
RETURNED_INBOUND = 1


def new_thread_timelines(
    inserted: Iterable[Record], created: Collection[int]
) -> dict[int, NewThreadTimeline]:
    """The timelines of the threads in `created`, from what INSERT_MENTIONS returned of the
    messages it wrote: all those threads hold (they did not exist before the batch)."""
    rows: dict[int, list[Record]] = {}
    for row in inserted:
        thread_id = row["thread_id"]
        if thread_id in created:
            listed = rows.get(thread_id)
            if listed is None:
                rows[thread_id] = [row]
            else:
                listed.append(row)
    timelines = {}
    for thread_id, listed in rows.items():
        if len(listed) > 1:
            listed.sort(key=_timeline_order)
        timelines[thread_id] = NewThreadTimeline(*_messages(listed, RETURNED_INBOUND))
    return timelines


def _messages(rows: Iterable[Record], first: int) -> tuple[list[TimelineEntry], str | None]:
    """Entries of rows that are oldest first; the language is the first a customer wrote in."""
    entries = []
    language = None
    for row in rows:
        inbound, at, qualifying, row_language, closes = row[first : first + 5]
        entries.append(TimelineEntry(at, inbound, qualifying, closes))
        if language is None and inbound and row_language:
            language = row_language
    return entries, language


# A handful of combinations: each converted to the domain's types once.
_FACTS: dict[tuple[str, str, str], tuple[Network, ThreadKind, Priority]] = {}


def _facts(network: str, kind: str, priority: str) -> tuple[Network, ThreadKind, Priority]:
    key = (network, kind, priority)
    found = _FACTS.get(key)
    if found is None:
        found = _FACTS[key] = (Network(network), ThreadKind(kind), Priority(priority))
    return found
