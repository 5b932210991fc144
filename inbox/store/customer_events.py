"""Customer events in PostgreSQL: written in the transaction of their change, numbered per
customer, then queued as webhook deliveries that the delivery worker sends in order, customer
by customer (the sequence `customer:<id>`), as `inbox.store.thread_events` does for threads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from inbox.domain.customer_events import NewCustomerEvent
from inbox.store.database import Connection, Database

# Each customer's counter moves by its number of events (its row locked until the commit),
# and the events take the numbers in between, in the order given.
RECORD = """
WITH e AS (
    SELECT * FROM unnest($2::bigint[], $3::text[], $4::jsonb[]) WITH ORDINALITY
        AS e(customer_id, kind, data, ord)
), counted AS (
    SELECT customer_id, count(*) AS n FROM e GROUP BY customer_id
), numbered AS (
    UPDATE customer c SET event_seq = c.event_seq + n.n
    FROM counted n
    WHERE c.workspace_id = $1 AND c.id = n.customer_id
    RETURNING c.id, c.event_seq - n.n AS base
)
INSERT INTO customer_event (workspace_id, customer_id, seq, kind, data)
SELECT $1, e.customer_id,
       n.base + row_number() OVER (PARTITION BY e.customer_id ORDER BY e.ord), e.kind, e.data
FROM e JOIN numbered n ON n.id = e.customer_id
"""

# One dispatcher at a time (the thread events' lock, another key): a customer's deliveries
# are queued in the order of its events.
LOCK_DISPATCH = "SELECT pg_advisory_xact_lock(1298, 1)"

# The oldest undispatched events, each queued for every active webhook subscribed to its
# kind, its family (`customer.*`) or everything, in its customer's sequence; the envelope is
# the one every other event has.
DISPATCH = """
WITH picked AS (
    SELECT * FROM customer_event
    WHERE dispatched_at IS NULL
    ORDER BY workspace_id, customer_id, seq
    LIMIT $1
), queued AS (
    INSERT INTO webhook_delivery (workspace_id, webhook_id, event_key, event_kind, payload,
                                  next_attempt_at, sequence_key, sequence_no)
    SELECT w.workspace_id, w.id,
           p.kind || ':' || p.workspace_id || ':' || p.customer_id || '.' || p.seq, p.kind,
           jsonb_build_object(
               'id', p.kind || ':' || p.workspace_id || ':' || p.customer_id || '.' || p.seq,
               'kind', p.kind, 'workspace_id', p.workspace_id, 'occurred_at', p.occurred_at,
               'data', p.data
                   || jsonb_build_object('customer_id', p.customer_id, 'sequence', p.seq)),
           '-infinity'::timestamptz,  -- due at once, whatever the sender's clock says
           'customer:' || p.customer_id, p.seq
    FROM picked p
    JOIN webhook w ON w.workspace_id = p.workspace_id AND w.active
     AND (p.kind = ANY(w.events) OR '*' = ANY(w.events) OR 'customer.*' = ANY(w.events))
    ON CONFLICT (workspace_id, webhook_id, event_key) DO NOTHING
)
UPDATE customer_event e SET dispatched_at = now()
FROM picked p
WHERE e.workspace_id = p.workspace_id AND e.customer_id = p.customer_id AND e.seq = p.seq
"""


async def record_customer_events(
    conn: Connection, workspace_id: int, events: Sequence[NewCustomerEvent]
) -> None:
    """Writes on a connection whose transaction the caller owns: the events commit with the
    change they tell of. One statement however many events."""
    if not events:
        return
    await conn.execute(
        RECORD,
        workspace_id,
        [e.customer_id for e in events],
        [e.kind.value for e in events],
        [json.dumps(e.data, ensure_ascii=False) for e in events],
    )


class PgCustomerEventOutbox:
    """Turns written customer events into webhook deliveries, oldest first."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def dispatch(self, limit: int) -> int:
        """Queues up to `limit` events for their webhooks; returns how many were taken."""
        async with self._db.transaction() as conn:
            await conn.execute(LOCK_DISPATCH)
            status = await conn.execute(DISPATCH, limit)
        return int(status.rsplit(" ", 1)[-1])
