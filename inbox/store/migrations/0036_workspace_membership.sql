-- A person in several workspaces. The agent row already is a person's membership of one
-- workspace (roles, teams, status, time zone, sessions, tokens all hang from it), so a second
-- workspace gets a second agent row, linked to the row that holds the person's sign-in: their
-- password and second factor stay where they were made, and nothing existing moves.
-- A linked row's own password_hash is never read. No foreign key: the link crosses
-- workspaces, which a schema distributed by workspace_id cannot check; the application
-- writes it only from a row it has just read.
ALTER TABLE agent
    ADD COLUMN login_workspace_id bigint,
    ADD COLUMN login_agent_id     bigint,
    ADD CONSTRAINT agent_login_link_whole
        CHECK ((login_workspace_id IS NULL) = (login_agent_id IS NULL)),
    ADD CONSTRAINT agent_login_link_elsewhere
        CHECK (login_workspace_id IS NULL OR login_workspace_id <> workspace_id);

-- The memberships of a sign-in, looked up on every page (for the switcher).
CREATE INDEX agent_login_link ON agent (login_workspace_id, login_agent_id)
    WHERE login_agent_id IS NOT NULL;
-- The workspaces an e-mail signs in to, looked up by the sign-in form.
CREATE INDEX agent_email ON agent (email);
