"""The community answers' use case on the fake of its store (no database): who may do what,
drafts held by the checks, and what a review asks the store to record."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from inbox.domain.community import AnswerStatus, Credit
from inbox.domain.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.usecases.replies import CommunityAnswers
from tests.fakes.community import ASKED_AT, QUESTION, FakeCommunityAnswers

NOW = ASKED_AT


def session(*roles: Role, agent_id: int = 3) -> WebSession:
    return WebSession(1, agent_id, "Max", frozenset(roles), "csrf")


MEMBER = session(Role.COMMUNITY)
AGENT = session(Role.AGENT, agent_id=4)


def answers(store: FakeCommunityAnswers) -> CommunityAnswers:
    return CommunityAnswers(store, lambda: NOW)


async def test_only_community_members_draft_and_only_agents_leads_and_admins_review() -> None:
    use = answers(FakeCommunityAnswers(pending="Settings > Update."))
    for person in (AGENT, session(Role.LEAD), session(Role.OPS)):
        with pytest.raises(PermissionDeniedError):
            await use.draft(person, 7, "hello", despite_warnings=True)
        with pytest.raises(PermissionDeniedError):
            await use.portal(person, NOW)
    for person in (MEMBER, session(Role.OPS)):
        with pytest.raises(PermissionDeniedError):
            await use.for_review(person)
        with pytest.raises(PermissionDeniedError):
            await use.review_by(person, 1, "approve")


async def test_a_question_not_offered_to_the_member_is_not_found() -> None:
    store = FakeCommunityAnswers()
    with pytest.raises(NotFoundError):
        await answers(store).draft(MEMBER, 8, "hello", despite_warnings=True)
    other_member = session(Role.COMMUNITY, agent_id=5)
    with pytest.raises(NotFoundError):
        await answers(store).draft(other_member, 7, "hi", despite_warnings=True)
    assert store.submitted == []


async def test_a_draft_with_personal_data_is_held_until_the_member_confirms_it() -> None:
    store = FakeCommunityAnswers()
    text = "Write to max.dupont@gmail.com"
    held = await answers(store).draft(MEMBER, 7, text, despite_warnings=False)
    assert (held.answer_id, held.check.refused, len(held.check.warnings)) == (None, False, 1)
    assert store.submitted == []
    sent = await answers(store).draft(MEMBER, 7, text, despite_warnings=True)
    assert sent.answer_id == 1
    assert store.submitted == [(3, 7, text)]


async def test_a_draft_over_the_limit_is_never_submitted_even_confirmed() -> None:
    store = FakeCommunityAnswers()
    held = await answers(store).draft(MEMBER, 7, "a" * 281, despite_warnings=True)
    assert held.answer_id is None
    assert held.check.refused
    with pytest.raises(ConfigurationError, match="it takes 280"):
        await answers(store).submit(1, 7, 3, "a" * 281)  # the API's way in
    assert store.submitted == []


async def test_the_apis_submission_is_not_held_by_warnings_and_a_second_one_conflicts() -> None:
    store = FakeCommunityAnswers()
    assert await answers(store).submit(1, 7, 3, "Mail max.dupont@gmail.com\r\nthanks") == 1
    assert store.submitted == [(3, 7, "Mail max.dupont@gmail.com\nthanks")]

    waiting = FakeCommunityAnswers(question=replace(QUESTION, pending_answer_id=1))
    with pytest.raises(ConflictError):
        await answers(waiting).draft(MEMBER, 7, "again", despite_warnings=True)


@pytest.mark.parametrize(
    ("decision", "body", "status", "edited"),
    [("approve", None, AnswerStatus.APPROVED, None),
     # The review form always sends the text: the store records an unchanged one as approved.
     ("approve", "Settings > Update.", AnswerStatus.EDITED, "Settings > Update."),
     ("approve", "Settings > About > Update.", AnswerStatus.EDITED, "Settings > About > Update."),
     ("edit", "Settings > About.", AnswerStatus.EDITED, "Settings > About.")],
)  # fmt: skip
async def test_an_approval_posts_the_reviewers_text_when_there_is_one(
    decision: str, body: str | None, status: AnswerStatus, edited: str | None
) -> None:
    store = FakeCommunityAnswers(pending="Settings > Update.")
    await answers(store).review_by(AGENT, 1, decision, body)
    assert store.reviews == [(1, status, edited, None)]


async def test_a_rejection_needs_a_note_and_ignores_the_text() -> None:
    store = FakeCommunityAnswers(pending="Just reinstall it")
    for note in (None, "  "):
        with pytest.raises(ConfigurationError, match="note"):
            await answers(store).review_by(AGENT, 1, "reject", "Just reinstall it", note)
    await answers(store).review_by(AGENT, 1, "reject", "Just reinstall it", " It loses data. ")
    assert store.reviews == [(1, AnswerStatus.REJECTED, None, "It loses data.")]


async def test_an_approval_over_the_networks_limit_is_refused_before_anything_is_recorded() -> None:
    store = FakeCommunityAnswers(pending="Settings > Update.")
    with pytest.raises(ConfigurationError, match="it takes 280"):
        await answers(store).review_by(AGENT, 1, "approve", "a" * 300)
    with pytest.raises(NotFoundError):
        await answers(store).review_by(AGENT, 2, "approve")
    with pytest.raises(ConfigurationError, match="decision"):
        await answers(store).review_by(AGENT, 1, "post it")
    assert store.reviews == []


async def test_a_members_page_shows_their_questions_and_their_credit_since_the_month_began() -> (
    None
):
    credit = Credit(answers=4, approved=2, approved_since=1, pending=1, rejected=1)
    store = FakeCommunityAnswers(credit=credit)
    month = NOW - timedelta(days=6)

    portal = await answers(store).portal(MEMBER, month)

    assert (portal.questions, portal.answers, portal.credit) == ([QUESTION], [], credit)
    assert store.credit_asked == [(3, month)]


async def test_the_apis_contributions_count_as_accepted_what_the_pages_call_approved() -> None:
    credit = Credit(answers=4, approved=2, approved_since=1, pending=1, rejected=1)

    counted = await answers(FakeCommunityAnswers(credit=credit)).contributions(1, 3)

    assert counted == {"answers": 4, "accepted": 2, "pending": 1, "rejected": 1}


async def test_a_question_taken_back_while_the_member_wrote_is_a_conflict_not_a_loss() -> None:
    store = FakeCommunityAnswers(taken_back=True)
    with pytest.raises(ConflictError, match="no longer waiting"):
        await answers(store).draft(MEMBER, 7, "Settings > Update.", despite_warnings=False)


async def test_each_answer_for_review_comes_with_the_checks_its_text_meets() -> None:
    store = FakeCommunityAnswers(pending="Write to max.dupont@gmail.com")

    [(answer, check)] = await answers(store).for_review(AGENT)

    assert (answer.id, answer.body) == (1, "Write to max.dupont@gmail.com")
    assert (check.refused, len(check.warnings)) == (False, 1)
    assert await answers(store).pending_count(AGENT) == 1
    [listed] = await answers(store).pending(1)  # the API's list
    assert (listed["id"], listed["status"], listed["excerpt"]) == (
        1,
        "pending",
        "@acme how do I update the app?",
    )


async def test_an_answer_another_reviewer_decided_first_is_not_found_for_the_second() -> None:
    store = FakeCommunityAnswers(pending="Settings > Update.", reviewed_meanwhile=True)
    with pytest.raises(NotFoundError):
        await answers(store).review_by(AGENT, 1, "approve")
    assert store.reviews == []
