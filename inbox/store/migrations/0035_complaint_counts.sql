-- The outage detector's input, shared by every process: complaints per workspace, series and
-- minute, written by ingestion in the batch's own transaction (a batch rolled back counts
-- nothing; a batch retried counts only the mentions it added). The one elected detector
-- reads the minutes since its last evaluation, and relearns its baseline from here when it
-- takes over. `kind` is "all" (the workspace's whole volume, `value` empty), "topic",
-- "keywords" or "region".
CREATE TABLE complaint_count (
    workspace_id bigint NOT NULL REFERENCES workspace ON DELETE CASCADE,
    bucket       timestamptz NOT NULL,
    kind         text NOT NULL,
    value        text NOT NULL,
    count        integer NOT NULL CHECK (count > 0),
    PRIMARY KEY (workspace_id, bucket, kind, value)
);
-- The detector reads every workspace's recent minutes at once.
CREATE INDEX complaint_count_bucket ON complaint_count (bucket);

-- The last three weeks (the baseline's memory) counted from the stored complaints, with the
-- series the detector gave them when this was written: the keyword groups read from the
-- classifier's urgency reasons, the places named after a preposition of place.
INSERT INTO complaint_count (workspace_id, bucket, kind, value, count)
SELECT c.workspace_id, c.bucket, s.kind, s.value, count(*)
FROM (
    SELECT m.workspace_id, date_trunc('minute', m.created_at) AS bucket, mc.topics,
           ARRAY(SELECT DISTINCT g.grp FROM jsonb_array_elements(mc.reasons) AS r
                 JOIN (VALUES ('outage words', 'outage'), ('threat to leave', 'churn'),
                              ('legal or regulator', 'legal'), ('safety: urgent', 'safety'))
                      AS g(effect, grp) ON g.effect = r->>'effect'
                 WHERE r->>'decision' = 'urgency') AS groups,
           ARRAY(SELECT DISTINCT p[1] FROM regexp_matches(
                 m.body, '(?:^|\s)(?:in|at|near|à|a|au|vers)\s+([[:upper:]][[:alnum:]-]{1,40})',
                 'g') AS p) AS regions
    FROM mention m
    JOIN mention_classification mc
      ON mc.workspace_id = m.workspace_id AND mc.network = m.network
     AND mc.external_id = m.external_id AND mc.kind = 'complaint'
    WHERE m.direction = 'inbound' AND m.created_at >= now() - interval '21 days'
      AND m.created_at < now()
) AS c
CROSS JOIN LATERAL (
    SELECT 'all', ''
    UNION SELECT 'topic', t FROM unnest(c.topics) AS t
    UNION SELECT 'keywords', g FROM unnest(c.groups) AS g
    UNION SELECT 'region', r FROM unnest(c.regions) AS r
) AS s(kind, value)
GROUP BY 1, 2, 3, 4;
