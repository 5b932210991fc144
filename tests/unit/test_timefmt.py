"""Times as the pages say them: relative words, the reader's zone, labels where ambiguous."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from web.timefmt import LocalTimes, last_days, relative, span, until, waited

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday, 09:00 in Paris
PARIS = LocalTimes.of("Europe/Paris", NOW)


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(0, "0 min"), (59, "0 min"), (12 * 60, "12 min"), (3600 + 5 * 60, "1 h 05"),
     (47 * 3600, "47 h 00"), (50 * 3600, "2 d 2 h")],
)  # fmt: skip
def test_a_span_is_said_in_a_rows_few_characters(seconds: int, said: str) -> None:
    assert span(seconds) == said


def test_a_deadline_says_what_is_left_or_how_late_it_is() -> None:
    assert until(NOW + timedelta(minutes=41), NOW) == "41 min left"
    assert until(NOW - timedelta(minutes=12), NOW) == "late by 12 min"
    assert until(NOW, NOW) == "0 min left"  # an answer at the deadline is on time


def test_the_customers_wait_is_plain_elapsed_time() -> None:
    assert waited(NOW - timedelta(hours=63), NOW) == "waiting 2 d 15 h"


@pytest.mark.parametrize(
    ("offset", "said"),
    [(timedelta(seconds=-20), "just now"), (timedelta(minutes=-5), "5 min ago"),
     (timedelta(hours=-3, minutes=-50), "3 h ago"), (timedelta(days=-2), "2 d ago"),
     (timedelta(minutes=41), "in 41 min"), (timedelta(hours=26), "in 1 d"),
     (timedelta(seconds=30), "in a moment")],
)  # fmt: skip
def test_relative_words_for_past_and_future(offset: timedelta, said: str) -> None:
    assert relative(NOW + offset, NOW) == said


def test_past_a_week_relative_words_become_the_local_date() -> None:
    # 23:30 UTC on 25 November is already the 26th in Paris.
    assert PARIS.relative(datetime(2026, 11, 25, 23, 30, tzinfo=UTC)) == "26 Nov"
    assert PARIS.relative(datetime(2025, 11, 25, 23, 30, tzinfo=UTC)) == "26 Nov 2025"


def test_the_exact_time_is_local_and_always_labelled() -> None:
    assert PARIS.exact(datetime(2026, 12, 7, 8, 15, tzinfo=UTC)) == "Mon 07 Dec 09:15 CET"
    assert PARIS.exact(datetime(2026, 7, 1, 8, 15, tzinfo=UTC)) == "Wed 01 Jul 10:15 CEST"
    assert PARIS.exact(datetime(2024, 12, 31, 23, 0, tzinfo=UTC)) == "Wed 01 Jan 2025 00:00 CET"


def test_a_time_today_is_short_and_another_days_carries_its_day_and_zone() -> None:
    assert PARIS.short(datetime(2026, 12, 7, 14, 30, tzinfo=UTC)) == "15:30"
    assert PARIS.short(datetime(2026, 12, 8, 8, 15, tzinfo=UTC)) == "Tue 08 Dec 09:15 CET"
    # Late on the 7th in UTC, but the 8th in Paris: another day for this reader.
    assert PARIS.short(datetime(2026, 12, 7, 23, 30, tzinfo=UTC)) == "Tue 08 Dec 00:30 CET"


def test_a_time_today_across_a_change_of_summer_time_is_labelled() -> None:
    # Sunday 29 March 2026 in Paris: 01:00 is CET, 04:00 is CEST, the same day.
    morning = LocalTimes.of("Europe/Paris", datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    assert morning.short(datetime(2026, 3, 29, 2, 0, tzinfo=UTC)) == "Sun 29 Mar 04:00 CEST"
    assert morning.short(datetime(2026, 3, 29, 0, 45, tzinfo=UTC)) == "01:45"


def test_a_zone_that_cannot_be_read_shows_utc_rather_than_failing_the_page() -> None:
    for name in (None, "", "Mars/Olympus_Mons", "../etc/passwd"):
        assert LocalTimes.of(name, NOW).zone_name == "UTC"


def test_the_last_days_run_from_local_midnights() -> None:
    since, until_ = PARIS.last_days(7)
    assert since == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 1 Dec, 00:00 in Paris
    assert until_ == datetime(2026, 12, 7, 23, 0, tzinfo=UTC)  # 8 Dec, 00:00 in Paris


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
       st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata",
                        "Australia/Lord_Howe", "America/Santiago"]))  # fmt: skip
def test_the_last_days_hold_today_whatever_the_zone(moment: datetime, zone: str) -> None:
    now = moment.replace(tzinfo=UTC)
    since, until_ = last_days(ZoneInfo(zone), now, 7)
    assert since <= now < until_
    assert timedelta(days=6, hours=22) <= until_ - since <= timedelta(days=7, hours=2)
