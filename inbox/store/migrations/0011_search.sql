-- Search over what customers and agents wrote, in any language: the 'simple' configuration
-- (no stemming, so French and English alike), accents folded by the query side as well.
CREATE INDEX mention_search ON mention
    USING gin (to_tsvector('simple', body)) WITH (fastupdate = on);
CREATE INDEX customer_name_search ON customer
    USING gin (to_tsvector('simple', coalesce(display_name, '')));
CREATE INDEX identity_handle ON identity (workspace_id, lower(handle));
