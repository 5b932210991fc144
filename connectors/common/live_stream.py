"""What the live streams (X's filtered stream, Mastodon's user stream) share: what arrived is
kept and written in batches every few tenths of a second, and every reconnection runs the
REST catch-up, which closes whatever gap the break left.

How each stream connects and reconnects stays in its package: tweepy holds X's connection
with X's recommended backoff, the Mastodon stream its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from connectors.common.polling import Ingest
from inbox.domain.ingestion import (
    ConnectorCursor,
    IngestBatch,
    NetworkDeletion,
    RejectedPayload,
)
from inbox.domain.mention import Mention

log = logging.getLogger(__name__)

CatchUp = Callable[[], Coroutine[Any, Any, object]]


class StreamBatches:
    """What one account's stream delivered since the last write, and what happens on each
    connection.

    The batches carry the stream's own cursor (`cursor_name`), never the REST poll's: a
    stream cannot prove it missed nothing, so only the poll moves that one."""

    def __init__(
        self,
        ingest: Ingest,
        workspace_id: int,
        cursor_name: str,
        *,
        network: str,
        handle: str,
        on_reconnect: CatchUp | None,
    ) -> None:
        self._ingest = ingest
        self._workspace_id = workspace_id
        self._cursor_name = cursor_name
        self._network = network
        self._handle = handle
        self._on_reconnect = on_reconnect
        self.mentions: list[Mention] = []
        self.rejected: list[RejectedPayload] = []
        # Posts the stream said were deleted on the network.
        self.deletions: list[NetworkDeletion] = []
        # The newest post id delivered, the stream cursor's position.
        self.newest: str | None = None
        self.connections = 0
        self.ingested = 0
        self.catch_ups: list[asyncio.Task[object]] = []

    async def flush(self) -> None:
        if not self.mentions and not self.rejected and not self.deletions:
            return
        mentions, self.mentions = self.mentions, []
        rejected, self.rejected = self.rejected, []
        deletions, self.deletions = self.deletions, []
        cursor = (
            ConnectorCursor(connector=self._cursor_name, position=self.newest)
            if self.newest
            else None
        )
        try:
            result = await self._ingest(
                self._workspace_id, IngestBatch(mentions, rejected, cursor, deletions)
            )
        except BaseException:
            # Not written (the database away): kept, ahead of what arrives meanwhile, for
            # the next flush, so that nothing the stream delivered is lost.
            self.mentions[:0] = mentions
            self.rejected[:0] = rejected
            self.deletions[:0] = deletions
            raise
        self.ingested += result.mentions_added

    def connected(self) -> None:
        self.connections += 1
        log.info(
            f"{self._network} stream connected",
            extra={
                "action": f"{self._network}_stream_connect",
                "account": self._handle,
                "connections": self.connections,
            },
        )
        if self.connections > 1 and self._on_reconnect is not None:
            # Connected again first, then the REST poll: whatever arrived in the break is
            # either in the poll's pages or on the stream from now on.
            self.catch_ups.append(asyncio.create_task(self._on_reconnect()))

    async def write_while_running(
        self,
        stop: asyncio.Event,
        running: asyncio.Task[Any],
        *,
        every_seconds: float,
        halt: Callable[[], object],
    ) -> None:
        """Write every `every_seconds` until `stop` is set or the stream's task ends; then
        `halt` it, write what is left and let the catch-ups finish. A write that fails (the
        database away) ends the stream too, with the error: its supervisor starts it again,
        and the reconnection's catch-up closes the gap."""
        try:
            while not stop.is_set() and not running.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=every_seconds)
                await self.flush()
        finally:
            halt()
            with contextlib.suppress(asyncio.CancelledError):
                await running
            try:
                await self.flush()
            finally:
                catch_ups, self.catch_ups = self.catch_ups, []
                for catch_up in catch_ups:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await catch_up


class BatchedStream:
    """What a live stream shows and does with its `StreamBatches`, whatever its network."""

    _batches: StreamBatches

    @property
    def connections(self) -> int:
        return self._batches.connections

    @property
    def ingested(self) -> int:
        return self._batches.ingested

    async def flush(self) -> None:
        await self._batches.flush()
