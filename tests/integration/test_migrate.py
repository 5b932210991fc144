"""Migrations: numbered, applied once, safe when several processes start together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from inbox.store.migrate import available_migrations, migrate

pytestmark = pytest.mark.integration


@pytest.fixture
async def empty_database(postgres_admin_dsn: str) -> AsyncIterator[str]:
    admin = await asyncpg.connect(postgres_admin_dsn)
    await admin.execute("DROP DATABASE IF EXISTS inbox_empty WITH (FORCE)")
    await admin.execute("CREATE DATABASE inbox_empty")
    base, _, query = postgres_admin_dsn.partition("?")
    yield f"{base.rpartition('/')[0]}/inbox_empty" + (f"?{query}" if query else "")
    await admin.execute("DROP DATABASE IF EXISTS inbox_empty WITH (FORCE)")
    await admin.close()


def test_migrations_are_numbered_without_gaps() -> None:
    versions = [m.version for m in available_migrations()]
    assert versions == list(range(1, len(versions) + 1))


async def test_concurrent_starts_apply_each_migration_exactly_once(empty_database: str) -> None:
    connections = [await asyncpg.connect(empty_database) for _ in range(3)]
    try:
        applied = await asyncio.gather(*(migrate(conn) for conn in connections))
        recorded = await connections[0].fetch("SELECT version FROM schema_migration")
    finally:
        for conn in connections:
            await conn.close()
    everything = [m.version for m in available_migrations()]
    assert sorted(v for run in applied for v in run) == everything
    assert sorted(r["version"] for r in recorded) == everything


async def test_a_second_run_applies_nothing(empty_database: str) -> None:
    conn = await asyncpg.connect(empty_database)
    try:
        assert await migrate(conn) != []
        assert await migrate(conn) == []
    finally:
        await conn.close()
