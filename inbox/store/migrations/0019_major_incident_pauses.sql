-- The periods during which an incident was declared major: SLA policies that say so suspend
-- the business clocks of the linked threads for these windows (the customer's wait is never
-- suspended). Several per incident: it may be declared major again after standing down.

CREATE TABLE incident_major_period (
    workspace_id bigint NOT NULL,
    incident_id  bigint NOT NULL,
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz,                    -- NULL: still major (an open-ended pause)
    PRIMARY KEY (workspace_id, incident_id, started_at),
    FOREIGN KEY (workspace_id, incident_id) REFERENCES incident ON DELETE CASCADE,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
-- At most one period in force per incident: declaring it major twice opens one.
CREATE UNIQUE INDEX incident_major_period_open ON incident_major_period (workspace_id, incident_id)
    WHERE ended_at IS NULL;

-- Incidents already major were major from their opening until their closing.
INSERT INTO incident_major_period (workspace_id, incident_id, started_at, ended_at)
SELECT workspace_id, id, opened_at, greatest(closed_at, opened_at)
FROM incident
WHERE major;
