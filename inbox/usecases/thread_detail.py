"""A thread with its messages, notes and assignments for the API, and notes added through it."""

from __future__ import annotations

from inbox.domain.audit import Actor
from inbox.domain.errors import NotFoundError
from inbox.domain.notes import named_in, note_text
from inbox.domain.thread_detail import ThreadDetail, messages_page
from inbox.ports.audit import AuditTrail
from inbox.ports.pages import InboxPageQuery
from inbox.ports.thread_detail import ThreadDetailQuery
from inbox.usecases.audit import entry_as


class ThreadDetails:
    """Callers are checked by the entry point (role, workspace); every read and write here is
    scoped to the workspace it is given."""

    def __init__(self, query: ThreadDetailQuery, notes: InboxPageQuery, audit: AuditTrail) -> None:
        self._query = query
        self._notes = notes
        self._audit = audit

    async def get(
        self, workspace_id: int, thread_id: int, *, after: int | None, limit: int | None
    ) -> ThreadDetail:
        found = await self._query.thread_detail(
            workspace_id, thread_id, max(after or 0, 0), messages_page(limit)
        )
        if found is None:
            raise NotFoundError("thread", thread_id)
        return found

    async def add_note(
        self, workspace_id: int, thread_id: int, agent_id: int, body: str, by: Actor
    ) -> None:
        """The same note the thread page adds: the colleagues it names (@handle) are told."""
        text = note_text(body)
        told = await self._notes.add_note(workspace_id, thread_id, agent_id, text, named_in(text))
        if told is None:
            raise NotFoundError("thread", thread_id)
        await self._audit.record(
            entry_as(workspace_id, by, "note_added", "thread", thread_id, told=told)
        )
