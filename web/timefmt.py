"""Times as the pages say them: in the reader's own time zone, relative to now, with the
exact local time at hand. The one home for every time a page shows, from the templates
(`times` in their context) and from the row builders alike.

Instants are stored and compared in UTC; only their words are local. A time that names no
day ("09:15") is today in the reader's zone; one on another day, or across a change of
the zone's offset, carries the zone's abbreviation ("Mon 07 Dec 09:15 CET"), and the exact
time on hover always does.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def span(seconds: float) -> str:
    """A length of time in a row's few characters: "12 min", "3 h 05", "2 d 4 h"."""
    minutes = int(abs(seconds) // MINUTE)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d}"
    return f"{hours // 24} d {hours % 24} h"


def until(deadline: datetime, now: datetime) -> str:
    """A deadline as a row says it: how long is left, or how late it is."""
    left = (deadline - now).total_seconds()
    return f"{span(left)} left" if left >= 0 else f"late by {span(left)}"


def waited(since: datetime, now: datetime) -> str:
    """The customer's real wait, whatever the calendar says."""
    return f"waiting {span((now - since).total_seconds())}"


def relative(instant: datetime, now: datetime) -> str:
    """ "just now", "5 min ago", "3 h ago", "2 d ago", or "in 41 min" for what is to come;
    past a week, the date (the exact time is on hover)."""
    seconds = (now - instant).total_seconds()
    ahead = seconds < 0
    seconds = abs(seconds)
    if seconds < MINUTE:
        return "just now" if not ahead else "in a moment"
    if seconds < HOUR:
        amount = f"{int(seconds // MINUTE)} min"
    elif seconds < DAY:
        amount = f"{int(seconds // HOUR)} h"
    elif seconds < 7 * DAY:
        amount = f"{int(seconds // DAY)} d"
    else:
        return f"{instant:%d %b %Y}" if instant.year != now.year else f"{instant:%d %b}"
    return f"in {amount}" if ahead else f"{amount} ago"


def known_zone(name: str | None) -> ZoneInfo:
    """The zone by its IANA name; UTC when there is none or it cannot be read (a session
    is never refused a page for its zone: the setting is checked when it is saved)."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


# Every row of every page says its times exactly on hover: the same few thousand instants,
# formatted once each rather than on every page.
@functools.lru_cache(maxsize=16_384)
def _exact(instant: datetime, zone: ZoneInfo, this_year: int) -> str:
    local = instant.astimezone(zone)
    year = f" {local.year}" if local.year != this_year else ""
    return f"{local:%a %d %b}{year} {local:%H:%M} {local.tzname() or zone.key}"


@dataclass(frozen=True, slots=True)
class LocalTimes:
    """Every time of one page, for one reader: their zone and the page's instant."""

    zone: ZoneInfo
    now: datetime

    @classmethod
    def of(cls, zone_name: str | None, now: datetime) -> LocalTimes:
        return cls(known_zone(zone_name), now)

    @property
    def zone_name(self) -> str:
        return self.zone.key

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def abbreviation(self, instant: datetime | None = None) -> str:
        """The zone's short name at that instant (now if none): "CET", "CEST", "UTC", or
        an offset such as "+0530" where the zone has no letters."""
        return self.local(instant or self.now).tzname() or self.zone_name

    def exact(self, instant: datetime) -> str:
        """The full local time, labelled: what a `title` shows on hover."""
        return _exact(instant, self.zone, self.local(self.now).year)

    def short(self, instant: datetime) -> str:
        """The time in running text: "09:15" today; labelled with its day and zone on any
        other day, or when the zone's offset then differs from now (a change of summer
        time in between), since the reader might read it in another zone's terms."""
        local = self.local(instant)
        today = self.local(self.now).date()
        if local.date() == today and self.abbreviation(instant) == self.abbreviation():
            return f"{local:%H:%M}"
        return self.exact(instant)

    def clock(self, instant: datetime) -> str:
        """The local hour and minute alone ("09:15"), for a chart's axis that names its zone."""
        return f"{self.local(instant):%H:%M}"

    def day(self, instant: datetime) -> str:
        """The local date alone: "07 Dec 2026"."""
        return f"{self.local(instant):%d %b %Y}"

    def relative(self, instant: datetime) -> str:
        return relative(self.local(instant), self.now)

    def until(self, deadline: datetime) -> str:
        return until(deadline, self.now)

    def waited(self, since: datetime) -> str:
        return waited(since, self.now)

    def last_days(self, days: int) -> tuple[datetime, datetime]:
        """From the reader's local midnight `days - 1` days ago to tonight's: the days a
        report shows, as instants."""
        return last_days(self.zone, self.now, days)

    def month_start(self) -> datetime:
        """The reader's local midnight on the first of this month, as an instant."""
        return _midnight(self.local(self.now).date().replace(day=1), self.zone)

    def month_name(self) -> str:
        """This month in the reader's zone: "December 2026"."""
        return f"{self.local(self.now):%B %Y}"


def last_days(zone: ZoneInfo, now: datetime, days: int) -> tuple[datetime, datetime]:
    today = now.astimezone(zone).date()
    return _midnight(today - timedelta(days=days - 1), zone), _midnight(
        today + timedelta(days=1), zone
    )


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    # A local midnight skipped by a change of summer time becomes the instant after the gap,
    # as the SLA calendars read it (fold=0); in UTC for the queries.
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
