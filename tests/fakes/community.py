"""An in-memory fake of the community answers' store: one question offered to one member,
and at most one answer of theirs waiting for review; what was submitted and reviewed is
recorded for the tests to read."""

from __future__ import annotations

from datetime import UTC, datetime

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
from inbox.domain.outbox import OutboxItem

ASKED_AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
MEMBER_ID = 3
QUESTION = OfferedQuestion(
    thread_id=7,
    network="x",
    asked_at=ASKED_AT,
    messages=(CustomerMessage("nico", "@acme how do I update the app?", ASKED_AT),),
)
PENDING_ANSWER_ID = 1


NO_CREDIT = Credit(answers=0, approved=0, approved_since=0, pending=0, rejected=0)


class FakeCommunityAnswers:
    """`question` offered to member 3; one answer (id 1) pending from them, if `pending`.
    `taken_back`: the question leaves the member between their read and their submission;
    `reviewed_meanwhile`: another reviewer decides on the answer first."""

    def __init__(
        self,
        *,
        pending: str | None = None,
        question: OfferedQuestion = QUESTION,
        credit: Credit = NO_CREDIT,
        taken_back: bool = False,
        reviewed_meanwhile: bool = False,
    ) -> None:
        self.submitted: list[tuple[int, int, str]] = []
        self.reviews: list[tuple[int, AnswerStatus, str | None, str | None]] = []
        self.credit_asked: list[tuple[int, datetime]] = []  # (member, since)
        self.pending = pending
        self.question = question
        self.credit_of_member = credit
        self.taken_back = taken_back
        self.reviewed_meanwhile = reviewed_meanwhile

    async def offered(
        self, workspace_id: int, member_id: int, thread_id: int | None = None
    ) -> list[OfferedQuestion]:
        if member_id != MEMBER_ID or thread_id not in (None, self.question.thread_id):
            return []
        return [self.question]

    async def submit(
        self, workspace_id: int, member_id: int, thread_id: int, body: str
    ) -> int | None:
        if self.taken_back:
            return None
        self.submitted.append((member_id, thread_id, body))
        return len(self.submitted)

    async def answers_of(self, workspace_id: int, member_id: int, limit: int) -> list[MemberAnswer]:
        return []

    async def credit(self, workspace_id: int, member_id: int, since: datetime) -> Credit:
        self.credit_asked.append((member_id, since))
        return self.credit_of_member if member_id == MEMBER_ID else NO_CREDIT

    async def for_review(
        self, workspace_id: int, answer_id: int | None = None, limit: int = 200
    ) -> list[AnswerForReview]:
        if self.pending is None or answer_id not in (None, PENDING_ANSWER_ID):
            return []
        question = self.question
        return [
            AnswerForReview(
                PENDING_ANSWER_ID,
                question.thread_id,
                question.network,
                MEMBER_ID,
                "Max",
                self.pending,
                question.asked_at,
                question.messages,
            ),
        ]

    async def pending_count(self, workspace_id: int) -> int:
        return 0 if self.pending is None else 1

    async def review(
        self, workspace_id: int, review: Review
    ) -> tuple[ReviewedAnswer, OutboxItem | None] | None:
        if self.reviewed_meanwhile:
            return None
        self.reviews.append((review.answer_id, review.status, review.edited, review.note))
        status = review.status
        posted = None if status is AnswerStatus.REJECTED else self.question.network
        return ReviewedAnswer(self.question.thread_id, MEMBER_ID, status, posted), None
