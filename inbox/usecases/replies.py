"""Replies from agents, with a collision guard, and community answers held for approval.

When an agent starts replying, others opening the thread see who is on it; a second reply
within that time needs an explicit override, so a customer does not get two answers at once.
A trusted community member's answer goes to an agent, who approves it, edits it or rejects
it before anything is posted; each member sees their own contributions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from inbox.domain.errors import ConfigurationError, InboxError, NotFoundError
from inbox.domain.outbox import OutboxItem, OutboxKind
from inbox.domain.text import is_storable
from inbox.ports import OutboxStore, ReplyDesk

Clock = Callable[[], datetime]
REPLYING_WINDOW = timedelta(minutes=2)
LONGEST_REPLY = 5000  # the network's own limit is checked when it is posted
REVIEW_DECISIONS = ("approve", "edit", "reject")


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
    return body.strip()


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
class CommunityAnswers:
    desk: ReplyDesk
    outbox: OutboxStore
    clock: Clock = lambda: datetime.now(UTC)

    async def submit(self, workspace_id: int, thread_id: int, member_id: int, body: object) -> int:
        answer_id = await self.desk.submit_answer(
            workspace_id, thread_id, member_id, _checked_body(body)
        )
        if answer_id is None:
            raise NotFoundError("thread offered to you", thread_id)
        return answer_id

    async def pending(self, workspace_id: int) -> list[dict[str, Any]]:
        return await self.desk.pending_answers(workspace_id)

    async def review(
        self,
        workspace_id: int,
        answer_id: int,
        reviewer_id: int,
        decision: object,
        body: object = None,
        note: object = None,
    ) -> OutboxItem | None:
        """The reply queued for posting, or None when rejected."""
        if decision not in REVIEW_DECISIONS:
            raise ConfigurationError("decision", "approve, edit or reject")
        edited = _checked_body(body) if decision == "edit" else None
        if note is not None and not isinstance(note, str):
            raise ConfigurationError("note", "a note is text")
        status = {"approve": "approved", "edit": "edited", "reject": "rejected"}[str(decision)]
        reviewed = await self.desk.review_answer(
            workspace_id, answer_id, status, edited, reviewer_id, self.clock(), note
        )
        if reviewed is None:
            raise NotFoundError("pending community answer", answer_id)
        thread_id, _, submitted = reviewed
        if status == "rejected":
            return None
        item = await self.outbox.enqueue(
            workspace_id,
            thread_id,
            OutboxKind.REPLY,
            f"community:{answer_id}",
            edited if edited is not None else submitted,
        )
        await self.desk.link_outbox(workspace_id, answer_id, item.id)
        return item

    async def contributions(self, workspace_id: int, member_id: int) -> dict[str, int]:
        return await self.desk.contributions(workspace_id, member_id)
