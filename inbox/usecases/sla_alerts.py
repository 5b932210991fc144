"""Dispatching fired SLA events: alerts to the right people, payloads to webhooks.

Firing records an event once; dispatching runs after it, in a transaction of its own, and
picks up whatever a crash left undispatched. Recipients follow `sla.alerts.plan_alert`: out
of hours, only the calendar's on-call people.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, TypedDict, Unpack

from inbox.domain.sla import SlaSettings
from inbox.domain.sla_alerts import PendingShiftReport, PendingSlaEvent, SlaDispatch
from inbox.ports.sla import SlaDispatchStore, SlaQuery
from inbox.usecases.sla import KeepClocks
from inbox.usecases.sla_rules import DEFAULT_SETTINGS
from sla.alerts import AlertSubject, Person, on_call_of, plan_alert
from sla.calendar import WEEKDAYS, Calendar
from sla.calendar_config import calendar_from_config

log = logging.getLogger(__name__)

# A calendar removed from the settings since its clock started: alert as if in hours.
_ALWAYS = calendar_from_config(
    {"tz": "UTC", "weekly": {day: [["00:00", "24:00"]] for day in WEEKDAYS}}
)


class DispatchSlaEvents:
    def __init__(
        self,
        store: SlaDispatchStore,
        settings: SlaQuery,
        rules: KeepClocks,
        *,
        batch: int = 500,
    ) -> None:
        self._store = store
        self._settings = settings
        self._rules = rules
        self._batch = batch

    async def __call__(self) -> int:
        """Dispatch everything pending; returns how many events and lists were."""
        dispatched = 0
        settings: dict[int, SlaSettings] = {}
        people: dict[int, list[Person]] = {}
        while events := await self._store.pending_events(self._batch):
            dispatches = []
            for event in events:
                if event.workspace_id not in settings:
                    settings[event.workspace_id] = (
                        await self._settings.sla_settings(event.workspace_id) or DEFAULT_SETTINGS
                    )
                    people[event.workspace_id] = await self._store.people(event.workspace_id)
                dispatches.append(
                    self._event(event, settings[event.workspace_id], people[event.workspace_id])
                )
            await self._store.record(dispatches)
            dispatched += len(dispatches)
            alerted = sum(len(d.recipients) for d in dispatches)
            log.info(
                "sla events dispatched",
                extra={"action": "sla_dispatch", "events": len(dispatches), "alerts": alerted},
            )
        if reports := await self._store.pending_shift_reports():
            await self._store.record((), [_shift_report(report) for report in reports])
            dispatched += len(reports)
        return dispatched

    def _event(
        self, event: PendingSlaEvent, settings: SlaSettings, people: list[Person]
    ) -> SlaDispatch:
        calendar = self._calendar(event.workspace_id, settings, event.calendar)
        plan = plan_alert(
            AlertSubject(event.kind, event.fired_at, event.assignee_id, event.team_id),
            calendar,
            on_call_of(settings.calendars.get(event.calendar)),
            people,
        )
        return _dispatch(
            event.workspace_id,
            f"sla.{event.kind}",
            str(event.id),
            event.fired_at,
            {
                "thread_id": event.thread_id,
                "clock_id": event.clock_id,
                "clock": event.clock_kind,
                "policy": event.policy,
                "calendar": event.calendar,
                "network": event.network,
                "started_at": _iso(event.started_at),
                "due_at": _iso(event.due_at),
                "deadline": _iso(event.deadline),
                "out_of_hours": plan.out_of_hours,
                "alerted": [{"agent_id": a, "reason": r} for a, r in plan.recipients],
            },
            event_id=event.id,
            out_of_hours=plan.out_of_hours,
            recipients=plan.recipients,
        )

    def _calendar(self, workspace_id: int, settings: SlaSettings, name: str) -> Calendar:
        return self._rules.rules_for(workspace_id, settings).calendars.get(name, _ALWAYS)


def _shift_report(report: PendingShiftReport) -> SlaDispatch:
    return _dispatch(
        report.workspace_id,
        "sla.end_of_shift",
        f"{report.calendar}:{_iso(report.closes_at)}",
        report.created_at,
        {
            "calendar": report.calendar,
            "closes_at": _iso(report.closes_at),
            "running": report.running,
        },
        calendar=report.calendar,
        closes_at=report.closes_at,
    )


class _DispatchDetails(TypedDict, total=False):
    event_id: int
    out_of_hours: bool
    recipients: tuple[tuple[int, str], ...]
    calendar: str
    closes_at: datetime | None


def _dispatch(
    workspace_id: int,
    kind: str,
    name: str,
    occurred_at: datetime,
    data: dict[str, Any],
    **details: Unpack[_DispatchDetails],
) -> SlaDispatch:
    """The webhook envelope of `data`, keyed `kind:workspace:name` (one delivery per event),
    and the dispatch's `details` (who is alerted, the shift's calendar)."""
    key = f"{kind}:{workspace_id}:{name}"
    payload = {
        "id": key,
        "kind": kind,
        "workspace_id": workspace_id,
        "occurred_at": _iso(occurred_at),
        "data": data,
    }
    return SlaDispatch(
        workspace_id=workspace_id,
        event_key=key,
        event_kind=kind,
        payload=json.dumps(payload, ensure_ascii=False),
        **details,
    )


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()
