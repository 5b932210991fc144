-- Reads that looked at a workspace's whole history although they want only a recent window or
-- the running clocks: each walked every row, so its cost grew with the data (measured by
-- bench/growth.py; docs/growth.md). Each index below gives one of them its rows by range.

-- The adoption panel's answers per week (the last year at most): the brand's public replies
-- by date, with what the probe into the outbox needs, read from the index alone.
CREATE INDEX mention_answers ON mention (workspace_id, created_at) INCLUDE (network, external_id)
    WHERE direction = 'outbound' AND in_reply_to IS NOT NULL AND NOT automated AND NOT private;

-- The adoption panel's acts per week: replies sent, notes written, threads taken by hand,
-- threads closed without a reply, each by date.
CREATE INDEX outbox_item_replies ON outbox_item (workspace_id, created_at)
    WHERE kind IN ('reply', 'direct_message') AND idempotency_key LIKE 'reply:%';
CREATE INDEX note_recent ON note (workspace_id, created_at);
CREATE INDEX assignment_by_hand ON assignment (workspace_id, at)
    WHERE source IN ('claim', 'manual');
CREATE INDEX thread_closure_recent ON thread_closure (workspace_id, at);

-- The dashboard's gauges and queue health: the clocks still running, a few thousand among
-- millions stopped.
CREATE INDEX sla_clock_running ON sla_clock (workspace_id, started_at) WHERE stopped_at IS NULL;
