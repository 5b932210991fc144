"""Business calendars: when a team is open, as real instants, and time counted inside them.

A calendar is an IANA time zone, weekly windows of local wall-clock time (`[start, end)`,
several a day, `24:00` allowed as an end; a window whose end is at or before its start crosses
midnight and its part after midnight belongs to the next date), holidays (whole local dates:
they remove every segment lying on them) and per-date overrides (they replace the weekly
windows that start on that date). Unions of calendars (follow-the-sun) count overlapping time
once.

Local boundaries become instants with PEP 495 `fold=0`: an ambiguous time is its first
occurrence, a time skipped by spring-forward is pushed later by the gap (zoneinfo does both).
Days are stepped as dates, never by adding 24 hours, and all arithmetic is on UTC instants, so
an hour across a DST change is 60 real minutes.

Everything here jumps from open interval to open interval; nothing steps minute by minute.
Deadlines without pauses on a weekly calendar go further: a binary search over its open time
kept as arrays (sla.open_time), which answers exactly as the walk (`walked_deadlines`) does.
A calendar is read from its JSON document by sla.calendar_config.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from inbox.domain.errors import InboxError
from sla.open_time import OpenTimeIndex

Interval = tuple[datetime, datetime]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
# A calendar open for no time at all within this many days is refused, not looped over.
MAX_CLOSED_DAYS = 5 * 366


class CalendarError(InboxError, ValueError):
    """A calendar that cannot be used; the message says what is wrong. Also a ValueError, as
    it always was: a calendar is a value, and callers that catch bad values catch it too."""


@dataclass(frozen=True, slots=True)
class Window:
    """Local `[start, end)` in minutes after midnight; `end <= start` crosses midnight."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < MINUTES_PER_DAY and 0 <= self.end <= MINUTES_PER_DAY):
            raise CalendarError(f"window {self} is outside 00:00-24:00")

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    @classmethod
    def parse(cls, start: str, end: str) -> Window:
        return cls(_minutes(start, allow_24=False), _minutes(end, allow_24=True))


def _minutes(text: str, *, allow_24: bool) -> int:
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except ValueError as exc:
        raise CalendarError(f"{text!r} is not a time in HH:MM form") from exc
    if hours == 24 and minutes == 0 and allow_24:
        return MINUTES_PER_DAY
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise CalendarError(f"{text!r} is not a time of day")
    return hours * 60 + minutes


def _instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """The instant of a local wall-clock time, fold=0 (see the module docstring)."""
    if minutes == MINUTES_PER_DAY:
        day, minutes = day + timedelta(days=1), 0
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(UTC)


# Touching intervals are joined up to this length, so that a union open around the clock
# still yields intervals (an endless one would never be handed out).
MAX_MERGED = timedelta(days=1)


def _merge(intervals: Iterable[Interval]) -> Iterator[Interval]:
    """Sorted intervals, overlapping or touching ones joined (up to MAX_MERGED long)."""
    current: Interval | None = None
    for start, end in intervals:
        if end <= start:
            continue
        if current is None:
            current = (start, end)
        elif start <= current[1]:
            if end <= current[1]:
                continue
            if current[1] - current[0] >= MAX_MERGED:
                yield current
                current = (current[1], end)
            else:
                current = (current[0], end)
        else:
            yield current
            current = (start, end)
    if current is not None:
        yield current


@functools.lru_cache(maxsize=256)
def named_public_holidays(
    country: str, subdivision: str | None, year: int
) -> tuple[tuple[date, str], ...]:
    """A country's (and region's) public holidays in a year with their names, in date order,
    from the `holidays` library."""
    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError as exc:
        raise CalendarError(f"no holiday list for country {country!r}") from exc
    return tuple(sorted((day, str(name)) for day, name in found.items()))


@functools.lru_cache(maxsize=256)
def public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """A country's (and region's) public holidays in a year (the dates alone: what deadlines
    ask, once per day they cross)."""
    return frozenset(day for day, _ in named_public_holidays(country, subdivision, year))


@dataclass(frozen=True, slots=True)
class WeeklyCalendar:
    tz: str
    weekly: Mapping[int, tuple[Window, ...]]  # 0 = Monday
    holidays: frozenset[date] = frozenset()
    overrides: Mapping[date, tuple[Window, ...]] = field(default_factory=dict)
    # A national list (ISO country code, optional subdivision), on top of `holidays`;
    # `not_holidays` takes dates off it (a bank holiday the team works).
    country: str | None = None
    subdivision: str | None = None
    not_holidays: frozenset[date] = frozenset()
    # Segments per local date, computed once: deadlines of a busy day all cross the same days.
    _segments: dict[date, list[Interval]] = field(default_factory=dict, compare=False, repr=False)
    _always_open: list[bool] = field(default_factory=list, compare=False, repr=False)
    _index: list[OpenTimeIndex] = field(default_factory=list, compare=False, repr=False)

    @property
    def always_open(self) -> bool:
        """Open around the clock, every day: deadlines are then plain additions."""
        if not self._always_open:
            full_day = (Window(0, MINUTES_PER_DAY),)
            self._always_open.append(
                not self.holidays
                and self.country is None
                and not self.overrides
                and all(tuple(self.weekly.get(day, ())) == full_day for day in range(7))
            )
        return self._always_open[0]

    def is_holiday(self, day: date) -> bool:
        if day in self.holidays:
            return True
        if self.country is None or day in self.not_holidays:
            return False
        return day in public_holidays(self.country, self.subdivision, day.year)

    def country_holidays(self, first: date, last: date) -> list[tuple[date, str]]:
        """The days from `first` to `last` (both included) that the national list closes, with
        their names: those `is_holiday` takes from `country`, not the dates listed one by one."""
        if self.country is None:
            return []
        return [
            (day, name)
            for year in range(first.year, last.year + 1)
            for day, name in named_public_holidays(self.country, self.subdivision, year)
            if first <= day <= last and day not in self.not_holidays
        ]

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarError(f"unknown time zone {self.tz!r}") from exc
        if self.country is not None:
            public_holidays(self.country, self.subdivision, 2000)  # refuses an unknown country

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def windows_starting(self, day: date) -> tuple[Window, ...]:
        if day in self.overrides:
            return self.overrides[day]
        return self.weekly.get(day.weekday(), ())

    @property
    def open_time(self) -> OpenTimeIndex:
        """The calendar's open time as arrays: deadlines without pauses by binary search."""
        if not self._index:
            index = OpenTimeIndex(self.zone, self._compute_segments, self.always_open)
            self._index.append(index)
        return self._index[0]

    def segments_of(self, day: date) -> list[Interval]:
        """The open instants lying on local date `day` (after holidays), sorted, merged."""
        cached = self._segments.get(day)
        if cached is None:
            if len(self._segments) > 20_000:
                self._segments.clear()
            cached = self._segments[day] = self._compute_segments(day)
        return cached

    def _compute_segments(self, day: date) -> list[Interval]:
        if self.is_holiday(day):
            return []
        zone = self.zone
        pieces: list[Interval] = []
        for window in self.windows_starting(day):
            end = MINUTES_PER_DAY if window.crosses_midnight else window.end
            pieces.append((_instant(day, window.start, zone), _instant(day, end, zone)))
        for window in self.windows_starting(day - timedelta(days=1)):
            if window.crosses_midnight and window.end > 0:
                pieces.append((_instant(day, 0, zone), _instant(day, window.end, zone)))
        return list(_merge(sorted(pieces)))

    def open_intervals(self, start: datetime, until: datetime | None = None) -> Iterator[Interval]:
        """Open intervals from `start` on, in order; clipped to begin no earlier than it.

        Endless, unless `until` is given: then only those opening before it. Without it, a
        calendar closed for MAX_CLOSED_DAYS in a row raises CalendarError rather than walk on;
        with it, the walk is bounded anyway and a long closure simply yields nothing."""
        zone = self.zone
        day = start.astimezone(zone).date() - timedelta(days=1)
        # Every segment lying on a later local date opens at or after `until`.
        last_day = None if until is None else until.astimezone(zone).date()
        closed_days = 0
        while last_day is None or day <= last_day:
            segments = self.segments_of(day)
            closed_days = 0 if segments else closed_days + 1
            if last_day is None and closed_days > MAX_CLOSED_DAYS:
                raise CalendarError(f"the calendar is closed for {MAX_CLOSED_DAYS} days in a row")
            for opens, closes in segments:
                if until is not None and opens >= until:
                    return
                if closes > start:
                    yield max(opens, start), closes
            day += timedelta(days=1)

    def listed_dates(self) -> list[date]:
        """The dates this calendar names one by one (holidays, worked holidays, overrides)."""
        return [*self.holidays, *self.not_holidays, *self.overrides]


@dataclass(frozen=True, slots=True)
class UnionCalendar:
    """Open whenever any member is open (teams in several zones); overlaps count once."""

    members: tuple[WeeklyCalendar, ...]

    def __post_init__(self) -> None:
        if not self.members:
            raise CalendarError("a union needs at least one calendar")

    def open_intervals(self, start: datetime, until: datetime | None = None) -> Iterator[Interval]:
        return _merge(heapq.merge(*(m.open_intervals(start, until) for m in self.members)))

    def listed_dates(self) -> list[date]:
        return [day for member in self.members for day in member.listed_dates()]


Calendar = WeeklyCalendar | UnionCalendar


# -- arithmetic ------------------------------------------------------------------------------


def _minus_pauses(
    opens: datetime, closes: datetime, pauses: Sequence[Interval]
) -> Iterator[Interval]:
    """One open interval minus the pauses (sorted, merged)."""
    cursor = opens
    for pause_start, pause_end in pauses:
        if pause_end <= cursor or pause_start >= closes:
            continue
        if pause_start > cursor:
            yield cursor, pause_start
        cursor = max(cursor, pause_end)
        if cursor >= closes:
            return
    if cursor < closes:
        yield cursor, closes


FOREVER = datetime.max.replace(tzinfo=UTC)
_NO_TIME = timedelta()


def normalise_pauses(pauses: Iterable[tuple[datetime, datetime | None]]) -> list[Interval]:
    """Pauses as sorted, merged intervals; an open pause (no end) lasts forever."""
    closed = sorted((start, end if end is not None else FOREVER) for start, end in pauses)
    return list(_merge(closed))


def business_time(
    calendar: Calendar,
    start: datetime,
    end: datetime,
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
) -> timedelta:
    """Open time in `[start, end)`, pauses excluded."""
    total = timedelta()
    paused = normalise_pauses(pauses) if pauses else []
    if not paused and is_always_open(calendar):
        return max(end - start, total)
    for opens, closes in calendar.open_intervals(start, until=end):
        for counted_from, counted_to in _minus_pauses(opens, min(closes, end), paused):
            total += counted_to - counted_from
    return total


def deadline(
    calendar: Calendar,
    start: datetime,
    budget: timedelta,
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
) -> datetime | None:
    """The earliest instant at which `budget` of open time (pauses excluded) has passed since
    `start`. Running out exactly at a closing gives that closing. None while an open-ended
    pause holds the clock before the budget is spent."""
    if not pauses and type(calendar) is WeeklyCalendar and budget > _NO_TIME:
        found = calendar.open_time.deadline(start, budget)
        if found is not None:
            return found
    return deadlines(calendar, start, (budget,), pauses)[0]


def deadlines(
    calendar: Calendar,
    start: datetime,
    budgets: Sequence[timedelta],
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
) -> list[datetime | None]:
    """`deadline` for several budgets (a warning and a breach) in one pass over the calendar."""
    paused = normalise_pauses(pauses) if pauses else []
    if not paused and is_always_open(calendar):
        # Around the clock (the default policy): no calendar to walk.
        return [start + max(budget, timedelta()) for budget in budgets]
    if not paused and type(calendar) is WeeklyCalendar and budgets and min(budgets) > _NO_TIME:
        index = calendar.open_time
        found = [index.deadline(start, budget) for budget in budgets]
        if None not in found:
            return found
    return walked_deadlines(calendar, start, budgets, paused)


def walked_deadlines(
    calendar: Calendar,
    start: datetime,
    budgets: Sequence[timedelta],
    paused: Sequence[Interval] = (),
) -> list[datetime | None]:
    """`deadlines` by walking the open intervals one by one, `paused` normalised: the
    definition the binary search of sla.open_time answers as, and the way for pauses and
    unions."""
    results: list[datetime | None] = [None] * len(budgets)
    pending = sorted(range(len(budgets)), key=lambda i: budgets[i])
    for index in list(pending):
        if budgets[index] <= timedelta():
            results[index] = start
            pending.remove(index)
    if not pending:
        return results
    held_from = paused[-1][0] if paused and paused[-1][1] == FOREVER else None
    spent = timedelta()
    for opens, closes in calendar.open_intervals(start):
        if held_from is not None and opens >= held_from:
            return results
        for counted_from, counted_to in _minus_pauses(opens, closes, paused):
            length = counted_to - counted_from
            while pending and budgets[pending[0]] - spent <= length:
                results[pending[0]] = counted_from + (budgets[pending[0]] - spent)
                pending.pop(0)
            if not pending:
                return results
            spent += length
    return results  # pragma: no cover - open_intervals is endless or raises


def is_always_open(calendar: Calendar) -> bool:
    if isinstance(calendar, UnionCalendar):
        return any(member.always_open for member in calendar.members)
    return calendar.always_open


def next_opening(calendar: Calendar, at: datetime) -> datetime:
    """`at` itself when open, else when the calendar next opens."""
    opens, _ = next(iter(calendar.open_intervals(at)))
    return opens


def next_closing(calendar: Calendar, at: datetime) -> datetime:
    """When the open interval containing `at`, or the next one, closes (touching intervals
    are one opening; a calendar that never closes gives a year later)."""
    closes: datetime | None = None
    for opens, end in calendar.open_intervals(at):
        if closes is not None and opens > closes:
            break
        closes = end
        if closes - at > timedelta(days=366):
            break
    assert closes is not None
    return closes


def is_open(calendar: Calendar, at: datetime) -> bool:
    return is_always_open(calendar) or next_opening(calendar, at) == at


def opens_within(calendar: Calendar, at: datetime, within: timedelta) -> datetime | None:
    """`next_opening(calendar, at)` if it comes before `at + within`; None if the calendar
    stays closed that long (walked no further: a calendar closed for good costs `within`)."""
    first = next(iter(calendar.open_intervals(at, until=at + within)), None)
    return None if first is None else first[0]
