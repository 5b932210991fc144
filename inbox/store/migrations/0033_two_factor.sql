-- A person's second factor (TOTP, RFC 6238). The shared secret is sealed with the instance
-- key; `confirmed_at` stays NULL until a first code proved the person's authenticator has it,
-- and only then does sign-in ask for codes. `last_step` is the last time step accepted, so a
-- code is never accepted twice.
CREATE TABLE agent_second_factor (
    workspace_id  bigint NOT NULL,
    agent_id      bigint NOT NULL,
    sealed_secret bytea NOT NULL,
    created_at    timestamptz NOT NULL,
    confirmed_at  timestamptz,
    last_step     bigint,
    PRIMARY KEY (workspace_id, agent_id),
    FOREIGN KEY (workspace_id, agent_id) REFERENCES agent (workspace_id, id)
);

-- Single-use recovery codes, kept as argon2 hashes; `used_at` marks one spent.
CREATE TABLE agent_recovery_code (
    workspace_id bigint NOT NULL,
    agent_id     bigint NOT NULL,
    position     smallint NOT NULL,
    code_hash    text NOT NULL,
    used_at      timestamptz,
    PRIMARY KEY (workspace_id, agent_id, position),
    FOREIGN KEY (workspace_id, agent_id) REFERENCES agent (workspace_id, id)
);

-- Between the password and the code: a sign-in that passed its first step, kept as the hash
-- of the token in a short-lived cookie. It never opens a page; only a code turns it into a
-- session.
CREATE TABLE pending_login (
    workspace_id bigint NOT NULL,
    token_hash   bytea NOT NULL,
    agent_id     bigint NOT NULL,
    email        text NOT NULL,
    address      text NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, token_hash)
);
CREATE INDEX pending_login_expiry ON pending_login (workspace_id, expires_at);

-- Whether every person of the workspace must use a second factor: those without one are sent
-- to set it up at their next sign-in.
CREATE TABLE workspace_two_factor (
    workspace_id bigint PRIMARY KEY REFERENCES workspace,
    required     boolean NOT NULL,
    updated_at   timestamptz NOT NULL
);
