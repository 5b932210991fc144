"""The days a calendar's national list closes it (`country`, `subdivision`), named, over a
span of dates: what the admin page lists beside the dates typed in."""

from __future__ import annotations

from datetime import date

from sla.calendar_config import calendar_from_config

OFFICE = {"tz": "Europe/Paris", "weekly": {"mon": [["09:00", "18:00"]]}}


def test_a_country_s_holidays_over_a_span_are_listed_in_order_with_their_names() -> None:
    france = calendar_from_config({**OFFICE, "country": "FR"})
    listed = france.country_holidays(date(2026, 12, 1), date(2027, 1, 31))
    assert [day for day, _ in listed] == [date(2026, 12, 25), date(2027, 1, 1)]
    assert all(name for _, name in listed)


def test_both_ends_of_the_span_are_included() -> None:
    france = calendar_from_config({**OFFICE, "country": "FR"})
    assert [d for d, _ in france.country_holidays(date(2026, 7, 14), date(2026, 7, 14))] == [
        date(2026, 7, 14)
    ]


def test_a_subdivision_adds_its_own_and_worked_holidays_are_left_out() -> None:
    moselle = calendar_from_config(
        {**OFFICE, "country": "FR", "subdivision": "57", "not_holidays": ["2026-12-25"]}
    )
    days = [day for day, _ in moselle.country_holidays(date(2026, 12, 20), date(2026, 12, 31))]
    assert days == [date(2026, 12, 26)]  # Saint Stephen's Day in Moselle; Christmas is worked


def test_the_dates_listed_by_hand_are_not_the_country_s() -> None:
    listed_only = calendar_from_config({**OFFICE, "holidays": ["2026-12-25"]})
    assert listed_only.country_holidays(date(2026, 1, 1), date(2026, 12, 31)) == []
    assert listed_only.is_holiday(date(2026, 12, 25))
