"""Reads that may be a moment behind (search, dashboards, reports) go to a streaming replica
while it keeps up, and to the primary when it falls behind its bound or cannot be reached.

A primary and a replica of the test's own (made with `pg_basebackup`), on Unix sockets. The
proof that a read went to the replica: a row written on the primary while the replica's
replay is paused is not found, and it is found once the reads fall back to the primary.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.inbox_pages import PgInboxPages
from inbox.store.migrate import migrate
from inbox.store.replica import ReplicaReads
from inbox.store.workspaces import PgWorkspaceStore
from tests.controlled_postgres import ControlledPostgres, controlled_postgres
from tests.factories import mention
from tests.replica import Replica, streaming_replica
from web.app import create_app

pytestmark = pytest.mark.integration

DEADLINE_S = 60.0
# A bound no test reaches: the replica serves reads however far its paused replay falls.
PATIENT_S = 3600.0
_databases = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Pair:
    primary: ControlledPostgres
    replica: Replica


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    # Not under pytest's temporary folder (see test_database_outages): the servers run as
    # another user when the tests run as root.
    with (
        tempfile.TemporaryDirectory(prefix="inbox-replica-") as folder,
        controlled_postgres(Path(folder) / "primary") as primary,
        streaming_replica(primary, Path(folder) / "replica") as replica,
    ):
        yield Pair(primary, replica)


@dataclass(frozen=True, slots=True)
class Databases:
    primary: Database
    replica: Database
    workspace_id: int


@pytest.fixture
async def databases(pair: Pair) -> AsyncIterator[Databases]:
    if not pair.replica.control.running():  # a test stops it
        await asyncio.to_thread(pair.replica.control.start)
    await pair.replica.resume_replay()
    name = f"replicated_{os.getpid()}_{next(_databases)}"
    admin = await asyncpg.connect(pair.primary.admin_dsn)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    conn = await asyncpg.connect(pair.primary.dsn(name))
    try:
        await migrate(conn)
    finally:
        await conn.close()
    primary = await Database.connect(pair.primary.dsn(name), size=4)
    workspace_id = await PgWorkspaceStore(primary).ensure_workspace("acme", "Acme")
    replica = await Database.connect(pair.replica.dsn(name), size=4, min_size=0)
    await _until(lambda: _replica_knows_workspace(replica), "the replica to replay the schema")
    yield Databases(primary, replica, workspace_id)
    await asyncio.gather(primary.close(), replica.close())
    await pair.replica.resume_replay()
    admin = await asyncpg.connect(pair.primary.admin_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


async def _replica_knows_workspace(replica: Database) -> bool:
    try:
        return bool(await replica.fetchval("SELECT count(*) FROM workspace"))
    except (asyncpg.PostgresError, OSError):
        return False


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + DEADLINE_S
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def _ingest(db: Database, workspace_id: int, external_id: str, text: str) -> None:
    services = build_services(db)
    await services.ingest(workspace_id, IngestBatch([mention(external_id, text=text)]))


async def _found(pages: PgInboxPages, workspace_id: int, word: str) -> bool:
    return bool((await pages.search(workspace_id, word, 50, datetime.now(UTC))).threads)


async def test_search_reads_from_the_replica_while_it_keeps_up(
    pair: Pair, databases: Databases
) -> None:
    reads = ReplicaReads(databases.primary, databases.replica, PATIENT_S)
    pages = PgInboxPages(databases.primary, reads)
    ws = databases.workspace_id
    await _ingest(databases.primary, ws, "1", "the router blinks amber")
    await _until(lambda: _found(pages, ws, "amber"), "the first message on the replica")

    await pair.replica.pause_replay()
    await _ingest(databases.primary, ws, "2", "now the router blinks crimson")
    state = await reads.state()
    assert state.reads_from_replica
    assert state.lag_seconds is not None
    # Written on the primary, not replayed: the search read the replica.
    assert not await _found(pages, ws, "crimson")
    assert await _found(PgInboxPages(databases.primary), ws, "crimson")

    await pair.replica.resume_replay()
    await _until(lambda: _found(pages, ws, "crimson"), "the replica to replay the second")


async def test_reads_fall_back_to_the_primary_when_the_replica_lags_past_the_bound(
    pair: Pair, databases: Databases
) -> None:
    reads = ReplicaReads(databases.primary, databases.replica, max_lag_seconds=0.5)
    pages = PgInboxPages(databases.primary, reads)
    ws = databases.workspace_id
    await pair.replica.pause_replay()
    await _ingest(databases.primary, ws, "1", "a parcel lost in transit")

    async def fell_back() -> bool:
        return not (await reads.state()).reads_from_replica

    await _until(fell_back, "the reads to leave the lagging replica")
    lag = (await reads.state()).lag_seconds
    assert lag is not None
    assert lag > 0.5
    assert await _found(pages, ws, "parcel")  # from the primary

    await pair.replica.resume_replay()

    async def back() -> bool:
        return (await reads.state()).reads_from_replica

    await _until(back, "the reads to return to the replica once it caught up")
    assert (await reads.state()).lag_seconds == 0.0


async def test_reads_fall_back_to_the_primary_while_the_replica_is_stopped(
    pair: Pair, databases: Databases
) -> None:
    reads = ReplicaReads(databases.primary, databases.replica, PATIENT_S)
    pages = PgInboxPages(databases.primary, reads)
    ws = databases.workspace_id
    assert (await reads.state()).reads_from_replica
    await asyncio.to_thread(pair.replica.control.stop)

    async def fell_back() -> bool:
        state = await reads.state()
        return state.lag_seconds is None and not state.reads_from_replica

    await _until(fell_back, "the reads to leave the stopped replica")
    await _ingest(databases.primary, ws, "1", "the invoice is wrong")
    assert await _found(pages, ws, "invoice")

    await asyncio.to_thread(pair.replica.control.start)

    async def back() -> bool:
        return (await reads.state()).reads_from_replica

    await _until(back, "the reads to return to the restarted replica")


async def test_metrics_show_the_replica_lag_and_where_reads_go(
    pair: Pair, databases: Databases
) -> None:
    reads = ReplicaReads(databases.primary, databases.replica, max_lag_seconds=0.5)
    services = build_services(databases.primary, replica=reads)
    ops = await services.tokens.issue(databases.workspace_id, "ops", Role.OPS)
    server = TestServer(create_app(services, databases.workspace_id), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:

            async def metrics() -> str:
                async with session.get(
                    server.make_url("/metrics"), headers={"Authorization": f"Bearer {ops}"}
                ) as answer:
                    assert answer.status == 200
                    return await answer.text()

            assert "inbox_replica_reads 1" in (text := await metrics())
            assert "inbox_replica_lag_seconds 0" in text

            await pair.replica.pause_replay()
            await _ingest(databases.primary, databases.workspace_id, "1", "behind")

            async def lagging() -> bool:
                return "inbox_replica_reads 0" in await metrics()

            await _until(lagging, "/metrics to say the reads left the lagging replica")
            lag = [
                line
                for line in (await metrics()).splitlines()
                if line.startswith("inbox_replica_lag_seconds ")
            ]
            assert len(lag) == 1
            assert float(lag[0].split()[1]) > 0.5
    finally:
        await server.close()
