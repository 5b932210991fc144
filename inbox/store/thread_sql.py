"""Every statement that writes `thread`, and the predicates on threads that many statements
share, named once so that they cannot drift: which statuses are open or owed an answer, and how
a statement over a selection of threads answers for each.

The stores run these statements; a change to what a thread holds is read here. Two writes stay
inside a larger statement of another module, for one round trip and so that what they log
never disagrees with the thread:
- `inbox.store.assignment`: who holds a thread, moved with its `assignment` log (APPLY_DECISIONS,
  CLAIM, TAKE, ASSIGN_BY_HAND, ASSIGN_SELECTION);
- `inbox.store.ingest_sql.ATTACH_UNTHREADED`: brand posts joining a thread, with its counts.
"""

from __future__ import annotations

from typing import Any

from inbox.domain.bulk import Skipped
from inbox.domain.thread import AWAITING_ANSWER, OPEN_STATUSES
from inbox.store import live_sql

# The statuses of a thread someone still has to deal with, as an SQL list: `status IN {...}`.
OPEN_STATUSES_SQL = "(" + ", ".join(f"'{status}'" for status in sorted(OPEN_STATUSES)) + ")"
# Open and owed an answer (not pending on the customer), likewise.
AWAITING_ANSWER_SQL = "(" + ", ".join(f"'{status}'" for status in sorted(AWAITING_ANSWER)) + ")"
# The last word is the brand's: a person answered after the customer's latest message.
WAITING_ON_CUSTOMER = (
    "t.last_answered_at IS NOT NULL"
    " AND t.last_answered_at >= coalesce(t.last_inbound_at, '-infinity')"
)


def snoozed(now: str) -> str:
    """Set aside at the instant `now` (a parameter such as "$3"): out of the views but the
    snoozed one."""
    return f"coalesce(t.snoozed_until > {now}, false)"


# A statement over a selection of threads ($2) starts `WITH {SELECTED}, changed AS (...)` and
# ends with `{ANSWER}`: one row per thread asked, `found` (in the workspace $1), `done`, and
# for those not done, enough to say why (their status).
SELECTED = """asked AS (SELECT DISTINCT unnest($2::bigint[]) AS id),
found AS (
    SELECT t.id, t.status, t.assignee_id, t.team_id, t.tags
    FROM thread t JOIN asked USING (id) WHERE t.workspace_id = $1
)"""
ANSWER = """
SELECT a.id, f.id IS NOT NULL AS found, f.status, d.id IS NOT NULL AS done, f.assignee_id AS was,
       f.tags
FROM asked a LEFT JOIN found f USING (id) LEFT JOIN changed d USING (id)
"""


def skipped_because(row: Any, *, already: bool = False) -> Skipped:
    """Why a thread of the selection was not changed, from its ANSWER row."""
    if not row["found"]:
        return Skipped.NOT_FOUND
    if row["status"] not in OPEN_STATUSES:
        return Skipped.CLOSED
    return Skipped.ALREADY if already else Skipped.CLOSED


# Ingestion: the batch's threads, read from its staging table (see `ingest_sql`).

# Creates the threads of new conversations and updates the others, in one pass, each thread's
# event counter moved past the events of the batch (its creation or reopening, then each
# customer message) so that INSERT_MENTIONS writes them without writing the thread again.
# A conversation with only outbound messages gets no thread (a brand post nobody answered is
# not work); its messages wait unthreaded until a customer writes in it. 'infinity' never
# reaches a row: such groups are only selected when their thread exists, so they always take
# the UPDATE branch.
UPSERT_THREADS = """
WITH grouped AS (
    SELECT s.network, s.thread_key,
           min(s.created_at) FILTER (WHERE s.direction = 'inbound') AS first_in,
           max(s.created_at) FILTER (WHERE s.direction = 'inbound') AS last_in,
           max(s.created_at) FILTER (WHERE s.direction = 'outbound') AS last_out,
           -- a person's answer: an acknowledgement is outbound too, but answers nothing
           max(s.created_at) FILTER (WHERE s.direction = 'outbound' AND NOT s.automated)
               AS last_answer,
           count(*) AS n,
           count(*) FILTER (WHERE s.direction = 'inbound') AS n_in,
           (array_agg(i.customer_id ORDER BY s.created_at, s.external_id)
               FILTER (WHERE s.direction = 'inbound'))[1] AS first_customer,
           (array_agg(left(s.body, 280) ORDER BY s.created_at DESC, s.external_id DESC)
               FILTER (WHERE s.direction = 'inbound'))[1] AS excerpt,
           (array_agg(s.kind ORDER BY s.created_at, s.external_id)
               FILTER (WHERE s.direction = 'inbound' AND s.kind IS NOT NULL))[1] AS kind,
           max(array_position(ARRAY['low', 'normal', 'high', 'urgent'], s.priority))
               FILTER (WHERE s.direction = 'inbound') AS priority_rank,
           (array_agg(s.language ORDER BY s.created_at, s.external_id)
               FILTER (WHERE s.direction = 'inbound' AND s.language IS NOT NULL))[1]
               AS language,
           coalesce(bool_or(s.personal_data) FILTER (WHERE s.direction = 'inbound'), false)
               AS personal_data,
           coalesce(bool_or(s.private) FILTER (WHERE s.direction = 'inbound'), false)
               AS private
    FROM ingest_staging s
    LEFT JOIN identity i
           ON s.direction = 'inbound' AND i.workspace_id = $1 AND i.network = s.network
          AND i.external_user_id = s.author_external_id
    GROUP BY s.network, s.thread_key
), topics AS (
    SELECT s.network, s.thread_key, array_agg(DISTINCT topic ORDER BY topic) AS topics
    FROM ingest_staging s, unnest(s.topics) AS topic
    WHERE s.direction = 'inbound'
    GROUP BY s.network, s.thread_key
), prior AS (
    SELECT t.network, t.thread_key, t.status
    FROM thread t JOIN grouped g USING (network, thread_key)
    WHERE t.workspace_id = $1
), written AS (
    INSERT INTO thread AS t (workspace_id, network, thread_key, status, priority, kind,
                             customer_id, opened_at, last_inbound_at, last_outbound_at,
                             last_answered_at, message_count, excerpt, language, topics,
                             personal_data, private, event_seq)
    SELECT $1, g.network, g.thread_key,
           CASE WHEN g.last_out >= g.first_in THEN 'open' ELSE 'new' END,
           (ARRAY['low', 'normal', 'high', 'urgent'])[coalesce(g.priority_rank, 2)],
           coalesce(g.kind, 'unclassified'),
           g.first_customer, coalesce(g.first_in, 'infinity'), g.last_in, g.last_out,
           g.last_answer, g.n,
           coalesce(g.excerpt, ''), g.language, coalesce(tp.topics, '{}'), g.personal_data,
           g.private,
           -- numbers taken by the batch's events (INSERT_MENTIONS writes them): a new thread's
           -- creation, then each customer message
           CASE WHEN g.n_in > 0 THEN g.n_in + 1 ELSE 0 END
    FROM grouped g
    LEFT JOIN topics tp USING (network, thread_key)
    WHERE g.first_in IS NOT NULL
       OR EXISTS (SELECT 1 FROM prior p
                   WHERE p.network = g.network AND p.thread_key = g.thread_key)
    ON CONFLICT (workspace_id, network, thread_key) DO UPDATE SET
        status = CASE
            -- a customer writing after the resolution reopens; a late backfill of older
            -- messages does not
            WHEN t.status IN ('resolved', 'pending')
                 AND excluded.last_inbound_at > coalesce(t.resolved_at, '-infinity')
                THEN 'open'
            -- answered: some brand message follows the customer's first one, whichever
            -- batch each came in
            WHEN t.status = 'new'
                 AND greatest(t.last_outbound_at, excluded.last_outbound_at)
                     >= least(t.opened_at, excluded.opened_at)
                THEN 'open'
            ELSE t.status END,
        resolved_at = CASE
            WHEN t.status = 'resolved'
                 AND excluded.last_inbound_at > coalesce(t.resolved_at, '-infinity')
                THEN NULL
            ELSE t.resolved_at END,
        opened_at = least(t.opened_at, excluded.opened_at),
        last_inbound_at = greatest(t.last_inbound_at, excluded.last_inbound_at),
        last_outbound_at = greatest(t.last_outbound_at, excluded.last_outbound_at),
        last_answered_at = greatest(t.last_answered_at, excluded.last_answered_at),
        message_count = t.message_count + excluded.message_count,
        excerpt = CASE
            WHEN excluded.last_inbound_at >= coalesce(t.last_inbound_at, '-infinity')
                THEN excluded.excerpt
            ELSE t.excerpt END,
        priority = CASE
            WHEN array_position(ARRAY['low', 'normal', 'high', 'urgent'], excluded.priority)
                 > array_position(ARRAY['low', 'normal', 'high', 'urgent'], t.priority)
                 AND excluded.last_inbound_at IS NOT NULL
                THEN excluded.priority
            ELSE t.priority END,
        language = coalesce(t.language, excluded.language),
        topics = CASE WHEN excluded.topics = '{}' THEN t.topics
                      ELSE ARRAY(SELECT DISTINCT unnest(t.topics || excluded.topics) ORDER BY 1)
                 END,
        personal_data = t.personal_data OR excluded.personal_data,
        private = t.private OR excluded.private,
        -- the customer writing again brings a snoozed thread back
        snoozed_until = CASE
            WHEN excluded.last_inbound_at > coalesce(t.last_inbound_at, '-infinity') THEN NULL
            ELSE t.snoozed_until END,
        -- the thread belongs to whoever wrote first, whatever order messages arrive in
        customer_id = CASE
            WHEN excluded.opened_at < t.opened_at AND excluded.customer_id IS NOT NULL
                THEN excluded.customer_id
            ELSE coalesce(t.customer_id, excluded.customer_id) END,
        -- a message received each, and the reopening (the status' first branch, from
        -- 'resolved') first
        event_seq = t.event_seq + greatest(excluded.event_seq - 1, 0)
            + CASE WHEN t.status = 'resolved'
                        AND excluded.last_inbound_at > coalesce(t.resolved_at, '-infinity')
                   THEN 1 ELSE 0 END,
        updated_at = now()
    RETURNING t.id, t.network, t.thread_key, t.status, (t.xmax = 0) AS created
)
SELECT w.id, w.created,
       (p.status = 'resolved' AND w.status = 'open') AS reopened
FROM written w
LEFT JOIN prior p ON p.network = w.network AND p.thread_key = w.thread_key
"""
# A conversation filed under another key: the thread and its messages take the new one.
RENAME_THREAD = """
WITH renamed AS (
    UPDATE thread SET thread_key = $3, updated_at = now()
    WHERE workspace_id = $1 AND id = $2
)
UPDATE mention SET thread_key = $3 WHERE workspace_id = $1 AND thread_id = $2
"""
# Recomputes a thread's figures from its messages: used after a merge, the rare path.
RECOUNT_THREAD = """
UPDATE thread t SET
    opened_at        = coalesce(a.first_in, t.opened_at),
    last_inbound_at  = a.last_in,
    last_outbound_at = a.last_out,
    last_answered_at = a.last_answer,
    message_count    = a.n,
    customer_id      = coalesce(a.first_customer, t.customer_id),
    status           = CASE WHEN t.status = 'new' AND a.last_out >= a.first_in THEN 'open'
                            ELSE t.status END,
    updated_at       = now()
FROM (
    SELECT min(created_at) FILTER (WHERE direction = 'inbound') AS first_in,
           max(created_at) FILTER (WHERE direction = 'inbound') AS last_in,
           max(created_at) FILTER (WHERE direction = 'outbound') AS last_out,
           max(created_at) FILTER (WHERE direction = 'outbound' AND NOT automated)
               AS last_answer,
           count(*) AS n,
           (array_agg(customer_id ORDER BY created_at, external_id)
               FILTER (WHERE direction = 'inbound'))[1] AS first_customer
    FROM mention WHERE workspace_id = $1 AND thread_id = $2
) a
WHERE t.workspace_id = $1 AND t.id = $2
"""
# A thread merged into another (its messages, notes and outbox moved first).
DELETE_THREAD = "DELETE FROM thread WHERE workspace_id = $1 AND id = $2"

# SLA: each thread's nearest deadline, and closures.

# Each thread's nearest running deadline, after its clocks changed: the queue is claimed by
# priority then by the nearest deadline. Read from sla_clock_running_thread, one probe a
# thread; only the threads whose deadline moved are written.
THREAD_DUE = """
UPDATE thread t SET sla_due_at = d.due
FROM (SELECT a.id,
             (SELECT min(c.deadline) FROM sla_clock c
               WHERE c.workspace_id = $1 AND c.thread_id = a.id AND c.stopped_at IS NULL)
                 AS due
      FROM unnest($2::bigint[]) AS a(id)) d
WHERE t.workspace_id = $1 AND t.id = ANY($2::bigint[]) AND t.id = d.id
  AND t.sla_due_at IS DISTINCT FROM d.due
"""
# Closing without an answer resolves the thread; a customer writing again reopens it.
# "resolved" is for a thread a person answered only (an acknowledgement answers nothing):
# resolving would otherwise hide a waiting customer.
RECORD_CLOSURES = """
WITH closed AS (
    UPDATE thread SET status = 'resolved', resolved_at = $3, snoozed_until = NULL,
                      updated_at = now(), event_seq = event_seq + 1
    WHERE workspace_id = $1 AND id = ANY($2::bigint[])
      AND ($4 <> 'resolved'
           OR coalesce(last_answered_at, '-infinity') >= coalesce(last_inbound_at, 'infinity'))
    RETURNING id, event_seq, network
), resolved_events AS (  -- the thread.resolved webhook event (inbox/store/thread_events.py)
    INSERT INTO thread_event (workspace_id, thread_id, seq, kind, occurred_at, data)
    SELECT $1, id, event_seq, 'thread.resolved', $3,
           jsonb_build_object('network', network, 'reason', $4::text)
    FROM closed
)
INSERT INTO thread_closure (workspace_id, thread_id, at, reason, closed_by)
SELECT $1, id, $3, $4, $5 FROM closed
RETURNING thread_id
"""

# Routing: what the workspace's rules decide, each thread's team (by name), priority and
# tags (added to its own).
APPLY_RULES = """
UPDATE thread t
SET team_id = coalesce(tm.id, t.team_id),
    priority = coalesce(d.priority, t.priority),
    tags = ARRAY(SELECT DISTINCT unnest(t.tags || d.tags)),
    updated_at = now()
FROM (SELECT * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[])
          AS d(thread_id, team, priority, tags_json)) raw
CROSS JOIN LATERAL (
    SELECT raw.thread_id, raw.team, raw.priority,
           ARRAY(SELECT lower(x) FROM jsonb_array_elements_text(raw.tags_json::jsonb) x) AS tags
) d
LEFT JOIN team tm ON tm.workspace_id = $1 AND tm.name = d.team
WHERE t.workspace_id = $1 AND t.id = d.thread_id
"""
# A customer who wrote again and again without an answer is waiting too long, whatever
# each message said: the thread becomes high priority.
RAISE_REPEATED = f"""
UPDATE thread t SET priority = 'high', updated_at = now()
WHERE t.workspace_id = $1 AND t.id = ANY($2::bigint[]) AND t.message_count >= $3
  AND t.priority IN ('low', 'normal') AND t.status IN {AWAITING_ANSWER_SQL}
  AND (SELECT count(*) FROM mention m
       WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id
         AND m.direction = 'inbound'
         AND m.created_at > coalesce(t.last_answered_at, '-infinity')) >= $3
RETURNING t.id
"""  # noqa: S608 (constants only)

# A person's changes from the pages: one thread, announced to the pages in the statement,
# or a selection (see SELECTED and ANSWER above), announced by the bulk store.
SNOOZE_ONE = f"""
WITH snoozed AS (
    UPDATE thread SET snoozed_until = $3, updated_at = now()
    WHERE workspace_id = $1 AND id = $2 AND status IN {OPEN_STATUSES_SQL}
    RETURNING *
)
SELECT t.id, {live_sql.NOTIFY_ONE_THREAD} FROM snoozed t
"""  # noqa: S608 (constants only)
# A snooze whose time has come ends: the thread is back in its views, announced with it.
WAKE_SNOOZED = f"""
UPDATE thread SET snoozed_until = NULL, updated_at = now()
WHERE workspace_id = $1 AND status IN {OPEN_STATUSES_SQL} AND snoozed_until <= $2
RETURNING id
"""  # noqa: S608 (constants only)
# Tags added, each thread keeping at most $4 (one spelling each: they come checked).
TAG = f"""
WITH {SELECTED},
changed AS (
    UPDATE thread t
    SET tags = ARRAY(SELECT DISTINCT x FROM unnest(t.tags || $3::text[]) x ORDER BY x),
        updated_at = now()
    FROM found f
    WHERE t.workspace_id = $1 AND t.id = f.id AND NOT t.tags @> $3::text[]
      AND cardinality(ARRAY(SELECT DISTINCT x FROM unnest(t.tags || $3::text[]) x)) <= $4
    RETURNING t.id
)
{ANSWER}"""  # noqa: S608 (constants only)
UNTAG = f"""
WITH {SELECTED},
changed AS (
    UPDATE thread t
    SET tags = ARRAY(SELECT x FROM unnest(t.tags) x WHERE x <> ALL ($3::text[]) ORDER BY x),
        updated_at = now()
    FROM found f
    WHERE t.workspace_id = $1 AND t.id = f.id AND t.tags && $3::text[]
    RETURNING t.id
)
{ANSWER}"""  # noqa: S608 (constants only)
# Set aside until $3 (its clocks keep running; a customer message brings it back).
SNOOZE_SELECTION = f"""
WITH {SELECTED},
changed AS (
    UPDATE thread t SET snoozed_until = $3, updated_at = now()
    FROM found f
    WHERE t.workspace_id = $1 AND t.id = f.id AND t.status IN {OPEN_STATUSES_SQL}
    RETURNING t.id
)
{ANSWER}"""  # noqa: S608 (constants only)
# A correction of the classifier, logged with the text it corrects. The field names are
# checked against corrections.CORRECTED_COLUMNS before they reach the SQL.
CORRECT = """
WITH old AS (
    SELECT t.id, to_jsonb(t.{column}) AS value,
           (SELECT m.body FROM mention m
            WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id
              AND m.direction = 'inbound'
            ORDER BY m.created_at DESC LIMIT 1) AS text
    FROM thread t WHERE t.workspace_id = $1 AND t.id = $2 FOR UPDATE
), logged AS (
    INSERT INTO classification_correction (workspace_id, thread_id, field, old_value, new_value,
                                           text, corrected_by)
    SELECT $1, id, $3, value, $4::jsonb, coalesce(text, ''), $5 FROM old
)
UPDATE thread t SET {column} = {value}, updated_at = now()
FROM old WHERE t.workspace_id = $1 AND t.id = old.id
RETURNING old.value::text
"""


# A customer merged into another (`inbox.store.customers`): their threads follow.
MOVE_THREADS = """
UPDATE thread SET customer_id = $3
WHERE workspace_id = $1 AND customer_id = $2
RETURNING id
"""
# An identity split out to a customer of its own: the threads it opened follow it.
MOVE_IDENTITY_THREADS = """
UPDATE thread t SET customer_id = $3
WHERE t.workspace_id = $1 AND t.customer_id = $2 AND t.network = $4
  AND (SELECT m.author_external_id FROM mention m
       WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id
         AND m.direction = 'inbound'
       ORDER BY m.created_at, m.external_id LIMIT 1) = $5
RETURNING t.id
"""

# Retention (inbox.store.retention): the closed threads whose texts are due, oldest closing
# first, lose their excerpt and are marked, $3 at a time. A thread being changed now (an
# ingestion reopening it) is skipped and left to the next pass.
CLAIM_CLOSED_TEXTS = """
UPDATE thread t SET excerpt = '', texts_removed_at = $4
WHERE t.workspace_id = $1
  AND t.id IN (SELECT d.id FROM thread d
               WHERE d.workspace_id = $1 AND d.status = 'resolved' AND d.resolved_at < $2
                 AND (d.texts_removed_at IS NULL OR d.texts_removed_at < d.resolved_at)
               ORDER BY d.resolved_at LIMIT $3 FOR UPDATE SKIP LOCKED)
  AND t.status = 'resolved' AND t.resolved_at < $2
RETURNING t.id
"""
# A message deleted on its network was the thread's excerpt: the excerpt goes with it.
CLEAR_DELETED_EXCERPTS = """
UPDATE thread t SET excerpt = ''
FROM unnest($2::bigint[], $3::text[]) AS g(thread_id, body)
WHERE t.workspace_id = $1 AND t.id = g.thread_id AND t.excerpt <> ''
  AND left(g.body, 280) = t.excerpt
"""

# A selection of threads ($2) loses its excerpt with its messages' texts (inbox.store.text_removal).
EMPTY_EXCERPTS = """
UPDATE thread SET excerpt = ''
WHERE workspace_id = $1 AND id = ANY($2::bigint[]) AND excerpt <> ''
"""
