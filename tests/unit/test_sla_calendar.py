"""Business calendars: hand-written cases, and properties against a minute-stepping reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import (
    CalendarError,
    UnionCalendar,
    WeeklyCalendar,
    Window,
    business_time,
    deadline,
    is_open,
    next_closing,
    next_opening,
)
from sla.calendar_config import calendar_from_config
from tests.factories import paris_office

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS_9_TO_19 = paris_office()


def paris(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=PARIS)  # type: ignore[misc]


def test_friday_evening_mention_is_due_monday_while_the_customer_waits_the_weekend() -> None:
    calendar = calendar_from_config({**WEEKDAYS_9_TO_19, "holidays": []})
    arrived = paris(2026, 3, 6, 18, 30)  # a Friday
    due = deadline(calendar, arrived, timedelta(hours=1))
    assert due == paris(2026, 3, 9, 9, 30)
    assert due is not None
    assert due - arrived == timedelta(hours=63)


def test_a_budget_running_out_at_closing_is_due_at_closing() -> None:
    calendar = calendar_from_config({**WEEKDAYS_9_TO_19})
    assert deadline(calendar, paris(2026, 3, 4, 18, 0), timedelta(hours=1)) == paris(
        2026, 3, 4, 19, 0
    )


def test_a_half_day_override_and_a_holiday() -> None:
    calendar = calendar_from_config(
        {
            **WEEKDAYS_9_TO_19,
            "holidays": ["2026-12-25"],
            "overrides": {"2026-12-24": [["09:00", "12:00"]]},
        }
    )
    assert deadline(calendar, paris(2026, 12, 24, 11, 0), timedelta(hours=2)) == paris(
        2026, 12, 28, 10, 0
    )


def test_an_open_ended_pause_holds_the_deadline() -> None:
    calendar = calendar_from_config({**WEEKDAYS_9_TO_19})
    start = paris(2026, 3, 4, 10, 0)
    assert (
        deadline(calendar, start, timedelta(hours=1), [(paris(2026, 3, 4, 10, 30), None)]) is None
    )
    assert deadline(
        calendar, start, timedelta(minutes=20), [(paris(2026, 3, 4, 10, 30), None)]
    ) == (paris(2026, 3, 4, 10, 20))
    elapsed = business_time(
        calendar, start, paris(2026, 3, 5, 10, 0), [(paris(2026, 3, 4, 10, 30), None)]
    )
    assert elapsed == timedelta(minutes=30)


def test_openings_and_closings() -> None:
    calendar = calendar_from_config({**WEEKDAYS_9_TO_19})
    saturday = paris(2026, 3, 7, 12, 0)
    assert not is_open(calendar, saturday)
    assert next_opening(calendar, saturday) == paris(2026, 3, 9, 9, 0)
    assert next_closing(calendar, paris(2026, 3, 9, 10, 0)) == paris(2026, 3, 9, 19, 0)


def test_a_ten_thousand_minute_budget_over_a_year_of_holidays_is_quick_to_compute() -> None:
    holidays = [str(date(2026, 1, 1) + timedelta(days=7 * n + 2)) for n in range(52)]
    calendar = calendar_from_config({**WEEKDAYS_9_TO_19, "holidays": holidays})
    due = deadline(calendar, paris(2026, 1, 5, 9, 0), timedelta(minutes=10_000))
    assert due is not None
    assert business_time(calendar, paris(2026, 1, 5, 9, 0), due) == timedelta(minutes=10_000)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"tz": "Mars/Olympus", "weekly": {}}, "unknown time zone"),
        ({"tz": "UTC", "weekly": {"monday": []}}, "unknown weekdays"),
        ({"tz": "UTC", "weekly": {"mon": [["9h", "10:00"]]}}, "HH:MM"),
        ({"tz": "UTC", "weekly": {"mon": [["25:00", "10:00"]]}}, "not a time of day"),
        ({"tz": "UTC", "weekly": {}, "holidays": ["next tuesday"]}, "not a date"),
        ({"union": []}, "at least one"),
    ],
)
def test_bad_calendars_are_refused_with_the_reason(config: dict[str, object], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        calendar_from_config(config)


def test_a_calendar_that_never_opens_is_refused_not_looped_over() -> None:
    with pytest.raises(CalendarError, match="closed"):
        deadline(
            calendar_from_config({"tz": "UTC", "weekly": {}}), paris(2026, 1, 1, 0, 0), timedelta(1)
        )


# -- against a minute-stepping reference (zones without DST: DST is the golden cases' job) --


def reference_is_open(calendar: WeeklyCalendar, instant: datetime) -> bool:
    local = instant.astimezone(calendar.zone)
    day, minute = local.date(), local.hour * 60 + local.minute
    if calendar.is_holiday(day):
        return False
    for window in calendar.windows_starting(day):
        if window.crosses_midnight and minute >= window.start:
            return True
        if not window.crosses_midnight and window.start <= minute < window.end:
            return True
    return any(
        window.crosses_midnight and minute < window.end
        for window in calendar.windows_starting(day - timedelta(days=1))
    )


def reference_deadline(calendars: list[WeeklyCalendar], start: datetime, minutes: int) -> datetime:
    moment, left = start, minutes
    while left:
        if any(reference_is_open(c, moment) for c in calendars):
            left -= 1
        moment += timedelta(minutes=1)
    return moment


windows = st.builds(
    Window,
    st.integers(0, 95).map(lambda q: q * 15),
    st.integers(0, 96).map(lambda q: q * 15),
)
calendars = st.builds(
    WeeklyCalendar,
    st.sampled_from(["UTC", "Asia/Kolkata", "Asia/Tokyo", "America/Bogota"]),
    st.dictionaries(
        st.integers(0, 6), st.lists(windows, min_size=1, max_size=3).map(tuple), min_size=1
    ),
    st.frozensets(st.dates(date(2026, 1, 1), date(2026, 1, 31)), max_size=6),
)
starts = st.integers(0, 20 * 24 * 4).map(
    lambda q: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=15 * q)
)


@settings(max_examples=60, deadline=None)
@given(
    members=st.lists(calendars, min_size=1, max_size=2), start=starts, minutes=st.integers(0, 1500)
)
def test_deadlines_equal_minute_stepping(
    members: list[WeeklyCalendar], start: datetime, minutes: int
) -> None:
    calendar = members[0] if len(members) == 1 else UnionCalendar(tuple(members))
    fast = deadline(calendar, start, timedelta(minutes=minutes))
    assert fast == reference_deadline(members, start, minutes)
    assert fast is not None
    assert business_time(calendar, start, fast) == timedelta(minutes=minutes)


@settings(max_examples=60, deadline=None)
@given(
    calendar=calendars,
    start=starts,
    minutes=st.integers(0, 3000),
    later=st.integers(0, 600),
    more=st.integers(0, 600),
)
def test_deadlines_are_monotonic_in_start_and_budget(
    calendar: WeeklyCalendar, start: datetime, minutes: int, later: int, more: int
) -> None:
    base = deadline(calendar, start, timedelta(minutes=minutes))
    assert base is not None
    later_start = deadline(calendar, start + timedelta(minutes=later), timedelta(minutes=minutes))
    bigger = deadline(calendar, start, timedelta(minutes=minutes + more))
    assert later_start is not None
    assert later_start >= base
    assert bigger is not None
    assert bigger >= base


def test_national_and_regional_holiday_lists_and_a_worked_bank_holiday() -> None:
    france = calendar_from_config({**WEEKDAYS_9_TO_19, "country": "FR"})
    moselle = calendar_from_config({**WEEKDAYS_9_TO_19, "country": "FR", "subdivision": "57"})
    worked = calendar_from_config(
        {**WEEKDAYS_9_TO_19, "country": "FR", "not_holidays": ["2026-05-01"]}
    )
    may_day = paris(2026, 5, 1, 10, 0)  # a Friday, Labour Day
    assert next_opening(france, may_day) == paris(2026, 5, 4, 9, 0)
    assert is_open(worked, may_day)
    assert is_open(france, paris(2025, 12, 26, 10, 0))
    assert not is_open(moselle, paris(2025, 12, 26, 10, 0))


def test_an_unknown_country_is_refused() -> None:
    with pytest.raises(CalendarError, match="no holiday list"):
        calendar_from_config({**WEEKDAYS_9_TO_19, "country": "XX"})


def test_a_union_open_around_the_clock_still_counts_and_ends() -> None:
    every_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    mornings = {"tz": "UTC", "weekly": {d: [["00:00", "12:00"]] for d in every_day}}
    afternoons = {"tz": "UTC", "weekly": {d: [["12:00", "24:00"]] for d in every_day}}
    calendar = calendar_from_config({"union": [mornings, afternoons]})
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert deadline(calendar, start, timedelta(days=10)) == start + timedelta(days=10)
    assert business_time(calendar, start, start + timedelta(days=3)) == timedelta(days=3)
    assert next_closing(calendar, start) > start + timedelta(days=365)
