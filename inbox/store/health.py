"""A cheap round trip that proves the database answers."""

from __future__ import annotations

import asyncio

import asyncpg

from inbox.domain.errors import DatabaseUnavailableError
from inbox.store.database import Database

PING_TIMEOUT_S = 2.0


class PgHealthCheck:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ping(self) -> None:
        try:
            await asyncio.wait_for(self._db.fetchval("SELECT 1"), PING_TIMEOUT_S)
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            raise DatabaseUnavailableError(f"database did not answer: {exc!r}") from exc
