"""The connection pool, guarded so that waiters are served in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

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
# cancelled statement is not an outage. And, with several hosts and
# `target_session_attrs=read-write`, none of them a primary yet (a failover under way).
CONNECTION_LOST: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.TargetServerAttributeNotMatched,
)

# What the driver itself raises about a connection's state: an outage when the connection
# turns out closed.
DRIVER_STATE: tuple[type[Exception], ...] = (asyncpg.InterfaceError, asyncpg.InternalClientError)

# ...and on a dedicated connection, whose death is its owner's to notice: the driver's "the
# connection is closed" as well.
CONNECTION_GONE: tuple[type[Exception], ...] = (*CONNECTION_LOST, *DRIVER_STATE)

CLOSE_TIMEOUT_S = 5.0

# asyncpg's own default: each pooled connection keeps its 100 most used statements prepared.
DEFAULT_STATEMENT_CACHE_SIZE = 100
# A page read in one statement is longer than asyncpg's 15 KiB default for the statements it
# keeps prepared (the thread's page is ~17 KiB): past it, the statement is planned anew at
# each run, which costs more than the round trips it saved.
MAX_CACHED_STATEMENT_BYTES = 64 * 1024


class Reads(Protocol):
    """Where a store that only reads borrows its connection: the pool (a `Database`), or
    reads that may be a moment behind, sent to a read replica (`store.replica`)."""

    def connection(self) -> AbstractAsyncContextManager[Connection]: ...

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]: ...


async def _roll_back_only(conn: asyncpg.Connection[asyncpg.Record]) -> None:
    """What a connection needs on its way back to the pool: an open transaction rolled back.
    asyncpg's default reset also sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL` at every release, a round trip each time a connection is borrowed (a page
    borrows three); pooled connections never keep session state (they may be a pooler's in
    transaction mode), what needs it takes a `dedicated` connection."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class Database:
    """An asyncpg pool behind a semaphore of the pool's size.

    asyncpg's pool hands freed connections to whichever waiter wakes first; under load some
    waiters starve for seconds. The semaphore queues them fairly (FIFO) instead.
    """

    def __init__(self, pool: asyncpg.Pool, size: int, dsn: str | None = None) -> None:
        self._pool = pool
        self._slots = asyncio.Semaphore(size)
        self.size = size
        # A secret: never logged, only used to open dedicated connections. The server itself,
        # never a pooler in transaction mode: those connections keep session state.
        self._dsn = dsn

    @classmethod
    async def connect(
        cls,
        dsn: str,
        *,
        size: int = 10,
        min_size: int = 1,
        direct_dsn: str | None = None,
        statement_cache_size: int = DEFAULT_STATEMENT_CACHE_SIZE,
        **server_settings: str,
    ) -> Database:
        """A pool on `dsn`, which may be a pooler in transaction mode (PgBouncer): a pooled
        connection carries no session state past its transaction. `direct_dsn` (default
        `dsn`) reaches the server itself, for the connections that keep session state.
        `statement_cache_size` 0 turns asyncpg's named prepared statements off, for a pooler
        that does not keep them from one transaction to the next (PgBouncer before 1.21, or
        without `max_prepared_statements`): each statement is then parsed unnamed, within
        the one exchange PgBouncer keeps on one server."""
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=min_size,
                max_size=size,
                statement_cache_size=statement_cache_size,
                max_cacheable_statement_size=MAX_CACHED_STATEMENT_BYTES,
                server_settings={"application_name": "inbox", **server_settings},
                reset=_roll_back_only,
            )
        except (TimeoutError, OSError) as exc:
            raise DatabaseUnavailableError(
                f"cannot reach the PostgreSQL server: {exc.__class__.__name__}: {exc}"
            ) from exc
        except asyncpg.TargetServerAttributeNotMatched as exc:
            raise DatabaseUnavailableError(
                "none of the servers the URL lists is a primary taking writes"
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
        return cls(pool, size, direct_dsn or dsn)

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
        """A connection outside the pool, straight to the server (the direct address), for
        session state: advisory locks held across transactions, LISTEN, migrations."""
        if self._dsn is None:
            raise DatabaseUnavailableError("no address to open a dedicated connection")
        try:
            conn = await asyncpg.connect(self._dsn)
        except ValueError as exc:
            # Its text may contain the URL.
            raise ConfigurationError(
                "INBOX_DIRECT_DATABASE_URL", "not a valid PostgreSQL URL"
            ) from exc
        except (OSError, asyncpg.PostgresError, asyncpg.TargetServerAttributeNotMatched) as exc:
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
