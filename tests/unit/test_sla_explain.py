"""Explaining a clock: windows and holidays crossed, both clocks, one sentence."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sla.calendar import deadline
from sla.calendar_config import calendar_from_config
from sla.explain import explain
from tests.factories import paris_office

PARIS = ZoneInfo("Europe/Paris")
OFFICE = calendar_from_config(paris_office(holidays=["2026-04-06"]))  # Easter Monday


def test_a_friday_evening_mention_before_a_bank_holiday() -> None:
    start = datetime(2026, 4, 3, 18, 30, tzinfo=PARIS)
    due = deadline(OFFICE, start, timedelta(hours=1))
    assert due == datetime(2026, 4, 7, 9, 30, tzinfo=PARIS)
    why = explain(
        OFFICE,
        started_at=start,
        deadline=due,
        stopped_at=None,
        budget=timedelta(hours=1),
        now=datetime(2026, 4, 7, 10, 0, tzinfo=PARIS),
    )
    assert why.state == "late"
    assert why.holidays == [date(2026, 4, 6)]
    assert why.windows[0] == (start, datetime(2026, 4, 3, 19, 0, tzinfo=PARIS))
    assert why.windows[1][0] == datetime(2026, 4, 7, 9, 0, tzinfo=PARIS)
    assert why.business_elapsed == timedelta(hours=1, minutes=30)
    assert why.wall_elapsed == timedelta(days=3, hours=15, minutes=30)
    assert why.summary.startswith("Started Fri 03 Apr 18:30 (open); target 60 min")
    assert "Holidays crossed: 2026-04-06." in why.summary
    assert "the customer has waited 87 h 30" in why.summary


def test_an_answer_after_the_deadline_is_breached_however_few_minutes_counted() -> None:
    start = datetime(2026, 4, 8, 18, 0, tzinfo=PARIS)  # a Wednesday: due 19:00
    why = explain(
        OFFICE,
        started_at=start,
        deadline=datetime(2026, 4, 8, 19, 0, tzinfo=PARIS),
        stopped_at=datetime(2026, 4, 8, 19, 30, tzinfo=PARIS),
        budget=timedelta(hours=1),
        now=datetime(2026, 4, 9, 12, 0, tzinfo=PARIS),
    )
    assert why.state == "breached"
    assert why.business_elapsed == timedelta(hours=1)


def test_the_sentence_speaks_the_readers_zone_and_labels_it() -> None:
    start = datetime(2026, 4, 3, 18, 30, tzinfo=PARIS)
    why = explain(
        OFFICE,
        started_at=start,
        deadline=deadline(OFFICE, start, timedelta(hours=1)),
        stopped_at=None,
        budget=timedelta(hours=1),
        now=datetime(2026, 4, 7, 10, 0, tzinfo=PARIS),
        reader_zone=ZoneInfo("America/New_York"),
    )
    assert why.summary.startswith("Started Fri 03 Apr 12:30 EDT (open)")
    assert "Due Tue 07 Apr 03:30 EDT." in why.summary
