-- What the SLA reports aggregate, stored once per clock: the business time it ran (set when
-- it stops) and whether its message arrived inside the calendar's hours.
ALTER TABLE sla_clock
    ADD COLUMN business_seconds integer,
    ADD COLUMN arrived_in_hours boolean;
CREATE INDEX sla_clock_report ON sla_clock (workspace_id, started_at);
