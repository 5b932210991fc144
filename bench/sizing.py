"""How many of each: the mentions a second one worker process ingests, and the agents one
`inbox web` process serves, on one PostgreSQL, in one run.

    python bench/sizing.py [--mentions 6000] [--batch 100] [--rounds 3] [--threads 10000]
                           [--period 10] [--seconds 30] [--steps 1,10,25,50,75,100,150,200]
                           [--arrivals 1] [--short]

1. A worker's ingestion: mentions of a busy brand (bench/ingest.py's mix: new complaints,
   follow-ups, the brand's own replies, duplicates, ~1 KB payloads) ingested batch after
   batch, one batch per poll (`--batch`, an X page), through the application's use case as a
   worker's connector calls it: classification, rules and assignment, incident counts, SLA
   clocks, the live announcement, one transaction per batch. Baseline: the same batches
   upserted into a bare table shaped like `mention`, in alternating order. Medians over
   `--rounds`. The network's side (fetching, parsing) is bench/x_connector.py's.
2. Agents on one web process: a real `inbox web` child process (its own pool of
   INBOX_POOL_SIZE connections) over a workspace of `--threads` open threads, while
   `--arrivals` mentions a second are ingested (as the workers would), so that live updates
   flow. Each agent signs in, keeps its live updates open (`/events`, as an open inbox does)
   and, every `--period` seconds, loads the inbox (`/inbox?view=all`) then a thread page;
   agents start at random instants of the period. First one agent alone, page after page:
   the quiet p99. Then each step of `--steps` agents for `--seconds`: the p99 of their pages,
   until a step's p99 passes twice the quiet one (or a page fails); a step past it runs once
   more and fails only if it passes it again, the machine being shared. `web_agents_served`
   is the largest step within it. Baseline for the ratio: pages a second flat out (16
   clients without pause), the web process's pages against a bare aiohttp + asyncpg process
   (same pool size) answering one query of the same 100 rows as JSON. The web process's CPU
   time a page during its flat-out load gives `web_agents_per_cpu_core`: the agents at this
   rhythm whose pages would keep its one core busy (Python runs a process on one core), a
   figure that neighbours on a shared machine disturb far less than they do latencies; and,
   on the benchmark's own server, PostgreSQL's CPU time for the same pages
   (`database_cpu_ms_per_page`, NaN on a server named by --database-url).

Runs on a throwaway embedded PostgreSQL unless --database-url names a server (it then works in
workspaces of its own and drops its `bench_raw` table at the end). The load, the web process
and PostgreSQL share this machine's cores: read the ratios before the rates. The last lines
are the figures, one a line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import math
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
import psutil
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import BRAND_HANDLE, BRAND_ID, RAW_TABLE, Generator, run_ingest, run_raw
from bench.restart import free_port
from bench.web import BARE, logged_in, percentile, seed
from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.network import Network
from inbox.store.database import Database
from inbox.store.embedded import EmbeddedPostgres
from inbox.store.migrate import migrate
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore

ROOT = Path(__file__).resolve().parent.parent
POOL = web.AppKey("pool", asyncpg.Pool)
POOL_SIZE = 10  # INBOX_POOL_SIZE's default: the web process's and the bare one's
FLAT_OUT_CLIENTS = 16
QUIET_PAGES = 100
WARM_VISITS = 20  # an agent's visits before the quiet ones are timed: the process warms up
P99_BOUND = 2.0  # a step serves its agents while its p99 stays within this times the quiet one
START_DEADLINE_S = 120.0


# 1. A worker's ingestion ------------------------------------------------------------------


async def worker_ingestion(db: Database, args: argparse.Namespace) -> tuple[float, float]:
    """Mentions a second through the use case, and rows a second of the bare upsert."""
    async with db.connection() as conn:
        await conn.execute(RAW_TABLE)
    ingest = build_services(db).ingest
    workspaces = PgWorkspaceStore(db)
    ingest_rates: list[float] = []
    raw_rates: list[float] = []
    stamp = time.time_ns()
    for number in range(args.rounds):
        batches = Generator(seed=7 + number).batches(args.mentions, args.batch)
        slug = f"bench-sizing-{stamp}-{number}"
        workspace_id = await workspaces.ensure_workspace(slug, slug)
        await workspaces.add_account(workspace_id, Network.X, BRAND_ID, BRAND_HANDLE)
        # Alternate which side runs first, so that neither always meets a warmer cache.
        if number % 2 == 0:
            ingest_seconds, _, _ = await run_ingest(ingest, workspace_id, batches, one_by_one=True)
            raw_seconds = await run_raw(db, workspace_id, batches)
        else:
            raw_seconds = await run_raw(db, workspace_id, batches)
            ingest_seconds, _, _ = await run_ingest(ingest, workspace_id, batches, one_by_one=True)
        ingest_rates.append(args.mentions / ingest_seconds)
        raw_rates.append(args.mentions / raw_seconds)
        print(
            f"worker round {number + 1}: {args.mentions} mentions in batches of {args.batch}: "
            f"{ingest_rates[-1]:.0f} mentions/s ingested, {raw_rates[-1]:.0f} rows/s bare"
        )
    async with db.connection() as conn:
        await conn.execute("DROP TABLE bench_raw")
    return statistics.median(ingest_rates), statistics.median(raw_rates)


# 2. Agents on one web process --------------------------------------------------------------


@contextlib.asynccontextmanager
async def inbox_web(dsn: str, folder: Path) -> AsyncIterator[tuple[str, int]]:
    """`inbox web` in a child process on a free port, until the block ends: its address and
    its process id."""
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INBOX_")},
        "DATABASE_URL": dsn,
        "INBOX_SECRET_KEY": SecretBox.new_key(),
        "INBOX_POOL_SIZE": str(POOL_SIZE),
        "INBOX_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    errors = folder / "web.log"
    with errors.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "inbox.cli", "web", "--host", "127.0.0.1", "--port", str(port)),
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=log_file,
        )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=START_DEADLINE_S)
        if b"inbox serving on" not in line:
            tail = errors.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise RuntimeError(f"inbox web did not start:\n{tail}")
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        except TimeoutError:
            process.kill()
            await process.wait()


def _serve_bare(dsn: str, workspace_id: int, port: int) -> None:
    """The baseline's process: one query of the inbox's 100 rows, answered as JSON."""

    async def pool_ctx(app: web.Application) -> AsyncIterator[None]:
        app[POOL] = await asyncpg.create_pool(dsn, min_size=POOL_SIZE, max_size=POOL_SIZE)
        yield
        await app[POOL].close()

    async def bare(request: web.Request) -> web.Response:
        async with request.app[POOL].acquire() as conn:
            rows = await conn.fetch(BARE, workspace_id)
        return web.json_response(
            [
                {"id": r["id"], "excerpt": r["excerpt"], "priority": r["priority"],
                 "due": r["sla_due_at"].isoformat() if r["sla_due_at"] else None}
                for r in rows
            ]
        )  # fmt: skip

    app = web.Application()
    app.cleanup_ctx.append(pool_ctx)
    app.router.add_get("/bare", bare)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


@contextlib.contextmanager
def bare_process(dsn: str, workspace_id: int) -> Iterator[str]:
    port = free_port()
    child = multiprocessing.get_context("spawn").Process(
        target=_serve_bare, args=(dsn, workspace_id, port), daemon=True
    )
    child.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.join(timeout=30)


async def answering(session: aiohttp.ClientSession, address: str) -> None:
    """Waits until `address` answers 200."""
    deadline = time.monotonic() + START_DEADLINE_S
    while True:
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(address) as answer:
                if answer.status == 200:
                    return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{address} did not answer within {START_DEADLINE_S:.0f} s")
        await asyncio.sleep(0.1)


@dataclass
class Pages:
    """Latencies (ms) of the pages of a load, and the requests that failed."""

    latencies: list[float] = field(default_factory=list)
    failures: int = 0

    async def get(self, session: aiohttp.ClientSession, address: str) -> None:
        started = time.perf_counter()
        try:
            async with session.get(address) as answer:
                await answer.read()
                if answer.status != 200:
                    self.failures += 1
                    return
        except aiohttp.ClientError:
            self.failures += 1
            return
        self.latencies.append(1000 * (time.perf_counter() - started))

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99) if self.latencies else float("inf")

    def summary(self, rate: float, within: bool) -> str:
        p50 = percentile(self.latencies, 0.5) if self.latencies else float("inf")
        return (
            f"{len(self.latencies)} pages, p50 {p50:.1f} ms, p99 {self.p99:.1f} ms, "
            f"{rate:.1f} pages/s, {self.failures} failed{'' if within else ' (past the bound)'}"
        )


async def agent_day(
    session: aiohttp.ClientSession,
    base: str,
    thread_ids: Sequence[int],
    pages: Pages,
    period: float,
    until: float,
) -> None:
    """One agent at work: the inbox, then a thread, every `period` seconds from a random
    instant of the first."""
    rng = random.Random()
    due = time.monotonic() + rng.uniform(0, period)
    while True:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        if time.monotonic() >= until:
            return
        await pages.get(session, f"{base}/inbox?view=all")
        await pages.get(session, f"{base}/threads/{rng.choice(thread_ids)}")
        due += period


async def agents_at_work(
    sessions: Sequence[aiohttp.ClientSession],
    base: str,
    thread_ids: Sequence[int],
    args: argparse.Namespace,
) -> tuple[Pages, float]:
    """One step: every session an agent at work for `--seconds`; its pages and their rate."""
    pages = Pages()
    started = time.monotonic()
    until = started + args.seconds
    await asyncio.gather(
        *(agent_day(s, base, thread_ids, pages, args.period, until) for s in sessions)
    )
    return pages, len(pages.latencies) / (time.monotonic() - started)


async def flat_out(
    sessions: Sequence[aiohttp.ClientSession], addresses: Sequence[str], seconds: float
) -> tuple[float, int]:
    """Pages a second, and pages, with every session asking the next page as soon as one
    answers."""
    pages = Pages()
    until = time.monotonic() + seconds
    turns = itertools.cycle(addresses)

    async def client(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < until:
            await pages.get(session, next(turns))

    started = time.monotonic()
    await asyncio.gather(*(client(s) for s in sessions))
    return len(pages.latencies) / (time.monotonic() - started), len(pages.latencies)


def cpu_seconds(pid: int) -> float:
    """User and system time a process has used so far."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def server_cpu_seconds(data: Path | None) -> dict[int, float]:
    """By process, the CPU time of the PostgreSQL server whose data folder this is (its
    postmaster and every backend); empty for a server that is not the benchmark's own."""
    if data is None:
        return {}
    postmaster = psutil.Process(int((data / "postmaster.pid").read_text().split()[0]))
    used = {}
    for process in [postmaster, *postmaster.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            used[process.pid] = cpu_seconds(process.pid)
    return used


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float | None:
    """The CPU time used between two readings, by the processes alive at the second (a
    backend that ended meanwhile is missed)."""
    if not after:
        return None
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


async def listening(session: aiohttp.ClientSession, base: str) -> None:
    """An open inbox's live updates, read and let go, until cancelled."""
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    with contextlib.suppress(aiohttp.ClientError):
        async with session.get(f"{base}/events?view=all", timeout=timeout) as stream:
            async for _ in stream.content:
                pass


async def arriving(
    db: Database, workspace_id: int, per_second: float, flowing: asyncio.Event
) -> None:
    """Mentions ingested at a steady pace, as the workers would, until cancelled; `flowing`
    is set once the first is in (the classifier's models loaded)."""
    ingest = build_services(db).ingest
    mentions = Generator(seed=99)
    while True:
        await ingest(workspace_id, IngestBatch([mentions.one()]))
        flowing.set()
        await asyncio.sleep(1 / per_second)


@dataclass
class WebFigures:
    quiet_p99_ms: float
    agents_served: int
    served_p99_ms: float
    pages_per_s_at_served: float
    web_pages_per_s: float
    bare_pages_per_s: float
    cpu_ms_per_page: float
    db_cpu_ms_per_page: float  # NaN on a server not the benchmark's own


async def web_capacity(
    dsn: str, data: Path | None, db: Database, args: argparse.Namespace
) -> WebFigures:
    most = max(args.steps)
    workspace_id, emails = await seed(
        db,
        # one thread with a customer and clocks an agent, as the web benchmark's thread pages
        argparse.Namespace(agents=max(most, FLAT_OUT_CLIENTS), threads=args.threads, requests=1),
    )
    thread_ids = [
        r["id"]
        for r in await db.fetch("SELECT id FROM thread WHERE workspace_id = $1", workspace_id)
    ]
    connector = aiohttp.TCPConnector(limit=0)
    with tempfile.TemporaryDirectory(prefix="inbox-bench-sizing-") as folder:
        async with inbox_web(dsn, Path(folder)) as (base, pid):
            sessions = await logged_in(base, emails, connector)
            streams: list[asyncio.Task[None]] = []
            flowing = asyncio.Event()
            arrivals = asyncio.create_task(arriving(db, workspace_id, args.arrivals, flowing))
            try:
                await flowing.wait()
                quiet = Pages()
                for n in range(QUIET_PAGES // 2 + WARM_VISITS):
                    pages = quiet if n >= WARM_VISITS else Pages()
                    await pages.get(sessions[0], f"{base}/inbox?view=all")
                    await pages.get(sessions[0], f"{base}/threads/{thread_ids[n]}")
                print(f"one agent alone: pages p99 {quiet.p99:.1f} ms")
                served, served_p99, served_rate = 0, quiet.p99, 0.0
                for step in sorted(args.steps):
                    opening = sessions[len(streams) : step]
                    streams += [asyncio.create_task(listening(s, base)) for s in opening]
                    # The machine is shared: a step past the bound runs once more, and fails
                    # only if it is past it again (a neighbour's burst is not our limit).
                    for _ in range(2):
                        pages, rate = await agents_at_work(sessions[:step], base, thread_ids, args)
                        within = not pages.failures and pages.p99 <= P99_BOUND * quiet.p99
                        print(f"{step} agents: {pages.summary(rate, within)}")
                        if within:
                            break
                    if not within:
                        break
                    served, served_p99, served_rate = step, pages.p99, rate
                paths = [f"{base}/inbox?view=all", f"{base}/threads/{thread_ids[0]}"]
                # Its CPU time a page, read while it is busiest: neighbours on a shared
                # machine stretch the latencies, much less the work each page costs.
                cpu_before, server_before = cpu_seconds(pid), server_cpu_seconds(data)
                web_rate, web_pages = await flat_out(
                    sessions[:FLAT_OUT_CLIENTS], paths, args.flat_seconds
                )
                cpu_ms_per_page = 1000 * (cpu_seconds(pid) - cpu_before) / web_pages
                server_used = cpu_used(server_before, server_cpu_seconds(data))
                db_cpu_ms_per_page = (
                    math.nan if server_used is None else 1000 * server_used / web_pages
                )
            finally:
                for task in [*streams, arrivals]:
                    task.cancel()
                await asyncio.gather(*streams, arrivals, return_exceptions=True)
                for session in sessions:
                    await session.close()
    with bare_process(dsn, workspace_id) as bare_base:
        bare_sessions = [
            aiohttp.ClientSession(connector=connector, connector_owner=False)
            for _ in range(FLAT_OUT_CLIENTS)
        ]
        try:
            await answering(bare_sessions[0], f"{bare_base}/bare")
            bare_rate, _ = await flat_out(bare_sessions, [f"{bare_base}/bare"], args.flat_seconds)
        finally:
            for session in bare_sessions:
                await session.close()
    await connector.close()
    return WebFigures(
        quiet.p99,
        served,
        served_p99,
        served_rate,
        web_rate,
        bare_rate,
        cpu_ms_per_page,
        db_cpu_ms_per_page,
    )


# The run ---------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres(database_url: str | None) -> Iterator[tuple[str, Path | None]]:
    """The server's address, and its data folder when it is the benchmark's own."""
    if database_url:
        yield database_url, None
        return
    with tempfile.TemporaryDirectory(prefix="inbox-bench-sizing-pg-") as folder:
        server = EmbeddedPostgres(Path(folder) / "data", delete_on_stop=True)
        dsn = server.start()
        try:
            yield dsn, Path(folder) / "data"
        finally:
            server.stop()


async def measure(dsn: str, data: Path | None, args: argparse.Namespace) -> None:
    db = await Database.connect(dsn, size=4)
    try:
        async with db.connection() as conn:
            await migrate(conn)
        ingest_rate, raw_rate = await worker_ingestion(db, args)
        figures = await web_capacity(dsn, data, db, args)
    finally:
        await db.close()
    print(
        f"{args.rounds} rounds of {args.mentions} mentions in batches of {args.batch}; "
        f"{args.threads} threads, agents every {args.period:g} s for {args.seconds:g} s a step, "
        f"{args.arrivals:g} mentions/s arriving; web pool {POOL_SIZE}; {os.cpu_count()} cores"
    )
    print(f"worker_mentions_per_s: {ingest_rate:.0f}")
    print(f"bare_upsert_rows_per_s: {raw_rate:.0f}")
    print(f"worker_to_bare_ratio: {ingest_rate / raw_rate:.3f}")
    print(f"web_quiet_p99_ms: {figures.quiet_p99_ms:.1f}")
    print(f"web_agents_served: {figures.agents_served}")
    print(f"web_p99_ms_at_served: {figures.served_p99_ms:.1f}")
    print(f"web_pages_per_s_at_served: {figures.pages_per_s_at_served:.1f}")
    print(f"web_pages_per_s_flat_out: {figures.web_pages_per_s:.0f}")
    print(f"bare_pages_per_s_flat_out: {figures.bare_pages_per_s:.0f}")
    print(f"web_to_bare_pages_ratio: {figures.web_pages_per_s / figures.bare_pages_per_s:.3f}")
    print(f"web_cpu_ms_per_page: {figures.cpu_ms_per_page:.1f}")
    # Each agent asks two pages a period: a core's pages a second, spread over agents.
    per_core = 1000 / figures.cpu_ms_per_page * args.period / 2
    print(f"web_agents_per_cpu_core: {per_core:.0f}")
    print(f"database_cpu_ms_per_page: {figures.db_cpu_ms_per_page:.1f}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=6000, help="per worker round")
    parser.add_argument("--batch", type=int, default=100, help="mentions per poll")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=10_000, help="open threads on the desk")
    parser.add_argument(
        "--period", type=float, default=10.0, help="seconds between an agent's visits"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="per step of agents")
    parser.add_argument(
        "--steps",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 10, 25, 50, 75, 100, 150, 200],
        help="numbers of agents, comma-separated",
    )
    parser.add_argument("--arrivals", type=float, default=1.0, help="mentions a second meanwhile")
    parser.add_argument("--flat-seconds", type=float, default=10.0, help="per flat-out load")
    parser.add_argument("--short", action="store_true", help="a quick run that checks it works")
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    arguments = parser.parse_args(argv)
    if arguments.short:
        arguments.mentions, arguments.rounds, arguments.threads = 200, 2, 200
        arguments.period, arguments.seconds, arguments.steps = 1.0, 2.0, [1, 3]
        arguments.flat_seconds = 1.0
    counts = (arguments.mentions, arguments.batch, arguments.rounds, arguments.threads)
    if min(*counts, *arguments.steps) < 1:
        parser.error("every count must be at least 1")
    if min(arguments.period, arguments.seconds, arguments.arrivals, arguments.flat_seconds) <= 0:
        parser.error("--period, --seconds, --arrivals and --flat-seconds must be positive")
    if arguments.threads < QUIET_PAGES // 2 + WARM_VISITS:
        parser.error(f"--threads must be at least {QUIET_PAGES // 2 + WARM_VISITS}")
    return arguments


def main(args: argparse.Namespace) -> None:
    with postgres(args.database_url) as (dsn, data):
        asyncio.run(measure(dsn, data, args))


if __name__ == "__main__":
    main(parse_args())
