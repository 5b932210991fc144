"""Deadlines by binary search (sla.open_time) give exactly the walk's answers: against the
walk itself in zones with DST changes, and against minute stepping away from their hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import (
    CalendarError,
    WeeklyCalendar,
    Window,
    deadline,
    deadlines,
    walked_deadlines,
)
from sla.calendar_config import calendar_from_config
from tests.unit.test_sla_calendar import reference_deadline

# DST in spring and autumn, at 02:00 or at midnight, by an hour or by half an hour.
ZONES = [
    "Europe/Paris",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "UTC",
]


def quarter_hours(first: int, last: int) -> st.SearchStrategy[int]:
    return st.integers(first, last).map(lambda q: q * 15)


windows = st.builds(Window, quarter_hours(0, 95), quarter_hours(0, 96))
weeks = st.dictionaries(st.integers(0, 6), st.lists(windows, max_size=3).map(tuple))
days_off = st.frozensets(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=12)
calendars = st.builds(
    WeeklyCalendar,
    st.sampled_from(ZONES),
    weeks,
    days_off,
    st.dictionaries(st.dates(date(2026, 1, 1), date(2026, 12, 31)), st.lists(windows).map(tuple)),
)
# Any instant of the year, to the second or on a quarter hour (where windows open and
# close), given in UTC or in a zone of its own.
starts = st.builds(
    lambda seconds, zone: (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds))
    .astimezone(ZoneInfo(zone)),
    st.integers(0, 366 * 24 * 3600) | st.integers(0, 366 * 24 * 4).map(lambda q: q * 900),
    st.sampled_from([*ZONES, "Pacific/Auckland"]),
)  # fmt: skip
budgets = (st.integers(1, 60 * 24 * 7) | st.integers(1, 4 * 24 * 7).map(lambda q: q * 15)).map(
    lambda minutes: timedelta(minutes=minutes)
)


def same_answer(fast: datetime | None, walked: datetime | None) -> bool:
    """The same instant, in the same time zone (a caller may show it as it is)."""
    if fast is None or walked is None:
        return fast is walked
    return fast == walked and fast.tzinfo is walked.tzinfo


@settings(max_examples=200, deadline=None)
@given(calendar=calendars, start=starts, budget=budgets)
def test_a_deadline_by_binary_search_is_the_walks_answer(
    calendar: WeeklyCalendar, start: datetime, budget: timedelta
) -> None:
    try:
        walked = walked_deadlines(calendar, start, [budget])[0]
    except CalendarError:  # closed for years: refused the same way
        with pytest.raises(CalendarError):
            deadline(calendar, start, budget)
        return
    assert same_answer(deadline(calendar, start, budget), walked)


@settings(max_examples=100, deadline=None)
@given(calendar=calendars, start=starts, warning=budgets, more=budgets)
def test_a_warning_and_a_breach_together_are_the_walks_answers(
    calendar: WeeklyCalendar, start: datetime, warning: timedelta, more: timedelta
) -> None:
    both = [warning, warning + more]
    try:
        walked = walked_deadlines(calendar, start, both)
    except CalendarError:
        return
    fast = deadlines(calendar, start, both)
    assert all(same_answer(f, w) for f, w in zip(fast, walked, strict=True))


# Windows from 04:00 on: no DST change moves them, so each minute is open or closed as its
# wall-clock time says, and stepping minute by minute is a faithful reference.
daytime_windows = st.builds(Window, quarter_hours(16, 95), quarter_hours(17, 96)).filter(
    lambda w: not w.crosses_midnight
)
daytime_calendars = st.builds(
    WeeklyCalendar,
    st.sampled_from(["Europe/Paris", "America/New_York", "Australia/Sydney"]),
    st.dictionaries(
        st.integers(0, 6), st.lists(daytime_windows, min_size=1, max_size=3).map(tuple), min_size=1
    ),
    days_off,
)
minute_starts = st.integers(0, 365 * 24 * 60).map(
    lambda minutes: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
)


@settings(max_examples=40, deadline=None)
@given(calendar=daytime_calendars, start=minute_starts, minutes=st.integers(1, 1500))
def test_deadlines_across_dst_changes_equal_minute_stepping(
    calendar: WeeklyCalendar, start: datetime, minutes: int
) -> None:
    assert deadline(calendar, start, timedelta(minutes=minutes)) == reference_deadline(
        [calendar], start, minutes
    )


def test_a_budget_of_months_runs_across_blocks_of_dates_and_holidays() -> None:
    calendar = calendar_from_config(
        {
            "tz": "Europe/Paris",
            "weekly": {"mon": [["09:00", "12:00"]], "thu": [["22:00", "02:00"]]},
            "holidays": ["2026-03-02", "2026-03-26", "2026-10-29"],
        }
    )
    start = datetime(2026, 2, 27, 23, 30, tzinfo=UTC)
    for hours in (1, 5, 100, 300):
        budget = timedelta(hours=hours)
        assert deadline(calendar, start, budget) == walked_deadlines(calendar, start, [budget])[0]


def test_a_deadline_inside_the_opening_the_start_lies_in_keeps_the_starts_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    calendar = calendar_from_config({"tz": "Europe/Paris", "weekly": {"tue": [["09:00", "18:00"]]}})
    start = datetime(2026, 3, 10, 10, 0, tzinfo=paris)
    due = deadline(calendar, start, timedelta(hours=1))
    assert due == datetime(2026, 3, 10, 11, 0, tzinfo=paris)
    assert due is not None
    assert due.tzinfo is paris
