"""Named SQL of batch ingestion. Every statement works on the whole batch at once.

The batch is first copied into a per-connection temporary table (`ingest_staging`, emptied at
each commit, never WAL-logged); each statement below then reads it set-wise. `$1` is always
the workspace id.
"""

from __future__ import annotations

# The batch's writes of `thread` live with every other one; `ingest.py` runs each statement
# of the batch from this module.
from inbox.domain.thread_events import ThreadEventKind
from inbox.store.thread_events import INSERT_EVENT_COLUMNS
from inbox.store.thread_sql import DELETE_THREAD as DELETE_THREAD
from inbox.store.thread_sql import RECOUNT_THREAD as RECOUNT_THREAD
from inbox.store.thread_sql import RENAME_THREAD as RENAME_THREAD
from inbox.store.thread_sql import UPSERT_THREADS as UPSERT_THREADS

STAGING_COLUMNS = (
    "ord",
    "network",
    "external_id",
    "thread_key",
    "parent_outside_batch",
    "direction",
    "author_external_id",
    "author_handle",
    "author_name",
    "body",
    "language",
    "in_reply_to",
    "url",
    "edit_of",
    "created_at",
    "raw",
    "kind",
    "priority",
    "automated",
    "topics",
    "personal_data",
    "private",
    "claimed_at",
    "media",
    "decided_language",
    "decided_personal_data",
    "reasons",
)

CREATE_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS ingest_staging (
    ord                  integer NOT NULL,
    network              text NOT NULL,
    external_id          text NOT NULL,
    thread_key           text,
    parent_outside_batch text,
    direction            text NOT NULL,
    author_external_id   text NOT NULL,
    author_handle        text,
    author_name          text,
    body                 text NOT NULL,
    language             text,
    in_reply_to          text,
    url                  text,
    edit_of              text,
    created_at           timestamptz NOT NULL,
    raw                  jsonb NOT NULL,
    kind                 text,
    priority             text,
    automated            boolean NOT NULL,
    topics               text[],
    personal_data        boolean,
    private              boolean NOT NULL,
    claimed_at           timestamptz,
    media                jsonb,
    -- the classifier's own decision, for mention_classification: its language (NULL when
    -- it could not tell), the personal data it found (masked) and its reasons
    decided_language     text,
    decided_personal_data jsonb,
    reasons              jsonb
) ON COMMIT DELETE ROWS
"""

# Serialises ingestion per workspace: identities, threads and merges are decided from what the
# batch sees, so two concurrent batches of one workspace must not interleave. Workspaces still
# ingest in parallel.
LOCK_WORKSPACE = "SELECT pg_advisory_xact_lock(1297, ($1::bigint % 2147483647)::integer)"

QUARANTINE = """
INSERT INTO quarantine (workspace_id, source, raw, error)
SELECT $1, q.source, q.raw, q.error
FROM unnest($2::text[], $3::bytea[], $4::text[]) AS q(source, raw, error)
"""

_OWN_ACCOUNT = """EXISTS (SELECT 1 FROM network_account a
                         WHERE a.workspace_id = $1 AND a.network = s.network
                           AND a.external_id = s.author_external_id)"""

# Drops what is already stored (dedupe across batches; within a batch the caller has already
# kept the first of each id), and resolves the others, in one statement: the update leaves
# alone the rows the delete takes (a row is changed once per statement).
# Resolving: a chain that left the batch takes its parent's conversation, or waits under the
# parent's id; a message written by one of the workspace's own accounts is outbound whatever
# the connector said. Only the rows that change are rewritten: most arrive with their
# conversation and direction, and rewriting a row of the staging table copies its payload and
# leaves a dead row that every later statement of the batch would scan past.
DROP_KNOWN_AND_RESOLVE = f"""
WITH known AS (
    DELETE FROM ingest_staging s
    USING mention m
    WHERE m.workspace_id = $1 AND m.network = s.network AND m.external_id = s.external_id
    RETURNING s.network, s.external_id
)
UPDATE ingest_staging s SET
    thread_key = coalesce(
        s.thread_key,
        (SELECT m.thread_key FROM mention m
          WHERE m.workspace_id = $1 AND m.network = s.network
            AND m.external_id = s.parent_outside_batch),
        s.parent_outside_batch),
    direction = CASE WHEN {_OWN_ACCOUNT} THEN 'outbound' ELSE s.direction END
WHERE (s.thread_key IS NULL OR (s.direction <> 'outbound' AND {_OWN_ACCOUNT}))
  AND NOT EXISTS (SELECT 1 FROM known k
                   WHERE k.network = s.network AND k.external_id = s.external_id)
"""  # noqa: S608 (constants only)

# A message of the batch filed under the id of another message of the batch that itself
# belongs to a further conversation takes that conversation. Repeated until nothing changes:
# each pass shortens every such chain by one link.
FOLLOW_KEYS_IN_BATCH = """
UPDATE ingest_staging s SET thread_key = p.thread_key
FROM ingest_staging p
WHERE p.network = s.network AND s.thread_key = p.external_id
  AND p.thread_key <> p.external_id AND s.thread_key <> p.thread_key
"""

# Threads or unthreaded posts that were filed under the id of a message that has just arrived
# and turns out to belong to another conversation (replies seen before their parents).
PENDING_REKEYS = """
SELECT s.network, s.external_id AS old_key, s.thread_key AS new_key,
       (SELECT t.id FROM thread t
         WHERE t.workspace_id = $1 AND t.network = s.network AND t.thread_key = s.external_id)
           AS old_thread_id
FROM ingest_staging s
WHERE s.thread_key <> s.external_id
  AND (EXISTS (SELECT 1 FROM thread t
                WHERE t.workspace_id = $1 AND t.network = s.network
                  AND t.thread_key = s.external_id)
       OR EXISTS (SELECT 1 FROM mention m
                   WHERE m.workspace_id = $1 AND m.network = s.network
                     AND m.thread_key = s.external_id AND m.thread_id IS NULL))
"""

THREAD_ID_BY_KEY = """
SELECT id FROM thread WHERE workspace_id = $1 AND network = $2 AND thread_key = $3
"""


MERGE_THREAD_MENTIONS = """
UPDATE mention SET thread_id = $3, thread_key = $4
WHERE workspace_id = $1 AND thread_id = $2
"""
MERGE_THREAD_NOTES = "UPDATE note SET thread_id = $3 WHERE workspace_id = $1 AND thread_id = $2"
MERGE_THREAD_OUTBOX = (
    "UPDATE outbox_item SET thread_id = $3 WHERE workspace_id = $1 AND thread_id = $2"
)

REKEY_UNTHREADED = """
UPDATE mention SET thread_key = $4
WHERE workspace_id = $1 AND network = $2 AND thread_key = $3 AND thread_id IS NULL
"""


# One customer and one identity for every inbound author never seen before. Customer ids are
# drawn first so that each identity row knows its customer without a per-row round trip.
NEW_CUSTOMERS = """
WITH authors AS MATERIALIZED (
    SELECT DISTINCT ON (s.network, s.author_external_id)
           s.network, s.author_external_id, s.author_handle, s.author_name
    FROM ingest_staging s
    WHERE s.direction = 'inbound'
      AND NOT EXISTS (SELECT 1 FROM identity i
                       WHERE i.workspace_id = $1 AND i.network = s.network
                         AND i.external_user_id = s.author_external_id)
    ORDER BY s.network, s.author_external_id, s.created_at DESC
), allocated AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('customer', 'id')) AS customer_id, a.*
    FROM authors a
), customers AS (
    INSERT INTO customer (workspace_id, id, display_name)
    SELECT $1, customer_id, coalesce(author_name, author_handle) FROM allocated
)
INSERT INTO identity (workspace_id, customer_id, network, external_user_id, handle, display_name)
SELECT $1, customer_id, network, author_external_id, author_handle, author_name FROM allocated
RETURNING customer_id
"""


# Returns each message written, shaped like a row of sla_clocks.TIMELINES: the timelines of the
# threads created by the batch are then known without reading them back. Writes what the
# classifier decided about each customer message written (a new message has none yet), and the
# batch's
# thread events from the same rows (thread_events.py tells what they are): per thread, its
# creation ($2) or reopening ($3) at its first customer message, then each customer message,
# oldest first, numbered below the counter UPSERT_THREADS has already moved past them.
INSERT_MENTIONS = f"""
WITH written AS (
    INSERT INTO mention (workspace_id, network, external_id, thread_id, thread_key, direction,
                         author_external_id, author_handle, author_name, customer_id, body,
                         language, in_reply_to, url, edit_of, created_at, raw, automated,
                         private, claimed_at, media)
    SELECT $1, s.network, s.external_id, t.id, s.thread_key, s.direction,
           s.author_external_id, s.author_handle, s.author_name, i.customer_id, s.body,
           s.language, s.in_reply_to, s.url, s.edit_of, s.created_at, s.raw, s.automated,
           s.private, s.claimed_at, s.media
    FROM ingest_staging s
    LEFT JOIN thread t
           ON t.workspace_id = $1 AND t.network = s.network AND t.thread_key = s.thread_key
    LEFT JOIN identity i
           ON s.direction = 'inbound' AND i.workspace_id = $1 AND i.network = s.network
          AND i.external_user_id = s.author_external_id
    ON CONFLICT DO NOTHING
    RETURNING thread_id, direction = 'inbound' AS inbound, created_at,
              NOT automated AS qualifying, language, false AS closes, external_id, network
), classified AS (
    INSERT INTO mention_classification (workspace_id, network, external_id, thread_id, kind,
                                        language, urgency, topics, personal_data, reasons)
    SELECT $1, w.network, w.external_id, w.thread_id, s.kind, s.decided_language, s.priority,
           s.topics, s.decided_personal_data, s.reasons
    FROM written w
    JOIN ingest_staging s ON s.network = w.network AND s.external_id = w.external_id
    WHERE w.inbound AND w.thread_id IS NOT NULL AND s.kind IS NOT NULL
), received AS (
    SELECT w.thread_id, w.network, w.external_id, w.created_at,
           row_number() OVER (PARTITION BY w.thread_id
                              ORDER BY w.created_at, w.external_id COLLATE "C") AS n,
           -- the opening's number, when there is one; its first message's follows it
           t.event_seq - count(*) OVER (PARTITION BY w.thread_id) AS base,
           CASE WHEN t.id = ANY($2::bigint[]) THEN 'thread.created'
                WHEN t.id = ANY($3::bigint[]) THEN 'thread.reopened' END AS opening
    FROM written w
    JOIN thread t ON t.workspace_id = $1 AND t.id = w.thread_id
    WHERE w.inbound
), events AS (
    INSERT INTO thread_event ({INSERT_EVENT_COLUMNS}, message_network, message_external_id)
    SELECT $1, r.thread_id, r.base + r.n,
           '{ThreadEventKind.MESSAGE_RECEIVED.value}', r.created_at,
           jsonb_build_object('network', r.network, 'message',
                              jsonb_build_object('network', r.network,
                                                 'external_id', r.external_id)),
           r.network, r.external_id
    FROM received r
    UNION ALL
    SELECT $1, r.thread_id, r.base, r.opening, r.created_at,
           jsonb_build_object('network', r.network), NULL, NULL
    FROM received r
    WHERE r.n = 1 AND r.opening IS NOT NULL
)
SELECT thread_id, inbound, created_at, qualifying, language, closes, external_id, network
FROM written
"""  # noqa: S608 (constants only)

# Brand posts stored earlier without a thread join the thread a customer has just opened in
# their conversation; an answer that came after the customer's first message opens it. Returns
# the threads that took some in. Writes `thread` here: its counts follow the messages attached
# in the same statement, one round trip per batch.
ATTACH_UNTHREADED = """
WITH attached AS (
    UPDATE mention m SET thread_id = t.id
    FROM thread t
    WHERE t.workspace_id = $1 AND t.id = ANY($2::bigint[])
      AND m.workspace_id = $1 AND m.thread_id IS NULL
      AND m.network = t.network AND m.thread_key = t.thread_key
    RETURNING m.thread_id, m.created_at, m.automated
)
UPDATE thread t SET
    message_count = t.message_count + a.n,
    last_outbound_at = greatest(t.last_outbound_at, a.last_out),
    last_answered_at = greatest(t.last_answered_at, a.last_answer),
    status = CASE WHEN t.status = 'new' AND a.last_out >= t.opened_at THEN 'open'
                  ELSE t.status END,
    updated_at = now()
FROM (SELECT thread_id, count(*) AS n, max(created_at) AS last_out,
             max(created_at) FILTER (WHERE NOT automated) AS last_answer
      FROM attached GROUP BY thread_id) a
WHERE t.workspace_id = $1 AND t.id = a.thread_id
RETURNING t.id
"""

SAVE_CURSOR = """
INSERT INTO connector_cursor (workspace_id, connector, position)
VALUES ($1, $2, $3)
ON CONFLICT (workspace_id, connector)
DO UPDATE SET position = excluded.position, updated_at = now()
"""
