"""How a thread change is announced on `inbox_threads`: each thread with what the inbox views
select on, built in the statement that writes it (no query per event, none per page).

The state of a thread `t` is a JSON array, decoded by `inbox.store.live`:
`[id, status, assignee_id, team_id, community, waiting_on_customer, snoozed_until (epoch s),
sla_due_at (epoch s), network, kind, priority, language, topics, tags]`; `[id]` alone for a thread
that no longer exists. A payload is `{"workspace_id", "threads": [state, ...]}`, or, when the
states would not fit, `{"workspace_id", "thread_ids": [...]}`; `"thread_ids": null` means
too many threads to name.
"""

from __future__ import annotations

import json
from collections.abc import Collection

from inbox.store.database import Connection

THREAD_STATE = """json_build_array(
    t.id, t.status, t.assignee_id, t.team_id, t.community,
    coalesce(t.last_answered_at >= coalesce(t.last_inbound_at, '-infinity'), false),
    floor(extract(epoch FROM t.snoozed_until))::bigint,
    floor(extract(epoch FROM t.sla_due_at))::bigint,
    t.network, t.kind, t.priority, t.language, t.topics, t.tags)"""

# pg_notify refuses payloads of 8000 bytes or more.
PAYLOAD_LIMIT = 7900
NOTIFY_PAYLOAD_LIMIT = PAYLOAD_LIMIT
# States per notification: about 130 bytes each, so a part stays well under the limit; a
# part that does not (long topic names) goes as ids only.
STATES_A_NOTIFICATION = 40

# `$1` is the ingestion's announcement, `{"workspace_id", "thread_ids": [...] | null}`: sent
# as one notification per part of the threads, each with their states, after the batch's
# routing and clocks (its last statement), so the states are those the batch commits.
NOTIFY_THREADS_CHANGED = f"""
WITH sent AS (SELECT $1::jsonb AS p),
changed AS (
    SELECT (s.p ->> 'workspace_id')::bigint AS workspace_id, x.id::bigint AS id,
           (x.n - 1) / {STATES_A_NOTIFICATION} AS part
    FROM sent s,
         jsonb_array_elements_text(CASE WHEN jsonb_typeof(s.p -> 'thread_ids') = 'array'
                                        THEN s.p -> 'thread_ids' ELSE '[]' END)
             WITH ORDINALITY AS x (id, n)
),
parts AS (
    SELECT c.workspace_id,
           json_build_object('workspace_id', c.workspace_id, 'threads', json_agg(
               CASE WHEN t.id IS NULL THEN json_build_array(c.id) ELSE {THREAD_STATE} END
               ORDER BY c.id))::text AS described,
           json_build_object('workspace_id', c.workspace_id,
                             'thread_ids', json_agg(c.id ORDER BY c.id))::text AS named
    FROM changed c
    -- One index probe per thread named: as a plain join, the planner (which cannot guess how
    -- many ids the payload holds) hashed the whole thread table for every announcement.
    -- OFFSET 0 keeps the subquery from being flattened back into that join.
    LEFT JOIN LATERAL (SELECT * FROM thread t0
                       WHERE t0.workspace_id = c.workspace_id AND t0.id = c.id
                       OFFSET 0) t ON true
    GROUP BY c.workspace_id, c.part
)
SELECT pg_notify('inbox_threads',
                 CASE WHEN octet_length(described) <= {PAYLOAD_LIMIT} THEN described
                      ELSE named END)
FROM parts
UNION ALL
SELECT pg_notify('inbox_threads', p::text) FROM sent
WHERE jsonb_typeof(p -> 'thread_ids') IS DISTINCT FROM 'array'
"""  # noqa: S608 (constants only)

# The select list of a statement whose thread row `t` (one, as an update returns it) was
# just changed by a person: announces it in the same statement.
NOTIFY_ONE_THREAD = f"""pg_notify('inbox_threads', json_build_object(
    'workspace_id', t.workspace_id, 'threads', json_build_array({THREAD_STATE}))::text)"""


def notify_payload(workspace_id: int, thread_ids: Collection[int]) -> str:
    """`$1` of NOTIFY_THREADS_CHANGED; past the size of a notification, "too many to name"."""
    payload = json.dumps({"workspace_id": workspace_id, "thread_ids": sorted(thread_ids)})
    if len(payload) > NOTIFY_PAYLOAD_LIMIT:
        payload = json.dumps(
            {"workspace_id": workspace_id, "thread_ids": None, "count": len(thread_ids)}
        )
    return payload


async def announce_threads(
    conn: Connection, workspace_id: int, thread_ids: Collection[int]
) -> None:
    """Announces the threads a transaction changed, with their states as it leaves them: its
    last statement, so that the pages hear of the change once it commits, or never."""
    if thread_ids:
        await conn.execute(NOTIFY_THREADS_CHANGED, notify_payload(workspace_id, thread_ids))
