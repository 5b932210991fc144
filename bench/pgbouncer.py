"""The pool through PgBouncer in transaction mode, against direct connections, in one run.

    python bench/pgbouncer.py [--seconds 4] [--rounds 3] [--clients 16]

On a throwaway embedded PostgreSQL with Debian's `pgbouncer` in front of it (as many server
connections as the pool has), three pools take turns, round after round:
- `direct`: straight to the server, asyncpg's statement cache on (the default);
- `direct_unnamed`: straight to the server, the cache off (INBOX_STATEMENT_CACHE_SIZE=0);
- `pgbouncer`: through PgBouncer, the cache off, as PgBouncer before 1.21 needs.

Each measures two loads for `--seconds`: page-like transactions (three small reads, as a
page of the inbox makes) from `--clients` at once, and ingestion of one mention at a time
through the real use case (a webhook delivery's work), ten at once.

The last lines are the figures (medians over the rounds): each pool's transactions and
mentions per second, then the ratios of PgBouncer's to direct.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pgbouncer_control import running_pgbouncer
from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network
from inbox.store.database import Database
from inbox.store.embedded import EmbeddedPostgres
from inbox.store.migrate import migrate
from inbox.store.workspaces import PgWorkspaceStore

DATABASE = "bench_pgbouncer"
POOL_SIZE = 10
INGESTING_AT_ONCE = 10

PAGE_READS = (
    "SELECT count(*) FROM thread WHERE workspace_id = $1 AND status = 'open'",
    "SELECT id, status, updated_at FROM thread WHERE workspace_id = $1"
    " ORDER BY updated_at DESC LIMIT 25",
    "SELECT slug, name FROM workspace WHERE workspace_id = $1",
)
_ids = itertools.count(1)


async def page_transactions_per_s(
    db: Database, workspace_id: int, seconds: float, clients: int
) -> float:
    done = 0
    until = time.monotonic() + seconds

    async def client() -> None:
        nonlocal done
        while time.monotonic() < until:
            async with db.transaction() as conn:
                for query in PAGE_READS:
                    await conn.fetch(query, workspace_id)
            done += 1

    await asyncio.gather(*(client() for _ in range(clients)))
    return done / seconds


async def mentions_per_s(db: Database, workspace_id: int, seconds: float) -> float:
    services = build_services(db)
    done = 0
    started = time.monotonic()
    until = started + seconds

    async def deliverer() -> None:
        nonlocal done
        while time.monotonic() < until:
            await services.ingest(workspace_id, IngestBatch([_mention(next(_ids))]))
            done += 1

    await asyncio.gather(*(deliverer() for _ in range(INGESTING_AT_ONCE)))
    return done / (time.monotonic() - started)


def _mention(number: int) -> Mention:
    return Mention(
        network=Network.X,
        external_id=f"b{number}",
        author=Author(external_id=f"u{number % 500}", handle=f"user{number % 500}"),
        text=f"@brand my order {number} never arrived",
        created_at=datetime.now(UTC),
        direction=Direction.INBOUND,
        raw={"id": str(number)},
    )


async def measure(admin_dsn: str, bouncer_dsn: str, args: argparse.Namespace) -> None:
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await admin.close()
    direct = admin_dsn.replace("/postgres?", f"/{DATABASE}?")
    conn = await asyncpg.connect(direct)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    pools = {
        "direct": await Database.connect(direct, size=POOL_SIZE),
        "direct_unnamed": await Database.connect(direct, size=POOL_SIZE, statement_cache_size=0),
        "pgbouncer": await Database.connect(
            bouncer_dsn, size=POOL_SIZE, statement_cache_size=0, direct_dsn=direct
        ),
    }
    try:
        workspace_id = await PgWorkspaceStore(pools["direct"]).ensure_workspace("acme", "Acme")
        pages: dict[str, list[float]] = {name: [] for name in pools}
        ingests: dict[str, list[float]] = {name: [] for name in pools}
        for _ in range(args.rounds):
            for name, db in pools.items():
                pages[name].append(
                    await page_transactions_per_s(db, workspace_id, args.seconds, args.clients)
                )
                ingests[name].append(await mentions_per_s(db, workspace_id, args.seconds))
    finally:
        await asyncio.gather(*(db.close() for db in pools.values()))
    page = {name: statistics.median(rates) for name, rates in pages.items()}
    ingest = {name: statistics.median(rates) for name, rates in ingests.items()}
    print(f"{args.rounds} rounds of {args.seconds:g} s per pool; {args.clients} page clients")
    for name in pools:
        print(f"{name}_page_transactions_per_s {page[name]:.0f}")
        print(f"{name}_mentions_per_s {ingest[name]:.1f}")
    print(f"pgbouncer_page_ratio {page['pgbouncer'] / page['direct']:.3f}")
    print(f"pgbouncer_mentions_ratio {ingest['pgbouncer'] / ingest['direct']:.3f}")


def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="inbox-bench-pgbouncer-") as folder:
        server = EmbeddedPostgres(Path(folder) / "data", delete_on_stop=True)
        admin_dsn = server.start()
        try:
            with running_pgbouncer(
                Path(folder) / "pgbouncer", admin_dsn, server_connections=POOL_SIZE
            ) as bouncer:
                asyncio.run(measure(admin_dsn, bouncer.dsn(DATABASE), args))
        finally:
            server.stop()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per pool and load")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16, help="page clients at once")
    arguments = parser.parse_args(argv)
    if arguments.seconds <= 0 or arguments.rounds < 1 or arguments.clients < 1:
        parser.error("--seconds, --rounds and --clients must be positive")
    return arguments


if __name__ == "__main__":
    main(parse_args())
