"""Several threads at once: assign (to me, a colleague, a team), tag or untag, snooze, close as
needing no reply. One transaction per action, set-based; every thread checked against the
person's workspace and its own state; the outcome says what was done and why some were not.

Handing threads over frees their holders' seats: the waiting threads of their teams are
given out in the same transaction (`inbox.usecases.assignment`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import timedelta

from inbox.domain.bulk import MOST_THREADS, AssignTarget, BulkAction, BulkOutcome, Skipped
from inbox.domain.clock import Clock, utc_now
from inbox.domain.errors import ConfigurationError, NotFoundError, PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.tags import MOST_TAGS, checked_tag
from inbox.domain.thread import OPEN_STATUSES
from inbox.domain.web import WebSession
from inbox.ports.audit import AuditTrail
from inbox.ports.routing import BulkStore
from inbox.usecases.assignment import AssignSelection, AssignWaiting
from inbox.usecases.audit import entry_by
from inbox.usecases.sla_close import CloseWithoutReply
from inbox.usecases.web_pages import LONGEST_SNOOZE, snooze_words

log = logging.getLogger(__name__)

# Who may change threads (ops read them and write notes; community members answer theirs).
DESK = (Role.AGENT, Role.LEAD, Role.ADMIN)


class BulkActions:
    def __init__(
        self,
        store: BulkStore,
        close: CloseWithoutReply,
        waiting: AssignWaiting,
        audit: AuditTrail,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._audit = audit
        self._close = close
        self._assign = AssignSelection(waiting, clock=clock)
        self._clock = clock

    async def assign(
        self, session: WebSession, thread_ids: Iterable[int], target: AssignTarget
    ) -> BulkOutcome:
        ids = _checked(session, thread_ids)
        async with self._store.transaction(session.workspace_id) as writer:
            name = await writer.target_name(session.workspace_id, target)
            if name is None:
                raise NotFoundError("colleague or team", target.agent_id or target.team_id)
            done, skipped = await self._assign(
                writer,
                session.workspace_id,
                ids,
                target,
                f"assigned by agent {session.agent_id} with the selection",
            )
        target_id = f"agent:{target.agent_id}" if target.agent_id else f"team:{target.team_id}"
        if target.agent_id == session.agent_id:
            name = "you"
        return await self._done(session, BulkAction.ASSIGN, done, skipped, name, target_id)

    async def tag(self, session: WebSession, thread_ids: Iterable[int], tag: str) -> BulkOutcome:
        ids = _checked(session, thread_ids)
        checked = checked_tag(tag)
        async with self._store.transaction(session.workspace_id) as writer:
            done, skipped = await writer.tag(session.workspace_id, ids, [checked], MOST_TAGS)
        return await self._done(session, BulkAction.TAG, done, skipped, checked)

    async def untag(self, session: WebSession, thread_ids: Iterable[int], tag: str) -> BulkOutcome:
        ids = _checked(session, thread_ids)
        checked = checked_tag(tag)
        async with self._store.transaction(session.workspace_id) as writer:
            done, skipped = await writer.untag(session.workspace_id, ids, [checked])
        return await self._done(session, BulkAction.UNTAG, done, skipped, checked)

    async def snooze(
        self, session: WebSession, thread_ids: Iterable[int], hours: float
    ) -> BulkOutcome:
        """Set aside for some hours; their clocks keep running."""
        ids = _checked(session, thread_ids)
        if not 0 < hours <= LONGEST_SNOOZE.total_seconds() / 3600:
            raise ConfigurationError("snooze", "between a few minutes and 31 days")
        until = self._clock() + timedelta(hours=hours)
        async with self._store.transaction(session.workspace_id) as writer:
            done, skipped = await writer.snooze(session.workspace_id, ids, until)
        return await self._done(session, BulkAction.SNOOZE, done, skipped, snooze_words(hours))

    async def close(self, session: WebSession, thread_ids: Iterable[int]) -> BulkOutcome:
        """No reply needed: resolved, their waiting clocks excluded from the figures (the SLA
        use case's transaction, which frees their holders' seats once it commits)."""
        ids = _checked(session, thread_ids)
        statuses = await self._store.statuses(session.workspace_id, ids)
        still_open = [i for i in ids if statuses.get(i) in OPEN_STATUSES]
        closed = await self._close.many(
            session.workspace_id, still_open, "no_reply_needed", f"agent:{session.agent_id}"
        )
        skipped = {
            i: Skipped.NOT_FOUND if i not in statuses else Skipped.CLOSED
            for i in ids
            if i not in closed
        }
        return await self._done(session, BulkAction.CLOSE, closed, skipped, "")

    async def assignees(
        self, session: WebSession
    ) -> tuple[tuple[tuple[int, str], ...], tuple[tuple[int, str], ...]]:
        """Whom the selection may be given to: (colleagues, teams), each (id, name)."""
        _desk(session)
        return await self._store.assignees(session.workspace_id)

    async def _done(
        self,
        session: WebSession,
        action: BulkAction,
        done: Sequence[int],
        skipped: dict[int, Skipped],
        target: str,
        audited_target: str | None = None,
    ) -> BulkOutcome:
        """The outcome, logged and kept in the audit trail (the threads acted on, never a
        colleague's name: `audited_target` names whom by id where `target` says it)."""
        outcome = _outcome(session, action, done, skipped, target)
        entry = entry_by(
            session, f"threads_{action.value}", "thread", None,
            thread_ids=list(outcome.done), done=len(outcome.done),
            skipped=sum(outcome.skipped.values()),
            target=audited_target if audited_target is not None else target,
        )  # fmt: skip
        await self._audit.record(entry)
        return outcome


def _desk(session: WebSession) -> None:
    if not session.has(*DESK):
        raise PermissionDeniedError("acting on threads is for agents, leads and admins")


def _checked(session: WebSession, thread_ids: Iterable[int]) -> list[int]:
    _desk(session)
    ids = sorted(set(thread_ids))
    if not ids or len(ids) > MOST_THREADS:
        raise ConfigurationError("threads", f"select 1 to {MOST_THREADS} threads")
    return ids


def _outcome(
    session: WebSession,
    action: BulkAction,
    done: Sequence[int],
    skipped: dict[int, Skipped],
    target: str,
) -> BulkOutcome:
    outcome = BulkOutcome(action, tuple(sorted(done)), Counter(skipped.values()), target)
    log.info(
        "threads acted on together",
        extra={"action": f"bulk_{action.value}", "workspace_id": session.workspace_id,
               "agent_id": session.agent_id, "done": len(outcome.done),
               "skipped": sum(outcome.skipped.values())},
    )  # fmt: skip
    return outcome
