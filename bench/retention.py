"""How long a retention pass takes, against the bare statements that remove the same things.

Two workspaces are filled alike (generated in SQL: `--mentions` messages of about 1 KB of raw
payload, arrived over the last 200 days, in threads of three, half of the threads resolved 30
months ago). In one, the product's pass runs (`ManageRetention.run`: raw payloads a week of
arrivals at a time, closed threads 500 at a time, each batch a transaction of its own, with
the watermark, the excerpts, notes, replies and classifications); in the other, the bare
ceiling: one `UPDATE` of the raw payloads due and one of the closed threads' messages. Which
side goes first alternates by round. Figures are printed last, one a line.

Runs on a throwaway embedded PostgreSQL unless --database-url names a server:
`python bench/retention.py [--mentions 100000] [--rounds 2]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import bench_database
from inbox.store.audit import PgAuditTrail
from inbox.store.database import Database
from inbox.store.migrate import migrate
from inbox.store.retention import PgRetentionStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.retention import ManageRetention

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)

FILL_THREADS = """
INSERT INTO thread (workspace_id, id, network, thread_key, status, opened_at, resolved_at,
                    message_count, excerpt)
SELECT $1, n, 'x', 'k' || n,
       CASE WHEN n % 2 = 0 THEN 'resolved' ELSE 'open' END,
       $2::timestamptz - interval '31 months',
       CASE WHEN n % 2 = 0 THEN $2::timestamptz - interval '30 months' END,
       3, 'excerpt ' || n
FROM generate_series(1, $3::int) AS n
"""
FILL_MENTIONS = """
INSERT INTO mention (workspace_id, network, external_id, thread_id, thread_key, direction,
                     author_external_id, body, created_at, ingested_at, raw)
SELECT $1, 'x', n::text, (n - 1) / 3 + 1, 'k' || ((n - 1) / 3 + 1), 'inbound', 'u' || n % 997,
       'message ' || n || ' ' || repeat('words ', 20),
       $2::timestamptz - (n % 200) * interval '1 day',
       $2::timestamptz - ($3::int - n) * (interval '200 days' / $3::int),
       jsonb_build_object('id', n::text, 'text', repeat('payload ', 130))
FROM generate_series(1, $3::int) AS n
"""
BARE_RAW = """
UPDATE mention SET raw = '{}'::jsonb, raw_removed_at = $3
WHERE workspace_id = $1 AND ingested_at < $2 AND raw_removed_at IS NULL
"""
BARE_CLOSED = """
UPDATE mention m SET body = '', raw = '{}'::jsonb, text_removed_at = $3,
       text_removed_reason = 'retention'
FROM thread t
WHERE m.workspace_id = $1 AND t.workspace_id = $1 AND m.thread_id = t.id
  AND t.status = 'resolved' AND t.resolved_at < $2 AND m.text_removed_at IS NULL
"""


async def fill(db: Database, workspace_id: int, mentions: int) -> None:
    async with db.transaction() as conn:
        await conn.execute(FILL_THREADS, workspace_id, NOW, (mentions + 2) // 3)
        await conn.execute(FILL_MENTIONS, workspace_id, NOW, mentions)
        await conn.execute("ANALYZE mention")
        await conn.execute("ANALYZE thread")


async def the_pass(db: Database, workspace_id: int) -> tuple[float, int]:
    manage = ManageRetention(PgRetentionStore(db), PgAuditTrail(db), clock=lambda: NOW)
    start = time.perf_counter()
    report = await manage.run(workspace_id)
    return time.perf_counter() - start, report.raw_payloads + report.closed_messages


async def bare(db: Database, workspace_id: int) -> float:
    start = time.perf_counter()
    async with db.transaction() as conn:
        # Closed threads first, as the pass removes their raw payloads with their texts.
        await conn.execute(BARE_CLOSED, workspace_id, NOW - timedelta(days=730), NOW)
        await conn.execute(BARE_RAW, workspace_id, NOW - timedelta(days=90), NOW)
    return time.perf_counter() - start


async def main(args: argparse.Namespace) -> None:
    pass_seconds: list[float] = []
    bare_seconds: list[float] = []
    removed = 0
    async with bench_database(args.database_url) as db:
        async with db.connection() as conn:
            await migrate(conn)
        workspaces = PgWorkspaceStore(db)
        for number in range(args.rounds):
            ours = await workspaces.ensure_workspace(f"pass-{number}", "pass")
            theirs = await workspaces.ensure_workspace(f"bare-{number}", "bare")
            await fill(db, ours, args.mentions)
            await fill(db, theirs, args.mentions)
            if number % 2 == 0:
                seconds, removed = await the_pass(db, ours)
                bare_seconds.append(await bare(db, theirs))
            else:
                bare_seconds.append(await bare(db, theirs))
                seconds, removed = await the_pass(db, ours)
            pass_seconds.append(seconds)
            print(
                f"round {number + 1}: pass {seconds:.2f} s ({removed} texts and payloads), "
                f"bare {bare_seconds[-1]:.2f} s",
                flush=True,
            )
    ours_median, bare_median = statistics.median(pass_seconds), statistics.median(bare_seconds)
    print(f"retention_pass_seconds {ours_median:.3f}")
    print(f"bare_statements_seconds {bare_median:.3f}")
    print(f"retention_removed_per_s {removed / ours_median:.0f}")
    print(f"retention_to_bare_ratio {bare_median / ours_median:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=100_000, help="messages per workspace")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    asyncio.run(main(parser.parse_args()))
