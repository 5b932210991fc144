"""Changes announced by PostgreSQL (LISTEN), for the pages' live updates."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from inbox.store.database import Database

CHANNELS = (
    "inbox_threads",
    "inbox_sla_events",
    "inbox_sla_alerts",
    "inbox_notifications",
    "inbox_incidents",
)


class PgChangeFeed:
    """One dedicated connection listening on the inbox's channels for the whole process."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @asynccontextmanager
    async def listening(
        self, deliver: Callable[[str, dict[str, Any] | list[Any]], None]
    ) -> AsyncIterator[None]:
        def relay(_conn: Any, _pid: int, channel: str, payload: object) -> None:
            try:
                decoded = json.loads(str(payload)) if payload else {}
            except ValueError:
                return
            if isinstance(decoded, dict | list):
                deliver(channel, decoded)

        async with self._db.dedicated() as conn:
            for channel in CHANNELS:
                await conn.add_listener(channel, relay)
            yield
