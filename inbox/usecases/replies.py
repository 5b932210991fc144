"""Replies from agents, with a collision guard, and community answers held for approval.

When an agent starts replying, others opening the thread see who is on it; a second reply
within that time needs an explicit override, so a customer does not get two answers at once.
A trusted community member's answer goes to an agent, who approves it, edits it or rejects
it (saying why) before anything is posted; each member sees their own answers and credit.
Both sides meet the same pure checks (routing.reply_checks): over the network's limit is
refused, personal data is warned about.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from inbox.domain.community import (
    AnswerForReview,
    AnswerStatus,
    Credit,
    MemberAnswer,
    OfferedQuestion,
)
from inbox.domain.errors import (
    ConfigurationError,
    ConflictError,
    InboxError,
    NotFoundError,
    PermissionDeniedError,
)
from inbox.domain.outbox import OutboxItem, OutboxKind
from inbox.domain.people import Role
from inbox.domain.text import is_storable
from inbox.domain.web import WebSession
from inbox.ports import CommunityAnswerStore, OutboxStore, ReplyDesk
from routing.reply_checks import ReplyCheck, check_reply

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
REPLYING_WINDOW = timedelta(minutes=2)
LONGEST_REPLY = 5000  # the network's own limit is checked when it is posted
REVIEW_DECISIONS = ("approve", "edit", "reject")
# Who reviews the community's answers: those who may change a thread (ops watch and read).
REVIEWERS = (Role.AGENT, Role.LEAD, Role.ADMIN)
LONGEST_NOTE = 1000
# A member's page lists their latest answers (the credit counts them all).
MOST_ANSWERS_SHOWN = 50


class ReplyCollisionError(InboxError):
    """Another agent is replying to this thread: send again with an explicit override."""

    def __init__(self, others: list[int]) -> None:
        super().__init__(
            f"agents {', '.join(map(str, others))} started replying to this thread in the "
            "last two minutes; send with override to reply anyway"
        )
        self.others = others


def _checked_body(body: object) -> str:
    if not isinstance(body, str) or not body.strip():
        raise ConfigurationError("body", "a reply needs some text")
    if len(body) > LONGEST_REPLY or not is_storable(body):
        raise ConfigurationError("body", f"at most {LONGEST_REPLY} characters of plain text")
    # A form sends its line breaks as CRLF: one break is one character, as the network counts.
    return body.replace("\r\n", "\n").strip()


@dataclass(frozen=True, slots=True)
class Replies:
    desk: ReplyDesk
    outbox: OutboxStore
    clock: Clock = lambda: datetime.now(UTC)

    async def start(self, workspace_id: int, thread_id: int, agent_id: int) -> list[int]:
        """Mark the agent as replying; the other agents replying now."""
        now = self.clock()
        return await self.desk.mark_replying(
            workspace_id, thread_id, agent_id, now, now - REPLYING_WINDOW
        )

    async def send(
        self,
        workspace_id: int,
        thread_id: int,
        agent_id: int,
        body: object,
        *,
        key: str,
        override: bool = False,
    ) -> OutboxItem:
        text = _checked_body(body)
        others = await self.start(workspace_id, thread_id, agent_id)
        if others and not override:
            raise ReplyCollisionError(others)
        item = await self.outbox.enqueue(
            workspace_id, thread_id, OutboxKind.REPLY, f"reply:{agent_id}:{key}", text
        )
        await self.desk.done_replying(workspace_id, thread_id, agent_id)
        return item


@dataclass(frozen=True, slots=True)
class CommunityPortal:
    """What a member's page shows: the questions offered to them, their answers and what
    became of them, their credit. Nothing of anyone else."""

    questions: list[OfferedQuestion]
    answers: list[MemberAnswer]
    credit: Credit


@dataclass(frozen=True, slots=True)
class Draft:
    """A member's draft as it was checked: `answer_id` when it was submitted for review;
    otherwise the checks say why not (refused, or warnings not yet confirmed)."""

    question: OfferedQuestion
    check: ReplyCheck
    answer_id: int | None = None


@dataclass(frozen=True, slots=True)
class CommunityAnswers:
    """Community answers, from the member's draft to the post. The methods taking a session
    are the pages' (the roles and the workspace are the session's); the others are the
    API's, whose callers were checked by their token."""

    store: CommunityAnswerStore
    clock: Clock = lambda: datetime.now(UTC)

    # -- members ------------------------------------------------------------------------

    async def portal(self, session: WebSession, since: datetime) -> CommunityPortal:
        """`since`: the start of the member's month, for their credit."""
        member = _member(session)
        return CommunityPortal(
            questions=await self.store.offered(session.workspace_id, member),
            answers=await self.store.answers_of(session.workspace_id, member, MOST_ANSWERS_SHOWN),
            credit=await self.store.credit(session.workspace_id, member, since),
        )

    async def draft(
        self, session: WebSession, thread_id: int, body: object, *, despite_warnings: bool
    ) -> Draft:
        """Checked, then submitted for review unless refused or warned about (and the
        member has not confirmed they send it anyway)."""
        return await self._draft(
            session.workspace_id, _member(session), thread_id, body, despite_warnings
        )

    async def submit(self, workspace_id: int, thread_id: int, member_id: int, body: object) -> int:
        """The API's submission: refused as the page refuses; warnings do not hold it (the
        reviewer sees them)."""
        draft = await self._draft(workspace_id, member_id, thread_id, body, True)
        if draft.answer_id is None:
            raise ConfigurationError("body", "; ".join(draft.check.refusals))
        return draft.answer_id

    async def contributions(self, workspace_id: int, member_id: int) -> dict[str, int]:
        credit = await self.store.credit(workspace_id, member_id, self.clock())
        return {
            "answers": credit.answers,
            "accepted": credit.approved,
            "pending": credit.pending,
            "rejected": credit.rejected,
        }

    async def _draft(
        self,
        workspace_id: int,
        member_id: int,
        thread_id: int,
        body: object,
        despite_warnings: bool,
    ) -> Draft:
        text = _checked_body(body)
        offered = await self.store.offered(workspace_id, member_id, thread_id)
        if not offered:
            raise NotFoundError("question offered to you", thread_id)
        question = offered[0]
        if question.pending_answer_id is not None:
            raise ConflictError("your answer to this question is waiting for review already")
        check = check_reply(text, question.network, question.customer_texts)
        if check.refused or (check.warnings and not despite_warnings):
            return Draft(question, check)
        answer_id = await self.store.submit(workspace_id, member_id, thread_id, text)
        if answer_id is None:  # answered or taken back in the meantime
            raise ConflictError("this question is no longer waiting for your answer")
        log.info(
            "community answer submitted",
            extra={"action": "community_answer_submitted", "workspace_id": workspace_id,
                   "thread_id": thread_id, "answer_id": answer_id, "member_id": member_id},
        )  # fmt: skip
        return Draft(question, check, answer_id)

    # -- staff --------------------------------------------------------------------------

    async def for_review(self, session: WebSession) -> list[tuple[AnswerForReview, ReplyCheck]]:
        """Pending answers, oldest first, each with the checks its text meets."""
        _reviewer(session)
        pending = await self.store.for_review(session.workspace_id)
        return [(a, check_reply(a.body, a.network, a.customer_texts)) for a in pending]

    async def pending_count(self, session: WebSession) -> int:
        _reviewer(session)
        return await self.store.pending_count(session.workspace_id)

    async def review_by(
        self,
        session: WebSession,
        answer_id: int,
        decision: object,
        body: object = None,
        note: object = None,
    ) -> OutboxItem | None:
        _reviewer(session)
        return await self.review(
            session.workspace_id, answer_id, session.agent_id, decision, body, note
        )

    async def pending(self, workspace_id: int) -> list[dict[str, Any]]:
        """The API's list of pending answers."""
        return [
            {
                "id": a.id,
                "thread_id": a.thread_id,
                "member_id": a.member_id,
                "body": a.body,
                "status": AnswerStatus.PENDING.value,
                "created_at": a.submitted_at,
                "excerpt": a.messages[-1].text[:280] if a.messages else "",
            }
            for a in await self.store.for_review(workspace_id)
        ]

    async def review(
        self,
        workspace_id: int,
        answer_id: int,
        reviewer_id: int,
        decision: object,
        body: object = None,
        note: object = None,
    ) -> OutboxItem | None:
        """The reply queued for posting, exactly once, or None when rejected. Approving
        with a text (or "edit") posts that text; a text left as the member wrote it is an
        approval. Rejecting needs a note: it is what the member learns from."""
        if decision not in REVIEW_DECISIONS:
            raise ConfigurationError("decision", "approve, edit or reject")
        reason = _checked_note(note, required=decision == "reject")
        found = await self.store.for_review(workspace_id, answer_id)
        if not found:
            raise NotFoundError("pending community answer", answer_id)
        answer = found[0]
        edited = None
        if decision == "edit" or (decision == "approve" and body is not None):
            edited = _checked_body(body)
        if decision != "reject":
            check = check_reply(edited or answer.body, answer.network, answer.customer_texts)
            if check.refused:
                raise ConfigurationError("body", "; ".join(check.refusals))
        status = AnswerStatus.REJECTED if decision == "reject" else (
            AnswerStatus.EDITED if edited is not None else AnswerStatus.APPROVED
        )  # fmt: skip
        reviewed = await self.store.review(
            workspace_id, answer_id, status, edited, reviewer_id, self.clock(), reason
        )
        if reviewed is None:
            raise NotFoundError("pending community answer", answer_id)
        outcome, item = reviewed
        log.info(
            "community answer reviewed",
            extra={"action": "community_answer_reviewed", "workspace_id": workspace_id,
                   "answer_id": answer_id, "thread_id": outcome.thread_id,
                   "member_id": outcome.member_id, "reviewer_id": reviewer_id,
                   "status": outcome.status.value,
                   "outbox_id": item.id if item else None},
        )  # fmt: skip
        return item


def _member(session: WebSession) -> int:
    if not session.has(Role.COMMUNITY):
        raise PermissionDeniedError("the community page is for community members")
    return session.agent_id


def _reviewer(session: WebSession) -> None:
    if not session.has(*REVIEWERS):
        raise PermissionDeniedError("reviewing community answers is for agents, leads and admins")


def _checked_note(note: object, *, required: bool) -> str | None:
    if note is None or (isinstance(note, str) and not note.strip()):
        if required:
            raise ConfigurationError("note", "say why, for the member: they learn from it")
        return None
    if not isinstance(note, str) or len(note) > LONGEST_NOTE or not is_storable(note):
        raise ConfigurationError("note", f"at most {LONGEST_NOTE} characters of plain text")
    return note.strip()
