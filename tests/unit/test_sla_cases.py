"""Expected-outcome cases: the engine agrees or says exactly where it does not."""

from __future__ import annotations

from typing import Any

import pytest

from sla.cases import CaseError, check_all

PARIS_OFFICE = {
    "tz": "Europe/Paris",
    "weekly": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2024-05-01"],
}


def case(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "friday-evening",
        "calendar": PARIS_OFFICE,
        "arrived_at": "2024-01-19T17:30:00+01:00",
        "target_minutes": 60,
    }
    base.update(fields)
    return base


def test_a_case_that_matches_passes() -> None:
    verdicts = check_all(
        {
            "cases": [
                case(
                    expected_deadline="2024-01-22T08:30:00Z",
                    now="2024-01-22T09:15:00+01:00",
                    expected_business_minutes_elapsed=45,
                    expected_wall_clock_minutes_elapsed=3825,
                    expected_breached=False,
                )
            ]
        }
    )
    assert [v.line() for v in verdicts] == ["PASS friday-evening"]


def test_a_holiday_the_author_forgot_fails_with_both_deadlines() -> None:
    verdicts = check_all(
        [
            case(
                id="may-day",
                arrived_at="2024-04-30T17:30:00+02:00",
                expected_deadline="2024-05-01T07:30:00Z",
            )
        ]
    )
    assert verdicts[0].line() == (
        "FAIL may-day: expected deadline 2024-05-01T07:30:00Z, got 2024-05-02T07:30:00Z"
    )


def test_every_wrong_expectation_is_reported() -> None:
    (verdict,) = check_all(
        [
            case(
                now="2024-01-22T10:00:00+01:00",
                expected_business_minutes_elapsed=60,
                expected_wall_clock_minutes_elapsed=60,
                expected_breached=False,
            )
        ]
    )
    assert verdict.mismatches == (
        "expected 60 business minutes elapsed, got 90",
        "expected 60 wall-clock minutes elapsed, got 3870",
        "expected no breach, got a breach",
    )


def test_a_response_exactly_at_the_deadline_is_in_time() -> None:
    (verdict,) = check_all(
        [
            case(
                events={"first_response_at": "2024-01-22T09:30:00+01:00"},
                expected_breached=False,
            )
        ]
    )
    assert verdict.passed


def test_an_open_pause_gives_no_deadline() -> None:
    (verdict,) = check_all(
        [
            case(
                events={"pauses": [["2024-01-19T17:40:00+01:00", None]]},
                expected_deadline=None,
            )
        ]
    )
    assert verdict.passed


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ({"arrived_at": "yesterday"}, "'arrived_at': 'yesterday' is not an ISO 8601 instant"),
        ({"arrived_at": "2024-01-19T17:30:00"}, "has no UTC offset"),
        ({"target_minutes": -5}, "'target_minutes' must be a number of minutes"),
        ({"calendar": {"tz": "Mars/Olympus", "weekly": {}}}, "Mars/Olympus"),
        ({"calendar": {"tz": "UTC", "weekly": {"moon": []}}}, "unknown weekdays"),
        ({"expected_breached": "no"}, "'expected_breached' must be true or false"),
        ({"events": {"pauses": [["2024-01-19T18:00:00Z"]]}}, "a pause is [start, end|null]"),
    ],
)
def test_an_unreadable_case_fails_with_its_reason_and_the_others_still_run(
    broken: dict[str, Any], reason: str
) -> None:
    verdicts = check_all([case(id="broken", **broken), case(id="fine")])
    assert not verdicts[0].passed
    assert verdicts[0].line().startswith("FAIL broken: invalid case: ")
    assert reason in verdicts[0].line()
    assert verdicts[1].passed


def test_a_case_without_an_id_is_named_by_its_position_and_ids_stay_on_one_line() -> None:
    verdicts = check_all([{"calendar": PARIS_OFFICE}, case(id="two\nlines")])
    assert verdicts[0].line().startswith("FAIL case #1: invalid case: ")
    assert verdicts[1].line() == "PASS two lines"


def test_a_document_without_cases_is_refused() -> None:
    with pytest.raises(CaseError, match="cases"):
        check_all({"calendars": {}})
