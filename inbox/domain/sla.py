"""SLA clocks as stored: the shapes the store and the SLA use cases exchange."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from inbox.domain.network import Network
from inbox.domain.thread import Priority, ThreadKind


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime  # the network's timestamp
    inbound: bool
    qualifying: bool = True
    closes: bool = False  # a closure without answer, not a message


@dataclass(frozen=True, slots=True)
class ThreadTimeline:
    """What clocks are derived from: the thread's facts and its messages."""

    thread_id: int
    network: Network
    kind: ThreadKind
    priority: Priority
    team_id: int | None
    vip: bool
    messages: list[TimelineEntry] = field(default_factory=list)
    language: str | None = None  # of the customer's messages, when known


@dataclass(frozen=True, slots=True)
class MajorIncidentWindow:
    """While an incident a thread is linked to was declared major: from its declaration (or
    its opening as major) until it closed or was no longer major; no end while in force."""

    thread_id: int
    incident_id: int
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredClock:
    thread_id: int
    kind: str
    started_at: datetime
    stopped_at: datetime | None
    policy: str
    calendar: str
    config_version: int
    budget_seconds: int
    deadline: datetime | None
    warn_at: datetime | None
    outcome: str | None = None
    business_seconds: int | None = None  # business time run, once stopped
    arrived_in_hours: bool | None = None


@dataclass(frozen=True, slots=True)
class SlaSettings:
    """A workspace's calendars and policy book, as stored (JSON), with their version."""

    version: int
    calendars: dict[str, object]
    policies: dict[str, object]


@dataclass(frozen=True, slots=True)
class SlaEvent:
    """A warning or a breach, fired once per clock."""

    workspace_id: int
    id: int
    clock_id: int
    thread_id: int
    kind: str  # "warning" | "breach"
    due_at: datetime
    fired_at: datetime


@dataclass(frozen=True, slots=True)
class SlaReportRow:
    """Response clocks of one group: the team's contract and the customers' real wait."""

    key: str
    clocks: int
    answered: int
    met: int
    breached: int
    running: int
    within_hour: int
    arrived_in_hours: int
    within_hour_in_hours: int
    arrived_out_of_hours: int
    within_hour_out_of_hours: int
    business_median_s: float | None
    business_p90_s: float | None
    wait_median_s: float | None
    wait_p90_s: float | None


REPORT_DIMENSIONS = ("day", "network", "team", "agent", "total")


def person_key(name: str, agent_id: int) -> str:
    """How the "agent" dimension of a report names a person."""
    return f"{name} (#{agent_id})"
