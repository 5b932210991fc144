-- Reads that still grew with the whole history (bench/growth.py; docs/growth.md).

-- Search reads the newest messages first, in widening windows of date: this index gives a
-- window's messages, intersected with the full-text index's matches, so that a common word
-- costs the page it fills, not every message that holds it.
CREATE INDEX mention_recent ON mention (workspace_id, created_at);
