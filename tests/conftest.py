"""Fixtures shared by the integration and end-to-end tests.

One embedded PostgreSQL server per test session; a database migrated once as a template; each
test gets a fresh database cloned from it, so tests never see each other's rows.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from inbox.store.database import Database
from inbox.store.embedded import EmbeddedPostgres
from inbox.store.migrate import migrate
from inbox.store.workspaces import PgWorkspaceStore

TEMPLATE = "inbox_template"
_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_admin_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A DSN to the server's maintenance database: INBOX_TEST_DATABASE_URL, or embedded."""
    external = os.environ.get("INBOX_TEST_DATABASE_URL")
    if external:
        yield external
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", delete_on_stop=True)
    yield server.start()
    server.stop()


def _with_database(dsn: str, database: str) -> str:
    base, _, query = dsn.partition("?")
    prefix, _, _ = base.rpartition("/")
    return f"{prefix}/{database}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
async def template_dsn(postgres_admin_dsn: str) -> str:
    admin = await asyncpg.connect(postgres_admin_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        await admin.execute(f"CREATE DATABASE {TEMPLATE}")
    finally:
        await admin.close()
    dsn = _with_database(postgres_admin_dsn, TEMPLATE)
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return dsn


@pytest.fixture
async def database_dsn(postgres_admin_dsn: str, template_dsn: str) -> AsyncIterator[str]:
    name = f"inbox_test_{os.getpid()}_{next(_database_numbers)}"
    admin = await asyncpg.connect(postgres_admin_dsn)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    finally:
        await admin.close()
    yield _with_database(postgres_admin_dsn, name)
    admin = await asyncpg.connect(postgres_admin_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def db(database_dsn: str) -> AsyncIterator[Database]:
    # Durability is not under test; asynchronous commit keeps the suite quick.
    database = await Database.connect(database_dsn, size=4, synchronous_commit="off")
    yield database
    await database.close()


@pytest.fixture
async def workspace_id(db: Database) -> int:
    return await PgWorkspaceStore(db).ensure_workspace("acme", "Acme")
