-- Reads that still grew with the whole history (bench/growth.py; docs/growth.md).

-- Search reads the newest messages first, in widening windows of date: this index gives a
-- window's messages, intersected with the full-text index's matches, so that a common word
-- costs the page it fills, not every message that holds it.
CREATE INDEX mention_recent ON mention (workspace_id, created_at);

-- The metrics' count of SLA warnings and breaches fired, kept by the timer's statement that
-- fires them (it counted every event ever fired at each scrape).
CREATE TABLE sla_event_count (
    workspace_id bigint NOT NULL,
    kind         text NOT NULL,
    fired        bigint NOT NULL,
    PRIMARY KEY (workspace_id, kind)
);
INSERT INTO sla_event_count (workspace_id, kind, fired)
SELECT workspace_id, kind, count(*) FROM sla_event GROUP BY workspace_id, kind;
