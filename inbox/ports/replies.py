"""Replies: the desk guard, community answers, the facts a reply is checked against, canned
responses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from inbox.domain.community import (
    AnswerForReview,
    Credit,
    MemberAnswer,
    OfferedQuestion,
    Review,
    ReviewedAnswer,
)
from inbox.domain.outbox import OutboxItem
from inbox.domain.replies import ThreadReplyFacts

if TYPE_CHECKING:
    pass


class ReplyDesk(Protocol):
    async def mark_replying(
        self, workspace_id: int, thread_id: int, agent_id: int, at: datetime, since: datetime
    ) -> list[int]: ...

    async def done_replying(self, workspace_id: int, thread_id: int, agent_id: int) -> None: ...


class CommunityAnswerStore(Protocol):
    """The community's answers; every member's read names the member (see
    inbox.store.community)."""

    async def offered(
        self, workspace_id: int, member_id: int, thread_id: int | None = None
    ) -> list[OfferedQuestion]: ...

    async def submit(
        self, workspace_id: int, member_id: int, thread_id: int, body: str
    ) -> int | None: ...

    async def answers_of(
        self, workspace_id: int, member_id: int, limit: int
    ) -> list[MemberAnswer]: ...

    async def credit(self, workspace_id: int, member_id: int, since: datetime) -> Credit: ...

    async def for_review(
        self, workspace_id: int, answer_id: int | None = None, limit: int = 200
    ) -> list[AnswerForReview]: ...

    async def pending_count(self, workspace_id: int) -> int: ...

    async def review(
        self, workspace_id: int, review: Review
    ) -> tuple[ReviewedAnswer, OutboxItem | None] | None:
        """Reviewed and, unless rejected, queued in the outbox in one transaction; None when
        the answer is not pending."""
        ...


class ReplyFactsQuery(Protocol):
    async def reply_facts(self, workspace_id: int, thread_id: int) -> ThreadReplyFacts | None:
        """What a reply to the thread is checked against; None without such a thread."""
        ...


class CannedStore(Protocol):
    async def all(self, workspace_id: int) -> list[tuple[str, str, str | None]]: ...

    async def replace(
        self, workspace_id: int, responses: Sequence[tuple[str, str, str | None]]
    ) -> None: ...
