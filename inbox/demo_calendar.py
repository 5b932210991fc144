"""The demo's office calendar: open when the demo starts, whatever the weekday and the hour.

Kept to its office hours alone (Monday to Friday, 09:00 to 19:00 in Paris, French public
holidays), a demo started on a Sunday or at night would show nothing: every deadline a day
away, nothing at risk, no breach. So the demo's own days are overridden: the office opened
`OPENED_BEFORE_START` before the demo started and stays open for a day at least.
The hours before that opening are closed, so the customers who wrote then were acknowledged
and their business clock started only at the opening, while their wait started when they
wrote. Those days open even when they are public holidays (`not_holidays`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sla.calendar import public_holidays

ZONE = ZoneInfo("Europe/Paris")
COUNTRY = "FR"
OFFICE_HOURS = {day: [["09:00", "19:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
# Long enough that a first response (60 minutes) counted from the opening is at risk when the
# demo starts, short enough that it is not yet overdue.
OPENED_BEFORE_START = timedelta(minutes=50)
# At least: the office closes at the end of the day this falls on.
OPEN_AFTER_START = timedelta(days=1)


def opening(start: datetime) -> datetime:
    """When the office opened, on the minute, in its zone.

    In the hour repeated when clocks go back, a wall-clock time means its first occurrence
    (the calendar's rule), so a demo started then opens an hour earlier."""
    return (start - OPENED_BEFORE_START).astimezone(ZONE).replace(second=0, microsecond=0)


def office_calendar(start: datetime) -> dict[str, object]:
    """The calendar's JSON form, for a demo that starts at `start`."""
    opened = opening(start)
    last_day = (start + OPEN_AFTER_START).astimezone(ZONE).date()
    days = [opened.date() + timedelta(days=n) for n in range((last_day - opened.date()).days + 1)]
    overrides = {
        day.isoformat(): [[f"{opened:%H:%M}" if day == opened.date() else "00:00", "24:00"]]
        for day in days
    }
    return {
        "tz": ZONE.key,
        "country": COUNTRY,
        "weekly": OFFICE_HOURS,
        "overrides": overrides,
        "not_holidays": [day.isoformat() for day in days if _is_public_holiday(day)],
    }


def _is_public_holiday(day: date) -> bool:
    return day in public_holidays(COUNTRY, None, day.year)
