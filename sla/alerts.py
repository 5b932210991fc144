"""Who hears of a warning or a breach.

In hours, a warning goes to whoever holds the thread: its assignee, else its team, else the
leads (someone must see it). A breach goes there too, and to the leads: the escalation.
Out of hours (the calendar is closed when the event fires), alerts go only to whoever is on
call for that calendar, if anyone: nobody is woken who is not on call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sla.calendar import Calendar, is_open


@dataclass(frozen=True, slots=True)
class Person:
    agent_id: int
    email: str
    lead: bool
    team_ids: frozenset[int] = frozenset()
    active: bool = True


@dataclass(frozen=True, slots=True)
class AlertSubject:
    """The event and the thread it is about."""

    kind: str  # "warning" | "breach"
    at: datetime
    assignee_id: int | None
    team_id: int | None


@dataclass(frozen=True, slots=True)
class AlertPlan:
    out_of_hours: bool
    recipients: tuple[tuple[int, str], ...]  # (agent id, why: assignee, team, lead, on_call)


def plan_alert(
    subject: AlertSubject,
    calendar: Calendar,
    on_call: Iterable[str],
    people: Sequence[Person],
) -> AlertPlan:
    active = [p for p in people if p.active]
    chosen: dict[int, str] = {}
    if not is_open(calendar, subject.at):
        wanted = {email.strip().casefold() for email in on_call}
        for person in active:
            if person.email.casefold() in wanted:
                chosen.setdefault(person.agent_id, "on_call")
        return AlertPlan(True, tuple(chosen.items()))
    holders = _holders(subject, active)
    for agent_id, reason in holders:
        chosen.setdefault(agent_id, reason)
    if subject.kind == "breach" or not holders:
        for person in _leads(subject, active):
            chosen.setdefault(person.agent_id, "lead")
    return AlertPlan(False, tuple(chosen.items()))


def _holders(subject: AlertSubject, active: Sequence[Person]) -> list[tuple[int, str]]:
    if subject.assignee_id is not None and any(p.agent_id == subject.assignee_id for p in active):
        return [(subject.assignee_id, "assignee")]
    if subject.team_id is not None:
        return [(p.agent_id, "team") for p in active if subject.team_id in p.team_ids]
    return []


def _leads(subject: AlertSubject, active: Sequence[Person]) -> list[Person]:
    """The thread's team's leads, else every lead of the workspace."""
    leads = [p for p in active if p.lead]
    if subject.team_id is not None:
        of_team = [p for p in leads if subject.team_id in p.team_ids]
        if of_team:
            return of_team
    return leads


def on_call_of(calendar_config: object) -> tuple[str, ...]:
    """The `on_call` e-mail addresses of a calendar's settings (for a union, its members')."""
    if not isinstance(calendar_config, dict):
        return ()
    found: list[str] = []
    value = calendar_config.get("on_call", [])
    if isinstance(value, list):
        found.extend(str(v) for v in value if isinstance(v, str))
    for member in calendar_config.get("union", []) or []:
        found.extend(on_call_of(member))
    return tuple(dict.fromkeys(found))
