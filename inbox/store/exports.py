"""Exports read with a server-side cursor, a page at a time, in one read-only snapshot.

The connection is held while the file is written (the reader's pace): an export borrows one
connection of the pool (or of the read replica) for its length, never the whole result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from inbox.domain.exports import ExportFilters, ExportRow
from inbox.store.database import Reads

# $1 workspace, [$2, $3) the range, $4 the team (NULL: all), $5 the network (NULL: all).
CONVERSATIONS = """
SELECT t.id, t.network, t.status, t.priority, t.kind, t.language, tm.name, a.display_name,
       t.customer_id,
       (SELECT i.handle FROM identity i
         WHERE i.workspace_id = t.workspace_id AND i.customer_id = t.customer_id
           AND i.network = t.network
         ORDER BY i.handle LIMIT 1),
       t.opened_at,
       (SELECT min(c.stopped_at) FROM sla_clock c
         WHERE c.workspace_id = t.workspace_id AND c.thread_id = t.id
           AND c.kind = 'first_response' AND c.outcome IN ('met', 'breached')),
       t.resolved_at, t.message_count, t.excerpt
FROM thread t
LEFT JOIN team tm ON tm.workspace_id = t.workspace_id AND tm.id = t.team_id
LEFT JOIN agent a ON a.workspace_id = t.workspace_id AND a.id = t.assignee_id
WHERE t.workspace_id = $1 AND t.opened_at >= $2 AND t.opened_at < $3
  AND ($4::bigint IS NULL OR t.team_id = $4)
  AND ($5::text IS NULL OR t.network = $5)
ORDER BY t.opened_at, t.id
"""
SLA_CLOCKS = """
SELECT c.id, c.thread_id, t.network, tm.name, c.kind, c.policy, c.calendar, c.started_at,
       c.deadline, c.stopped_at, c.outcome, c.budget_seconds, c.warned_at, c.breached_at
FROM sla_clock c
JOIN thread t ON t.workspace_id = c.workspace_id AND t.id = c.thread_id
LEFT JOIN team tm ON tm.workspace_id = t.workspace_id AND tm.id = t.team_id
WHERE c.workspace_id = $1 AND c.started_at >= $2 AND c.started_at < $3
  AND ($4::bigint IS NULL OR t.team_id = $4)
  AND ($5::text IS NULL OR t.network = $5)
ORDER BY c.started_at, c.id
"""


class PgExports:
    def __init__(self, reads: Reads) -> None:
        self._reads = reads

    def conversations(
        self, workspace_id: int, filters: ExportFilters, page: int
    ) -> AsyncIterator[list[ExportRow]]:
        return self._pages(CONVERSATIONS, _args(workspace_id, filters), page)

    def sla_clocks(
        self, workspace_id: int, filters: ExportFilters, page: int
    ) -> AsyncIterator[list[ExportRow]]:
        return self._pages(SLA_CLOCKS, _args(workspace_id, filters), page)

    async def _pages(
        self, query: str, args: tuple[Any, ...], page: int
    ) -> AsyncIterator[list[ExportRow]]:
        async with (
            self._reads.connection() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            cursor = await conn.cursor(query, *args)
            while rows := await cursor.fetch(page):
                yield [tuple(row.values()) for row in rows]


def _args(workspace_id: int, filters: ExportFilters) -> tuple[Any, ...]:
    return workspace_id, filters.since, filters.until, filters.team_id, filters.network
