"""Live updates under a crowd of browsers: 200 open inbox pages while ingestion runs steadily.

    python bench/live.py [--clients 200] [--agents 20] [--threads 20000] [--rate 100]
                         [--batch 10] [--seconds 30] [--script current|fetch|legacy]
                         [--profile]

The server is a child process serving the real app (`create_app` over `build_services`, one
LISTEN connection, the pool of `inbox serve`) while it ingests generated X mentions at a
steady rate (`--rate` mentions a second in batches of `--batch`, as a connector would), in
the same event loop as the pages, as `inbox serve` does. A batch's latency runs from the
instant it was due to its commit, so a server that falls behind shows it.

Each client is a browser tab of a logged-in agent (a view among mine, team, unassigned,
waiting and all, some with a filter): it loads its page, holds an `/events` stream and does
what the page's script does on each event:
- `current`: the script of this tree (web/static/inbox.js): the stream names the view, the
  server sends at most one event a second with the changed rows themselves; the page puts
  them in place (the first 100 of the view, by `data-order`) and fetches only what was not
  sent (`?partial=1&threads=...`), the whole list after a `resync` or when a row left a full
  list, never more than once a second;
- `fetch`: the script before the rows were sent: the same stream, but the page fetches every
  changed thread's row;
- `legacy`: the script before per-view streams: every change of the workspace reaches every
  page, which fetches its whole list 250 ms after the first change of a burst.

Measured in one run: ingestion alone (no clients: the baseline), then the same ingestion
with the clients connected. Printed last, one figure a line: the pages' fetch latency p50
and p99, the fetches and the rows sent per client and minute, the time from a batch's
commit to its rows on the pages (sent or fetched) p50 and p99, the server process's CPU
(seconds a second, its event loop's share) and the ingestion rate and p99 batch latency
with clients, each beside the baseline and as a ratio to it.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import cProfile
import json
import pstats
import re
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import Generator
from bench.web import FILL_MENTIONS, LOGIN_WORDS
from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.embedded import EmbeddedPostgres
from inbox.store.migrate import migrate
from inbox.store.people import PgPeopleStore
from inbox.store.workspaces import PgWorkspaceStore
from web.app import create_app

TEAMS = ("care", "network")
# Threads already open, spread over the agents and their teams: the lists have rows to show.
FILL_THREADS = """
INSERT INTO thread (workspace_id, network, thread_key, status, priority, kind, opened_at,
                    last_inbound_at, sla_due_at, excerpt, assignee_id, team_id)
SELECT $1, 'x', 'bench-' || n, 'open', (ARRAY['low', 'normal', 'high', 'urgent'])[1 + n % 4],
       'complaint', $2::timestamptz, $2::timestamptz,
       $2::timestamptz + (n % 5000) * interval '1 minute',
       'message number ' || n || ' about a slow connection',
       CASE WHEN n % 10 = 0 THEN NULL ELSE a.id END, a.team_id
FROM generate_series(1, $3) AS n
JOIN LATERAL (
    SELECT ag.id, (SELECT tm.team_id FROM team_member tm
                   WHERE tm.workspace_id = $1 AND tm.agent_id = ag.id LIMIT 1) AS team_id
    FROM agent ag WHERE ag.workspace_id = $1 ORDER BY ag.id OFFSET n % $4 LIMIT 1
) a ON true
"""
# Tabs per view, as a team uses them: mostly their own list.
VIEWS = (
    *(["view=mine"] * 10),
    "view=team",
    "view=team&priority=high",
    "view=unassigned",
    "view=waiting",
    "view=all",
)
SHOWN = re.compile(rb'data-thread="(\d+)"')
ROW_PLACE = re.compile(r'data-thread="(\d+)" data-order="([^"]*)"')
# The rows of a view a page shows (web/static/inbox.js, VIEW_ROWS).
VIEW_ROWS = 100


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)] if ordered else 0.0


# ---------------------------------------------------------------------------------------
# The server process: the app and a steady ingestion, in one event loop.


async def serve(args: argparse.Namespace) -> None:
    db = await Database.connect(args.serve, size=10)
    services = build_services(db)
    runner = web.AppRunner(
        create_app(services, args.workspace_id), access_log=None, shutdown_timeout=1
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"port {runner.addresses[0][1]}", flush=True)
    generator = Generator(seed=7)
    per_phase = args.rate * args.seconds
    phases = [generator.batches(per_phase, args.batch) for _ in range(2)]
    await services.ingest(args.workspace_id, IngestBatch(phases[0][0][:1]))  # loads models
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        for phase, batches in enumerate(phases):
            command = (await reader.readline()).decode().strip()
            if command != "ingest":
                break
            profiler = cProfile.Profile() if args.profile and phase == 1 else None
            if profiler is not None:
                profiler.enable()
            stats = await steady_ingestion(services, args.workspace_id, batches, args)
            if profiler is not None:
                profiler.disable()
                pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
            print("stats " + json.dumps(stats), flush=True)
        await reader.readline()  # "quit", or the parent went away
    finally:
        await runner.cleanup()
        await db.close()


async def steady_ingestion(
    services: Any, workspace_id: int, batches: Sequence[Any], args: argparse.Namespace
) -> dict[str, Any]:
    interval = args.batch / args.rate
    latencies: list[float] = []
    commits: list[tuple[float, list[int]]] = []  # (wall clock at commit, threads changed)
    mentions = 0
    started = time.perf_counter()
    cpu = time.process_time()
    for number, batch in enumerate(batches):
        due = started + number * interval
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        result = await services.ingest(workspace_id, IngestBatch(batch))
        commits.append((time.time(), sorted(result.changed_thread_ids)))
        latencies.append(1000 * (time.perf_counter() - due))
        mentions += len(batch)
    elapsed = time.perf_counter() - started
    return {
        "mentions_per_s": mentions / elapsed,
        # The server process's own CPU (its event loop), PostgreSQL's aside.
        "cpu_share": (time.process_time() - cpu) / elapsed,
        "batch_p50_ms": percentile(latencies, 0.5),
        "batch_p99_ms": percentile(latencies, 0.99),
        "commits": commits,
    }


# ---------------------------------------------------------------------------------------
# The browsers.


class Tab:
    """One open inbox page and what its script does, with each fetch's latency and the
    instant each changed row reached the page."""

    def __init__(self, session: aiohttp.ClientSession, base: str, view: str, script: str):
        self.session = session
        self.base = base
        self.view = view
        self.script = script
        self.latencies: list[tuple[float, float]] = []  # (finished at, milliseconds)
        self.arrivals: list[tuple[float, int]] = []  # (wall clock, thread) of a changed row
        self.rows_sent = 0
        self.subscribed = asyncio.Event()
        self.shown: dict[int, str] = {}  # thread -> its place in the list (data-order)
        self.stream_token = ""

    async def fetch(self, query: str) -> str:
        started = time.perf_counter()
        async with self.session.get(f"{self.base}/inbox?{query}") as answer:
            body = await answer.text()
            assert answer.status == 200, answer.status
        finished = time.perf_counter()
        self.latencies.append((finished, 1000 * (finished - started)))
        return body

    async def run(self) -> None:
        page = await self.fetch(self.view)
        self.shown = {int(n): order for n, order in ROW_PLACE.findall(page)}
        if self.script == "legacy":
            await self.legacy()
        else:
            await self.current()

    async def legacy(self) -> None:
        """The old script: any change, the whole list again 250 ms later."""
        refreshing: set[asyncio.Task[None]] = set()
        waiting = False

        async def refresh() -> None:
            nonlocal waiting
            await asyncio.sleep(0.25)
            waiting = False
            await self.fetch(self.view + "&partial=1")

        try:
            async with self.session.get(f"{self.base}/events") as stream:
                await stream.content.readline()
                self.subscribed.set()
                async for line in stream.content:
                    if line.startswith(b"event: change") and not waiting:
                        waiting = True
                        task = asyncio.create_task(refresh())
                        refreshing.add(task)
                        task.add_done_callback(refreshing.discard)
        finally:
            for task in tuple(refreshing):
                task.cancel()

    async def current(self) -> None:
        """The view's own stream; the rows it sends put in place (`current`) or fetched
        (`fetch`), the rest fetched, one fetch a second."""
        shown = ",".join(map(str, list(self.shown)[:200]))
        query = self.view + "&" + urlencode({"shown": shown})

        async def now_and_then() -> None:
            # The script reads the whole view again every minute (times move on).
            while True:
                await asyncio.sleep(60)
                await self.whole()

        reread = asyncio.create_task(now_and_then())
        try:
            await self.listen(query)
        finally:
            reread.cancel()

    async def whole(self) -> None:
        page = await self.fetch(f"{self.view}&partial=1&stream={self.stream_token}")
        self.shown = {int(n): order for n, order in ROW_PLACE.findall(page)}

    def put(self, rows: dict[int, str], asked: set[int]) -> bool:
        """The rows in place, the asked threads without a row taken out, the list cut to a
        view's length; True when a full list lost a row (the script then reads it whole)."""
        full = len(self.shown) >= VIEW_ROWS
        now = time.time()
        for thread_id in asked:
            self.shown.pop(thread_id, None)
            row = rows.get(thread_id)
            if row is not None:
                place = ROW_PLACE.search(row)
                self.shown[thread_id] = place.group(2) if place else ""
                self.arrivals.append((now, thread_id))
        if len(self.shown) > VIEW_ROWS:
            kept = sorted(self.shown.items(), key=lambda item: item[1])[:VIEW_ROWS]
            self.shown = dict(kept)
        return full and len(self.shown) < VIEW_ROWS

    async def listen(self, query: str) -> None:
        last_fetch = 0.0
        async with self.session.get(f"{self.base}/events?{query}") as stream:
            kind = b""
            async for line in stream.content:
                if line.startswith(b"event: "):
                    kind = line[7:].strip()
                    continue
                if not line.startswith(b"data: "):
                    continue
                data = json.loads(line[6:])
                if kind == b"hello":
                    self.stream_token = data["stream"]
                    self.subscribed.set()
                    continue
                if kind not in (b"change", b"resync"):
                    continue
                wanted: set[int] = set()
                whole = kind == b"resync" or "threads" not in data
                if not whole:
                    wanted = {int(t) for t in data["threads"]}
                    if self.script == "current":
                        sent = {int(t): row for t, row in data.get("rows", {}).items()}
                        asked = set(sent) | {int(t) for t in data.get("gone", ())}
                        self.rows_sent += len(sent)
                        whole = self.put(sent, asked)
                        wanted -= asked
                if not whole and not wanted:
                    continue
                wait = last_fetch + 1.0 - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                last_fetch = time.perf_counter()
                if whole:
                    await self.whole()
                    continue
                common = f"{self.view}&partial=1&stream={self.stream_token}"
                answer = await self.fetch(f"{common}&threads={','.join(map(str, wanted))}")
                self.put({int(n): row for n, row in _rows_of(answer)}, wanted)


def _rows_of(html: str) -> list[tuple[str, str]]:
    return [(found.group(1), found.group(0)) for found in ROW_PLACE.finditer(html)]


def delivery_latencies(
    tabs: Sequence[Tab], commits: Sequence[tuple[float, list[int]]]
) -> list[float]:
    """Milliseconds from the commit that changed a thread to its row on a page showing it:
    each row arriving, against the latest commit of its thread before it (once a commit)."""
    by_thread: dict[int, list[float]] = {}
    for at, threads in commits:
        for thread_id in threads:
            by_thread.setdefault(thread_id, []).append(at)
    latencies = []
    for tab in tabs:
        counted: set[tuple[int, float]] = set()
        for arrived, thread_id in tab.arrivals:
            times = by_thread.get(thread_id)
            if not times:
                continue
            index = bisect.bisect_right(times, arrived) - 1
            if index < 0 or (thread_id, times[index]) in counted:
                continue
            counted.add((thread_id, times[index]))
            latencies.append(1000 * (arrived - times[index]))
    return latencies


async def logged_in(
    base: str, email: str, connector: aiohttp.TCPConnector
) -> aiohttp.ClientSession:
    session = aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), connector=connector, connector_owner=False
    )
    async with session.post(
        f"{base}/login", data={"email": email, "password": LOGIN_WORDS}, allow_redirects=False
    ) as answer:
        assert answer.status == 303, await answer.text()
    return session


# ---------------------------------------------------------------------------------------
# The run.


@asynccontextmanager
async def database(url: str | None) -> AsyncIterator[str]:
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="inbox-bench-") as folder:
        server = EmbeddedPostgres(Path(folder) / "postgres", delete_on_stop=True)
        dsn = await asyncio.to_thread(server.start)
        try:
            yield dsn
        finally:
            await asyncio.to_thread(server.stop)


async def seed(dsn: str, args: argparse.Namespace) -> tuple[int, list[str]]:
    db = await Database.connect(dsn, size=2)
    try:
        async with db.connection() as conn:
            await migrate(conn)
        workspace_id = await PgWorkspaceStore(db).ensure_workspace(
            f"bench-live-{time.time_ns()}", "live bench"
        )
        services = build_services(db)
        people = PgPeopleStore(db)
        emails = [f"agent{n}@bench.example" for n in range(args.agents)]
        for number, email in enumerate(emails):
            team = TEAMS[number % len(TEAMS)]
            await people.save_agent(workspace_id, email, email, [Role.AGENT], [team])
            await services.web_logins.set_password(workspace_id, email, SecretStr(LOGIN_WORDS))
        async with db.connection() as conn:
            await conn.execute(
                "UPDATE agent SET capacity = 1000000 WHERE workspace_id = $1", workspace_id
            )
            await conn.execute(
                FILL_THREADS, workspace_id, datetime.now(UTC), args.threads, args.agents
            )
            await conn.execute(FILL_MENTIONS, workspace_id)
            await conn.execute("ANALYZE thread")
            await conn.execute("ANALYZE mention")
        return workspace_id, emails
    finally:
        await db.close()


async def command(child: asyncio.subprocess.Process, line: str) -> dict[str, Any]:
    assert child.stdin is not None
    assert child.stdout is not None
    child.stdin.write(line.encode() + b"\n")
    await child.stdin.drain()
    while True:
        answer = await child.stdout.readline()
        if not answer:
            raise RuntimeError("the server process ended")
        if answer.startswith(b"stats "):
            return dict(json.loads(answer[6:]))


async def main(args: argparse.Namespace) -> None:
    async with database(args.database_url) as dsn:
        workspace_id, emails = await seed(dsn, args)
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            *("--serve", dsn, "--workspace-id", str(workspace_id)),
            *("--rate", str(args.rate), "--batch", str(args.batch)),
            *("--seconds", str(args.seconds)),
            *(("--profile",) if args.profile else ()),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert child.stdout is not None
        line = await child.stdout.readline()
        base = f"http://127.0.0.1:{int(line.split()[1])}"
        connector = aiohttp.TCPConnector(limit=0)
        sessions: list[aiohttp.ClientSession] = []
        tasks: list[asyncio.Task[None]] = []
        try:
            sessions = [await logged_in(base, email, connector) for email in emails]
            quiet = Tab(sessions[0], base, "view=mine", args.script)
            for _ in range(20):
                await quiet.fetch("view=mine&partial=1")
            baseline = await command(child, "ingest")
            tabs = [
                Tab(sessions[n % len(sessions)], base, VIEWS[n % len(VIEWS)], args.script)
                for n in range(args.clients)
            ]
            tasks = [asyncio.create_task(tab.run()) for tab in tabs]
            await asyncio.wait_for(
                asyncio.gather(*(tab.subscribed.wait() for tab in tabs)), timeout=120
            )
            started = time.perf_counter()
            crowded = await command(child, "ingest")
            ended = time.perf_counter()
            failed = [t for t in tasks if t.done() and t.exception() is not None]
            if failed:
                raise RuntimeError(f"a client failed: {failed[0].exception()!r}")
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for session in sessions:
                await session.close()
            await connector.close()
            if child.returncode is None:
                assert child.stdin is not None
                child.stdin.write(b"quit\n")
                await child.stdin.drain()
                await child.wait()
    during = [ms for tab in tabs for at, ms in tab.latencies if started <= at <= ended]
    delivered = delivery_latencies(tabs, crowded["commits"])
    quiet_ms = [ms for _, ms in quiet.latencies]
    minutes = (ended - started) / 60
    print(
        f"{args.clients} clients ({args.script} script) over {args.threads} threads, "
        f"{args.agents} agents; ingestion {args.rate} mentions/s in batches of {args.batch} "
        f"for {args.seconds} s; {len(during)} page fetches and "
        f"{sum(tab.rows_sent for tab in tabs)} rows sent during it"
    )
    figures = {
        "page_quiet_p50_ms": statistics.median(quiet_ms),
        "page_p50_ms": percentile(during, 0.5),
        "page_p99_ms": percentile(during, 0.99),
        "fetches_per_client_per_min": len(during) / args.clients / minutes,
        "rows_sent_per_client_per_min": sum(t.rows_sent for t in tabs) / args.clients / minutes,
        "commit_to_row_p50_ms": percentile(delivered, 0.5),
        "commit_to_row_p99_ms": percentile(delivered, 0.99),
        "server_cpu_baseline_share": baseline["cpu_share"],
        "server_cpu_share": crowded["cpu_share"],
        "server_cpu_ratio": crowded["cpu_share"] / baseline["cpu_share"],
        "ingest_baseline_mentions_per_s": baseline["mentions_per_s"],
        "ingest_mentions_per_s": crowded["mentions_per_s"],
        "ingest_rate_ratio": crowded["mentions_per_s"] / baseline["mentions_per_s"],
        "ingest_baseline_batch_p99_ms": baseline["batch_p99_ms"],
        "ingest_batch_p99_ms": crowded["batch_p99_ms"],
        "ingest_batch_p99_ratio": crowded["batch_p99_ms"] / baseline["batch_p99_ms"],
    }
    for name, value in figures.items():
        exact = name.endswith(("ratio", "share"))
        print(f"{name}: {value:.2f}" if exact else f"{name}: {value:.1f}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--threads", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=100, help="mentions a second")
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=30, help="of ingestion, each phase")
    parser.add_argument("--script", choices=("current", "fetch", "legacy"), default="current")
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    parser.add_argument(
        "--profile", action="store_true", help="the server's busiest functions with the clients"
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--workspace-id", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    counts = (arguments.clients, arguments.agents, arguments.threads, arguments.rate)
    if min(*counts, arguments.batch, arguments.seconds) < 1:
        parser.error("every count must be at least 1")
    return arguments


if __name__ == "__main__":
    parsed = parse_args()
    asyncio.run(serve(parsed) if parsed.serve else main(parsed))
