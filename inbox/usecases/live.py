"""Live updates for the pages: one listener per process, fanned out to each open page of
the workspace the change belongs to. A slow page loses updates, never the process: each
subscriber holds a few at most, and a page that missed some reloads its list anyway."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from inbox.ports import ChangeFeed

QUEUE_SIZE = 16


class LiveUpdates:
    def __init__(self, feed: ChangeFeed) -> None:
        self._feed = feed
        self._subscribers: dict[int, set[asyncio.Queue[dict[str, Any]]]] = {}

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self._feed.listening(self._deliver):
            yield

    def _deliver(self, channel: str, payload: dict[str, Any] | list[Any]) -> None:
        items = payload if isinstance(payload, list) else [payload]
        for item in items:
            if not isinstance(item, dict):
                continue
            workspace_id = item.get("workspace_id")
            if not isinstance(workspace_id, int):
                continue
            event = {"channel": channel, **{k: v for k, v in item.items() if k != "workspace_id"}}
            for queue in self._subscribers.get(workspace_id, ()):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def subscribe(self, workspace_id: int) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.setdefault(workspace_id, set()).add(queue)
        try:
            yield queue
        finally:
            self._subscribers[workspace_id].discard(queue)
