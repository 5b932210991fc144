"""The incidents' SQL, in named statements."""

from __future__ import annotations

# Keyword groups of a classified message, read from its reasons: the classifier says which
# urgency cues it found ("outage words" ...). $E and $G are parallel arrays (effect, group),
# substituted with the statement's parameter numbers.
_GROUPS = """ARRAY(SELECT DISTINCT g.grp FROM jsonb_array_elements(mc.reasons) AS r
       JOIN unnest({effects}::text[], {groups}::text[]) AS g(effect, grp)
         ON g.effect = r->>'effect'
       WHERE r->>'decision' = 'urgency')"""


def keyword_groups(effects: str, groups: str) -> str:
    return _GROUPS.format(effects=effects, groups=groups)


# A text as its words in lower case, each between single spaces: a place or a word is searched
# for whole inside it ("lyon" in "... à lyon 3e", not in "lyonnais"), with no pattern built
# from what a message or ops typed.
def _spaced(expression: str) -> str:
    return f"(' ' || btrim(regexp_replace(lower({expression}), '[^[:alnum:]]+', ' ', 'g')) || ' ')"


def _names_any(values: str) -> str:
    return f"""EXISTS (SELECT 1 FROM unnest({values}) AS named(value)
        WHERE {_spaced("named.value")} <> '  '
          AND position({_spaced("named.value")} IN {_spaced("m.body")}) > 0)"""  # noqa: S608


# Which complaints belong to an incident (m: the message, mc: its classification).
# - Detected: the complaint falls in one of the series that burst: it names one of the places
#   that burst, or its urgency cues are of a keyword group that burst; the topics that burst
#   count only when no place and no keyword group did (a topic holds every complaint about
#   it, most of them about something else). An incident whose only burst was the workspace's
#   whole volume links nothing: no slice says which complaints it is about.
# - Declared by hand: a complaint sharing one of its topics, naming one of its places or
#   saying one of its keywords; one declared with none of them holds every complaint since
#   its start (ops said so).
_MATCHES = """((i.source = 'detector' AND (
            {names_place}
         OR {groups} && i.keyword_groups
         OR (cardinality(i.places) = 0 AND cardinality(i.keyword_groups) = 0
             AND mc.topics && i.topics)))
     OR (i.source = 'manual' AND (
            (cardinality(i.topics) = 0 AND cardinality(i.keywords) = 0
             AND cardinality(i.places) = 0)
         OR mc.topics && i.topics OR {names_place} OR {says_keyword})))"""


def matches(effects: str, groups: str) -> str:
    return _MATCHES.format(
        names_place=_names_any("i.places"),
        says_keyword=_names_any("i.keywords"),
        groups=keyword_groups(effects, groups),
    )


# The places a message names (see PLACE_PATTERN), each a region series of its own.
_REGIONS = "ARRAY(SELECT DISTINCT p[1] FROM regexp_matches(m.body, {pattern}, 'g') AS p)"


def regions(pattern: str) -> str:
    return _REGIONS.format(pattern=pattern)


# The complaints a batch just wrote in the threads `t` ($1 workspace): each thread's messages,
# then each message's classification, looked up by key. OFFSET 0 keeps each lookup a lateral
# probe: flattened into joins, the planner (with a fast-growing workspace's stale statistics)
# read every complaint of the workspace.
BATCH_COMPLAINTS = """CROSS JOIN LATERAL (
    SELECT m.thread_id, m.network, m.external_id, m.created_at, m.body FROM mention m
    WHERE m.workspace_id = $1 AND m.thread_id = t.id AND m.direction = 'inbound'
      AND m.ingested_at = now()   -- written by this transaction: now() is its start
    OFFSET 0
) m
CROSS JOIN LATERAL (
    SELECT mc.topics, mc.reasons FROM mention_classification mc
    WHERE mc.workspace_id = $1 AND mc.network = m.network AND mc.external_id = m.external_id
      AND mc.kind = 'complaint'
    OFFSET 0
) mc
"""

# The batch's complaints, with what the outage watcher counts of each.
NEW_COMPLAINTS = f"""
SELECT m.created_at, mc.topics, {keyword_groups("$3", "$4")} AS groups, {regions("$5")} AS regions
FROM (SELECT DISTINCT unnest($2::bigint[]) AS id) t
{BATCH_COMPLAINTS}
"""  # noqa: S608 (constants only)

# The batch's complaints found as NEW_COMPLAINTS finds them, then matched to each open incident;
# nothing read while none is open, the common case.
LINK_NEW = f"""
INSERT INTO incident_thread (workspace_id, incident_id, thread_id, linked_at)
SELECT DISTINCT i.workspace_id, i.id, m.thread_id, now()
FROM (SELECT DISTINCT unnest($2::bigint[]) AS id
      WHERE EXISTS (SELECT 1 FROM incident o WHERE o.workspace_id = $1 AND o.status = 'open')
     ) t
{BATCH_COMPLAINTS}
JOIN incident i ON i.workspace_id = $1 AND i.status = 'open' AND {matches("$3", "$4")}
ON CONFLICT DO NOTHING
"""  # noqa: S608

# Complaints since a slice of the incident began to burst ($6: the incident's start when it
# opens, a joining slice's own start when it joins), through their threads' latest inbound
# instant, which the queue index serves.
LINK_SINCE_START = f"""
INSERT INTO incident_thread (workspace_id, incident_id, thread_id, linked_at)
SELECT DISTINCT i.workspace_id, i.id, t.id, $3::timestamptz
FROM incident i
JOIN thread t ON t.workspace_id = i.workspace_id AND t.last_inbound_at >= $6::timestamptz
JOIN mention_classification mc
  ON mc.workspace_id = t.workspace_id AND mc.thread_id = t.id AND mc.kind = 'complaint'
JOIN mention m ON m.workspace_id = mc.workspace_id AND m.network = mc.network
 AND m.external_id = mc.external_id AND m.created_at >= $6::timestamptz
 AND m.direction = 'inbound'
WHERE i.workspace_id = $1 AND i.id = $2 AND {matches("$4", "$5")}
ON CONFLICT DO NOTHING
"""  # noqa: S608

# One statement per batch: the batch's counts, summed per series and minute by the caller
# (a row may be touched once per statement), added to what other batches counted.
COUNT_COMPLAINTS = """
INSERT INTO complaint_count (workspace_id, bucket, kind, value, count)
SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::int[])
ON CONFLICT (workspace_id, bucket, kind, value)
DO UPDATE SET count = complaint_count.count + excluded.count
"""

# The workspace's whole volume first within a minute: a slice's series is started from its
# workspace's (see routing.signals.BucketCounter).
COMPLAINT_COUNTS = """
SELECT workspace_id, bucket, kind, value, count FROM complaint_count
WHERE bucket >= $1 AND bucket < $2
ORDER BY bucket, workspace_id, kind <> 'all', kind, value
"""

SETTINGS_COLUMNS = """workspace_id, threshold, quiet_seconds, status_url, ack_template,
       followup_template"""
ALL_SETTINGS = f"SELECT {SETTINGS_COLUMNS} FROM incident_settings"  # noqa: S608
SETTINGS = f"SELECT {SETTINGS_COLUMNS} FROM incident_settings WHERE workspace_id = $1"  # noqa: S608
SAVE_SETTINGS = """
INSERT INTO incident_settings (workspace_id, threshold, quiet_seconds, status_url, ack_template,
                               followup_template)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (workspace_id) DO UPDATE SET
    threshold = excluded.threshold, quiet_seconds = excluded.quiet_seconds,
    status_url = excluded.status_url, ack_template = excluded.ack_template,
    followup_template = excluded.followup_template, updated_at = now()
"""

INCIDENT_COLUMNS = """i.workspace_id, i.id, i.status, i.source, i.major, i.title, i.topics,
       i.keyword_groups, i.series, i.keywords, i.places, i.started_at, i.opened_at, i.closed_at,
       i.explanation, i.peak_score, i.merged_into,
       (SELECT count(*) FROM incident_thread l
        WHERE l.workspace_id = i.workspace_id AND l.incident_id = i.id) AS linked,
       (SELECT count(*) FROM outbox_item o
        WHERE o.workspace_id = i.workspace_id
          AND o.idempotency_key LIKE 'incident:' || i.id || ':ack:%') AS acknowledged,
       (SELECT count(*) FROM outbox_item o
        WHERE o.workspace_id = i.workspace_id
          AND o.idempotency_key LIKE 'incident:' || i.id || ':followup:%') AS followed_up"""

OPEN_DETECTED = """
INSERT INTO incident (workspace_id, source, title, topics, keyword_groups, series, started_at,
                      opened_at, explanation, peak_score, places)
VALUES ($1, 'detector', $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (workspace_id) WHERE status = 'open' AND source = 'detector' DO NOTHING
RETURNING id
"""

# A slice that crosses while the workspace's detector incident is open joins it.
JOIN_DETECTED = """
UPDATE incident SET
    topics = ARRAY(SELECT DISTINCT unnest(topics || $2::text[]) ORDER BY 1),
    keyword_groups = ARRAY(SELECT DISTINCT unnest(keyword_groups || $3::text[]) ORDER BY 1),
    series = series || ARRAY(SELECT s FROM unnest($4::text[]) AS s WHERE s <> ALL(series)),
    places = places || ARRAY(SELECT p FROM unnest($6::text[]) AS p WHERE p <> ALL(places)),
    peak_score = greatest(peak_score, $5), normal_since = NULL
WHERE workspace_id = $1 AND status = 'open' AND source = 'detector'
RETURNING id, topics, keyword_groups
"""
# A detected incident's title names what burst: it follows the slices that join it.
RETITLE = "UPDATE incident SET title = $3 WHERE workspace_id = $1 AND id = $2"

OPEN_MANUAL = """
INSERT INTO incident (workspace_id, source, title, topics, keywords, places, major, started_at,
                      opened_at, opened_by, explanation)
VALUES ($1, 'manual', $2, $3, $4, $5, $6, $7, $8, $9, 'declared by hand')
RETURNING id
"""

OPEN_DETECTED_INCIDENTS = f"""
SELECT {INCIDENT_COLUMNS} FROM incident i
WHERE i.status = 'open' AND i.source = 'detector'
"""  # noqa: S608

ADD_POINTS = """
INSERT INTO incident_point (workspace_id, incident_id, bucket, observed, expected, score)
SELECT $1, $2, * FROM unnest($3::timestamptz[], $4::float8[], $5::float8[], $6::float8[])
ON CONFLICT DO NOTHING
"""
PEAK = """
UPDATE incident SET peak_score = greatest(peak_score, $3) WHERE workspace_id = $1 AND id = $2
"""

SET_NORMAL = """
UPDATE incident
SET normal_since = CASE WHEN $3 THEN coalesce(normal_since, $4) END
WHERE workspace_id = $1 AND id = $2
RETURNING normal_since
"""

# A place: a capitalised word after a preposition of place ("down in Lyon", "panne à Lyon").
PLACE_PATTERN = r"(?:^|\s)(?:in|at|near|à|a|au|vers)\s+([[:upper:]][[:alnum:]-]{1,40})"

# The texts an incident's keywords are drawn from: its linked complaints since it began (the
# burst), and the workspace's complaints over the days before it (the baseline), newest first.
BURST_TEXTS = """
SELECT m.body
FROM incident_thread l
JOIN incident i ON i.workspace_id = l.workspace_id AND i.id = l.incident_id
JOIN mention m ON m.workspace_id = l.workspace_id AND m.thread_id = l.thread_id
 AND m.direction = 'inbound' AND m.created_at >= i.started_at
JOIN mention_classification mc
  ON mc.workspace_id = m.workspace_id AND mc.network = m.network
 AND mc.external_id = m.external_id AND mc.kind = 'complaint'
WHERE l.workspace_id = $1 AND l.incident_id = $2
ORDER BY m.created_at
LIMIT $3
"""
BASELINE_TEXTS = """
SELECT m.body
FROM incident i
JOIN mention m ON m.workspace_id = i.workspace_id AND m.direction = 'inbound'
 AND m.created_at >= i.started_at - $3::interval AND m.created_at < i.started_at
JOIN mention_classification mc
  ON mc.workspace_id = m.workspace_id AND mc.network = m.network
 AND mc.external_id = m.external_id AND mc.kind = 'complaint'
WHERE i.workspace_id = $1 AND i.id = $2
ORDER BY m.created_at DESC
LIMIT $4
"""
SAVE_KEYWORDS = """
UPDATE incident SET keywords = $3
WHERE workspace_id = $1 AND id = $2 AND source = 'detector' AND keywords IS DISTINCT FROM $3
"""

CLOSE = """
UPDATE incident SET status = 'closed', closed_at = $3, closed_by = $4
WHERE workspace_id = $1 AND id = $2 AND status = 'open'
RETURNING id
"""

# Major periods. One opens for each open incident that is major and has none in force
# (declared major, opened as major, made major by a merge); closing, merging or standing down
# ends it. SLA policies that say so pause the linked threads' clocks for these windows.
OPEN_MAJOR_PERIOD = """
INSERT INTO incident_major_period (workspace_id, incident_id, started_at)
SELECT workspace_id, id, $3 FROM incident
WHERE workspace_id = $1 AND id = ANY($2::bigint[]) AND major AND status = 'open'
ON CONFLICT DO NOTHING
"""
END_MAJOR_PERIOD = """
UPDATE incident_major_period SET ended_at = greatest($3, started_at)
WHERE workspace_id = $1 AND incident_id = ANY($2::bigint[]) AND ended_at IS NULL
"""
SET_MAJOR = """
UPDATE incident SET major = $3 WHERE workspace_id = $1 AND id = $2 AND status = 'open'
RETURNING id
"""
MAJOR_PERIODS = """
SELECT started_at, ended_at FROM incident_major_period
WHERE workspace_id = $1 AND incident_id = $2 ORDER BY started_at
"""
# The linked threads whose running clocks a major window of these incidents may move.
REPLAN_THREADS = """
SELECT DISTINCT l.thread_id
FROM incident_thread l
WHERE l.workspace_id = $1 AND l.incident_id = ANY($2::bigint[])
  AND EXISTS (SELECT 1 FROM incident_major_period p
              WHERE p.workspace_id = l.workspace_id AND p.incident_id = l.incident_id)
  AND EXISTS (SELECT 1 FROM sla_clock c
              WHERE c.workspace_id = l.workspace_id AND c.thread_id = l.thread_id
                AND c.stopped_at IS NULL)
ORDER BY 1
"""

LOCK_OPEN = """
SELECT id FROM incident WHERE workspace_id = $1 AND id = ANY($2::bigint[]) AND status = 'open'
FOR UPDATE
"""
MOVE_THREADS = """
INSERT INTO incident_thread (workspace_id, incident_id, thread_id, linked_at)
SELECT workspace_id, $3, thread_id, linked_at FROM incident_thread
WHERE workspace_id = $1 AND incident_id = $2
ON CONFLICT DO NOTHING
"""
MARK_MERGED = """
UPDATE incident SET status = 'merged', merged_into = $3, closed_at = $4, closed_by = $5
WHERE workspace_id = $1 AND id = $2
"""
WIDEN_TARGET = """
UPDATE incident t SET
    topics = ARRAY(SELECT DISTINCT unnest(t.topics || s.topics) ORDER BY 1),
    keyword_groups = ARRAY(SELECT DISTINCT unnest(t.keyword_groups || s.keyword_groups) ORDER BY 1),
    started_at = least(t.started_at, s.started_at), major = t.major OR s.major
FROM incident s
WHERE t.workspace_id = $1 AND t.id = $3 AND s.workspace_id = $1 AND s.id = $2
"""

RECENT = f"""
SELECT {INCIDENT_COLUMNS} FROM incident i
WHERE i.workspace_id = $1
ORDER BY (i.status = 'open') DESC, i.opened_at DESC
LIMIT $2
"""  # noqa: S608
ONE = f"SELECT {INCIDENT_COLUMNS} FROM incident i WHERE i.workspace_id = $1 AND i.id = $2"  # noqa: S608
COUNT_OPEN = "SELECT count(*) FROM incident WHERE workspace_id = $1 AND status = 'open'"

POINTS = """
SELECT bucket, observed, expected, score FROM incident_point
WHERE workspace_id = $1 AND incident_id = $2 ORDER BY bucket
"""
THREADS = """
SELECT t.id AS thread_id, t.network, t.status, t.excerpt, l.linked_at,
       coalesce((SELECT coalesce(m.author_handle, m.author_name, m.author_external_id)
                 FROM mention m
                 WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id
                   AND m.direction = 'inbound'
                 ORDER BY m.created_at LIMIT 1), '') AS author
FROM incident_thread l
JOIN thread t ON t.workspace_id = l.workspace_id AND t.id = l.thread_id
WHERE l.workspace_id = $1 AND l.incident_id = $2
ORDER BY l.linked_at DESC, t.id DESC
LIMIT 500
"""

FOR_THREAD = """
SELECT i.id, i.title, i.started_at, i.major, i.acknowledged_at IS NOT NULL AS acknowledged
FROM incident_thread l
JOIN incident i ON i.workspace_id = l.workspace_id AND i.id = l.incident_id
WHERE l.workspace_id = $1 AND l.thread_id = $2 AND i.status = 'open'
ORDER BY i.id
"""

# One message per linked customer, on their latest linked thread, replying to its latest
# inbound message from the workspace's account on that network. A key seen before queues
# nothing: twice clicked, retried or raced, each author gets it once.
ENQUEUE_BULK = """
WITH authors AS (
    SELECT DISTINCT ON (t.customer_id) t.workspace_id, t.id, t.network, t.customer_id
    FROM incident_thread l
    JOIN thread t ON t.workspace_id = l.workspace_id AND t.id = l.thread_id
    WHERE l.workspace_id = $1 AND l.incident_id = $2 AND t.customer_id IS NOT NULL
    ORDER BY t.customer_id, t.last_inbound_at DESC NULLS LAST, t.id DESC
), inserted AS (
    INSERT INTO outbox_item (workspace_id, thread_id, network, kind, idempotency_key, body,
                             in_reply_to, account_id, next_attempt_at)
    SELECT a.workspace_id, a.id, a.network, 'acknowledgement',
           'incident:' || $2 || ':' || $3 || ':' || a.customer_id, $4,
           (SELECT m.external_id FROM mention m
            WHERE m.workspace_id = a.workspace_id AND m.thread_id = a.id
              AND m.direction = 'inbound'
            ORDER BY m.created_at DESC LIMIT 1),
           (SELECT n.id FROM network_account n
            WHERE n.workspace_id = a.workspace_id AND n.network = a.network AND n.enabled
            ORDER BY n.id LIMIT 1),
           $5::timestamptz
    FROM authors a
    ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM inserted
"""
MARK_ACKNOWLEDGED = """
UPDATE incident SET acknowledged_at = coalesce(acknowledged_at, $3)
WHERE workspace_id = $1 AND id = $2
"""
MARK_FOLLOWED_UP = """
UPDATE incident SET followed_up_at = coalesce(followed_up_at, $3)
WHERE workspace_id = $1 AND id = $2
"""

# Each event goes to every active webhook of the workspace subscribed to its kind, its family
# or everything; signed and retried by the webhook sender like every other event.
QUEUE_WEBHOOKS = """
INSERT INTO webhook_delivery (workspace_id, webhook_id, event_key, event_kind, payload,
                              next_attempt_at)
SELECT w.workspace_id, w.id, $2, $3, $4::jsonb, '-infinity'::timestamptz
FROM webhook w
WHERE w.workspace_id = $1 AND w.active
  AND ($3 = ANY(w.events) OR '*' = ANY(w.events) OR 'incident.*' = ANY(w.events))
ON CONFLICT (workspace_id, webhook_id, event_key) DO NOTHING
"""
NOTIFY_WEBHOOKS = "SELECT pg_notify('inbox_webhooks', '')"
NOTIFY_INCIDENTS = "SELECT pg_notify('inbox_incidents', $1)"
