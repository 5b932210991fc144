"""Adoption figures by SQL over what the product keeps anyway: outbox items, notes,
assignments and closures (who acted, when), and the brand's own posts seen by the connectors
(see inbox/domain/adoption.py for what counts). Set-based: one statement each, grouped by the
reader's weeks in the database.

What has settled is read from roll-ups that a periodic pass of the worker keeps (acts by UTC
day, answers by quarter hour), and only what came after their marks is read as it is: a
view costs the roll-ups of a year and a day of acts, not a year of acts and answers."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from inbox.domain.adoption import AnswerWeek, PersonWeeks, Team, TeamWeek, WeekSpan
from inbox.store.database import Database, Reads

# The roles of the people counted: those who work threads (community members answer through
# staff, who review every answer).
STAFF_ROLES = ["agent", "lead", "ops", "admin"]

# Every act of a person on a thread from {since} to $3, with who did it. An agent's reply is
# keyed `reply:{agent}:…` by the replies use case; an assignment made by a person is a claim,
# a thread taken by hand (the taker is the assignee), or one given by someone ("assigned by
# agent N": the giver acted); a closure of theirs is `agent:{id}`. Routing's own assignments
# and the API's closures name no person and count for nobody.
_RAW_ACTS = r"""
    SELECT substring(o.idempotency_key FROM '^reply:([0-9]{{1,18}}):')::bigint AS agent_id,
           o.created_at AS at
    FROM outbox_item o
    WHERE o.workspace_id = $1 AND o.created_at >= {since} AND o.created_at < $3
      AND o.kind IN ('reply', 'direct_message') AND o.idempotency_key LIKE 'reply:%'
    UNION ALL
    SELECT n.author_agent_id, n.created_at
    FROM note n
    WHERE n.workspace_id = $1 AND n.created_at >= {since} AND n.created_at < $3
    UNION ALL
    SELECT coalesce(
               substring(a.reasons->>0 FROM '^assigned by agent ([0-9]{{1,18}})$')::bigint,
               CASE WHEN a.source = 'claim' OR a.reasons->>0 = 'taken by hand'
                    THEN a.agent_id END),
           a.at
    FROM assignment a
    WHERE a.workspace_id = $1 AND a.at >= {since} AND a.at < $3
      AND a.source IN ('claim', 'manual')
    UNION ALL
    SELECT substring(c.closed_by FROM '^agent:([0-9]{{1,18}})$')::bigint, c.at
    FROM thread_closure c
    WHERE c.workspace_id = $1 AND c.at >= {since} AND c.at < $3"""

# The acts of the weeks from $2 to $3: those rolled up by day (`adoption_act_day`, before the
# roll-up's mark) and those since, read as they are. A day's row keeps its first and last act:
# a day holds one week boundary at most, whatever the reader's zone, so the weeks of its
# first and last act are all the weeks it was active in.
_ACTS = f"""
mark AS (
    SELECT greatest($2::timestamptz, (SELECT acts_until FROM adoption_rollup
                                      WHERE workspace_id = $1)) AS since
), acts AS (
    SELECT r.agent_id, x.at
    FROM adoption_act_day r
    CROSS JOIN LATERAL (VALUES (r.first_at), (r.last_at)) x (at)
    WHERE r.workspace_id = $1
      AND r.day >= ($2::timestamptz AT TIME ZONE 'UTC')::date
      AND r.day <= ($3::timestamptz AT TIME ZONE 'UTC')::date
      AND x.at >= $2 AND x.at < $3
    UNION ALL
    {_RAW_ACTS.format(since="(SELECT since FROM mark)")}
), weekly AS (
    -- the reader's weeks: Monday at midnight in their zone ($4)
    SELECT DISTINCT acts.agent_id, date_trunc('week', acts.at AT TIME ZONE $4)::date AS week
    FROM acts
    JOIN agent p ON p.workspace_id = $1 AND p.id = acts.agent_id
)"""  # noqa: S608 (constants only)

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

# The brand's public answers: its accounts' posts replying to another post (automated
# acknowledgements and private messages aside), and whether an outbox item sent each. The
# rest were written straight on the network.
_ANSWERED = """
m.workspace_id = $1 AND m.direction = 'outbound'
  AND m.in_reply_to IS NOT NULL AND NOT m.automated AND NOT m.private"""
_THROUGH_INBOX = """EXISTS (
    SELECT 1 FROM outbox_item o
    WHERE o.workspace_id = m.workspace_id AND o.network = m.network
      AND o.sent_external_id = m.external_id)"""

# The answers per week and network, from $2 to $3: the quarter hours rolled up (what arrived
# before the roll-up's mark, `adoption_answer_slot`) and what arrived since, read as it is.
# Every zone in use today is a whole number of quarter hours from UTC, so a quarter hour
# never straddles the reader's weeks.
ANSWERS = f"""
SELECT week, network, sum(answers)::bigint AS answers,
       sum(through_inbox)::bigint AS through_inbox
FROM (
    SELECT date_trunc('week', s.slot AT TIME ZONE $4)::date AS week, s.network,
           s.answers, s.through_inbox
    FROM adoption_answer_slot s
    WHERE s.workspace_id = $1 AND s.slot >= $2 AND s.slot < $3
    UNION ALL
    SELECT date_trunc('week', m.created_at AT TIME ZONE $4)::date, m.network,
           1, CASE WHEN {_THROUGH_INBOX} THEN 1 ELSE 0 END
    FROM mention m
    WHERE {_ANSWERED}
      AND m.ingested_at >= coalesce((SELECT answers_until FROM adoption_rollup
                                     WHERE workspace_id = $1), '-infinity')
      AND m.created_at >= $2 AND m.created_at < $3
) answered
GROUP BY 1, 2
ORDER BY 1, 2
"""  # noqa: S608 (constants only)

# When the workspace started: its creation, or its first customer message waiting for an
# answer if that is earlier (history imported into a new workspace).
STARTED = """
SELECT least(w.created_at,
             (SELECT min(c.started_at) FROM sla_clock c WHERE c.workspace_id = w.workspace_id))
FROM workspace w WHERE w.workspace_id = $1
"""


# The roll-ups: what the panel would read again at every view, kept by a periodic pass (not by
# the write paths: they stay as they are). Acts are rolled by whole UTC days up to a day's
# start (their times are when they were written); answers by arrival, as the connectors may
# bring an answer long after it was posted. Each pass adds what came since the last one.
MARK_ROW = """
INSERT INTO adoption_rollup (workspace_id) VALUES ($1) ON CONFLICT (workspace_id) DO NOTHING
"""
MARKS = """
SELECT acts_until, answers_until FROM adoption_rollup WHERE workspace_id = $1 FOR UPDATE
"""
ROLL_UP_ACTS = f"""
INSERT INTO adoption_act_day (workspace_id, day, agent_id, first_at, last_at)
SELECT $1, (acts.at AT TIME ZONE 'UTC')::date, acts.agent_id, min(acts.at), max(acts.at)
FROM ({_RAW_ACTS.format(since="$2")}) acts
WHERE acts.agent_id IS NOT NULL
GROUP BY 2, 3
ON CONFLICT (workspace_id, day, agent_id) DO UPDATE
SET first_at = least(adoption_act_day.first_at, excluded.first_at),
    last_at = greatest(adoption_act_day.last_at, excluded.last_at)
"""  # noqa: S608 (constants only)
ROLL_UP_ANSWERS = f"""
INSERT INTO adoption_answer_slot (workspace_id, slot, network, answers, through_inbox)
SELECT $1, date_bin('15 minutes', m.created_at, timestamptz '2000-01-03 00:00+00'),
       m.network, count(*), count(*) FILTER (WHERE {_THROUGH_INBOX})
FROM mention m
WHERE {_ANSWERED} AND m.ingested_at >= $2 AND m.ingested_at < $3
GROUP BY 2, 3
ON CONFLICT (workspace_id, slot, network) DO UPDATE
SET answers = adoption_answer_slot.answers + excluded.answers,
    through_inbox = adoption_answer_slot.through_inbox + excluded.through_inbox
"""  # noqa: S608 (constants only)
FORGET_ROLL_UPS = (
    "DELETE FROM adoption_act_day WHERE workspace_id = $1",
    "DELETE FROM adoption_answer_slot WHERE workspace_id = $1",
    "DELETE FROM adoption_rollup WHERE workspace_id = $1",
)
MOVE_MARKS = """
UPDATE adoption_rollup SET acts_until = $2, answers_until = $3, rolled_at = now()
WHERE workspace_id = $1
"""
# What is younger than this is left to be read as it is: a reply's sent id is recorded, and
# a transaction that started before the mark has committed, well within it.
SETTLE = timedelta(hours=1)
EARLIEST = datetime.min.replace(tzinfo=UTC)


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


class PgAdoptionRollUp:
    """The weekly panel's roll-ups, brought up to date by a periodic pass."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def roll_up(self, workspace_id: int, settled_before: datetime) -> None:
        """Adds the acts of the whole UTC days and the answers that arrived before
        `settled_before` (the caller's now less SETTLE) not rolled up yet. Two passes at once
        wait for each other: nothing is added twice."""
        acts_until = datetime.combine(settled_before.astimezone(UTC).date(), time(), UTC)
        async with self._db.transaction() as conn:
            await conn.execute(MARK_ROW, workspace_id)
            marks = await conn.fetchrow(MARKS, workspace_id)
            assert marks is not None  # inserted just above
            acts_from = marks["acts_until"] or EARLIEST
            answers_from = marks["answers_until"] or EARLIEST
            acts_until = max(acts_until, acts_from)
            answers_until = max(settled_before, answers_from)
            if acts_until > acts_from:
                await conn.execute(ROLL_UP_ACTS, workspace_id, acts_from, acts_until)
            if answers_until > answers_from:
                await conn.execute(ROLL_UP_ANSWERS, workspace_id, answers_from, answers_until)
            await conn.execute(MOVE_MARKS, workspace_id, acts_until, answers_until)

    async def rebuild(self, workspace_id: int, settled_before: datetime) -> None:
        """The roll-ups made again from everything: after history was loaded beneath them
        (the acts before their mark are not read again otherwise)."""
        async with self._db.transaction() as conn:
            for statement in FORGET_ROLL_UPS:
                await conn.execute(statement, workspace_id)
        await self.roll_up(workspace_id, settled_before)
