-- The time zone a person reads every time in. Their own choice (NULL: none), and, on each
-- session, the zone of their team's calendar worked out when they logged in, used while
-- they chose none.
ALTER TABLE agent
    ADD COLUMN time_zone text CHECK (time_zone IS NULL OR length(time_zone) BETWEEN 1 AND 64);
ALTER TABLE web_session
    ADD COLUMN default_time_zone text NOT NULL DEFAULT 'UTC';
