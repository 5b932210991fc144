"""Adoption figures by SQL over what the product keeps anyway: outbox items, notes,
assignments and closures (who acted, when), and the brand's own posts seen by the connectors
(see inbox/domain/adoption.py for what counts). Set-based: one statement each, grouped by the
reader's weeks in the database."""

from __future__ import annotations

from datetime import datetime

from inbox.domain.adoption import AnswerWeek, PersonWeeks, Team, TeamWeek, WeekSpan
from inbox.store.database import Reads

# The roles of the people counted: those who work threads (community members answer through
# staff, who review every answer).
STAFF_ROLES = ["agent", "lead", "ops", "admin"]

# Every act of a person on a thread between $2 and $3, with who did it. An agent's reply is
# keyed `reply:{agent}:…` by the replies use case; an assignment made by a person is a claim,
# a thread taken by hand (the taker is the assignee), or one given by someone ("assigned by
# agent N": the giver acted); a closure of theirs is `agent:{id}`. Routing's own assignments
# and the API's closures name no person and count for nobody.
_ACTS = r"""
acts AS (
    SELECT substring(o.idempotency_key FROM '^reply:([0-9]{1,18}):')::bigint AS agent_id,
           o.created_at AS at
    FROM outbox_item o
    WHERE o.workspace_id = $1 AND o.created_at >= $2 AND o.created_at < $3
      AND o.kind IN ('reply', 'direct_message') AND o.idempotency_key LIKE 'reply:%'
    UNION ALL
    SELECT n.author_agent_id, n.created_at
    FROM note n
    WHERE n.workspace_id = $1 AND n.created_at >= $2 AND n.created_at < $3
    UNION ALL
    SELECT coalesce(
               substring(a.reasons->>0 FROM '^assigned by agent ([0-9]{1,18})$')::bigint,
               CASE WHEN a.source = 'claim' OR a.reasons->>0 = 'taken by hand'
                    THEN a.agent_id END),
           a.at
    FROM assignment a
    WHERE a.workspace_id = $1 AND a.at >= $2 AND a.at < $3 AND a.source IN ('claim', 'manual')
    UNION ALL
    SELECT substring(c.closed_by FROM '^agent:([0-9]{1,18})$')::bigint, c.at
    FROM thread_closure c
    WHERE c.workspace_id = $1 AND c.at >= $2 AND c.at < $3
), weekly AS (
    -- the reader's weeks: Monday at midnight in their zone ($4)
    SELECT DISTINCT acts.agent_id, date_trunc('week', acts.at AT TIME ZONE $4)::date AS week
    FROM acts
    JOIN agent p ON p.workspace_id = $1 AND p.id = acts.agent_id
)"""

# People active per team and week. Someone who has left (their account off) still counts
# for the weeks they were active, and in that week's headcount (`departed`).
ACTIVE_BY_TEAM = f"""
WITH {_ACTS}
SELECT w.week, tm.team_id, count(DISTINCT w.agent_id) AS active,
       count(DISTINCT w.agent_id) FILTER (WHERE NOT p.active) AS departed
FROM weekly w
JOIN agent p ON p.workspace_id = $1 AND p.id = w.agent_id
LEFT JOIN team_member tm ON tm.workspace_id = $1 AND tm.agent_id = w.agent_id
GROUP BY 1, 2
ORDER BY 1, 2
"""  # noqa: S608 (constants only)

# Each person's weeks: read only where the workspace turned comparisons on.
WEEKS_BY_PERSON = f"""
WITH {_ACTS}
SELECT p.id AS agent_id, p.display_name AS name,
       coalesce(array_agg(w.week ORDER BY w.week) FILTER (WHERE w.week IS NOT NULL), '{{}}')
           AS weeks
FROM agent p
LEFT JOIN weekly w ON w.agent_id = p.id
WHERE p.workspace_id = $1 AND p.roles && $5::text[]
  AND (p.active OR w.week IS NOT NULL)
  AND ($6::bigint IS NULL OR p.id = $6)
GROUP BY p.id, p.display_name
ORDER BY p.display_name, p.id
"""  # noqa: S608 (constants only)

# The teams and how many active people of the staff each has now; people in no team as one
# group (no id).
TEAMS = """
SELECT t.id AS team_id, t.name,
       count(p.id) AS members
FROM team t
LEFT JOIN team_member tm ON tm.workspace_id = t.workspace_id AND tm.team_id = t.id
LEFT JOIN agent p ON p.workspace_id = tm.workspace_id AND p.id = tm.agent_id
 AND p.active AND p.roles && $2::text[]
WHERE t.workspace_id = $1
GROUP BY t.id, t.name
UNION ALL
SELECT NULL, '', count(*)
FROM agent p
WHERE p.workspace_id = $1 AND p.active AND p.roles && $2::text[]
  AND NOT EXISTS (SELECT 1 FROM team_member tm
                  WHERE tm.workspace_id = p.workspace_id AND tm.agent_id = p.id)
ORDER BY 2, 1
"""

# The brand's public answers per week and network: its accounts' posts replying to another
# post (automated acknowledgements and private messages aside), and those an outbox item
# sent. The rest were written straight on the network.
ANSWERS = """
SELECT date_trunc('week', m.created_at AT TIME ZONE $4)::date AS week, m.network,
       count(*) AS answers,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM outbox_item o
           WHERE o.workspace_id = m.workspace_id AND o.network = m.network
             AND o.sent_external_id = m.external_id)) AS through_inbox
FROM mention m
WHERE m.workspace_id = $1 AND m.direction = 'outbound'
  AND m.created_at >= $2 AND m.created_at < $3
  AND m.in_reply_to IS NOT NULL AND NOT m.automated AND NOT m.private
GROUP BY 1, 2
ORDER BY 1, 2
"""

# When the workspace started: its creation, or its first customer message waiting for an
# answer if that is earlier (history imported into a new workspace).
STARTED = """
SELECT least(w.created_at,
             (SELECT min(c.started_at) FROM sla_clock c WHERE c.workspace_id = w.workspace_id))
FROM workspace w WHERE w.workspace_id = $1
"""


def _bounds(span: WeekSpan) -> tuple[datetime, datetime, str]:
    """$2, $3 and $4 of the weekly statements."""
    return span.since, span.until, span.time_zone


class PgAdoptionQuery:
    def __init__(self, db: Reads) -> None:
        self._db = db

    async def started(self, workspace_id: int) -> datetime | None:
        async with self._db.connection() as conn:
            found: datetime | None = await conn.fetchval(STARTED, workspace_id)
        return found

    async def teams(self, workspace_id: int) -> list[Team]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(TEAMS, workspace_id, STAFF_ROLES)
        return [Team(r["team_id"], r["name"], r["members"]) for r in rows]

    async def active_by_team(self, workspace_id: int, span: WeekSpan) -> list[TeamWeek]:
        rows = await self._db.fetch(ACTIVE_BY_TEAM, workspace_id, *_bounds(span))
        return [TeamWeek(r["team_id"], r["week"], r["active"], r["departed"]) for r in rows]

    async def weeks_by_person(
        self, workspace_id: int, span: WeekSpan, agent_id: int | None = None
    ) -> list[PersonWeeks]:
        rows = await self._db.fetch(
            WEEKS_BY_PERSON, workspace_id, *_bounds(span), STAFF_ROLES, agent_id
        )
        return [PersonWeeks(r["agent_id"], r["name"], frozenset(r["weeks"])) for r in rows]

    async def answers(self, workspace_id: int, span: WeekSpan) -> list[AnswerWeek]:
        rows = await self._db.fetch(ANSWERS, workspace_id, *_bounds(span))
        return [AnswerWeek(r["week"], r["network"], r["answers"], r["through_inbox"]) for r in rows]
