"""The checks a reply goes through before it leaves: length, personal data, promises out of
the team's hours, an incident left unsaid."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from routing.reply_checks import (
    LinkedIncident,
    ReplyCheck,
    ReplyContext,
    check_answer,
    check_reply,
    counted_length,
    room,
)
from sla.calendar_config import calendar_from_config
from tests.factories import paris_office

PARIS = ZoneInfo("Europe/Paris")
OFFICE = calendar_from_config(paris_office())
ALWAYS = calendar_from_config(
    {
        "tz": "UTC",
        "weekly": {
            d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
    }
)
FRIDAY_AFTERNOON = datetime(2026, 12, 4, 15, 0, tzinfo=PARIS)
OUTAGE = LinkedIncident("Network outage, Lyon", keywords=("reseau", "4g"), places=("Lyon",))


def _context(**changes: object) -> ReplyContext:
    facts: dict[str, object] = {
        "network": "x",
        "public": True,
        "now": FRIDAY_AFTERNOON,
        "customer_handle": "sarah_k",
        "customer_texts": ("my order 84512 never arrived, mail me at sarah@example.com",),
        "calendar": OFFICE,
        "team": "Support FR",
    }
    facts.update(changes)
    return ReplyContext(**facts)  # type: ignore[arg-type]


def _checks(text: str, **changes: object) -> list[ReplyCheck]:
    return [w.check for w in check_reply(text, _context(**changes))]


def test_a_plain_reply_passes_every_check() -> None:
    assert check_reply("Sorry about that, we are looking into it.", _context()) == []


def test_a_reply_longer_than_the_network_takes_is_refused_whatever_the_agent_says() -> None:
    (warning,) = check_reply("a" * 272, _context())  # with "@sarah_k ": 281
    assert warning.check is ReplyCheck.TOO_LONG
    assert warning.blocking
    assert "281 characters" in warning.message
    assert check_reply("a" * 271, _context()) == []
    assert check_reply("a" * 281, _context(network="mastodon")) == []


def test_the_length_counts_links_and_the_handle_as_the_network_does() -> None:
    link = "https://support.example.com/" + "x" * 100
    assert counted_length(f"see {link}", "x", "sarah_k") == len("@sarah_k see ") + 23
    assert counted_length("@sarah_k hi", "x", "sarah_k") == len("@sarah_k hi")
    assert counted_length("hi", "x", "sarah_k", direct=True) == 2  # a direct message has no @
    assert counted_length("hi", "mastodon", "léa@piaille.fr", direct=True) == len("@léa hi")
    assert room("x", "sarah_k") == 280 - len("@sarah_k ")
    assert room("x", "sarah_k", direct=True) == 10000
    assert room("webhook", None) is None


def test_personal_data_in_a_public_reply_is_named_masked_and_said_to_be_the_customers() -> None:
    (warning,) = check_reply("We found order 84512 for sarah@example.com", _context())
    assert warning.check is ReplyCheck.PERSONAL_DATA
    assert not warning.blocking
    assert "s***@example.com (the customer's own)" in warning.message
    assert "84512" not in warning.message  # masked
    assert "***12 (the customer's own)" in warning.message


def test_personal_data_in_a_direct_message_is_where_it_belongs() -> None:
    assert _checks("We found order 84512 for sarah@example.com", public=False) == []


def test_a_promise_when_the_team_is_closed_is_a_warning_that_says_when_it_opens() -> None:
    (warning,) = check_reply("We'll call you at 20:00.", _context())
    assert warning.check is ReplyCheck.CLOSED_THEN
    assert "“at 20:00” promises Fri 04 Dec 20:00 CET, when Support FR is closed" in warning.message
    assert "it opens again Mon 07 Dec 09:00 CET" in warning.message
    assert _checks("On vous rappelle demain à 10h") == [ReplyCheck.CLOSED_THEN]  # Saturday


def test_a_promise_in_the_teams_hours_passes() -> None:
    for text in ("We'll call you at 17:30", "On vous rappelle lundi à 10h", "within 2 hours"):
        assert _checks(text) == [], text


def test_a_span_is_kept_if_the_team_is_open_at_some_moment_of_it() -> None:
    evening = FRIDAY_AFTERNOON.replace(hour=18, minute=30)
    assert _checks("within 2 hours", now=evening) == []
    assert _checks("in 2 hours", now=evening) == [ReplyCheck.CLOSED_THEN]


def test_without_a_calendar_or_around_the_clock_nothing_is_closed() -> None:
    assert _checks("We'll call you at 03:00 on Sunday", calendar=None) == []
    assert _checks("We'll call you at 03:00 on Sunday", calendar=ALWAYS) == []


def test_an_open_incident_must_be_mentioned_by_its_title_a_keyword_a_place_or_an_outage_word() -> (
    None
):
    linked = {"incidents": (OUTAGE,)}
    assert _checks("Sorry for the wait, we are on it.", **linked) == [ReplyCheck.INCIDENT_UNSAID]
    for said in (
        "The network outage in Lyon is being fixed.",
        "Le réseau est en cours de rétablissement.",
        "Nos équipes sont sur la panne.",
        "lyon: engineers are on site",
        "We're aware of an incident.",
    ):
        assert _checks(said, **linked) == [], said


@given(st.text(max_size=600))
def test_every_text_gets_a_verdict_and_only_length_blocks(text: str) -> None:
    for warning in check_reply(text, _context(incidents=(OUTAGE,))):
        assert warning.message
        assert warning.blocking == (warning.check is ReplyCheck.TOO_LONG)


def test_a_community_answer_is_refused_over_the_limit_and_warned_about_personal_data() -> None:
    long = check_answer("a" * 301, "bluesky", FRIDAY_AFTERNOON)
    assert long.refused
    assert long.left == -1
    echoed = check_answer(
        "We will mail sarah@example.com today",
        "x",
        FRIDAY_AFTERNOON,
        ("mail me at sarah@example.com",),
    )
    assert not echoed.refused
    assert len(echoed.warnings) == 1
    assert "the customer's own" in echoed.warnings[0]


def test_an_empty_community_answer_is_refused_and_a_webhook_source_takes_a_long_one() -> None:
    assert check_answer("   ", "x", FRIDAY_AFTERNOON).refusals == ("The answer is empty.",)
    assert check_answer("b" * 4000, "webhook", FRIDAY_AFTERNOON).limit == 5000
