"""Explaining a thread's SLA clocks: for the thread view and the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inbox.domain.clock import Clock
from inbox.domain.desk import SlaFacts
from inbox.domain.errors import NotFoundError
from inbox.ports.sla import SlaQuery
from inbox.usecases.sla import KeepClocks
from sla.explain import Suspension, explain


class ExplainThreadSla:
    def __init__(self, query: SlaQuery, rules: KeepClocks, *, clock: Clock) -> None:
        self._query = query
        self._rules = rules
        self._clock = clock

    async def __call__(
        self, workspace_id: int, thread_id: int, time_zone: str | None = None
    ) -> list[dict[str, Any]]:
        """Each clock explained; its summary's times in `time_zone` (the reader's, labelled),
        else in its calendar's."""
        clocks = await self._query.thread_clocks(workspace_id, thread_id)
        if not clocks:
            raise NotFoundError("SLA clocks of thread", thread_id)
        settings = await self._query.sla_settings(workspace_id)
        rules = self._rules.rules_for(workspace_id, settings)
        windows = (
            await self._query.major_incident_windows(workspace_id, [thread_id])
            if rules.suspends
            else []
        )
        return self.explained(
            workspace_id, SlaFacts(tuple(clocks), settings, tuple(windows)), time_zone
        )

    def explained(
        self, workspace_id: int, facts: SlaFacts, time_zone: str | None = None
    ) -> list[dict[str, Any]]:
        """The clocks of `facts` explained (none for none), as read with the thread."""
        rules = self._rules.rules_for(workspace_id, facts.settings)
        now = self._clock()
        windows = (
            [Suspension(w.incident_id, w.started_at, w.ended_at) for w in facts.windows]
            if rules.suspends
            else []
        )
        # By name, as stored: the policy each clock ran under says whether it was suspended.
        suspending = {
            p.name for p in rules.book.policies.values() if p.suspend_during_major_incidents
        }
        reader_zone = _zone(time_zone)
        explained = []
        for clock in facts.clocks:
            calendar = rules.calendars.get(clock.calendar)
            if calendar is None:  # the calendar was renamed since: explain what is stored
                calendar = next(iter(rules.calendars.values()))
            why = explain(
                calendar,
                started_at=clock.started_at,
                deadline=clock.deadline,
                stopped_at=clock.stopped_at,
                budget=timedelta(seconds=clock.budget_seconds),
                now=now,
                suspensions=windows if clock.policy in suspending else (),
                reader_zone=reader_zone,
            )
            explained.append(
                {
                    "kind": clock.kind,
                    "policy": clock.policy,
                    "calendar": clock.calendar,
                    "state": why.state,
                    "started_at": clock.started_at.isoformat(),
                    "deadline": clock.deadline.isoformat() if clock.deadline else None,
                    "warn_at": clock.warn_at.isoformat() if clock.warn_at else None,
                    "stopped_at": clock.stopped_at.isoformat() if clock.stopped_at else None,
                    "target_minutes": clock.budget_seconds // 60,
                    "business_minutes": round(why.business_elapsed.total_seconds() / 60, 1),
                    "customer_wait_minutes": round(why.wall_elapsed.total_seconds() / 60, 1),
                    "windows": [[a.isoformat(), b.isoformat()] for a, b in why.windows],
                    "holidays": [d.isoformat() for d in why.holidays],
                    "suspensions": [
                        {
                            "incident_id": s.incident_id,
                            "from": s.started_at.isoformat(),
                            "to": s.ended_at.isoformat() if s.ended_at else None,
                        }
                        for s in why.suspensions
                    ],
                    "summary": why.summary,
                }
            )
        return explained


def _zone(name: str | None) -> ZoneInfo | None:
    """The reader's zone; None (the calendar's) when there is none or it cannot be read."""
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None
