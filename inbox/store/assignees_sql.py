"""Whom threads may be given to, in SQL ($1 the workspace): read by a thread's page, the
list's selection toolbar and the inbox's page statement."""

COLLEAGUES = """
SELECT id, display_name FROM agent
WHERE workspace_id = $1 AND active AND roles && ARRAY['agent', 'lead']::text[]
ORDER BY display_name, id
"""
TEAMS = "SELECT id, name FROM team WHERE workspace_id = $1 ORDER BY name, id"
