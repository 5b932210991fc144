"""Replies from agents, with a collision guard and checks before sending, moving a thread
to a private message, and community answers held for approval.

When an agent starts replying, others opening the thread see who is on it; a second reply
within that time needs an explicit override, so a customer does not get two answers at once.
Every reply goes through the checks of `routing.reply_checks` (personal data echoed in
public, a promise when the team is closed, an open incident left unsaid): warnings the agent
overrides knowingly, and a text the network would refuse, which nothing overrides.
A trusted community member's answer goes to an agent, who approves it, edits it or rejects
it (saying why) before anything is posted; each member sees their own answers and credit.
Both sides meet the same pure checks (routing.reply_checks): over the network's limit is
refused, personal data is warned about.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from inbox.domain.audit import Actor
from inbox.domain.clock import Clock, utc_now
from inbox.domain.community import (
    AnswerForReview,
    AnswerStatus,
    Credit,
    MemberAnswer,
    OfferedQuestion,
    Review,
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
from inbox.domain.replies import ThreadReplyFacts
from inbox.domain.text import is_storable
from inbox.domain.thread import Priority, ThreadKind
from inbox.domain.web import WebSession
from inbox.ports.audit import AuditTrail
from inbox.ports.outbox import OutboxStore
from inbox.ports.replies import CommunityAnswerStore, ReplyDesk, ReplyFactsQuery
from inbox.ports.sla import SlaQuery
from inbox.usecases.audit import entry_as
from inbox.usecases.sla import KeepClocks
from routing.reply_checks import (
    AnswerCheck,
    LinkedIncident,
    ReplyContext,
    ReplyWarning,
    check_answer,
    check_reply,
)
from sla.calendar import Calendar
from sla.policy import ThreadFacts

log = logging.getLogger(__name__)

REPLYING_WINDOW = timedelta(minutes=2)
LONGEST_REPLY = 5000  # beyond the checks' per-network limits: what the inbox stores at most
REVIEW_DECISIONS = ("approve", "edit", "reject")
# Who reviews the community's answers: those who may change a thread (ops watch and read).
REVIEWERS = (Role.AGENT, Role.LEAD, Role.ADMIN)
LONGEST_NOTE = 1000
# A member's page lists their latest answers (the credit counts them all).
MOST_ANSWERS_SHOWN = 50
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
    # A form sends its line breaks as CRLF: one break is one character, as the network counts.
    return body.replace("\r\n", "\n").strip()


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
    # Each reply and private message queued is kept there: ids only, never the text.
    audit: AuditTrail
    clock: Clock = utc_now

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
        by: Actor,
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
        entry = entry_as(workspace_id, by, "reply_sent", "thread", thread_id, outbox_id=item.id)
        await self.audit.record(entry)
        return item

    async def move_to_private(
        self,
        workspace_id: int,
        thread_id: int,
        agent_id: int,
        body: object,
        *,
        key: str,
        by: Actor,
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
        entry = entry_as(
            workspace_id, by, "private_message_sent", "thread", thread_id,
            outbox_id=direct.id, notice_outbox_id=notice.id,
        )  # fmt: skip
        await self.audit.record(entry)
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
    check: AnswerCheck
    answer_id: int | None = None


@dataclass(frozen=True, slots=True)
class CommunityAnswers:
    """Community answers, from the member's draft to the post. The methods taking a session
    are the pages' (the roles and the workspace are the session's); the others are the
    API's, whose callers were checked by their token."""

    store: CommunityAnswerStore
    clock: Clock = utc_now

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
        check = check_answer(text, question.network, self.clock(), question.customer_texts)
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

    async def for_review(self, session: WebSession) -> list[tuple[AnswerForReview, AnswerCheck]]:
        """Pending answers, oldest first, each with the checks its text meets."""
        _reviewer(session)
        pending = await self.store.for_review(session.workspace_id)
        now = self.clock()
        return [(a, check_answer(a.body, a.network, now, a.customer_texts)) for a in pending]

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
            check = check_answer(
                edited or answer.body, answer.network, self.clock(), answer.customer_texts
            )
            if check.refused:
                raise ConfigurationError("body", "; ".join(check.refusals))
        status = AnswerStatus.REJECTED if decision == "reject" else (
            AnswerStatus.EDITED if edited is not None else AnswerStatus.APPROVED
        )  # fmt: skip
        reviewed = await self.store.review(
            workspace_id, Review(answer_id, status, reviewer_id, self.clock(), edited, reason)
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
