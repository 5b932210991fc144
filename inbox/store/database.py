"""The connection pool, guarded so that waiters are served in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from inbox.domain.errors import ConfigurationError, DatabaseUnavailableError

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # A connection borrowed from the pool, or a bare one (tests, migrations at start).
    Connection: TypeAlias = PoolConnectionProxy[asyncpg.Record] | asyncpg.Connection[asyncpg.Record]
else:
    Connection = asyncpg.Connection


class Database:
    """An asyncpg pool behind a semaphore of the pool's size.

    asyncpg's pool hands freed connections to whichever waiter wakes first; under load some
    waiters starve for seconds. The semaphore queues them fairly (FIFO) instead.
    """

    def __init__(self, pool: asyncpg.Pool, size: int, dsn: str | None = None) -> None:
        self._pool = pool
        self._slots = asyncio.Semaphore(size)
        self.size = size
        self._dsn = dsn  # a secret: never logged, only used to open dedicated connections

    @classmethod
    async def connect(cls, dsn: str, *, size: int = 10, **server_settings: str) -> Database:
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=1,
                max_size=size,
                server_settings={"application_name": "inbox", **server_settings},
            )
        except (TimeoutError, OSError) as exc:
            raise DatabaseUnavailableError(
                f"cannot reach the PostgreSQL server: {exc.__class__.__name__}: {exc}"
            ) from exc
        except asyncpg.InvalidCatalogNameError as exc:
            raise DatabaseUnavailableError(f"the database does not exist: {exc}") from exc
        except asyncpg.InvalidAuthorizationSpecificationError as exc:
            raise DatabaseUnavailableError(f"the server refused the login: {exc}") from exc
        except asyncpg.InvalidPasswordError as exc:
            raise DatabaseUnavailableError(f"the server refused the password: {exc}") from exc
        except ValueError as exc:
            # asyncpg raises ValueError for a DSN it cannot parse; its text may contain the DSN.
            raise ConfigurationError("DATABASE_URL", "not a valid PostgreSQL URL") from exc
        assert pool is not None
        return cls(pool, size, dsn)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with self._slots, self._pool.acquire() as conn:
            yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self.connection() as conn, conn.transaction():
            yield conn

    async def fetchval(self, query: str, *args: Any) -> Any:
        async with self.connection() as conn:
            return await conn.fetchval(query, *args)

    @asynccontextmanager
    async def dedicated(self) -> AsyncIterator[asyncpg.Connection[asyncpg.Record]]:
        """A connection outside the pool, for session state (advisory locks, LISTEN)."""
        if self._dsn is None:
            raise DatabaseUnavailableError("no address to open a dedicated connection")
        try:
            conn = await asyncpg.connect(self._dsn)
        except (OSError, asyncpg.PostgresError) as exc:
            raise DatabaseUnavailableError(
                f"cannot open a connection: {exc.__class__.__name__}"
            ) from exc
        try:
            yield conn
        finally:
            await conn.close()

    async def close(self) -> None:
        await self._pool.close()
