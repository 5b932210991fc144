"""What a poll of any network counts, and how an ingested batch is counted in it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from inbox.domain.ingestion import IngestBatch, IngestResult
from inbox.domain.mention import Mention
from inbox.ports.connectors import ConnectorState

# Hands one batch of a workspace to ingestion (which commits it with its cursor).
Ingest = Callable[[int, IngestBatch], Awaitable[IngestResult]]
Item = TypeVar("Item")


async def arrived(queue: asyncio.Queue[Item]) -> list[Item]:
    """The next item, waited for, and every one that has arrived with it: what a poll's
    fetcher read while the previous batch was being written, written as the next batch."""
    items = [await queue.get()]
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


async def unknown_parents(
    state: ConnectorState, workspace_id: int, network: str, mentions: Sequence[Mention]
) -> tuple[list[str], set[str]]:
    """The posts the batch's replies answer that neither the batch nor the inbox holds, in
    the order of their ids; and those of them the inbox holds."""
    have = {m.external_id for m in mentions}
    wanted = sorted({m.in_reply_to for m in mentions if m.in_reply_to} - have)
    if not wanted:
        return [], set()
    stored = await state.known_external_ids(workspace_id, network, wanted)
    return [parent for parent in wanted if parent not in stored], set(stored)


@dataclass(slots=True)
class PollOutcome:
    """One poll: requests sent, posts read, what ingestion added and quarantined, the
    newest post's time as stored (for the channel's health) and notes for the log."""

    requests: int = 0
    reads: int = 0
    added: int = 0
    quarantined: int = 0
    newest_item_at: datetime | None = None
    notes: list[str] = field(default_factory=list)

    def count_ingested(self, result: IngestResult) -> None:
        """Counts what ingestion wrote. The newest post's time is the one stored, not the
        network's claim: a post dated 9999 (stored at its arrival) would otherwise put the
        channel's last post in the far future and blind its gap detection for good."""
        self.added += result.mentions_added
        self.quarantined += result.quarantined
        newest = result.newest_added_at
        if newest is not None and (self.newest_item_at is None or newest > self.newest_item_at):
            self.newest_item_at = newest
