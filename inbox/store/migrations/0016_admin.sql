-- What admins set for a workspace beyond routing and SLAs: the CRM link and whether agents
-- see per-person comparisons (off unless a workspace turns them on).
CREATE TABLE workspace_preferences (
    workspace_id      bigint PRIMARY KEY REFERENCES workspace,
    crm_url_template  text,
    agent_comparisons boolean NOT NULL DEFAULT false,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
