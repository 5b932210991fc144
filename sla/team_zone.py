"""The calendar and the time zone a team works in, read from the SLA settings: its people's
shift, and where their times are shown unless they choose another zone.

A team's calendar is the calendar of the first policy rule that names the team, else of the
default policy; a union of calendars (a team across zones) reads as its first member's zone.
Pure: the settings come in, a zone's name goes out.
"""

from __future__ import annotations

from collections.abc import Mapping

from sla.calendar import Calendar, UnionCalendar
from sla.policy import PolicyBook


def team_calendar(
    book: PolicyBook, calendars: Mapping[str, Calendar], team_id: int | None
) -> Calendar | None:
    """The calendar the team works by (its shift): None when the settings name none."""
    policy = book.policies[book.default]
    if team_id is not None:
        for rule in book.rules:
            if rule.when.team_ids is not None and team_id in rule.when.team_ids:
                policy = book.policies[rule.policy]
                break
    return calendars.get(policy.calendar)


def team_time_zone(book: PolicyBook, calendars: Mapping[str, Calendar], team_id: int | None) -> str:
    calendar = team_calendar(book, calendars, team_id)
    if calendar is None:
        return "UTC"
    if isinstance(calendar, UnionCalendar):
        return calendar.members[0].tz
    return calendar.tz
