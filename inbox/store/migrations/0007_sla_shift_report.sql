-- End-of-shift lists: at closing minus 15 minutes, the clocks still running in a calendar,
-- so that nothing waits a weekend silently. One per calendar and closing.
CREATE TABLE sla_shift_report (
    workspace_id bigint NOT NULL,
    calendar     text NOT NULL,
    closes_at    timestamptz NOT NULL,
    running      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, calendar, closes_at)
);
