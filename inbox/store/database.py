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

# What a server that stopped, crashed, restarts or refuses clients raises, on connecting or
# in the middle of a statement: the driver's socket errors (OSError, TimeoutError), a
# connection that broke (class 08), and the server's own "shutting down", "crashed" and
# "starting up / in recovery" (57P01-57P03). Not QueryCanceledError, the other 57: a
# cancelled statement is not an outage.
CONNECTION_LOST: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)

# What the driver itself raises about a connection's state: an outage when the connection
# turns out closed.
DRIVER_STATE: tuple[type[Exception], ...] = (asyncpg.InterfaceError, asyncpg.InternalClientError)

# ...and on a dedicated connection, whose death is its owner's to notice: the driver's "the
# connection is closed" as well.
CONNECTION_GONE: tuple[type[Exception], ...] = (*CONNECTION_LOST, *DRIVER_STATE)

CLOSE_TIMEOUT_S = 5.0


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
        """A pooled connection. A lost server raises DatabaseUnavailableError, whether
        borrowing the connection or using it (the API answers 503, the loops retry); the pool
        opens fresh connections once the server is back."""
        async with self._slots:
            try:
                async with self._pool.acquire() as conn:
                    try:
                        yield conn
                    except DRIVER_STATE as exc:
                        # "connection is closed", or the driver caught mid-statement by the
                        # server's end: the server went away; otherwise a bug, left as is.
                        if conn.is_closed():
                            raise _unavailable(exc) from exc
                        raise
            except CONNECTION_LOST as exc:
                raise _unavailable(exc) from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self.connection() as conn, conn.transaction():
            yield conn

    # One statement on a connection of its own, for the stores' single reads and writes.
    async def fetchval(self, query: str, *args: Any) -> Any:
        async with self.connection() as conn:
            return await conn.fetchval(query, *args)

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        async with self.connection() as conn:
            return await conn.fetchrow(query, *args)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        async with self.connection() as conn:
            return await conn.fetch(query, *args)

    async def execute(self, query: str, *args: Any) -> str:
        async with self.connection() as conn:
            return await conn.execute(query, *args)

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
            # A server gone silent (a network cut) must not hold up the process's stop.
            try:
                await asyncio.wait_for(conn.close(), CLOSE_TIMEOUT_S)
            except CONNECTION_GONE:
                conn.terminate()

    async def close(self) -> None:
        await self._pool.close()


def _unavailable(exc: Exception) -> DatabaseUnavailableError:
    # The class only: a driver's message may name the server's address.
    return DatabaseUnavailableError(f"the database connection failed: {exc.__class__.__name__}")
