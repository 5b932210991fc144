"""Reading the queue."""

from __future__ import annotations

from collections.abc import Sequence

from inbox.domain.thread import Thread, ThreadStatus
from inbox.ports.threads import ThreadQuery

MAX_PAGE = 200


class ListThreads:
    def __init__(self, query: ThreadQuery) -> None:
        self._query = query

    async def __call__(
        self,
        workspace_id: int,
        *,
        statuses: Sequence[ThreadStatus] = tuple(ThreadStatus),
        limit: int = 50,
        before_id: int | None = None,
    ) -> list[Thread]:
        return await self._query.list_threads(
            workspace_id,
            statuses=statuses or tuple(ThreadStatus),
            limit=max(1, min(limit, MAX_PAGE)),
            before_id=before_id,
        )
