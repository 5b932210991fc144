"""Thread events in PostgreSQL: written in the transaction of their change, numbered per thread,
then queued as webhook deliveries that the delivery worker sends in order, thread by thread.

Statements that change a thread in one SQL statement (an assignment, a closure, a reply
marked sent) write their event in that statement: they bump `thread.event_seq` in their own
`UPDATE thread` and insert from its RETURNING (see `INSERT_EVENT_COLUMNS`). Ingestion writes
its events (a thread's creation or reopening first, then each customer message received,
oldest first; the brand's own posts are none) from the messages it inserts, in the same
statement (`inbox.store.ingest_sql.INSERT_MENTIONS`), the threads'
counters moved by the statement that writes them. A batch of events decided in Python goes
through `PgThreadEventWriter.record`, one statement.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from inbox.domain.thread_events import MESSAGE_EVENT_KINDS, NewThreadEvent
from inbox.store.database import Connection, Database

# The columns an in-statement event writes, for `INSERT INTO thread_event (...)`.
INSERT_EVENT_COLUMNS = "workspace_id, thread_id, seq, kind, occurred_at, data"

# Each thread's counter moves by its number of events (its row locked until the commit), and
# the events take the numbers in between, in the order given.
RECORD = """
WITH e AS (
    SELECT * FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::text[],
                         $7::text[]) WITH ORDINALITY
        AS e(thread_id, kind, occurred_at, data, message_network, message_external_id, ord)
), counted AS (
    SELECT thread_id, count(*) AS n FROM e GROUP BY thread_id
), numbered AS (
    UPDATE thread t SET event_seq = t.event_seq + c.n
    FROM counted c
    WHERE t.workspace_id = $1 AND t.id = c.thread_id
    RETURNING t.id, t.event_seq - c.n AS base
)
INSERT INTO thread_event (workspace_id, thread_id, seq, kind, occurred_at, data,
                          message_network, message_external_id)
SELECT $1, e.thread_id, n.base + row_number() OVER (PARTITION BY e.thread_id ORDER BY e.ord),
       e.kind, e.occurred_at, e.data, e.message_network, e.message_external_id
FROM e JOIN numbered n ON n.id = e.thread_id
"""

# One dispatcher at a time: deliveries of a thread are queued in the order of its events, so
# a later event is never queued while an earlier one is still being dispatched elsewhere.
LOCK_DISPATCH = "SELECT pg_advisory_xact_lock(1298, 0)"

# The oldest undispatched events, each queued for every active webhook subscribed to its kind,
# its family (`thread.*`) or everything, in its thread's sequence. The envelope is the one
# SLA and incident events have; a message's text joins it only for webhooks that take it,
# read now from the message or the reply (an erased text is not sent).
DISPATCH = f"""
WITH picked AS (
    SELECT * FROM thread_event
    WHERE dispatched_at IS NULL
    ORDER BY workspace_id, thread_id, seq
    LIMIT $1
), keyed AS (
    SELECT p.*, p.kind || ':' || p.workspace_id || ':' || p.thread_id || '.' || p.seq AS key
    FROM picked p
), queued AS (
    INSERT INTO webhook_delivery (workspace_id, webhook_id, event_key, event_kind, payload,
                                  next_attempt_at, sequence_key, sequence_no)
    SELECT w.workspace_id, w.id, k.key, k.kind,
           jsonb_build_object(
               'id', k.key, 'kind', k.kind, 'workspace_id', k.workspace_id,
               'occurred_at', k.occurred_at,
               'data', k.data
                   || jsonb_build_object('thread_id', k.thread_id, 'sequence', k.seq)
                   || CASE WHEN w.include_text AND k.kind IN {MESSAGE_EVENT_KINDS!r}
                           THEN jsonb_build_object('text', coalesce(m.body, o.body))
                           ELSE '{{}}'::jsonb END),
           '-infinity'::timestamptz,  -- due at once, whatever the sender's clock says
           'thread:' || k.thread_id, k.seq
    FROM keyed k
    JOIN webhook w ON w.workspace_id = k.workspace_id AND w.active
     AND (k.kind = ANY(w.events) OR '*' = ANY(w.events)
          OR split_part(k.kind, '.', 1) || '.*' = ANY(w.events))
    LEFT JOIN mention m ON m.workspace_id = k.workspace_id AND m.network = k.message_network
                       AND m.external_id = k.message_external_id
    LEFT JOIN outbox_item o ON o.workspace_id = k.workspace_id AND o.id = k.outbox_id
    ON CONFLICT (workspace_id, webhook_id, event_key) DO NOTHING
)
UPDATE thread_event e SET dispatched_at = now()
FROM picked p
WHERE e.workspace_id = p.workspace_id AND e.thread_id = p.thread_id AND e.seq = p.seq
"""  # noqa: S608 (constants only)


class PgThreadEventWriter:
    """Writes events on a connection whose transaction the caller owns (an ingestion batch):
    they commit or roll back with the change they tell of."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def record(self, workspace_id: int, events: Sequence[NewThreadEvent]) -> None:
        if not events:
            return
        await self._conn.execute(
            RECORD,
            workspace_id,
            [e.thread_id for e in events],
            [e.kind.value for e in events],
            [e.occurred_at for e in events],
            [json.dumps(e.data, ensure_ascii=False) for e in events],
            [e.message[0] if e.message else None for e in events],
            [e.message[1] if e.message else None for e in events],
        )


class PgThreadEventOutbox:
    """Turns written events into webhook deliveries, oldest first."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def dispatch(self, limit: int) -> int:
        """Queues up to `limit` events for their webhooks; returns how many were taken."""
        async with self._db.transaction() as conn:
            await conn.execute(LOCK_DISPATCH)
            status = await conn.execute(DISPATCH, limit)
        return int(status.rsplit(" ", 1)[-1])


def assigned_events(moved: str, at: str, source: str) -> str:
    """A CTE writing `thread.assigned` for each thread the CTE `moved` returned (its `id`,
    bumped `event_seq`, `network`, `assignee_id`, `team_id`); `at` and `source` are SQL."""
    return f"""assigned_events AS (
    INSERT INTO thread_event ({INSERT_EVENT_COLUMNS})
    SELECT $1, id, event_seq, 'thread.assigned', {at},
           jsonb_build_object('network', network, 'agent_id', assignee_id,
                              'team_id', team_id, 'source', {source})
    FROM {moved}
)"""  # noqa: S608 (the callers' constants only)
