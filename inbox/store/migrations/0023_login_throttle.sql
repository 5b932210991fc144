-- Login attempts counted before their password is checked, one counter row per workspace,
-- e-mail and address (a row per failure could be counted only after it was written, so that
-- concurrent attempts all saw the same count), and a gate per workspace and e-mail that
-- slows attempts from addresses the person never logged in from.
CREATE TABLE login_attempt (
    workspace_id bigint NOT NULL,
    email        text NOT NULL,
    address      text NOT NULL,
    attempts     integer NOT NULL,   -- in the window, not cleared by a success since
    window_start timestamptz NOT NULL,
    succeeded_at timestamptz,        -- the last login from this address: the person's own
    PRIMARY KEY (workspace_id, email, address)
);
CREATE INDEX login_attempt_stale ON login_attempt (workspace_id, window_start);

CREATE TABLE login_email_gate (
    workspace_id bigint NOT NULL,
    email        text NOT NULL,
    reserved     integer NOT NULL,   -- attempts let through from other addresses, in the window
    window_start timestamptz NOT NULL,
    next_try_at  timestamptz,        -- NULL while attempts are free, else when the next may come
    PRIMARY KEY (workspace_id, email)
);
CREATE INDEX login_email_gate_stale ON login_email_gate (workspace_id, window_start);

DROP TABLE login_failure;
