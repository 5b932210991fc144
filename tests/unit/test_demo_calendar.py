"""The demo's office calendar: open when the demo starts, whatever the weekday and the hour, with
the customers who wrote before the start placed where the demo says they are."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from inbox.demo_calendar import ZONE, office_calendar, opening
from inbox.demo_day import CUSTOMERS, EARLIER, Earlier
from inbox.domain.thread import Priority
from inbox.usecases.sla_plan import ACKNOWLEDGE_WITHIN
from routing.classify import Classifier
from sla.calendar import business_time, deadline, is_open
from sla.calendar_config import calendar_from_config

FIRST_RESPONSE = timedelta(minutes=60)
HIGH_PRIORITY_FIRST_RESPONSE = timedelta(minutes=15)

starts = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2032, 12, 31), timezones=st.just(UTC)
)


def _read_as_written(moment: datetime) -> bool:
    """Whether a calendar reads `moment`'s wall-clock time back as `moment`: not so for the
    second occurrence of the hour repeated when the clocks go back (it reads the first)."""
    return moment.astimezone(ZONE).fold == 0


@settings(deadline=None)  # the first look at a year builds its list of holidays
@given(starts)
def test_the_office_is_open_when_the_demo_starts_and_for_a_day_after(start: datetime) -> None:
    calendar = calendar_from_config(office_calendar(start))
    assert is_open(calendar, start)
    assert is_open(calendar, start + timedelta(hours=24))


@settings(deadline=None)  # the first look at a year builds its list of holidays
@given(starts)
def test_those_who_wrote_before_the_opening_wait_for_it_and_are_acknowledged(
    start: datetime,
) -> None:
    assume(_read_as_written(opening(start)))
    calendar = calendar_from_config(office_calendar(start))
    for earlier in EARLIER:
        wrote = start - earlier.before_start
        assert is_open(calendar, wrote) is not earlier.out_of_hours, earlier.text
        if earlier.out_of_hours:
            assert earlier.before_start <= ACKNOWLEDGE_WITHIN  # recent enough to be answered
            used = business_time(calendar, wrote, start)
            # At risk (under a quarter of the budget left), not yet overdue.
            assert FIRST_RESPONSE * 3 / 4 <= used < FIRST_RESPONSE


@functools.cache
def _high_priority() -> list[Earlier]:
    """The messages written before the start that the classifier makes high priority."""
    classifier = Classifier()
    return [
        earlier
        for earlier in EARLIER
        if classifier.classify(
            earlier.text, language=earlier.lang, followers=CUSTOMERS[earlier.customer][2]
        ).priority
        in (Priority.HIGH, Priority.URGENT)
    ]


def test_only_a_message_written_in_hours_is_high_priority_and_so_due_within_15_minutes() -> None:
    high = _high_priority()
    assert high
    assert all(not e.out_of_hours and e.before_start > HIGH_PRIORITY_FIRST_RESPONSE for e in high)


@settings(deadline=None)  # the first look at a year builds its list of holidays
@given(starts)
def test_the_high_priority_message_is_overdue_when_the_demo_starts(start: datetime) -> None:
    calendar = calendar_from_config(office_calendar(start))
    for earlier in _high_priority():
        due = deadline(calendar, start - earlier.before_start, HIGH_PRIORITY_FIRST_RESPONSE)
        assert due is not None
        assert due < start


def test_a_demo_started_on_a_public_holiday_opens_all_the_same() -> None:
    christmas_evening = datetime(2026, 12, 25, 21, 30, tzinfo=ZONE)
    document = office_calendar(christmas_evening)
    assert "2026-12-25" in document["not_holidays"]  # type: ignore[operator]
    assert is_open(calendar_from_config(document), christmas_evening)


def test_outside_the_demos_days_the_office_keeps_its_hours() -> None:
    sunday_noon = datetime(2026, 12, 6, 12, 0, tzinfo=ZONE)
    calendar = calendar_from_config(office_calendar(sunday_noon))
    assert is_open(calendar, sunday_noon)
    assert is_open(calendar, datetime(2026, 12, 7, 23, 0, tzinfo=ZONE))  # the next day
    assert not is_open(calendar, datetime(2026, 12, 8, 8, 0, tzinfo=ZONE))
    assert is_open(calendar, datetime(2026, 12, 8, 9, 0, tzinfo=ZONE))
    assert not is_open(calendar, datetime(2026, 12, 5, 12, 0, tzinfo=ZONE))  # Saturday before
