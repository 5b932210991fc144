"""The audit trail as use cases write it and admins read it.

Changes to settings, people and access are recorded with who made them: a signed-in person
(`actor_of`), an API token (`token_actor`) or the command line (`COMMAND_LINE`). Only admins
read the trail, and only their own workspace's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from inbox.domain.audit import (
    COMMAND_LINE,
    Actor,
    ActorKind,
    AuditEntry,
    AuditFilter,
    AuditRow,
    summary_of,
)
from inbox.domain.errors import ConfigurationError, InboxError, PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.ports.audit import AuditTrail
from inbox.usecases.tokens import Caller

PAGE_SIZE = 50
LARGEST_PAGE = 200
LONGEST_ACTION = 60


def actor_of(session: WebSession) -> Actor:
    return Actor(ActorKind.PERSON, session.agent_id, session.name, session.address)


def token_actor(caller: Caller, address: str | None = None) -> Actor:
    return Actor(ActorKind.TOKEN, caller.token_id, f"API token {caller.token_id}", address)


def history_name(actor: Actor) -> str:
    """Who acted, as the records a change keeps of it name them (a merge's history, a
    correction, webhook events): "agent:ID", "token:ID" or "cli"."""
    if actor.kind is ActorKind.PERSON:
        return f"agent:{actor.actor_id}"
    if actor.kind is ActorKind.TOKEN:
        return f"token:{actor.actor_id}"
    return "cli"


def entry_by(
    session: WebSession, action: str, kind: str, object_id: object, **summary: object
) -> AuditEntry:
    """What a signed-in person just changed, as an entry of their workspace's trail."""
    return entry_as(session.workspace_id, actor_of(session), action, kind, object_id, **summary)


def entry_as(
    workspace_id: int, actor: Actor, action: str, kind: str, object_id: object, **summary: object
) -> AuditEntry:
    """What `actor` (a person, a token or the command line) just changed: for use cases
    that every entry point reaches with its own actor."""
    return AuditEntry(
        workspace_id,
        actor,
        action,
        kind,
        None if object_id is None else str(object_id),
        summary_of(**summary),
    )


class BrokenAuditTrailError(InboxError):
    """A row of the trail no longer matches the chain: it, or a row before it, was altered or
    removed."""

    def __init__(self, workspace_id: int, entry_id: int) -> None:
        super().__init__(
            f"the audit trail of workspace {workspace_id} is broken at row {entry_id}: "
            "that row, or one just before it, was altered or removed"
        )
        self.workspace_id = workspace_id
        self.entry_id = entry_id


@dataclass(frozen=True, slots=True)
class AuditPage:
    rows: list[AuditRow]
    next_before: int | None  # the `before` of the next (older) page; None: this is the last


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """A reader's filters as typed: a person's id, an action, a first and a last day (in the
    reader's time zone, both included)."""

    person: str = ""
    action: str = ""
    since: str = ""
    until: str = ""

    def checked(self, zone: str) -> AuditFilter:
        return AuditFilter(
            actor_id=_person_id(self.person),
            action=_action(self.action),
            since=_day_start(self.since, "since", zone),
            until=_day_start(self.until, "until", zone, next_day=True),
        )


class AuditLog:
    def __init__(self, trail: AuditTrail) -> None:
        self._trail = trail

    async def record(self, entry: AuditEntry) -> None:
        await self._trail.record(entry)

    async def record_command(
        self, workspace_id: int, action: str, kind: str, object_id: object, **summary: object
    ) -> None:
        """A change made by a command run on the instance (`inbox token create`...)."""
        await self._trail.record(
            AuditEntry(
                workspace_id,
                COMMAND_LINE,
                action,
                kind,
                None if object_id is None else str(object_id),
                summary_of(**summary),
            )
        )

    async def record_by_token(
        self,
        caller: Caller,
        address: str | None,
        action: str,
        kind: str,
        object_id: object,
        **summary: object,
    ) -> None:
        """A change made through the API with `caller`'s token, from `address`."""
        await self._trail.record(
            AuditEntry(
                caller.workspace_id,
                token_actor(caller, address),
                action,
                kind,
                None if object_id is None else str(object_id),
                summary_of(**summary),
            )
        )

    async def read(
        self,
        session: WebSession,
        query: AuditQuery,
        before: int | None = None,
        size: int = PAGE_SIZE,
    ) -> AuditPage:
        """A page of the session's workspace trail, newest first; admins only."""
        if Role.ADMIN not in session.roles:
            raise PermissionDeniedError("the audit trail is for admins")
        where = query.checked(session.time_zone)
        return await self._page(session.workspace_id, where, before, size)

    async def read_for(
        self, caller: Caller, query: AuditQuery, before: int | None = None, size: int = PAGE_SIZE
    ) -> AuditPage:
        """The same for an API token with the admin role; days are UTC days."""
        caller.require(Role.ADMIN)
        if not 1 <= size <= LARGEST_PAGE:
            raise ConfigurationError("limit", f"1 to {LARGEST_PAGE}")
        return await self._page(caller.workspace_id, query.checked("UTC"), before, size)

    async def verify(self, workspace_id: int) -> None:
        """BrokenAuditTrailError naming the first row whose chain does not hold."""
        broken = await self._trail.first_broken(workspace_id)
        if broken is not None:
            raise BrokenAuditTrailError(workspace_id, broken)

    async def _page(
        self, workspace_id: int, where: AuditFilter, before: int | None, size: int
    ) -> AuditPage:
        rows = await self._trail.page(workspace_id, where, before_id=before, size=size + 1)
        more = len(rows) > size
        rows = rows[:size]
        return AuditPage(rows, rows[-1].entry_id if more and rows else None)


def _person_id(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise ConfigurationError("person", "a person's number, as the people list shows it")
    return int(text)


def _action(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if len(text) > LONGEST_ACTION or not all(c.isalnum() or c in "_." for c in text):
        raise ConfigurationError("action", "an action's name, such as roles_changed")
    return text


def _day_start(text: str, field: str, zone: str, *, next_day: bool = False) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigurationError(field, "a date as YYYY-MM-DD") from exc
    if next_day:
        day += timedelta(days=1)
    return datetime.combine(day, time(), ZoneInfo(zone))
