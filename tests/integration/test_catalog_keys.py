"""The schema stays ready to be distributed by workspace on Citus (docs/scaling.md).

A distributed table's primary key, unique constraints and unique indexes must contain the
distribution column, and a foreign key between two distributed tables must join on it; we
hold ourselves to the stricter form that makes one shard serve each key: every key starts with
`workspace_id`. Read from the catalog of a database migrated to the end, so that a new
migration which forgets it fails here, naming the table and the key.
"""

from __future__ import annotations

import asyncpg
import pytest

pytestmark = pytest.mark.integration

# Copied whole to every node on Citus: small, read everywhere, written rarely. Each one with why.
REFERENCE_TABLES = {
    "workspace": (
        "the tenants themselves: one row each, a slug unique across them all (the sign-in "
        "and the CLI find a workspace by it), and the target of every distributed table's "
        "foreign key on workspace_id"
    ),
    "cluster_worker": (
        "the worker processes alive: a worker runs the accounts of every workspace, so its "
        "row belongs to none; written only by heartbeats"
    ),
    "schema_migration": "the schema's version: one for the whole database, read at start",
}

# Every primary key, unique or exclusion constraint, foreign key, and unique index made
# without a constraint, of the tables of the current schema, with their columns in order.
KEYS = """
SELECT r.relname AS table_name, c.conname AS key_name,
       CASE c.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique'
                      WHEN 'x' THEN 'exclusion' ELSE 'foreign key' END AS kind,
       ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
             ORDER BY k.n) AS columns,
       f.relname AS referenced_table,
       ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum
             ORDER BY k.n) AS referenced_columns
FROM pg_constraint c
JOIN pg_class r ON r.oid = c.conrelid
LEFT JOIN pg_class f ON f.oid = c.confrelid
WHERE r.relnamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u', 'x', 'f')
UNION ALL
SELECT r.relname, x.relname, 'unique index',
       ARRAY(SELECT coalesce(a.attname::text, '(expression)')
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             ORDER BY k.n),
       NULL, ARRAY[]::text[]
FROM pg_index i
JOIN pg_class r ON r.oid = i.indrelid
JOIN pg_class x ON x.oid = i.indexrelid
WHERE r.relnamespace = current_schema()::regnamespace AND i.indisunique
  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 1, 2
"""
TABLES = """
SELECT r.relname AS table_name,
       (SELECT NOT a.attnotnull FROM pg_attribute a
        WHERE a.attrelid = r.oid AND a.attname = 'workspace_id' AND NOT a.attisdropped)
           AS workspace_id_nullable
FROM pg_class r
WHERE r.relnamespace = current_schema()::regnamespace AND r.relkind IN ('r', 'p')
ORDER BY 1
"""


@pytest.fixture
async def catalog(database_dsn: str) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    conn = await asyncpg.connect(database_dsn)
    try:
        return await conn.fetch(KEYS), await conn.fetch(TABLES)
    finally:
        await conn.close()


def _described(key: asyncpg.Record) -> str:
    described = f"{key['table_name']}.{key['key_name']} ({key['kind']} on {key['columns']})"
    if key["referenced_table"]:
        described += f" -> {key['referenced_table']} {key['referenced_columns']}"
    return described


def test_every_reference_table_named_exists(
    catalog: tuple[list[asyncpg.Record], list[asyncpg.Record]],
) -> None:
    _, tables = catalog
    assert set(REFERENCE_TABLES) <= {t["table_name"] for t in tables}


def test_every_other_table_has_a_workspace_id_that_is_never_null(
    catalog: tuple[list[asyncpg.Record], list[asyncpg.Record]],
) -> None:
    _, tables = catalog
    missing = [
        t["table_name"]
        for t in tables
        if t["table_name"] not in REFERENCE_TABLES and t["workspace_id_nullable"] is not False
    ]
    assert missing == [], "tables without a NOT NULL workspace_id"


def test_every_key_of_a_distributed_table_starts_with_workspace_id(
    catalog: tuple[list[asyncpg.Record], list[asyncpg.Record]],
) -> None:
    keys, _ = catalog
    wrong = [
        _described(key)
        for key in keys
        if key["table_name"] not in REFERENCE_TABLES and key["columns"][:1] != ["workspace_id"]
    ]
    assert wrong == [], "keys that a shard by workspace_id could not check alone"


def test_a_foreign_key_between_distributed_tables_joins_workspace_to_workspace(
    catalog: tuple[list[asyncpg.Record], list[asyncpg.Record]],
) -> None:
    keys, _ = catalog
    wrong = [
        _described(key)
        for key in keys
        if key["kind"] == "foreign key"
        and key["table_name"] not in REFERENCE_TABLES
        and key["referenced_table"] not in REFERENCE_TABLES
        and key["referenced_columns"][:1] != ["workspace_id"]
    ]
    assert wrong == [], "foreign keys whose rows could sit on two shards"


def test_no_reference_table_refers_to_a_distributed_one(
    catalog: tuple[list[asyncpg.Record], list[asyncpg.Record]],
) -> None:
    keys, _ = catalog
    wrong = [
        _described(key)
        for key in keys
        if key["kind"] == "foreign key"
        and key["table_name"] in REFERENCE_TABLES
        and key["referenced_table"] not in REFERENCE_TABLES
    ]
    assert wrong == [], "Citus refuses a foreign key from a reference to a distributed table"
