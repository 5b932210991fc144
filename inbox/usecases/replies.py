"""Replies from agents, with a collision guard and checks before sending, moving a thread
to a private message, and community answers held for approval.

When an agent starts replying, others opening the thread see who is on it; a second reply
within that time needs an explicit override, so a customer does not get two answers at once.
Every reply goes through the checks of `routing.reply_checks` (personal data echoed in
public, a promise when the team is closed, an open incident left unsaid): warnings the agent
overrides knowingly, and a text the network would refuse, which nothing overrides.
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
from inbox.domain.replies import ThreadReplyFacts
from inbox.domain.text import is_storable
from inbox.domain.thread import Priority, ThreadKind
from inbox.ports import OutboxStore, ReplyDesk, ReplyFactsQuery, SlaQuery
from inbox.usecases.sla import KeepClocks
from routing.reply_checks import LinkedIncident, ReplyContext, ReplyWarning, check_reply
from sla.calendar import Calendar
from sla.policy import ThreadFacts

Clock = Callable[[], datetime]
REPLYING_WINDOW = timedelta(minutes=2)
LONGEST_REPLY = 5000  # beyond the checks' per-network limits: what the inbox stores at most
REVIEW_DECISIONS = ("approve", "edit", "reject")
# What the thread says in public when the conversation moves to a direct message, in the
# thread's language (English otherwise).
PRIVATE_NOTICES = {
    "en": "We've written to you in a private message.",
    "fr": "Nous vous avons écrit en message privé.",
}


class ReplyCollisionError(InboxError):
    """Another agent is replying to this thread: send again with an explicit override."""

    def __init__(self, others: list[int]) -> None:
        super().__init__(
            f"agents {', '.join(map(str, others))} started replying to this thread in the "
            "last two minutes; send with override to reply anyway"
        )
        self.others = others


class ReplyChecksFailed(InboxError):
    """The reply did not pass its checks: sent only with an override, and never when one of
    the warnings is blocking (too long for the network)."""

    def __init__(self, warnings: list[ReplyWarning], others: list[int]) -> None:
        super().__init__("; ".join(w.message for w in warnings))
        self.warnings = warnings
        self.others = others  # colleagues replying now, if any, to be overridden as well

    @property
    def blocking(self) -> bool:
        return any(w.blocking for w in self.warnings)


def _checked_body(body: object) -> str:
    if not isinstance(body, str) or not body.strip():
        raise ConfigurationError("body", "a reply needs some text")
    if len(body) > LONGEST_REPLY or not is_storable(body):
        raise ConfigurationError("body", f"at most {LONGEST_REPLY} characters of plain text")
    return body.strip()


class ThreadCalendars:
    """The calendar a thread's team works by: the calendar of its latest SLA clock, else of
    the policy its facts select now, under the SLA settings in force."""

    def __init__(self, query: SlaQuery, clocks: KeepClocks) -> None:
        self._query = query
        self._clocks = clocks

    async def of(self, workspace_id: int, facts: ThreadReplyFacts) -> Calendar | None:
        rules = self._clocks.rules_for(workspace_id, await self._query.sla_settings(workspace_id))
        name = facts.calendar
        if name is None or name not in rules.calendars:
            try:
                selecting = ThreadFacts(
                    kind=ThreadKind(facts.kind),
                    priority=Priority(facts.priority),
                    network=facts.network,
                    team_id=facts.team_id,
                    vip=facts.vip,
                )
            except ValueError:
                return None
            name = rules.book.select(selecting)[0].calendar
        return rules.calendars.get(name)


@dataclass(frozen=True, slots=True)
class Replies:
    desk: ReplyDesk
    outbox: OutboxStore
    facts: ReplyFactsQuery
    calendars: ThreadCalendars
    clock: Clock = lambda: datetime.now(UTC)

    async def start(self, workspace_id: int, thread_id: int, agent_id: int) -> list[int]:
        """Mark the agent as replying; the other agents replying now."""
        now = self.clock()
        return await self.desk.mark_replying(
            workspace_id, thread_id, agent_id, now, now - REPLYING_WINDOW
        )

    async def check(
        self, workspace_id: int, thread_id: int, body: object, *, direct: bool = False
    ) -> list[ReplyWarning]:
        """The warnings `body` would raise as a reply (or, `direct`, a direct message)."""
        text = _checked_body(body)
        facts = await self._facts(workspace_id, thread_id)
        return await self._warnings(workspace_id, facts, text, direct=direct)

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
        """Queue the reply. Raises ReplyChecksFailed when it raises warnings (unless
        overridden; a blocking one, always), ReplyCollisionError when a colleague is replying
        (unless overridden)."""
        text = _checked_body(body)
        facts = await self._facts(workspace_id, thread_id)
        await self._passed(workspace_id, thread_id, agent_id, facts, text, override=override)
        item = await self.outbox.enqueue(
            workspace_id,
            thread_id,
            OutboxKind.REPLY,
            f"reply:{agent_id}:{key}",
            text,
            agent_id=agent_id,
        )
        await self.desk.done_replying(workspace_id, thread_id, agent_id)
        return item

    async def move_to_private(
        self,
        workspace_id: int,
        thread_id: int,
        agent_id: int,
        body: object,
        *,
        key: str,
        override: bool = False,
    ) -> tuple[OutboxItem, OutboxItem]:
        """Write to the customer in a direct message (X) or a direct status (Mastodon) on the
        same thread, and say so in public in the thread's language, once per thread however
        many private messages follow. The direct message and the public notice, queued."""
        text = _checked_body(body)
        facts = await self._facts(workspace_id, thread_id)
        if not facts.can_go_private:
            raise ConfigurationError(
                "private",
                "only a public X or Mastodon thread with a customer message moves to a private "
                "message",
            )
        await self._passed(
            workspace_id, thread_id, agent_id, facts, text, override=override, direct=True
        )
        direct = await self.outbox.enqueue(
            workspace_id,
            thread_id,
            OutboxKind.DIRECT_MESSAGE,
            f"private:{agent_id}:{key}",
            text,
            recipient_id=facts.customer_id if facts.network == "x" else None,
            agent_id=agent_id,
        )
        notice = await self.outbox.enqueue(
            workspace_id,
            thread_id,
            OutboxKind.REPLY,
            f"private-notice:{thread_id}",
            PRIVATE_NOTICES.get(facts.language or "", PRIVATE_NOTICES["en"]),
            agent_id=agent_id,
        )
        await self.desk.done_replying(workspace_id, thread_id, agent_id)
        return direct, notice

    async def _facts(self, workspace_id: int, thread_id: int) -> ThreadReplyFacts:
        facts = await self.facts.reply_facts(workspace_id, thread_id)
        if facts is None:
            raise NotFoundError("thread", thread_id)
        return facts

    async def _warnings(
        self, workspace_id: int, facts: ThreadReplyFacts, text: str, *, direct: bool
    ) -> list[ReplyWarning]:
        context = ReplyContext(
            network=facts.network,
            public=not (direct or facts.private),
            direct=direct or facts.private,
            now=self.clock(),
            customer_handle=facts.customer_handle,
            customer_texts=facts.customer_texts,
            calendar=await self.calendars.of(workspace_id, facts),
            team=facts.team,
            incidents=tuple(LinkedIncident(i.title, i.keywords, i.places) for i in facts.incidents),
        )
        return check_reply(text, context)

    async def _passed(
        self,
        workspace_id: int,
        thread_id: int,
        agent_id: int,
        facts: ThreadReplyFacts,
        text: str,
        *,
        override: bool,
        direct: bool = False,
    ) -> None:
        warnings = await self._warnings(workspace_id, facts, text, direct=direct)
        others = await self.start(workspace_id, thread_id, agent_id)
        if any(w.blocking for w in warnings) or (warnings and not override):
            raise ReplyChecksFailed(warnings, [] if override else others)
        if others and not override:
            raise ReplyCollisionError(others)


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
            agent_id=reviewer_id,
        )
        await self.desk.link_outbox(workspace_id, answer_id, item.id)
        return item

    async def contributions(self, workspace_id: int, member_id: int) -> dict[str, int]:
        return await self.desk.contributions(workspace_id, member_id)
