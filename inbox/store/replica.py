"""Reads that may be a moment behind (dashboards, reports, incident history) go to a streaming
read replica while it keeps up, and to the primary otherwise.

The replica's lag is measured against the primary: none when it has replayed all the primary
has written; else how long ago it replayed its last transaction (a replica cut off from its
primary falls behind by that measure, where its own receive position would say it kept up).
The measure is taken at most once a second, whoever asks; a replica that cannot be reached
has no lag to measure and its reads go to the primary.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import asyncpg

from inbox.domain.errors import DatabaseUnavailableError
from inbox.domain.replica import ReplicaState
from inbox.store.database import Connection, Database

log = logging.getLogger(__name__)

# How long a measure of the lag stands: reads in between go where it said.
MEASURE_EVERY_S = 1.0
MEASURE_TIMEOUT_S = 2.0

PRIMARY_POSITION = "SELECT pg_current_wal_lsn()"
# $1: the primary's position. Not in recovery: a replica promoted (or a read URL naming a
# primary) is never behind.
REPLICA_POSITION = """
SELECT pg_is_in_recovery() AS standby,
       pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::float8 AS bytes_behind,
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS replayed_ago
"""


class ReplicaReads:
    """A `connection()` like `Database.connection()`, from the replica when its lag is within
    `max_lag_seconds`, from the primary otherwise."""

    def __init__(
        self,
        primary: Database,
        replica: Database,
        max_lag_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._primary = primary
        self._replica = replica
        self._max_lag = max_lag_seconds
        self._clock = clock
        self._measured_at: float | None = None
        self._state = ReplicaState(None, False)
        self._measuring = asyncio.Lock()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with AsyncExitStack() as stack:
            conn: Connection | None = None
            if (await self.state()).reads_from_replica:
                try:
                    conn = await stack.enter_async_context(self._replica.connection())
                except DatabaseUnavailableError:
                    # Gone since it was measured: this read goes to the primary, and the
                    # next one measures again.
                    self._measured_at = None
            if conn is None:
                conn = await stack.enter_async_context(self._primary.connection())
            yield conn

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        async with self.connection() as conn:
            return await conn.fetch(query, *args)

    async def state(self) -> ReplicaState:
        """The replica's lag and where reads go, measured at most once a second."""
        async with self._measuring:
            now = self._clock()
            if self._measured_at is None or now - self._measured_at >= MEASURE_EVERY_S:
                lag = await self._measure()
                fresh = lag is not None and lag <= self._max_lag
                if fresh != self._state.reads_from_replica:
                    log.info(
                        "reads moved to the replica" if fresh else "reads moved to the primary",
                        extra={"action": "replica_reads", "replica": fresh, "lag_seconds": lag},
                    )
                self._state = ReplicaState(lag, fresh)
                self._measured_at = now
            return self._state

    async def _measure(self) -> float | None:
        try:
            async with asyncio.timeout(MEASURE_TIMEOUT_S):
                written = await self._primary.fetchval(PRIMARY_POSITION)
                async with self._replica.connection() as conn:
                    row = await conn.fetchrow(REPLICA_POSITION, written)
        except (DatabaseUnavailableError, TimeoutError):
            return None
        assert row is not None
        behind = row["bytes_behind"]
        if not row["standby"] or (behind is not None and behind <= 0):
            return 0.0
        ago = row["replayed_ago"]
        # Never replayed a transaction since it started: behind by an unknown amount.
        return float(ago) if ago is not None else float("inf")
