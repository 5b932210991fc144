"""SLA reports by SQL over the clocks: both clocks, in and out of hours, medians and p90."""

from __future__ import annotations

from datetime import datetime

from inbox.domain.sla import SlaReportRow
from inbox.store.database import Reads
from inbox.store.thread_sql import AWAITING_ANSWER_SQL

# The grouping column of each report dimension (a fixed list: nothing from the request
# reaches the SQL text).
DIMENSIONS = {
    "day": "(c.started_at AT TIME ZONE $4)::date::text",
    "network": "t.network",
    "team": "coalesce(t.team_id::text, 'none')",
    # The person holding the thread, named and numbered (two people may share a name).
    "agent": "coalesce((SELECT a.display_name || ' (#' || a.id || ')' FROM agent a"
    " WHERE a.workspace_id = t.workspace_id AND a.id = t.assignee_id), 'unassigned')",
    "total": "'all'",
}

WAIT = "extract(epoch FROM c.stopped_at - c.started_at)"
REPORT = """
SELECT {dimension} AS key,
       count(*) AS clocks,
       count(*) FILTER (WHERE c.stopped_at IS NOT NULL) AS answered,
       count(*) FILTER (WHERE c.outcome = 'met') AS met,
       count(*) FILTER (WHERE c.outcome = 'breached'
                           OR (c.stopped_at IS NULL AND c.deadline < $5)) AS breached,
       count(*) FILTER (WHERE c.stopped_at IS NULL) AS running,
       count(*) FILTER (WHERE {wait} <= 3600) AS within_hour,
       count(*) FILTER (WHERE c.arrived_in_hours) AS arrived_in_hours,
       count(*) FILTER (WHERE c.arrived_in_hours AND {wait} <= 3600) AS within_hour_in_hours,
       count(*) FILTER (WHERE NOT c.arrived_in_hours) AS arrived_out_of_hours,
       count(*) FILTER (WHERE NOT c.arrived_in_hours AND {wait} <= 3600)
           AS within_hour_out_of_hours,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY c.business_seconds) AS business_median_s,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY c.business_seconds) AS business_p90_s,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY {wait}) AS wait_median_s,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY {wait}) AS wait_p90_s
FROM sla_clock c
JOIN thread t ON t.workspace_id = c.workspace_id AND t.id = c.thread_id
WHERE c.workspace_id = $1 AND c.started_at >= $2 AND c.started_at < $3
  AND c.kind IN ('first_response', 'next_response')
  AND c.outcome IS DISTINCT FROM 'excluded'
  AND $4::text IS NOT NULL  -- the zone is used by the day grouping only; typed for the rest
  AND ($6::bigint IS NULL OR t.assignee_id = $6)  -- one person's threads (their own page)
GROUP BY 1
ORDER BY 1
"""


class PgSlaReports:
    def __init__(self, db: Reads) -> None:
        self._db = db

    async def report(
        self,
        workspace_id: int,
        dimension: str,
        since: datetime,
        until: datetime,
        time_zone: str,
        now: datetime,
        assignee_id: int | None = None,
    ) -> list[SlaReportRow]:
        query = REPORT.format(dimension=DIMENSIONS[dimension], wait=WAIT)
        async with self._db.connection() as conn:
            rows = await conn.fetch(query, workspace_id, since, until, time_zone, now, assignee_id)
        return [SlaReportRow(**dict(row)) for row in rows]


GAUGES = """
SELECT count(*) FILTER (WHERE stopped_at IS NULL) AS running,
       count(*) FILTER (WHERE stopped_at IS NULL AND deadline > $2
                          AND deadline <= $2 + interval '15 minutes') AS at_risk_15m,
       count(*) FILTER (WHERE stopped_at IS NULL AND deadline <= $2) AS overdue
FROM sla_clock
WHERE workspace_id = $1 AND stopped_at IS NULL
"""
# Queue health: customers waiting for an answer by how long they have waited (their running
# response clocks, whatever the calendar), and open threads nobody holds.
AGES = """
count(*) FILTER (WHERE age < interval '15 minutes') AS waiting_under_15m,
       count(*) FILTER (WHERE age >= interval '15 minutes' AND age < interval '1 hour')
           AS waiting_15m_to_1h,
       count(*) FILTER (WHERE age >= interval '1 hour' AND age < interval '4 hours')
           AS waiting_1h_to_4h,
       count(*) FILTER (WHERE age >= interval '4 hours' AND age < interval '1 day')
           AS waiting_4h_to_1d,
       count(*) FILTER (WHERE age >= interval '1 day') AS waiting_over_1d"""
QUEUE = f"""
SELECT {AGES},
       (SELECT count(*) FROM thread WHERE workspace_id = $1 AND assignee_id IS NULL
          AND status IN {AWAITING_ANSWER_SQL}) AS unassigned
FROM (SELECT $2::timestamptz - started_at AS age FROM sla_clock
      WHERE workspace_id = $1 AND stopped_at IS NULL
        AND kind IN ('first_response', 'next_response')) waiting
"""  # noqa: S608 (constants only)
# The same for the customers waiting on one person's threads (their own page).
WAITING_ON = f"""
SELECT {AGES}
FROM (SELECT $2::timestamptz - c.started_at AS age FROM sla_clock c
      JOIN thread t ON t.workspace_id = c.workspace_id AND t.id = c.thread_id
      WHERE c.workspace_id = $1 AND c.stopped_at IS NULL
        AND c.kind IN ('first_response', 'next_response') AND t.assignee_id = $3) waiting
"""  # noqa: S608 (constants only)
# Warnings and breaches fired so far: counted by the timer as it fires them (counting the
# events themselves read every one ever fired, at each scrape).
EVENTS = "SELECT kind, fired AS n FROM sla_event_count WHERE workspace_id = $1"


class PgSlaGauges:
    """What the metrics show of the SLA right now."""

    def __init__(self, db: Reads) -> None:
        self._db = db

    async def gauges(self, workspace_id: int, now: datetime) -> dict[str, int]:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(GAUGES, workspace_id, now)
            queue = await conn.fetchrow(QUEUE, workspace_id, now)
            events = {r["kind"]: r["n"] for r in await conn.fetch(EVENTS, workspace_id)}
        assert row is not None
        assert queue is not None
        return {
            **{key: int(value) for key, value in dict(queue).items()},
            "running": row["running"],
            "at_risk_15m": row["at_risk_15m"],
            "overdue": row["overdue"],
            "warnings_fired": events.get("warning", 0),
            "breaches_fired": events.get("breach", 0),
        }

    async def waiting_on(self, workspace_id: int, now: datetime, agent_id: int) -> dict[str, int]:
        """The customers waiting on one person's threads, by how long they have waited."""
        async with self._db.connection() as conn:
            row = await conn.fetchrow(WAITING_ON, workspace_id, now, agent_id)
        assert row is not None
        return {key: int(value) for key, value in dict(row).items()}
