"""What SLA settings must pass before they are saved: every bound refused with the calendar or
field named, calendars a policy counts in that never open refused, deep unions refused
without a RecursionError."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from inbox.domain.errors import ConfigurationError
from inbox.domain.sla import SlaSettings
from inbox.usecases.sla_rules import SlaRules
from sla.calendar import CalendarError, business_time, next_opening, opens_within
from sla.calendar_config import (
    MAX_HOLIDAYS,
    MAX_ON_CALL,
    MAX_UNION_DEPTH,
    MAX_UNION_MEMBERS,
    MAX_WINDOWS_PER_DAY,
    calendar_from_config,
)
from sla.policy import MAX_POLICIES, MAX_TARGET_MINUTES

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)  # a Monday
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def office(**changes: object) -> dict[str, Any]:
    calendar: dict[str, Any] = {
        "tz": "Europe/Paris",
        "weekly": {day: [["09:00", "18:00"]] for day in WEEKDAYS},
    }
    calendar.update(changes)
    return calendar


def policies(calendar: str = "office", **targets: int) -> dict[str, object]:
    return {
        "policies": {"standard": {"name": "standard", "calendar": calendar, "targets": targets}},
        "default": "standard",
    }


def admitted(calendars: dict[str, object], book: dict[str, object] | None = None) -> SlaRules:
    return SlaRules.admitted(SlaSettings(0, calendars, book or policies()), NOW)


def refusal(calendars: dict[str, object], book: dict[str, object] | None = None) -> str:
    """The refusal, as `field: reason`."""
    with pytest.raises(ConfigurationError) as refused:
        admitted(calendars, book)
    return str(refused.value)


def nested_union(depth: int) -> dict[str, object]:
    calendar: dict[str, object] = office()
    for _ in range(depth):
        calendar = {"union": [calendar]}
    return calendar


def test_an_office_calendar_with_holidays_and_overrides_is_admitted() -> None:
    calendar = office(
        country="FR",
        holidays=["2026-08-14"],
        overrides={"2026-12-24": [["09:00", "12:00"]]},
    )
    rules = admitted({"office": calendar}, policies(first_response=60, resolution=5 * 24 * 60))
    assert set(rules.calendars) == {"office"}


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        (
            {"weekly": {"mon": [["09:00", "09:01"]] * (MAX_WINDOWS_PER_DAY + 1)}},
            f"at most {MAX_WINDOWS_PER_DAY} windows a day",
        ),
        (
            {"holidays": [str(date(2000, 1, 1) + timedelta(days=n)) for n in range(300_000)]},
            f"'holidays': at most {MAX_HOLIDAYS} dates",
        ),
        (
            {"not_holidays": ["2026-01-01"] * (MAX_HOLIDAYS + 1)},
            f"'not_holidays': at most {MAX_HOLIDAYS} dates",
        ),
        (
            {"overrides": {str(date(2026, 1, 1) + timedelta(days=n)): [] for n in range(1001)}},
            f"'overrides': at most {MAX_HOLIDAYS} dates",
        ),
        ({"holidays": ["9999-12-31"]}, "'holidays': 9999-12-31 is not between"),
        ({"overrides": {"1900-01-01": []}}, "'overrides': 1900-01-01 is not between"),
        ({"on_call": ["a@example.com"] * (MAX_ON_CALL + 1)}, f"at most {MAX_ON_CALL} people"),
    ],
    ids=["windows", "holidays", "not_holidays", "overrides", "late date", "early date", "on_call"],
)
def test_each_bound_of_a_calendar_is_refused_naming_the_calendar(
    changes: dict[str, object], said: str
) -> None:
    reason = refusal({"office": office(**changes)})
    assert reason.startswith("calendars.office: ")
    assert said in reason


def test_a_union_nested_beyond_the_limit_is_refused_naming_the_calendar() -> None:
    admitted({"sun": nested_union(MAX_UNION_DEPTH)}, policies("sun"))
    reason = refusal({"sun": nested_union(MAX_UNION_DEPTH + 1)}, policies("sun"))
    assert reason == f"calendars.sun: 'union': unions nested more than {MAX_UNION_DEPTH} deep"


def test_a_union_nested_3000_deep_is_refused_without_a_recursion_error() -> None:
    with pytest.raises(CalendarError, match="unions nested more than"):
        calendar_from_config(nested_union(3000))
    assert "unions nested more than" in refusal({"deep": nested_union(3000)}, policies("deep"))


def test_a_union_of_too_many_calendars_is_refused_even_spread_over_nested_unions() -> None:
    wide = {"union": [office()] * (MAX_UNION_MEMBERS + 1)}
    assert f"at most {MAX_UNION_MEMBERS} calendars" in refusal({"u": wide}, policies("u"))
    # Eight unions of eight members of eight...: refused as soon as the count is passed.
    spread: dict[str, object] = office()
    for _ in range(MAX_UNION_DEPTH):
        spread = {"union": [spread] * 8}
    assert "calendars in all" in refusal({"u": spread}, policies("u"))


@pytest.mark.parametrize(
    ("targets", "field"),
    [
        ({"first_response": 35_791_395}, "policies.standard.targets.first_response"),
        ({"next_response": MAX_TARGET_MINUTES + 1}, "policies.standard.targets.next_response"),
        ({"resolution": 0}, "policies.standard.targets.resolution"),
    ],
)
def test_a_target_outside_a_minute_to_90_days_is_refused_naming_the_field(
    targets: dict[str, int], field: str
) -> None:
    assert refusal({"office": office()}, policies(**targets)).startswith(f"{field}: ")


def test_too_many_policies_or_calendars_are_refused() -> None:
    many = {f"p{n}": {"name": f"p{n}", "calendar": "office"} for n in range(MAX_POLICIES + 1)}
    reason = refusal({"office": office()}, {"policies": many, "default": "p0"})
    assert reason.startswith("policies: ")
    calendars = {f"c{n}": office() for n in range(51)}
    assert refusal(calendars).startswith("calendars: at most 50 calendars")


def test_a_policy_naming_no_calendar_of_the_document_is_refused_naming_the_policy() -> None:
    reason = refusal({"office": office()}, policies("elsewhere"))
    assert reason.startswith("policies.standard.calendar: unknown calendars: elsewhere")


def test_a_calendar_without_hours_is_refused_where_a_policy_counts_in_it() -> None:
    closed = office(weekly={})
    reason = refusal({"office": closed})
    assert reason.startswith(
        "calendars.office: not open at any time in the 366 days from 2026-05-04"
    )
    assert "the policy 'standard' counts in it" in reason
    # Kept while no policy uses it (an admin may be preparing it).
    admitted({"office": office(), "draft": closed})


def test_a_calendar_closed_by_holidays_for_over_a_year_is_refused() -> None:
    mondays = office(weekly={"mon": [["09:00", "18:00"]]})
    every_monday = [str(date(2027, 1, 4) + timedelta(weeks=n)) for n in range(60)]
    reason = refusal({"office": {**mondays, "holidays": every_monday}})
    assert reason.startswith(
        "calendars.office: not open at any time in the 366 days from 2027-01-04"
    )
    admitted({"office": {**mondays, "holidays": every_monday[:40]}})


def test_a_calendar_open_only_on_listed_days_is_refused_once_they_are_past() -> None:
    days_only = office(weekly={}, overrides={"2026-05-05": [["09:00", "18:00"]]})
    assert refusal({"office": days_only}).startswith(
        "calendars.office: not open at any time in the 366 days from 2026-05-06"
    )


def test_a_target_the_calendar_cannot_use_up_within_two_years_is_refused_naming_it() -> None:
    an_hour_a_week = office(weekly={"mon": [["09:00", "10:00"]]})
    admitted({"office": an_hour_a_week}, policies(resolution=60 * 100))
    reason = refusal({"office": an_hour_a_week}, policies(resolution=MAX_TARGET_MINUTES))
    assert reason.startswith("policies.standard.targets.resolution: 129600 business minutes")
    assert "within 732 days on the calendar 'office'" in reason


def test_a_union_with_a_calendar_that_never_opens_is_refused_naming_it() -> None:
    tokyo = {"tz": "Asia/Tokyo", "weekly": {}}
    reason = refusal({"sun": {"union": [office(), tokyo]}}, policies("sun"))
    assert reason.startswith(
        "calendars.sun: union member 2 (Asia/Tokyo): not open at any time in the 366 days"
    )


def test_opening_is_looked_for_with_the_calendar_code_within_bounds() -> None:
    closed = calendar_from_config(office(weekly={}))
    ten_years = NOW + timedelta(days=3653)
    # Bounded by `until`, a calendar closed for ever yields nothing rather than raising.
    assert list(closed.open_intervals(NOW, until=ten_years)) == []
    assert business_time(closed, NOW, ten_years) == timedelta()
    assert opens_within(closed, NOW, timedelta(days=366)) is None
    open_one = calendar_from_config(office())
    saturday, monday_morning = NOW + timedelta(days=5), datetime(2026, 5, 11, 7, 0, tzinfo=UTC)
    assert opens_within(open_one, saturday, timedelta(days=2)) == monday_morning
    assert next_opening(open_one, saturday) == monday_morning
    assert opens_within(open_one, saturday, timedelta(days=1)) is None
    with pytest.raises(CalendarError, match="closed for 1830 days"):
        next(iter(closed.open_intervals(NOW)))
