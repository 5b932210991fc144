"""What the agent pages read: the inbox views and a thread's conversation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from inbox.domain.errors import ConfigurationError, NotFoundError, PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.text import is_storable
from inbox.domain.web import ANY, InboxFilters, InboxRow, SearchResults, ThreadPage, WebSession
from inbox.ports import InboxPageQuery

VIEWS = ("mine", "team", "unassigned", "waiting", "community", "all")
LONGEST_NOTE = 5000
STAFF = (Role.AGENT, Role.LEAD, Role.OPS, Role.ADMIN)


class InboxPages:
    def __init__(
        self, query: InboxPageQuery, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._query = query
        self._clock = clock

    async def inbox(
        self,
        session: WebSession,
        view: str,
        limit: int = 100,
        filters: InboxFilters = ANY,
    ) -> list[InboxRow]:
        _staff(session)
        if view not in VIEWS:
            view = "mine"
        return await self._query.inbox(session.workspace_id, view, session.agent_id, limit, filters)

    async def thread(self, session: WebSession, thread_id: int) -> ThreadPage:
        _staff(session)
        page = await self._query.thread(session.workspace_id, thread_id)
        if page is None:
            raise NotFoundError("thread", thread_id)
        return page

    async def search(self, session: WebSession, words: str) -> SearchResults:
        """Threads whose messages hold the words, and customers by name or @handle."""
        _staff(session)
        words = " ".join(words.split())[:200]
        if not words:
            return SearchResults((), ())
        return await self._query.search(session.workspace_id, words, 50)

    async def my_figures(self, session: WebSession) -> dict[str, int]:
        """The agent's own figures and nobody else's."""
        return await self._query.my_figures(session.workspace_id, session.agent_id, self._clock())

    async def take(self, session: WebSession, thread_id: int) -> None:
        _staff(session)
        if not await self._query.take(
            session.workspace_id, thread_id, session.agent_id, self._clock()
        ):
            raise NotFoundError("open thread", thread_id)

    async def add_note(self, session: WebSession, thread_id: int, body: str) -> None:
        _staff(session)
        text = body.strip()
        if not text or len(text) > LONGEST_NOTE or not is_storable(text):
            raise ConfigurationError("note", f"1 to {LONGEST_NOTE} characters of plain text")
        if not await self._query.add_note(session.workspace_id, thread_id, session.agent_id, text):
            raise NotFoundError("thread", thread_id)


def _staff(session: WebSession) -> None:
    if not session.has(*STAFF):
        raise PermissionDeniedError("the inbox is for agents, leads, ops and admins")
