"""The zone a team works in, from the SLA settings: where its people's times are shown."""

from __future__ import annotations

from sla.calendar_config import calendar_from_config
from sla.policy import PolicyBook
from sla.team_zone import team_time_zone

ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
CALENDARS = {
    "paris": calendar_from_config({"tz": "Europe/Paris", "weekly": ALWAYS}),
    "new york": calendar_from_config({"tz": "America/New_York", "weekly": ALWAYS}),
    "follow the sun": calendar_from_config(
        {
            "union": [
                {"tz": "Asia/Tokyo", "weekly": ALWAYS},
                {"tz": "Europe/Paris", "weekly": ALWAYS},
            ]
        }
    ),
}
BOOK = PolicyBook.model_validate(
    {
        "policies": {
            "paris": {"name": "paris", "calendar": "paris"},
            "vip": {"name": "vip", "calendar": "follow the sun"},
            "elsewhere": {"name": "elsewhere", "calendar": "new york"},
        },
        "rules": [
            {"when": {"vip": True}, "policy": "vip"},
            {"when": {"team_ids": [7, 8]}, "policy": "paris"},
            {"when": {"team_ids": [9]}, "policy": "vip"},
        ],
        "default": "elsewhere",
    }
)


def test_a_team_works_in_the_calendar_of_the_first_rule_that_names_it() -> None:
    assert team_time_zone(BOOK, CALENDARS, 8) == "Europe/Paris"


def test_rules_that_name_no_team_do_not_decide_a_teams_zone() -> None:
    # The VIP rule comes first but names no team: team 8 still reads Paris time.
    assert team_time_zone(BOOK, CALENDARS, 7) == "Europe/Paris"


def test_a_team_no_rule_names_and_a_person_without_team_get_the_default_policys_zone() -> None:
    assert team_time_zone(BOOK, CALENDARS, 3) == "America/New_York"
    assert team_time_zone(BOOK, CALENDARS, None) == "America/New_York"


def test_a_union_of_calendars_reads_as_its_first_members_zone() -> None:
    assert team_time_zone(BOOK, CALENDARS, 9) == "Asia/Tokyo"


def test_a_calendar_renamed_away_leaves_utc() -> None:
    assert team_time_zone(BOOK, {"paris": CALENDARS["paris"]}, None) == "UTC"
