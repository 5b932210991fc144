"""Dispatching fired SLA events: the people alerted and the webhook deliveries, set-based."""

from __future__ import annotations

import json
from collections.abc import Sequence

from inbox.domain.sla_alerts import PendingShiftReport, PendingSlaEvent, SlaDispatch
from inbox.store.database import Database
from sla.alerts import Person

PENDING_EVENTS = """
SELECT e.workspace_id, e.id, e.clock_id, e.thread_id, e.kind, e.due_at, e.fired_at,
       c.kind AS clock_kind, c.calendar, c.policy, c.started_at, c.deadline,
       t.assignee_id, t.team_id, t.network
FROM sla_event e
JOIN sla_clock c ON c.workspace_id = e.workspace_id AND c.id = e.clock_id
JOIN thread t ON t.workspace_id = e.workspace_id AND t.id = e.thread_id
WHERE e.dispatched_at IS NULL
ORDER BY e.fired_at, e.id
LIMIT $1
"""

PENDING_SHIFT_REPORTS = """
SELECT workspace_id, calendar, closes_at, running, created_at
FROM sla_shift_report WHERE dispatched_at IS NULL
ORDER BY created_at LIMIT $1
"""

PEOPLE = """
SELECT a.id, a.email, 'lead' = ANY(a.roles) OR 'admin' = ANY(a.roles) AS lead, a.active,
       coalesce(array_agg(m.team_id) FILTER (WHERE m.team_id IS NOT NULL), '{}') AS team_ids
FROM agent a
LEFT JOIN team_member m ON m.workspace_id = a.workspace_id AND m.agent_id = a.id
WHERE a.workspace_id = $1
GROUP BY a.id, a.email, a.roles, a.active
"""

RECORD_ALERTS = """
INSERT INTO sla_alert (workspace_id, event_id, agent_id, reason, out_of_hours)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::boolean[])
ON CONFLICT DO NOTHING
"""

# Each event goes to every active webhook of its workspace subscribed to its kind, its family
# (`sla.*`) or everything; a repeat of the same event finds its delivery already queued.
QUEUE_DELIVERIES = """
INSERT INTO webhook_delivery (workspace_id, webhook_id, event_key, event_kind, payload,
                              next_attempt_at)
SELECT w.workspace_id, w.id, d.event_key, d.event_kind, d.payload::jsonb,
       '-infinity'::timestamptz  -- due at once, whatever the sender's clock says
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])
     AS d(workspace_id, event_key, event_kind, payload)
JOIN webhook w ON w.workspace_id = d.workspace_id AND w.active
 AND (d.event_kind = ANY(w.events) OR '*' = ANY(w.events)
      OR split_part(d.event_kind, '.', 1) || '.*' = ANY(w.events))
ON CONFLICT (workspace_id, webhook_id, event_key) DO NOTHING
"""

MARK_EVENTS = """
UPDATE sla_event SET dispatched_at = now()
FROM unnest($1::bigint[], $2::bigint[]) AS d(workspace_id, id)
WHERE sla_event.workspace_id = d.workspace_id AND sla_event.id = d.id
"""
MARK_SHIFT_REPORTS = """
UPDATE sla_shift_report SET dispatched_at = now()
FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS d(workspace_id, calendar, closes_at)
WHERE sla_shift_report.workspace_id = d.workspace_id
  AND sla_shift_report.calendar = d.calendar AND sla_shift_report.closes_at = d.closes_at
"""

NOTIFY_ALERTS = "SELECT pg_notify('inbox_sla_alerts', $1)"
NOTIFY_WEBHOOKS = "SELECT pg_notify('inbox_webhooks', '')"


class PgSlaDispatchStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def pending_events(self, limit: int = 500) -> list[PendingSlaEvent]:
        rows = await self._db.fetch(PENDING_EVENTS, limit)
        return [PendingSlaEvent(**dict(row)) for row in rows]

    async def pending_shift_reports(self, limit: int = 100) -> list[PendingShiftReport]:
        rows = await self._db.fetch(PENDING_SHIFT_REPORTS, limit)
        return [
            PendingShiftReport(
                workspace_id=row["workspace_id"],
                calendar=row["calendar"],
                closes_at=row["closes_at"],
                running=json.loads(row["running"]),
                created_at=row["created_at"],
            )
            for row in rows
        ]

    async def people(self, workspace_id: int) -> list[Person]:
        rows = await self._db.fetch(PEOPLE, workspace_id)
        return [
            Person(
                agent_id=row["id"],
                email=row["email"],
                lead=row["lead"],
                team_ids=frozenset(row["team_ids"]),
                active=row["active"],
            )
            for row in rows
        ]

    async def record(
        self, events: Sequence[SlaDispatch], shift_reports: Sequence[SlaDispatch] = ()
    ) -> None:
        """Alerts, deliveries and the dispatched marks in one transaction: all or nothing,
        and a repeat (after a crash between firing and dispatching) adds nothing."""
        alerts = [
            (d.workspace_id, d.event_id, agent_id, reason, d.out_of_hours)
            for d in events
            for agent_id, reason in d.recipients
        ]
        everything = [*events, *shift_reports]
        async with self._db.transaction() as conn:
            if alerts:
                await conn.execute(RECORD_ALERTS, *map(list, zip(*alerts, strict=True)))
            if everything:
                await conn.execute(
                    QUEUE_DELIVERIES,
                    [d.workspace_id for d in everything],
                    [d.event_key for d in everything],
                    [d.event_kind for d in everything],
                    [d.payload for d in everything],
                )
                await conn.execute(NOTIFY_WEBHOOKS)
            if events:
                await conn.execute(
                    MARK_EVENTS, [d.workspace_id for d in events], [d.event_id for d in events]
                )
            if shift_reports:
                await conn.execute(
                    MARK_SHIFT_REPORTS,
                    [d.workspace_id for d in shift_reports],
                    [d.calendar for d in shift_reports],
                    [d.closes_at for d in shift_reports],
                )
            if alerts:
                notice = [
                    {"workspace_id": ws, "event_id": ev, "agent_id": agent, "reason": why}
                    for ws, ev, agent, why, _ in alerts[:100]
                ]
                await conn.execute(NOTIFY_ALERTS, json.dumps(notice))
