"""What the agent's flow says and accepts: the outcome of an action on several threads, a
snooze's length, a status with the shift, a tag's one spelling, notices signed for the
session."""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs

import pytest

from inbox.domain.bulk import AssignTarget, BulkAction, BulkOutcome, Skipped
from inbox.domain.errors import ConfigurationError
from inbox.domain.people import Role
from inbox.domain.presence import AgentStatus, Presence
from inbox.domain.tags import LONGEST_TAG, checked_tag
from inbox.domain.web import WebSession
from inbox.usecases.web_pages import SNOOZES, snooze_words
from web.notices import notice_query, said


@pytest.mark.parametrize(
    ("outcome", "sentence"),
    [
        (BulkOutcome(BulkAction.ASSIGN, (1, 2, 3), target="Léa"), "3 assigned to Léa"),
        (BulkOutcome(BulkAction.TAG, (1,), target="billing"), "1 tagged billing"),
        (BulkOutcome(BulkAction.UNTAG, (1, 2), target="vip"), "vip removed from 2"),
        (BulkOutcome(BulkAction.SNOOZE, (4,), target="1 day"), "1 snoozed for 1 day"),
        (
            BulkOutcome(BulkAction.CLOSE, (1,), Counter({Skipped.CLOSED: 2})),
            "1 closed: no reply needed; 2 skipped: already resolved",
        ),
        (
            BulkOutcome(
                BulkAction.ASSIGN,
                (),
                Counter({Skipped.ALREADY: 1, Skipped.NOT_FOUND: 2}),
                target="you",
            ),
            "0 assigned to you; 3 skipped: 1 already theirs, 2 not found",
        ),
    ],
)
def test_an_action_on_several_threads_says_what_was_done_and_why_some_were_not(
    outcome: BulkOutcome, sentence: str
) -> None:
    assert outcome.sentence() == sentence


def test_an_assignment_names_a_colleague_or_a_team_never_both_or_neither() -> None:
    with pytest.raises(ValueError, match="not both"):
        AssignTarget(agent_id=1, team_id=2)
    with pytest.raises(ValueError, match="not both"):
        AssignTarget()


def test_every_snooze_the_pages_offer_is_said_in_words() -> None:
    words = [snooze_words(hours) for hours in SNOOZES.values()]
    assert words == ["1 hour", "4 hours", "1 day", "3 days", "1 week"]
    assert snooze_words(0.5) == "30 minutes"


@pytest.mark.parametrize(
    ("presence", "state", "takes"),
    [
        (Presence(), "available", True),
        (Presence(AgentStatus.AVAILABLE, on_shift=False), "off_shift", False),
        (Presence(AgentStatus.BUSY), "busy", False),
        (Presence(AgentStatus.AWAY, on_shift=False), "away", False),
    ],
)
def test_a_status_is_seen_with_the_shift(presence: Presence, state: str, takes: bool) -> None:
    assert presence.state == state
    assert presence.takes_new_threads is takes


def test_an_unknown_status_is_refused_naming_the_choices() -> None:
    with pytest.raises(ConfigurationError, match="available, busy, away"):
        AgentStatus.parse("asleep")


def test_a_tag_has_one_spelling_and_refuses_markup_and_length() -> None:
    assert checked_tag("  Billing   Issue ") == "billing issue"
    for bad in ("", "   ", "<b>", "x" * (LONGEST_TAG + 1)):
        with pytest.raises(ConfigurationError):
            checked_tag(bad)


def _session(csrf: str) -> WebSession:
    return WebSession(1, 2, "Ana", frozenset({Role.AGENT}), csrf)


def test_a_notice_is_read_back_only_by_the_session_that_signed_it() -> None:
    mine, other = _session("token-a"), _session("token-b")
    query = {key: values[0] for key, values in parse_qs(notice_query(mine, "2 tagged vip")).items()}
    assert said(query, mine) == "2 tagged vip"
    assert said(query, other) is None
    assert said({**query, "said": "Call us on 0800"}, mine) is None
    assert said({}, mine) is None
