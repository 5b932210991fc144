"""The incident statements of an ingestion batch, on its connection and inside its
transaction (the `incidents` repository of its unit of work): the complaints among the
batch's new mentions, their links to the open incidents they match, and their counts per
series and minute added to the shared complaint counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inbox.domain.incidents import ComplaintCount
from inbox.ports.incidents import SeriesCount
from inbox.store import incidents_sql as sql
from inbox.store.database import Connection
from inbox.store.incidents import KEYWORD_GROUP_EFFECTS

_EFFECTS = list(KEYWORD_GROUP_EFFECTS)
_GROUPS = list(KEYWORD_GROUP_EFFECTS.values())


def _complaint(workspace_id: int, row: Any, count: int = 1) -> ComplaintCount:
    return ComplaintCount(
        workspace_id=workspace_id,
        at=row["at"] if "at" in row else row["created_at"],
        topics=tuple(row["topics"]),
        keyword_groups=tuple(row["groups"]),
        regions=tuple(row["regions"]),
        count=count,
    )


class PgIncidentIngestWriter:
    """Incident statements on an ingestion batch's connection, inside its transaction: the
    `incidents` repository of its unit of work (inbox/store/ingest.py)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def new_complaints(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[ComplaintCount]:
        rows = await self._conn.fetch(
            sql.NEW_COMPLAINTS, workspace_id, list(thread_ids), _EFFECTS, _GROUPS,
            sql.PLACE_PATTERN,
        )  # fmt: skip
        return [_complaint(workspace_id, row) for row in rows]

    async def link_new(self, workspace_id: int, thread_ids: Sequence[int]) -> int:
        status = await self._conn.execute(
            sql.LINK_NEW, workspace_id, list(thread_ids), _EFFECTS, _GROUPS
        )
        return int(status.rsplit(" ", 1)[-1])

    async def count_complaints(self, counts: Sequence[SeriesCount]) -> None:
        if not counts:
            return
        await self._conn.execute(
            sql.COUNT_COMPLAINTS,
            [c.key.workspace_id for c in counts],
            [c.bucket for c in counts],
            [c.key.kind for c in counts],
            [c.key.value for c in counts],
            [c.count for c in counts],
        )
