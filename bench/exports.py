"""The conversations export: time and peak memory for many threads, streamed over HTTP.

    python bench/exports.py [--threads 100000] [--database-url URL]

`--threads` threads are written straight in SQL, then the export is downloaded from the API
(`/api/v1/exports/conversations.csv`) by a client reading it as it comes. Peak memory is
Python's (tracemalloc) over the server and the client, which run in this process; the
baseline is the same rows fetched whole (`fetch`, the way a page would) in the same run.

The last lines are the figures, one a line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import tracemalloc
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import bench_database
from inbox.bootstrap import build_services
from inbox.domain.people import Role
from inbox.store.exports import CONVERSATIONS
from inbox.store.migrate import migrate
from inbox.store.people import PgPeopleStore
from inbox.store.workspaces import PgWorkspaceStore
from web.app import create_app

START = datetime(2026, 1, 1, tzinfo=UTC)


async def run(args: argparse.Namespace) -> dict[str, float]:
    figures: dict[str, float] = {}
    async with bench_database(args.database_url, pool_size=4) as db:
        async with db.connection() as conn:
            await migrate(conn)
        workspace_id = await PgWorkspaceStore(db).ensure_workspace("bench-exports", "exports")
        await db.execute(
            """INSERT INTO thread (workspace_id, network, thread_key, opened_at, excerpt,
                                   message_count)
               SELECT $1, 'x', 'export-' || n, $2::timestamptz + n * interval '1 second',
                      'my fibre line has been down since this morning, ticket ' || n, 3
               FROM generate_series(1, $3) AS n""",
            workspace_id,
            START,
            args.threads,
        )
        services = build_services(db)
        await PgPeopleStore(db).save_agent(
            workspace_id, "lead@example.com", "Lead", [Role.LEAD], []
        )
        token = await services.tokens.issue(workspace_id, "bench", Role.LEAD, "lead@example.com")
        server = TestServer(create_app(services, workspace_id), host="127.0.0.1", port=0)
        await server.start_server()
        try:
            tracemalloc.start()
            started = time.perf_counter()
            lines = 0
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    str(server.make_url("/api/v1/exports/conversations.csv")),
                    params={"since": "2026-01-01", "until": "2026-12-31"},
                    headers={"Authorization": f"Bearer {token}"},
                ) as answer,
            ):
                async for chunk in answer.content.iter_any():
                    lines += chunk.count(b"\n")
            figures["export_seconds"] = time.perf_counter() - started
            figures["export_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        finally:
            await server.close()
        print(f"{lines - 1} rows exported in {figures['export_seconds']:.2f} s")

        tracemalloc.start()
        started = time.perf_counter()
        async with db.connection() as conn:
            rows = await conn.fetch(
                CONVERSATIONS, workspace_id, START, datetime(2027, 1, 1, tzinfo=UTC), None, None
            )
        figures["fetch_all_seconds"] = time.perf_counter() - started
        figures["fetch_all_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"{len(rows)} rows fetched whole in {figures['fetch_all_seconds']:.2f} s")
    return figures


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> None:
    figures = await run(args)
    print(f"export_seconds: {figures['export_seconds']:.2f}")
    print(f"export_peak_mib: {figures['export_peak_mib']:.1f}")
    print(f"fetch_all_peak_mib: {figures['fetch_all_peak_mib']:.1f}")
    ratio = figures["export_peak_mib"] / figures["fetch_all_peak_mib"]
    print(f"export_to_fetch_all_memory_ratio: {ratio:.3f}")


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
