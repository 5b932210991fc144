"""The community answers' use case over an in-memory store: who may do what, drafts held by
the checks, and what a review asks the store to record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inbox.domain.community import (
    AnswerForReview,
    AnswerStatus,
    Credit,
    CustomerMessage,
    MemberAnswer,
    OfferedQuestion,
    Review,
    ReviewedAnswer,
)
from inbox.domain.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from inbox.domain.outbox import OutboxItem
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.usecases.replies import CommunityAnswers

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
QUESTION = OfferedQuestion(
    thread_id=7,
    network="x",
    asked_at=NOW,
    messages=(CustomerMessage("nico", "@acme how do I update the app?", NOW),),
)


def session(*roles: Role, agent_id: int = 3) -> WebSession:
    return WebSession(1, agent_id, "Max", frozenset(roles), "csrf")


MEMBER = session(Role.COMMUNITY)
AGENT = session(Role.AGENT, agent_id=4)


class FakeCommunityAnswers:
    """Thread 7 offered to member 3; one answer (id 1) pending from them, if `pending`."""

    def __init__(self, *, pending: str | None = None) -> None:
        self.submitted: list[tuple[int, int, str]] = []
        self.reviews: list[tuple[int, AnswerStatus, str | None, str | None]] = []
        self.pending = pending

    async def offered(
        self, workspace_id: int, member_id: int, thread_id: int | None = None
    ) -> list[OfferedQuestion]:
        if member_id != 3 or thread_id not in (None, 7):
            return []
        return [QUESTION]

    async def submit(self, workspace_id: int, member_id: int, thread_id: int, body: str) -> int:
        self.submitted.append((member_id, thread_id, body))
        return len(self.submitted)

    async def answers_of(self, workspace_id: int, member_id: int, limit: int) -> list[MemberAnswer]:
        return []

    async def credit(self, workspace_id: int, member_id: int, since: datetime) -> Credit:
        return Credit(answers=0, approved=0, approved_since=0, pending=0, rejected=0)

    async def for_review(
        self, workspace_id: int, answer_id: int | None = None, limit: int = 200
    ) -> list[AnswerForReview]:
        if self.pending is None or answer_id not in (None, 1):
            return []
        return [
            AnswerForReview(1, 7, "x", 3, "Max", self.pending, NOW, QUESTION.messages),
        ]

    async def pending_count(self, workspace_id: int) -> int:
        return 0 if self.pending is None else 1

    async def review(
        self, workspace_id: int, review: Review
    ) -> tuple[ReviewedAnswer, OutboxItem | None] | None:
        self.reviews.append((review.answer_id, review.status, review.edited, review.note))
        status = review.status
        return ReviewedAnswer(7, 3, status, None if status is AnswerStatus.REJECTED else "x"), None


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

    class Waiting(FakeCommunityAnswers):
        async def offered(
            self, workspace_id: int, member_id: int, thread_id: int | None = None
        ) -> list[OfferedQuestion]:
            return [OfferedQuestion(7, "x", NOW, QUESTION.messages, pending_answer_id=1)]

    with pytest.raises(ConflictError):
        await answers(Waiting()).draft(MEMBER, 7, "again", despite_warnings=True)


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
