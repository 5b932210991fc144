"""Costs as the data grows: one workspace filled to each size in turn, the same figures at each.

    python bench/growth.py [--sizes 1000000 3000000 10000000] [--requests 100] [--memory]

Run by hand, not in CI: at ten million mentions the fill alone takes a while and the database
some tens of gigabytes. The workspace is generated and COPY-loaded (bench/growth_fill.py: a
steady 10,000 mentions a day, threads of 1 to 20 messages, returning customers, most threads
resolved, the last two days' mostly open with their SLA clocks running, classifications,
assignments, notes, outbox rows, SLA events, closures, incidents); each size adds older
history, so that today's work is the same at every size and only the past grows.

At each size, on the application as it runs (`build_services`, the aiohttp app on loopback):
- `ingest_mentions_per_s`: the real ingestion path (`ingest_many`) for --batches batches of
  1,000 new mentions on top of the workspace;
- `inbox_page_p99_ms`, `thread_page_p99_ms`: the inbox list and thread pages (each request a
  different thread, recent or years old), `--requests` requests from 4 agents at once;
- `search_common_p99_ms`, `search_rare_p99_ms`: the search page for a word in one message in
  twenty and for an order number that appears a handful of times;
- `dashboard_p99_ms`: the lead's dashboard (the last week's SLA per day, the queue now);
- `breach_scan_p99_ms`: the SLA timer's statement that fires due warnings and breaches, half
  an hour ahead (rolled back each time, so that each scan sees the same work);
- `database_mb_per_million_mentions`: the whole database's size over the mentions held.
Every figure should stay flat, or grow with the log of the data.

`--memory`: after the largest size, the peak resident memory of `inbox serve` (its own
process) with --accounts accounts on fake Mastodon and Bluesky services and --streams open
live-update streams, read from /proc (bench/growth_memory.py).

Each size's summary line says how long the fill and the roll-ups took, the database's size and
the load average (one minute) before the step and after its figures: on a shared machine the
other work moves every figure but the sizes.

Runs on a throwaway embedded PostgreSQL unless --database-url names a server (it then adds a
workspace of its own there). The figures come last, one a line, each named with its size.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import aiohttp
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import growth_fill, growth_memory
from bench.ingest import BRAND_HANDLE, BRAND_ID, Generator
from bench.serving import served
from bench.web import LOGIN_WORDS, load, logged_in, percentile
from inbox.bootstrap import build_services
from inbox.domain.clock import utc_now
from inbox.domain.ingestion import IngestBatch
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.store.adoption import PgAdoptionRollUp
from inbox.store.database import Database
from inbox.store.embedded import EmbeddedPostgres
from inbox.store.migrate import migrate
from inbox.store.people import PgPeopleStore
from inbox.store.sla_timer import FIRE_DUE
from inbox.store.workspaces import PgWorkspaceStore
from web.app import create_app

AGENTS = 4
LEAD = "lead@growth.example"
COMMON_WORD = "Bordeaux"  # a city of sixteen, in most complaint templates
BREACH_SCAN_AHEAD = timedelta(minutes=30)
BREACH_SCANS = 50


class Figures:
    """Figures in the order they are taken, printed last."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, name: str, size: int, value: float, digits: int = 1) -> None:
        self.lines.append(f"{name}_{size}: {value:.{digits}f}")

    def of(self, size: int) -> list[str]:
        return [line for line in self.lines if line.split(":")[0].endswith(f"_{size}")]


@asynccontextmanager
async def database(given: str | None, folder: Path) -> AsyncIterator[str]:
    if given:
        yield given
        return
    server = EmbeddedPostgres(folder / "postgres", delete_on_stop=True)
    dsn = await asyncio.to_thread(server.start)
    try:
        yield dsn
    finally:
        await asyncio.to_thread(server.stop)


async def seed(db: Database, slug: str) -> tuple[int, list[int], list[str]]:
    """The workspace, its brand account, agents who can log in and a lead."""
    workspace_id = await PgWorkspaceStore(db).ensure_workspace(slug, "growth bench")
    await PgWorkspaceStore(db).add_account(workspace_id, Network.X, BRAND_ID, BRAND_HANDLE)
    people = PgPeopleStore(db)
    logins = build_services(db).web_logins
    emails = [f"agent{n}@growth.example" for n in range(AGENTS)]
    for email in emails:
        await people.save_agent(workspace_id, email, email, [Role.AGENT], [])
        await logins.set_password(workspace_id, email, SecretStr(LOGIN_WORDS))
    await people.save_agent(workspace_id, LEAD, LEAD, [Role.LEAD, Role.OPS, Role.ADMIN], [])
    await logins.set_password(workspace_id, LEAD, SecretStr(LOGIN_WORDS))
    agent_ids = [
        r["id"]
        for r in await db.fetch("SELECT id FROM agent WHERE workspace_id = $1", workspace_id)
    ]
    return workspace_id, agent_ids, emails


async def ingest_rate(db: Database, workspace_id: int, round_: int, batches: int) -> float:
    """Mentions per second through the real path, new threads and replies to them."""
    generator = Generator(seed=1900 + round_)
    generator.next_id += round_ * 10**15  # never the ids of an earlier round
    # A thousand mentions span about twenty minutes: all of them in the past, or ingestion
    # would take them for clocks gone wrong (and repair them, a path of its own).
    generator.clock = growth_fill.utc_minute() - timedelta(minutes=30 * batches)
    work = generator.batches(batches * 1000, 1000)
    ingest = build_services(db).ingest
    started = time.perf_counter()
    async for _ in ingest.ingest_many(workspace_id, (IngestBatch(b) for b in work)):
        pass
    seconds = time.perf_counter() - started
    return sum(len(b) for b in work) / seconds


async def breach_scan_p99(db: Database) -> float:
    """The timer's statement on the clocks due in the next half hour, rolled back."""
    timings = []
    for number in range(BREACH_SCANS + 1):
        ahead = growth_fill.utc_minute() + BREACH_SCAN_AHEAD
        async with db.connection() as conn:
            transaction = conn.transaction()
            await transaction.start()
            try:
                started = time.perf_counter()
                await conn.fetch(FIRE_DUE, ahead, 500)
                if number:  # the first one prepares the statement
                    timings.append(1000 * (time.perf_counter() - started))
            finally:
                await transaction.rollback()
    return percentile(timings, 0.99)


async def pages_p99(
    base: str,
    sessions: Sequence[aiohttp.ClientSession],
    lead: aiohttp.ClientSession,
    thread_ids: Sequence[int],
    rare_word: str,
    requests: int,
) -> dict[str, float]:
    each = max(1, requests // len(sessions))
    found = {}
    inbox_ms, _ = await load(base, "/inbox?view=all", sessions, each)
    found["inbox_page_p99_ms"] = percentile(inbox_ms, 0.99)
    picked = itertools.cycle(thread_ids)
    thread_ms, _ = await load(base, lambda _: f"/threads/{next(picked)}", sessions, each)
    found["thread_page_p99_ms"] = percentile(thread_ms, 0.99)
    common_ms, _ = await load(base, f"/search?q={COMMON_WORD}", sessions, each)
    found["search_common_p99_ms"] = percentile(common_ms, 0.99)
    rare_ms, _ = await load(base, f"/search?q={rare_word}", sessions, each)
    found["search_rare_p99_ms"] = percentile(rare_ms, 0.99)
    dashboard_ms, _ = await load(base, "/dashboard", [lead], max(1, requests // 4))
    found["dashboard_p99_ms"] = percentile(dashboard_ms, 0.99)
    return found


async def sample_threads(db: Database, workspace_id: int, count: int) -> list[int]:
    """Threads of every age, recent and years old alike (the filled ids are dense)."""
    row = await db.fetchrow(
        "SELECT min(id) AS low, max(id) AS high FROM thread WHERE workspace_id = $1", workspace_id
    )
    assert row is not None
    low, high = row["low"], row["high"]
    rng = random.Random(count)
    asked = [rng.randint(low, high) for _ in range(2 * count)]
    rows = await db.fetch(
        "SELECT id FROM thread WHERE workspace_id = $1 AND id = ANY($2::bigint[]) LIMIT $3",
        workspace_id,
        asked,
        count,
    )
    return [r["id"] for r in rows]


async def rare_word(db: Database, workspace_id: int) -> str:
    """An order number of the newest history: a few messages hold it."""
    body = await db.fetchval(
        "SELECT body FROM mention WHERE workspace_id = $1 AND body LIKE '%order %' "
        "ORDER BY created_at DESC LIMIT 1",
        workspace_id,
    )
    return next(word for word in str(body).replace(",", " ").split() if word.isdigit())


async def main(args: argparse.Namespace) -> None:
    figures = Figures()
    summaries: list[str] = []
    with tempfile.TemporaryDirectory(prefix="inbox-growth-") as scratch:
        folder = Path(scratch)
        async with database(args.database_url, folder) as dsn:
            db = await Database.connect(dsn, size=10)
            try:
                async with db.connection() as conn:
                    await migrate(conn)
                slug = f"growth-{time.time_ns()}"
                workspace_id, agent_ids, emails = await seed(db, slug)
                await ingest_rate(db, workspace_id, 0, 1)  # loads the classifier's models
                now = growth_fill.utc_minute()
                history = growth_fill.History(workspace_id, agent_ids, now)
                async with served(create_app(build_services(db), workspace_id)) as base:
                    connector = aiohttp.TCPConnector(limit=0)
                    sessions = await logged_in(base, emails, connector)
                    (lead,) = await logged_in(base, [LEAD], connector)
                    have = 0
                    try:
                        for round_, size in enumerate(sorted(args.sizes), start=1):
                            load_before = os.getloadavg()[0]
                            started = time.perf_counter()
                            async with db.connection() as conn:
                                have += await growth_fill.grow(conn, history, have, size, now)
                            fill_seconds = time.perf_counter() - started
                            # What the worker's periodic pass keeps: made again over the history
                            # just loaded beneath it.
                            started = time.perf_counter()
                            await PgAdoptionRollUp(db).rebuild(workspace_id, utc_now())
                            roll_up_seconds = time.perf_counter() - started
                            rate = await ingest_rate(db, workspace_id, round_, args.batches)
                            threads = await sample_threads(db, workspace_id, args.requests)
                            word = await rare_word(db, workspace_id)
                            for path in ("/inbox?view=all", f"/threads/{threads[0]}", "/dashboard"):
                                await load(base, path, [lead], 2)  # warm the paths
                            found = await pages_p99(
                                base, sessions, lead, threads, word, args.requests
                            )
                            scan = await breach_scan_p99(db)
                            mentions = await db.fetchval(
                                "SELECT count(*) FROM mention WHERE workspace_id = $1", workspace_id
                            )
                            size_mb = (
                                await db.fetchval("SELECT pg_database_size(current_database())")
                                / 2**20
                            )
                            summaries.append(
                                f"{size}: {mentions} mentions, filled in {fill_seconds:.0f} s, "
                                f"adoption roll-ups made in {roll_up_seconds:.0f} s, "
                                f"database {size_mb:.0f} MiB, "
                                # the machine's other work, which moves every figure but the size
                                f"load average {load_before:.1f} before, "
                                f"{os.getloadavg()[0]:.1f} after"
                            )
                            figures.add("ingest_mentions_per_s", size, rate, 0)
                            for name, value in found.items():
                                figures.add(name, size, value)
                            figures.add("breach_scan_p99_ms", size, scan, 2)
                            figures.add(
                                "database_mb_per_million_mentions",
                                size,
                                size_mb * 1e6 / mentions,
                                0,
                            )
                            # A long run shows each size's figures as it goes (stdout: all).
                            print(summaries[-1], *figures.of(size), sep="\n", file=sys.stderr)
                    finally:
                        for session in [*sessions, lead]:
                            await session.close()
                        await connector.close()
                if args.memory:
                    largest = max(args.sizes)
                    memory = await growth_memory.measure(
                        db, dsn, slug, workspace_id, emails, LEAD,
                        ["/inbox?view=all", f"/search?q={COMMON_WORD}"], ["/dashboard"],
                        accounts=args.accounts, streams=args.streams, folder=folder,
                    )  # fmt: skip
                    summaries.append(
                        f"inbox serve: {args.accounts} accounts, {args.streams} event streams, "
                        f"load average {os.getloadavg()[0]:.1f} after"
                    )
                    figures.add("serve_started_rss_mb", largest, memory.started_mb, 0)
                    figures.add("serve_peak_rss_mb", largest, memory.peak_mb, 0)
                    figures.add("serve_end_rss_mb", largest, memory.end_mb, 0)
            finally:
                await db.close()
    for line in summaries:
        print(line)
    for line in figures.lines:
        print(line)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1_000_000, 3_000_000, 10_000_000],
        help="mentions in the workspace at each step",
    )  # fmt: skip
    parser.add_argument("--requests", type=int, default=100, help="requests per page and size")
    parser.add_argument("--batches", type=int, default=5, help="batches of 1,000 ingested")
    parser.add_argument("--memory", action="store_true", help="inbox serve's peak memory")
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    arguments = parser.parse_args(argv)
    if min(*arguments.sizes, arguments.requests, arguments.batches, arguments.streams) < 1:
        parser.error("sizes, requests, batches and streams must be at least 1")
    return arguments


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
