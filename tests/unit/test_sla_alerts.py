"""Who hears of a warning or a breach, in hours and out of hours."""

from __future__ import annotations

from datetime import UTC, datetime

from sla.alerts import AlertSubject, Person, on_call_of, plan_alert
from sla.calendar_config import calendar_from_config

OFFICE_CONFIG = {
    "tz": "Europe/Paris",
    "weekly": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "on_call": ["Night@Example.com"],
}
OFFICE = calendar_from_config(OFFICE_CONFIG)
TUESDAY_NOON = datetime(2026, 3, 3, 11, 0, tzinfo=UTC)
SATURDAY_NIGHT = datetime(2026, 3, 7, 23, 0, tzinfo=UTC)

ASSIGNEE = Person(1, "ana@example.com", lead=False, team_ids=frozenset({10}))
TEAMMATE = Person(2, "ben@example.com", lead=False, team_ids=frozenset({10}))
TEAM_LEAD = Person(3, "lea@example.com", lead=True, team_ids=frozenset({10}))
OTHER_LEAD = Person(4, "max@example.com", lead=True, team_ids=frozenset({20}))
NIGHT = Person(5, "night@example.com", lead=False)
GONE = Person(6, "old@example.com", lead=True, active=False)
EVERYONE = [ASSIGNEE, TEAMMATE, TEAM_LEAD, OTHER_LEAD, NIGHT, GONE]


def subject(
    kind: str, at: datetime = TUESDAY_NOON, assignee: int | None = 1, team: int | None = 10
) -> AlertSubject:
    return AlertSubject(kind, at, assignee, team)


def test_in_hours_a_warning_goes_to_the_assignee_only() -> None:
    plan = plan_alert(subject("warning"), OFFICE, ["night@example.com"], EVERYONE)
    assert plan == plan.__class__(False, ((1, "assignee"),))


def test_in_hours_a_breach_escalates_to_the_team_lead() -> None:
    plan = plan_alert(subject("breach"), OFFICE, [], EVERYONE)
    assert plan.recipients == ((1, "assignee"), (3, "lead"))


def test_without_an_assignee_the_team_hears_of_it() -> None:
    plan = plan_alert(subject("warning", assignee=None), OFFICE, [], EVERYONE)
    assert plan.recipients == ((1, "team"), (2, "team"), (3, "team"))


def test_a_thread_nobody_holds_alerts_every_active_lead() -> None:
    plan = plan_alert(subject("warning", assignee=None, team=None), OFFICE, [], EVERYONE)
    assert plan.recipients == ((3, "lead"), (4, "lead"))


def test_an_inactive_assignee_falls_back_to_the_team() -> None:
    plan = plan_alert(subject("warning", assignee=6), OFFICE, [], EVERYONE)
    assert [reason for _, reason in plan.recipients] == ["team", "team", "team"]


def test_out_of_hours_only_the_on_call_people_are_alerted_whatever_their_case() -> None:
    plan = plan_alert(
        subject("breach", at=SATURDAY_NIGHT), OFFICE, on_call_of(OFFICE_CONFIG), EVERYONE
    )
    assert plan.out_of_hours
    assert plan.recipients == ((5, "on_call"),)


def test_out_of_hours_without_anyone_on_call_nobody_is_woken() -> None:
    plan = plan_alert(subject("breach", at=SATURDAY_NIGHT), OFFICE, [], EVERYONE)
    assert plan.out_of_hours
    assert plan.recipients == ()


def test_a_union_calendar_gathers_its_members_on_call_lists() -> None:
    union = {
        "union": [OFFICE_CONFIG, {"tz": "Asia/Tokyo", "weekly": {}, "on_call": ["jp@example.com"]}]
    }
    assert on_call_of(union) == ("Night@Example.com", "jp@example.com")
    assert on_call_of(None) == ()
