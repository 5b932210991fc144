"""Named SQL of batch ingestion. Every statement works on the whole batch at once.

The batch is first copied into a per-connection temporary table (`ingest_staging`, emptied at
each commit, never WAL-logged); each statement below then reads it set-wise. `$1` is always
the workspace id.
"""

from __future__ import annotations

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
    claimed_at           timestamptz
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

# Drop what is already stored (dedupe across batches; within a batch the caller has already
# kept the first of each id).
DROP_KNOWN = """
DELETE FROM ingest_staging s
USING mention m
WHERE m.workspace_id = $1 AND m.network = s.network AND m.external_id = s.external_id
"""

# A chain that left the batch takes its parent's conversation, or waits under the parent's id.
# A message written by one of the workspace's own accounts is outbound whatever the connector said.
RESOLVE = """
UPDATE ingest_staging s SET
    thread_key = coalesce(
        s.thread_key,
        (SELECT m.thread_key FROM mention m
          WHERE m.workspace_id = $1 AND m.network = s.network
            AND m.external_id = s.parent_outside_batch),
        s.parent_outside_batch),
    direction = CASE
        WHEN EXISTS (SELECT 1 FROM network_account a
                      WHERE a.workspace_id = $1 AND a.network = s.network
                        AND a.external_id = s.author_external_id)
        THEN 'outbound' ELSE s.direction END
"""

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

RENAME_THREAD = """
WITH renamed AS (
    UPDATE thread SET thread_key = $3, updated_at = now()
    WHERE workspace_id = $1 AND id = $2
)
UPDATE mention SET thread_key = $3 WHERE workspace_id = $1 AND thread_id = $2
"""

MERGE_THREAD_MENTIONS = """
UPDATE mention SET thread_id = $3, thread_key = $4
WHERE workspace_id = $1 AND thread_id = $2
"""
MERGE_THREAD_NOTES = "UPDATE note SET thread_id = $3 WHERE workspace_id = $1 AND thread_id = $2"
MERGE_THREAD_OUTBOX = (
    "UPDATE outbox_item SET thread_id = $3 WHERE workspace_id = $1 AND thread_id = $2"
)
DELETE_THREAD = "DELETE FROM thread WHERE workspace_id = $1 AND id = $2"

REKEY_UNTHREADED = """
UPDATE mention SET thread_key = $4
WHERE workspace_id = $1 AND network = $2 AND thread_key = $3 AND thread_id IS NULL
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
"""

# Creates the threads of new conversations and updates the others, in one pass. A conversation
# with only outbound messages gets no thread (a brand post nobody answered is not work); its
# messages wait unthreaded until a customer writes in it. 'infinity' never reaches a row: such
# groups are only selected when their thread exists, so they always take the UPDATE branch.
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
                             personal_data, private)
    SELECT $1, g.network, g.thread_key,
           CASE WHEN g.last_out >= g.first_in THEN 'open' ELSE 'new' END,
           (ARRAY['low', 'normal', 'high', 'urgent'])[coalesce(g.priority_rank, 2)],
           coalesce(g.kind, 'unclassified'),
           g.first_customer, coalesce(g.first_in, 'infinity'), g.last_in, g.last_out,
           g.last_answer, g.n,
           coalesce(g.excerpt, ''), g.language, coalesce(tp.topics, '{}'), g.personal_data,
           g.private
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
        updated_at = now()
    RETURNING t.id, t.network, t.thread_key, t.status, (t.xmax = 0) AS created
)
SELECT w.id, w.created,
       (p.status = 'resolved' AND w.status = 'open') AS reopened
FROM written w
LEFT JOIN prior p ON p.network = w.network AND p.thread_key = w.thread_key
"""

# Returns each message written, shaped like a row of sla_clocks.TIMELINES: the timelines of the
# threads created by the batch are then known without reading them back.
INSERT_MENTIONS = """
INSERT INTO mention (workspace_id, network, external_id, thread_id, thread_key, direction,
                     author_external_id, author_handle, author_name, customer_id, body,
                     language, in_reply_to, url, edit_of, created_at, raw, automated,
                     private, claimed_at)
SELECT $1, s.network, s.external_id, t.id, s.thread_key, s.direction,
       s.author_external_id, s.author_handle, s.author_name, i.customer_id, s.body,
       s.language, s.in_reply_to, s.url, s.edit_of, s.created_at, s.raw, s.automated,
       s.private, s.claimed_at
FROM ingest_staging s
LEFT JOIN thread t
       ON t.workspace_id = $1 AND t.network = s.network AND t.thread_key = s.thread_key
LEFT JOIN identity i
       ON s.direction = 'inbound' AND i.workspace_id = $1 AND i.network = s.network
      AND i.external_user_id = s.author_external_id
ON CONFLICT DO NOTHING
RETURNING thread_id, direction = 'inbound' AS inbound, created_at, NOT automated AS qualifying,
          language, false AS closes, external_id, network
"""

# What the classifier decided about each customer message written, with its reasons.
CLASSIFICATION_COLUMNS = (
    "workspace_id",
    "network",
    "external_id",
    "thread_id",
    "kind",
    "language",
    "urgency",
    "topics",
    "personal_data",
    "reasons",
)

# Brand posts stored earlier without a thread join the thread a customer has just opened in
# their conversation; an answer that came after the customer's first message opens it. Returns
# the threads that took some in.
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
