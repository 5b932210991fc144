"""A thread with its messages, notes and assignments, as the API reads it."""

from __future__ import annotations

from typing import Protocol

from inbox.domain.thread_detail import ThreadDetail


class ThreadDetailQuery(Protocol):
    async def thread_detail(
        self, workspace_id: int, thread_id: int, messages_after: int, limit: int
    ) -> ThreadDetail | None:
        """The thread and the `limit` messages that follow position `messages_after` (0:
        from the first), oldest first; None when the workspace has no such thread."""
        ...
