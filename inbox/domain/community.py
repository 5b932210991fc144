"""The community's side of the inbox: the questions routing offers a trusted member, the answers
they draft, what staff made of them, and the member's credit.

A member sees only public questions offered to them and their own answers: never a private
message, a customer record or another member's work (docs/community.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class AnswerStatus(StrEnum):
    PENDING = "pending"  # waiting for an agent or a lead
    APPROVED = "approved"  # posted as the member wrote it
    EDITED = "edited"  # posted as the reviewer changed it
    REJECTED = "rejected"  # not posted; the reviewer's note says why

    @property
    def accepted(self) -> bool:
        return self in (AnswerStatus.APPROVED, AnswerStatus.EDITED)


@dataclass(frozen=True, slots=True)
class CustomerMessage:
    """One public message of the customer who asked."""

    author_handle: str | None
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OfferedQuestion:
    """A public question routing gave to this member: its latest messages, oldest first."""

    thread_id: int
    network: str
    asked_at: datetime
    messages: tuple[CustomerMessage, ...]
    # Their answer still waiting for review, if any (one at a time per question).
    pending_answer_id: int | None = None

    @property
    def author_handle(self) -> str | None:
        return self.messages[-1].author_handle if self.messages else None

    @property
    def customer_texts(self) -> tuple[str, ...]:
        return tuple(m.text for m in self.messages)


@dataclass(frozen=True, slots=True)
class MemberAnswer:
    """One of a member's answers and what became of it."""

    id: int
    thread_id: int
    network: str
    # The customer's message it answered; None once the conversation may no longer be shown
    # to the community (it went private, exposed personal data, the customer became VIP).
    question: str | None
    author_handle: str | None
    body: str
    status: AnswerStatus
    # What was posted when the reviewer changed it.
    edited_body: str | None
    note: str | None
    submitted_at: datetime
    reviewed_at: datetime | None
    # The network has it (the outbox sent it).
    posted: bool


@dataclass(frozen=True, slots=True)
class Credit:
    """A member's own figures; nobody else's are ever shown to them."""

    answers: int
    approved: int  # approved as written or edited, all time
    approved_since: int  # the same since the instant asked for (this month)
    pending: int
    rejected: int


@dataclass(frozen=True, slots=True)
class AnswerForReview:
    """A pending answer as staff review it: the question, who wrote the draft, the draft."""

    id: int
    thread_id: int
    network: str
    member_id: int
    member: str
    body: str
    submitted_at: datetime
    messages: tuple[CustomerMessage, ...]

    @property
    def customer_texts(self) -> tuple[str, ...]:
        return tuple(m.text for m in self.messages)


@dataclass(frozen=True, slots=True)
class Review:
    """A reviewer's decision on a pending answer: `edited` is the text posted instead of the
    member's (EDITED only), `note` what the member learns (required to reject)."""

    answer_id: int
    status: AnswerStatus
    reviewer_id: int
    at: datetime
    edited: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewedAnswer:
    thread_id: int
    member_id: int
    status: AnswerStatus
    # What is posted (the edited text, or the member's); None when rejected.
    posted_text: str | None
