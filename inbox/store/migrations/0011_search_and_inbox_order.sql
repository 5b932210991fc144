-- Search over what customers and agents wrote, and the order the inbox pages read threads in.
-- Search uses the 'simple' configuration: no stemming, so French and English alike; accents
-- are not folded (that would need the unaccent extension).
CREATE INDEX mention_search ON mention
    USING gin (to_tsvector('simple', body)) WITH (fastupdate = on);
CREATE INDEX customer_name_search ON customer
    USING gin (to_tsvector('simple', coalesce(display_name, '')));
CREATE INDEX identity_handle ON identity (workspace_id, lower(handle));

-- The inbox pages list open threads in this order: read from the top, never sorted whole.
CREATE INDEX thread_inbox_order ON thread
    (workspace_id, sla_due_at, last_inbound_at DESC NULLS LAST, id DESC)
    WHERE status IN ('new', 'open', 'pending');
