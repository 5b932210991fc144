-- A workspace's adjustment of the shipped classifier, learned by the worker from that
-- workspace's own corrections only (see routing/adjust.py). `version` grows with each
-- relearning, so that the processes that classify rebuild the workspace's classifier once.
CREATE TABLE classifier_adjustment (
    workspace_id    bigint PRIMARY KEY,
    version         bigint NOT NULL DEFAULT 1,
    document        jsonb NOT NULL,
    last_correction bigint NOT NULL,  -- the newest correction it learned from
    learned_at      timestamptz NOT NULL DEFAULT now()
);
