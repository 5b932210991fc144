-- A session is found by its workspace and its token's hash, so that on a database distributed
-- by workspace_id every page's session check reads one shard. The token now carries its
-- workspace (`<workspace id>.<secret>`, hashed whole, so the workspace part cannot be
-- changed to reach another). Sessions opened before carry none and could never be found
-- again: they end here, and their people sign in once more.
DELETE FROM web_session;
ALTER TABLE web_session
    DROP CONSTRAINT web_session_pkey,
    ADD PRIMARY KEY (workspace_id, token_hash);
