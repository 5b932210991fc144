"""An agent's presence in SQL: what they chose (available, busy, away) and whether they are
on shift, read where routing decides and where the person's own pages show it."""

from __future__ import annotations

from typing import Any

from inbox.domain.presence import AgentStatus, Presence

# Agent `a` is on shift when their own flag says so and, if they belong to teams, one of
# their teams' calendars is open now (`team.shift_open`, kept by the worker's shift pass).
ON_SHIFT = """(a.on_shift AND coalesce(
    (SELECT bool_or(tm.shift_open) FROM team_member m
     JOIN team tm ON tm.workspace_id = m.workspace_id AND tm.id = m.team_id
     WHERE m.workspace_id = a.workspace_id AND m.agent_id = a.id), true))"""

# The columns `presence` reads, of agent `a`.
PRESENCE_COLUMNS = f"a.away, a.busy, {ON_SHIFT} AS on_shift"


def presence(row: Any) -> Presence:
    """Away wins over busy: an admin may set someone away whatever they chose."""
    if row["away"]:
        status = AgentStatus.AWAY
    elif row["busy"]:
        status = AgentStatus.BUSY
    else:
        status = AgentStatus.AVAILABLE
    return Presence(status, bool(row["on_shift"]))
