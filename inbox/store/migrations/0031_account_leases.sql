-- One owner per connected account across every worker process: the workers alive (each
-- beats at a steady pace) and, per account polled (X, Mastodon, Bluesky), the worker that
-- runs it until its lease expires. Expiry is judged by this server's clock alone, so the
-- machines' clocks never have to agree.

-- Not per workspace: a worker serves every workspace. A reference table on a distributed
-- PostgreSQL (small, written only by heartbeats).
CREATE TABLE cluster_worker (
    worker_id    text PRIMARY KEY,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);

-- No foreign key to cluster_worker: a lease outlives its holder's row only until it expires,
-- and the key stays led by workspace_id like every other.
CREATE TABLE account_lease (
    workspace_id bigint NOT NULL,
    account_id   bigint NOT NULL,
    worker_id    text NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, account_id),
    FOREIGN KEY (workspace_id, account_id) REFERENCES network_account ON DELETE CASCADE
);
CREATE INDEX account_lease_holder ON account_lease (worker_id);

-- Workers follow the connected accounts while they run: any change to an account or its
-- secrets (added, settings, credentials, paused, removed), whichever code path or operator
-- made it, wakes them. Statement-level and without payload, so a transaction that changes
-- many rows sends one notification (PostgreSQL folds identical ones).
CREATE FUNCTION notify_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('inbox_accounts', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER network_account_changed
    AFTER INSERT OR DELETE OR UPDATE OF external_id, handle, settings, enabled
    ON network_account FOR EACH STATEMENT EXECUTE FUNCTION notify_account_changed();
CREATE TRIGGER account_credential_changed
    AFTER INSERT OR UPDATE OR DELETE
    ON account_credential FOR EACH STATEMENT EXECUTE FUNCTION notify_account_changed();
