"""What the agent pages read: the inbox views and a thread's conversation."""

from __future__ import annotations

from inbox.domain.errors import NotFoundError, PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.web import InboxRow, ThreadPage, WebSession
from inbox.ports import InboxPageQuery

VIEWS = ("mine", "unassigned", "all")
STAFF = (Role.AGENT, Role.LEAD, Role.OPS, Role.ADMIN)


class InboxPages:
    def __init__(self, query: InboxPageQuery) -> None:
        self._query = query

    async def inbox(self, session: WebSession, view: str, limit: int = 100) -> list[InboxRow]:
        _staff(session)
        if view not in VIEWS:
            view = "mine"
        return await self._query.inbox(session.workspace_id, view, session.agent_id, limit)

    async def thread(self, session: WebSession, thread_id: int) -> ThreadPage:
        _staff(session)
        page = await self._query.thread(session.workspace_id, thread_id)
        if page is None:
            raise NotFoundError("thread", thread_id)
        return page


def _staff(session: WebSession) -> None:
    if not session.has(*STAFF):
        raise PermissionDeniedError("the inbox is for agents, leads, ops and admins")
