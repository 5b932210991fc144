"""Fired SLA events waiting to be dispatched: to the people alerted and to webhooks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inbox.domain.sla import SlaEvent


@dataclass(frozen=True, slots=True)
class PendingSlaEvent(SlaEvent):
    """A warning or breach that fired, with what deciding its recipients needs."""

    clock_kind: str
    calendar: str
    policy: str
    started_at: datetime
    deadline: datetime | None
    assignee_id: int | None
    team_id: int | None
    network: str


@dataclass(frozen=True, slots=True)
class PendingShiftReport:
    workspace_id: int
    calendar: str
    closes_at: datetime
    running: list[dict[str, object]]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SlaDispatch:
    """What one event becomes: alerts to people and one webhook payload (JSON text)."""

    workspace_id: int
    event_key: str
    event_kind: str
    payload: str
    event_id: int = 0
    out_of_hours: bool = False
    recipients: tuple[tuple[int, str], ...] = ()
    calendar: str = ""
    closes_at: datetime | None = None
