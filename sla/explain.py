"""Why a clock says what it says: the windows and holidays it crossed, and both clocks.

An agent or a lead must be able to answer "why is this red?" without guessing: the
explanation lists the open windows the business clock counted in, the holidays and closed
days in between, the suspensions by major incidents (the
business clock stops, the customer's wait does not), the elapsed time on both clocks, and a
sentence that puts it together. The sentence's times are in the calendar's zone, or in the
reader's (`reader_zone`, labelled with its abbreviation) when a page shows it to them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sla.calendar import Calendar, UnionCalendar, WeeklyCalendar, business_time

MAX_WINDOWS = 40


@dataclass(frozen=True, slots=True)
class Suspension:
    """A major incident's window over a clock; no end while the incident is still major."""

    incident_id: int
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class Explanation:
    started_at: datetime
    deadline: datetime | None
    stopped_at: datetime | None
    business_elapsed: timedelta
    wall_elapsed: timedelta
    budget: timedelta
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)
    holidays: list[date] = field(default_factory=list)
    suspensions: list[Suspension] = field(default_factory=list)
    state: str = "running"  # running | met | breached | late (running past its deadline)
    summary: str = ""


def _zone_of(calendar: Calendar) -> WeeklyCalendar:
    return calendar.members[0] if isinstance(calendar, UnionCalendar) else calendar


def _holidays(calendar: Calendar, first: date, last: date) -> list[date]:
    members = calendar.members if isinstance(calendar, UnionCalendar) else (calendar,)
    days: list[date] = []
    day = first
    while day <= last and len(days) < 366:
        if all(member.is_holiday(day) for member in members):
            days.append(day)
        day += timedelta(days=1)
    return days


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def explain(
    calendar: Calendar,
    *,
    started_at: datetime,
    deadline: datetime | None,
    stopped_at: datetime | None,
    budget: timedelta,
    now: datetime,
    suspensions: Sequence[Suspension] = (),
    reader_zone: ZoneInfo | None = None,
) -> Explanation:
    end = stopped_at or now
    # Only those that overlap the clock's run say anything about it.
    crossed = [
        s
        for s in sorted(suspensions, key=lambda s: s.started_at)
        if s.started_at < end and (s.ended_at is None or s.ended_at > started_at)
    ]
    horizon = max(t for t in (end, deadline or end) if t is not None)
    windows: list[tuple[datetime, datetime]] = []
    for opens, closes in calendar.open_intervals(started_at):
        if opens >= horizon or len(windows) >= MAX_WINDOWS:
            break
        windows.append((opens, min(closes, horizon)))
    zone = _zone_of(calendar).zone
    local = started_at.astimezone(zone)
    holidays = _holidays(calendar, local.date(), horizon.astimezone(zone).date())
    at = _local_times(reader_zone or zone, labelled=reader_zone is not None)
    business = business_time(
        calendar, started_at, end, [(s.started_at, s.ended_at) for s in crossed]
    )
    wall = end - started_at  # the customer's wait: never suspended
    if stopped_at is not None:
        state = "met" if deadline is None or stopped_at <= deadline else "breached"
    else:
        state = "late" if deadline is not None and now > deadline else "running"
    return Explanation(
        started_at=started_at,
        deadline=deadline,
        stopped_at=stopped_at,
        business_elapsed=business,
        wall_elapsed=wall,
        budget=budget,
        windows=windows,
        holidays=holidays,
        suspensions=crossed,
        state=state,
        summary=_summary(
            at, started_at, deadline, stopped_at, budget, business, wall, state, windows, holidays
        )
        + _suspended(at, crossed),
    )


def _local_times(zone: ZoneInfo, *, labelled: bool) -> Callable[[datetime], str]:
    def at(moment: datetime) -> str:
        local = moment.astimezone(zone)
        said = local.strftime("%a %d %b %H:%M")
        return f"{said} {local.tzname() or zone.key}" if labelled else said

    return at


def _summary(
    at: Callable[[datetime], str],
    started_at: datetime,
    deadline: datetime | None,
    stopped_at: datetime | None,
    budget: timedelta,
    business: timedelta,
    wall: timedelta,
    state: str,
    windows: list[tuple[datetime, datetime]],
    holidays: list[date],
) -> str:
    opened_at_start = bool(windows) and windows[0][0] == started_at
    parts = [
        f"Started {at(started_at)} ({'open' if opened_at_start else 'closed'}); "
        f"target {_minutes(budget)} of business time."
    ]
    if holidays:
        parts.append("Holidays crossed: " + ", ".join(d.isoformat() for d in holidays) + ".")
    if deadline is None:
        parts.append("No deadline while the clock is paused.")
    else:
        parts.append(f"Due {at(deadline)}.")
    if stopped_at is not None:
        parts.append(f"Answered {at(stopped_at)}: {state}.")
    elif state == "late":
        parts.append("Not answered and past its deadline.")
    parts.append(
        f"Business clock {_minutes(business)}; the customer "
        f"{'waited' if stopped_at else 'has waited'} {_minutes(wall)}."
    )
    return " ".join(parts)


def _suspended(at: Callable[[datetime], str], suspensions: Sequence[Suspension]) -> str:
    return "".join(
        f" Suspended from {at(s.started_at)} "
        + (f"to {at(s.ended_at)}" if s.ended_at is not None else "(still suspended)")
        + f" by major incident #{s.incident_id}: the business clock stopped, the customer's"
        " wait did not."
        for s in suspensions
    )
