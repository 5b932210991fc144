"""The desk's pure parts: where an action answers back to, each running clock's words, and
the selection's choices of whom to assign to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from inbox.domain.web import InboxFilters
from web.desk import DeskPlace, assign_choices, back_to, clock_lines
from web.timefmt import LocalTimes

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday, 09:00 in Paris
PARIS = LocalTimes.of("Europe/Paris", NOW)


def _clock(**fields: object) -> dict[str, object]:
    clock: dict[str, object] = {
        "kind": "first_response",
        "stopped_at": None,
        "deadline": NOW + timedelta(minutes=41),
        "target_minutes": 60,
        "business_minutes": 19,
    }
    clock.update(fields)
    return clock


def _words(**fields: object) -> str:
    [line] = clock_lines([_clock(**fields)], PARIS)
    return line.words.replace("\xa0", " ")


def test_a_running_clock_says_what_is_left_of_its_target_and_when_it_is_due() -> None:
    [line] = clock_lines([_clock()], PARIS)
    assert line.name == "First response"
    # Each duration and time on one line (no-break spaces): a narrow pane wraps between them.
    assert line.words == "41\xa0min left of 60\xa0min · due 09:41"
    assert round(line.used, 2) == 0.32


def test_a_late_clock_says_by_how_much_and_a_paused_one_what_it_used() -> None:
    assert _words(deadline=NOW - timedelta(minutes=12)) == "late by 12 min · was due 08:48"
    assert _words(deadline=None) == "paused · 19 min used of 60 min"
    assert _words(target_minutes=8 * 60, deadline=None) == "paused · 19 min used of 8 h"


def test_a_deadline_on_another_day_names_its_day_and_zone() -> None:
    words = _words(deadline=NOW + timedelta(days=1))
    assert words.endswith("due Tue 08 Dec 09:00 CET")


def test_stopped_clocks_are_not_shown_as_running() -> None:
    assert clock_lines([_clock(stopped_at=NOW)], PARIS) == []


def test_an_action_answers_back_to_the_desk_it_came_from_with_its_view_and_filters() -> None:
    back = "/inbox?view=team&kind=complaint&sla=breached&thread=3"
    assert back_to(back, 7) == "/inbox?view=team&kind=complaint&sla=breached&thread=7"
    assert back_to("", 7) == "/threads/7"
    assert back_to("/threads/7", 7) == "/threads/7"
    assert back_to("https://evil.example/inbox?view=all", 7) == "/threads/7"
    # A view the desk does not know is the default one.
    assert back_to("/inbox?view=<script>", 7) == "/inbox?view=mine&thread=7"


@given(st.text(max_size=200))
def test_whatever_was_posted_the_answer_stays_on_this_site(back: str) -> None:
    where = back_to(back, 7)
    assert where.startswith(("/inbox?view=", "/threads/7"))
    assert "\n" not in where
    assert "\r" not in where


def test_a_desk_place_keeps_its_filters_in_the_addresses_it_makes() -> None:
    place = DeskPlace("all", InboxFilters(network="x", topic="billing & co"), 4)
    assert place.list_url == "/inbox?view=all&network=x&topic=billing+%26+co"
    assert place.thread_link == "/inbox?view=all&network=x&topic=billing+%26+co&thread="
    assert DeskPlace.of({"view": "all", "thread": "99999999999999999999999"}).thread_id is None


def test_the_selection_offers_every_colleague_but_the_reader_then_the_teams_names_escaped() -> None:
    choices = assign_choices(((1, "Ana"), (2, "<b>Léa</b>")), ((7, "Billing & co"),), me=1)

    assert str(choices) == (
        '<optgroup label="Colleagues"><option value="agent:2">&lt;b&gt;Léa&lt;/b&gt;</option>'
        '</optgroup><optgroup label="Teams"><option value="team:7">Billing &amp; co</option>'
        "</optgroup>"
    )
