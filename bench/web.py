"""Web figures: the inbox page under 100 concurrent agents over 100,000 threads, against a bare
aiohttp + asyncpg endpoint doing one query in the same run; ingestion-to-page latency.

    python bench/web.py [--threads 100000] [--agents 100] [--requests 20] [--rounds 4]

1. The inbox list (`/inbox?view=all`, server-rendered, session checked, 100 rows with their
   authors) requested by `--agents` logged-in clients at once, `--requests` each: p50 and p99
   latency and requests per second. The baseline is a bare endpoint of the same server
   process reading the same 100 rows with one query and answering JSON, under the same load.
   The two take turns, `--rounds` times, so that a shared machine's load drifting during the
   run weighs on both alike; and the milliseconds of this process's CPU each request took,
   the clients' share included (they read the bytes that crossed the wire as they came: a
   browser decompresses on its own CPU). Also the statements one inbox page runs.
2. The thread page (`/threads/{id}`, each request a different thread with its customer,
   messages, a met and a running SLA clock, and history) under the same load, in the same
   turns as the bare endpoint and the inbox: p50 and p99, requests per second, both against
   the bare endpoint's, and the statements one thread page runs.
3. What each page weighs on the wire, compressed as a browser asks for it, and its size
   uncompressed (inbox, thread, search, /me, dashboard, incidents, login).
4. The inbox rows' Python work alone, without HTTP: this process's CPU for the page's one
   statement read into rows (`PgInboxList.desk`) and the rows drawn as HTML as of the minute
   (their cache warm, as under load), in microseconds a page, against fetching the bare
   endpoint's query alone in the same turns (a baseline the page's own statement does not
   move).
5. Live updates: pages listening on `/events` while batches are ingested; the time from the
   start of an ingestion call to the arrival of its change on a page (the change carries the
   new row: the page has it then), p50 and p99.

The last lines are the figures, one a line.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import bench_database
from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.domain.web import ANY
from inbox.store.database import Connection, Database
from inbox.store.inbox_list import PgInboxList
from inbox.store.migrate import migrate
from inbox.store.people import PgPeopleStore
from inbox.store.thread_sql import OPEN_STATUSES_SQL
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.web_auth import session_key
from web.app import create_app
from web.inbox_rows import rows_html

LOGIN_WORDS = "a benchmark passphrase"
VIEWER = "lead@bench.example"
WEIGHED = ("inbox", "thread", "search", "me", "dashboard", "incidents", "login")
FILL_THREADS = """
INSERT INTO thread (workspace_id, network, thread_key, status, priority, kind, opened_at,
                    last_inbound_at, sla_due_at, excerpt, assignee_id)
SELECT $1, 'x', 'bench-' || n, 'open', (ARRAY['low', 'normal', 'high', 'urgent'])[1 + n % 4],
       'complaint', $2::timestamptz, $2::timestamptz,
       $2::timestamptz + (n % 5000) * interval '1 minute',
       'message number ' || n || ' about a slow connection',
       (SELECT id FROM agent WHERE workspace_id = $1 ORDER BY id OFFSET n % $4 LIMIT 1)
FROM generate_series(1, $3) AS n
"""
FILL_MENTIONS = """
INSERT INTO mention (workspace_id, network, external_id, thread_id, thread_key, direction,
                     author_external_id, author_handle, body, created_at, raw)
SELECT t.workspace_id, 'x', 'm-' || t.id, t.id, t.thread_key, 'inbound', 'u' || t.id,
       'customer_' || t.id, t.excerpt, t.opened_at, '{}'
FROM thread t WHERE t.workspace_id = $1
"""
# The threads the thread page is measured on, as a customer's are: each with its customer
# (their identity the thread's author), a first-response clock met and a next-response clock
# running, so that the page reads and explains what a real one does. $1 the workspace, $2 how
# many threads, from the first.
FILL_CUSTOMERS = """
WITH picked AS (
    SELECT id FROM thread WHERE workspace_id = $1 ORDER BY id LIMIT $2
), made AS (
    INSERT INTO customer (workspace_id, display_name)
    SELECT $1, 'customer_' || p.id FROM picked p
    RETURNING id, display_name
), linked AS (
    UPDATE thread t SET customer_id = m.id
    FROM made m
    WHERE t.workspace_id = $1 AND m.display_name = 'customer_' || t.id
    RETURNING t.id AS thread_id, t.customer_id, t.opened_at
)
INSERT INTO identity (workspace_id, customer_id, network, external_user_id, handle)
SELECT $1, l.customer_id, 'x', 'u' || l.thread_id, 'customer_' || l.thread_id FROM linked l
"""
FILL_CLOCKS = """
INSERT INTO sla_clock (workspace_id, thread_id, kind, started_at, policy, calendar,
                       config_version, budget_seconds, deadline, warn_at, stopped_at, outcome,
                       next_due_at)
SELECT t.workspace_id, t.id, c.kind, t.opened_at + c.started, 'one hour', 'always', 0, 3600,
       t.opened_at + c.started + interval '1 hour', t.opened_at + c.started + interval '45 minutes',
       CASE WHEN c.kind = 'first_response' THEN t.opened_at - interval '50 minutes' END,
       CASE WHEN c.kind = 'first_response' THEN 'met' END,
       CASE WHEN c.kind = 'next_response' THEN t.opened_at + interval '45 minutes' END
FROM thread t
CROSS JOIN (VALUES ('first_response', interval '-1 hour'),
                   ('next_response', interval '0 minutes')) AS c (kind, started)
WHERE t.workspace_id = $1 AND t.customer_id IS NOT NULL
"""
BARE = f"""
SELECT id, excerpt, priority, sla_due_at FROM thread
WHERE workspace_id = $1 AND status IN {OPEN_STATUSES_SQL}
ORDER BY sla_due_at NULLS LAST, id LIMIT 100
"""  # noqa: S608 (constants only)


class CountedDatabase(Database):
    """The database, counting the statements run on its pooled connections."""

    statements = 0

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with super().connection() as conn:
            conn.add_query_logger(self._count)
            try:
                yield conn
            finally:
                conn.remove_query_logger(self._count)

    def _count(self, _: object) -> None:
        self.statements += 1


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


async def seed(db: Database, args: argparse.Namespace) -> tuple[int, list[str]]:
    workspace_id = await PgWorkspaceStore(db).ensure_workspace(
        f"bench-web-{time.time_ns()}", "web bench"
    )
    services = build_services(db)
    people = PgPeopleStore(db)
    emails = [f"agent{n}@bench.example" for n in range(args.agents)]
    for email in emails:
        await people.save_agent(workspace_id, email, email, [Role.AGENT], [])
        await services.web_logins.set_password(workspace_id, email, SecretStr(LOGIN_WORDS))
    # Sees every page, to weigh them.
    await people.save_agent(workspace_id, VIEWER, VIEWER, [Role.LEAD, Role.OPS, Role.ADMIN], [])
    await services.web_logins.set_password(workspace_id, VIEWER, SecretStr(LOGIN_WORDS))
    async with db.connection() as conn:
        now = datetime.now(UTC)
        await conn.execute(FILL_THREADS, workspace_id, now, args.threads, args.agents)
        await conn.execute(FILL_MENTIONS, workspace_id)
        await conn.execute(FILL_CUSTOMERS, workspace_id, args.agents * args.requests)
        await conn.execute(FILL_CLOCKS, workspace_id)
        await conn.execute("ANALYZE thread")
        await conn.execute("ANALYZE mention")
    return workspace_id, emails


async def load(
    base: str,
    path: str | Callable[[int], str],
    sessions: Sequence[aiohttp.ClientSession],
    requests: int,
) -> tuple[list[float], float]:
    """`path`: one address, or the address of the n-th request of the run."""
    latencies: list[float] = []
    address = path if callable(path) else lambda _: path
    count = itertools.count()

    async def agent(session: aiohttp.ClientSession) -> None:
        for _ in range(requests):
            started = time.perf_counter()
            async with session.get(base + address(next(count))) as answer:
                await answer.read()
                assert answer.status == 200, answer.status
            latencies.append(1000 * (time.perf_counter() - started))

    started = time.perf_counter()
    await asyncio.gather(*(agent(s) for s in sessions))
    return latencies, len(latencies) / (time.perf_counter() - started)


async def taking_turns(
    base: str,
    paths: Mapping[str, str | Callable[[int], str]],
    sessions: Sequence[aiohttp.ClientSession],
    requests: int,
    rounds: int,
) -> dict[str, tuple[list[float], float, float]]:
    """Each address loaded in turn, `rounds` times, `requests` per agent in all: each one's
    latencies, its requests per second over the time it was loaded, and the milliseconds of
    this process's CPU (server and clients) per request."""
    latencies: dict[str, list[float]] = {name: [] for name in paths}
    seconds = dict.fromkeys(paths, 0.0)
    cpu = dict.fromkeys(paths, 0.0)
    for _ in range(rounds):
        for name, path in paths.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            measured, _ = await load(base, path, sessions, max(1, requests // rounds))
            seconds[name] += time.perf_counter() - started
            cpu[name] += time.process_time() - cpu_started
            latencies[name] += measured
    return {
        name: (
            latencies[name],
            len(latencies[name]) / seconds[name],
            1000 * cpu[name] / len(latencies[name]),
        )
        for name in paths
    }


async def logged_in(
    base: str,
    emails: Sequence[str],
    connector: aiohttp.TCPConnector,
) -> list[aiohttp.ClientSession]:
    sessions = []
    for email in emails:
        session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=connector,
            connector_owner=False,
            auto_decompress=False,
        )
        async with session.post(
            f"{base}/login", data={"email": email, "password": LOGIN_WORDS}, allow_redirects=False
        ) as answer:
            assert answer.status == 303, await answer.text()
        sessions.append(session)
    return sessions


async def page_weights(
    base: str, viewer: aiohttp.ClientSession, thread_id: int
) -> dict[str, tuple[int, int]]:
    """Each page's bytes on the wire, gzip as browsers ask, and plain."""
    paths = {
        "inbox": "/inbox?view=all",
        "thread": f"/threads/{thread_id}",
        "search": "/search?q=slow",
        "me": "/me",
        "dashboard": "/dashboard",
        "incidents": "/incidents",
        "login": "/login",
    }
    weights = {}
    for name in WEIGHED:
        sizes = []
        for encoding in ("gzip, deflate, br", "identity"):
            async with viewer.get(
                base + paths[name], headers={"Accept-Encoding": encoding}, allow_redirects=False
            ) as answer:
                assert answer.status == 200, (name, answer.status)
                sizes.append(len(await answer.read()))
        weights[name] = (sizes[0], sizes[1])
    return weights


async def rows_cpu(
    db: Database, workspace_id: int, email: str, pages: int, rounds: int
) -> tuple[float, float]:
    """Microseconds of this process's CPU a page: (the desk read into rows and the rows
    drawn, the bare query fetched), each the median of `rounds` turns."""
    services = build_services(db)
    token, _ = await services.web_logins.login(
        workspace_id, email, SecretStr(LOGIN_WORDS), "127.0.0.1"
    )
    key = session_key(token)
    assert key is not None
    _, token_hash = key
    store = PgInboxList(db)
    now = datetime.now(UTC)

    async def fetched() -> None:
        async with db.connection() as conn:
            await conn.fetch(BARE, workspace_id)

    async def drawn() -> None:
        read = await store.desk(workspace_id, token_hash, "all", 100, ANY, now)
        assert read is not None
        rows_html(read.rows, now, zone="Europe/Paris")

    async def cpu_of(page: Callable[[], Awaitable[None]]) -> float:
        started = time.process_time()
        for _ in range(pages):
            await page()
        return (time.process_time() - started) / pages * 1e6

    await cpu_of(drawn)  # the rows' HTML cached, the statement prepared, as under load
    turns = [(await cpu_of(drawn), await cpu_of(fetched)) for _ in range(rounds)]
    return statistics.median(t[0] for t in turns), statistics.median(t[1] for t in turns)


def _live_message(number: int) -> Mention:
    return Mention(
        network=Network.X,
        external_id=f"live-{number}",
        author=Author(external_id=f"live{number}", handle=f"live{number}"),
        text="@acme still no signal",
        created_at=datetime.now(UTC),
        raw={"id": f"live-{number}"},
    )


async def sse_latencies(
    db: Database, workspace_id: int, base: str, session: aiohttp.ClientSession, batches: int
) -> list[float]:
    ingest = build_services(db).ingest
    latencies: list[float] = []
    await ingest(workspace_id, IngestBatch([_live_message(-1)]))  # loads the language models
    async with session.get(f"{base}/events?view=all") as stream:
        await stream.content.readline()  # subscribed
        for number in range(batches):
            message = _live_message(number)
            # A page hears at most one event a second: each batch after the last one's.
            await asyncio.sleep(1.0)
            started = time.perf_counter()
            await ingest(workspace_id, IngestBatch([message]))
            while True:
                line = await asyncio.wait_for(stream.content.readline(), timeout=30)
                if line.startswith(b"event: change"):
                    break
            latencies.append(1000 * (time.perf_counter() - started))
    return latencies


async def main(args: argparse.Namespace) -> None:
    async with bench_database(args.database_url, pool_size=20, kind=CountedDatabase) as db:
        assert isinstance(db, CountedDatabase)
        async with db.connection() as conn:
            await migrate(conn)
        workspace_id, emails = await seed(db, args)
        app = create_app(build_services(db), workspace_id)

        async def bare(request: web.Request) -> web.Response:
            async with db.connection() as conn:
                rows = await conn.fetch(BARE, workspace_id)
            return web.json_response(
                [
                    {"id": r["id"], "excerpt": r["excerpt"], "priority": r["priority"],
                     "due": r["sla_due_at"].isoformat() if r["sla_due_at"] else None}
                    for r in rows
                ]
            )  # fmt: skip

        app.router.add_get("/bench/bare", bare)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        connector = aiohttp.TCPConnector(limit=0)
        # Without decompressing: the body read is what crossed the wire, and the clients, in
        # this process, do not spend its CPU on what a browser does on its own (they do not
        # parse the bare endpoint's JSON either).
        sessions = await logged_in(base, emails, connector)
        (viewer,) = await logged_in(base, [VIEWER], connector)
        async with db.connection() as conn:
            thread_ids = [
                r["id"]
                for r in await conn.fetch(
                    "SELECT id FROM thread WHERE workspace_id = $1 AND customer_id IS NOT NULL"
                    " ORDER BY random() LIMIT $2",
                    workspace_id,
                    args.agents * args.requests,
                )
            ]
        try:
            await load(base, "/bench/bare", sessions[:5], 2)  # warm both paths
            await load(base, "/inbox?view=all", sessions[:5], 2)
            counted = db.statements
            await load(base, "/inbox?view=all", sessions[:1], 1)
            page_statements = db.statements - counted
            await load(base, f"/threads/{thread_ids[0]}", sessions[:5], 2)
            counted = db.statements
            await load(base, f"/threads/{thread_ids[-1]}", sessions[:1], 1)
            thread_statements = db.statements - counted
            turns = await taking_turns(
                base,
                {
                    "bare": "/bench/bare",
                    "page": "/inbox?view=all",
                    "thread": lambda n: f"/threads/{thread_ids[n % len(thread_ids)]}",
                },
                sessions,
                args.requests,
                args.rounds,
            )
            (bare_ms, bare_rate, bare_cpu), (page_ms, page_rate, page_cpu) = (
                turns["bare"],
                turns["page"],
            )
            thread_ms, thread_rate, thread_cpu = turns["thread"]
            weights = await page_weights(base, viewer, thread_ids[0])
            rows_us, fetch_us = await rows_cpu(db, workspace_id, emails[0], 200, args.rounds)
            live_ms = await sse_latencies(db, workspace_id, base, sessions[0], args.live_batches)
        finally:
            for session in [*sessions, viewer]:
                await session.close()
            await connector.close()
            await runner.cleanup()
    print(
        f"{args.agents} agents x {args.requests} requests over {args.threads} threads; "
        f"{args.live_batches} batches watched live"
    )
    print(f"inbox_list_p50_ms: {percentile(page_ms, 0.5):.1f}")
    print(f"inbox_list_p99_ms: {percentile(page_ms, 0.99):.1f}")
    print(f"inbox_list_requests_per_s: {page_rate:.0f}")
    print(f"bare_query_p50_ms: {percentile(bare_ms, 0.5):.1f}")
    print(f"bare_query_p99_ms: {percentile(bare_ms, 0.99):.1f}")
    print(f"bare_query_requests_per_s: {bare_rate:.0f}")
    print(f"inbox_to_bare_p99_ratio: {percentile(page_ms, 0.99) / percentile(bare_ms, 0.99):.2f}")
    print(f"inbox_to_bare_throughput_ratio: {page_rate / bare_rate:.2f}")
    print(f"inbox_page_cpu_ms: {page_cpu:.2f}")
    print(f"bare_query_cpu_ms: {bare_cpu:.2f}")
    print(f"inbox_page_statements: {page_statements}")
    print(f"inbox_rows_cpu_us: {rows_us:.0f}")
    print(f"bare_fetch_cpu_us: {fetch_us:.0f}")
    print(f"inbox_rows_to_bare_fetch_cpu_ratio: {rows_us / fetch_us:.2f}")
    print(f"thread_page_p50_ms: {percentile(thread_ms, 0.5):.1f}")
    print(f"thread_page_p99_ms: {percentile(thread_ms, 0.99):.1f}")
    print(f"thread_page_requests_per_s: {thread_rate:.0f}")
    print(
        f"thread_to_bare_p99_ratio: {percentile(thread_ms, 0.99) / percentile(bare_ms, 0.99):.2f}"
    )
    print(f"thread_to_bare_throughput_ratio: {thread_rate / bare_rate:.2f}")
    print(f"thread_page_cpu_ms: {thread_cpu:.2f}")
    print(f"thread_page_statements: {thread_statements}")
    for name, (wire, plain) in weights.items():
        print(f"{name}_page_bytes_gzip: {wire}")
        print(f"{name}_page_bytes_plain: {plain}")
    print(f"ingest_to_page_p50_ms: {statistics.median(live_ms):.1f}")
    print(f"ingest_to_page_p99_ms: {percentile(live_ms, 0.99):.1f}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--requests", type=int, default=20, help="requests per agent")
    parser.add_argument("--rounds", type=int, default=4, help="turns of the bare and the page")
    parser.add_argument("--live-batches", type=int, default=20)
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    arguments = parser.parse_args(argv)
    counts = (arguments.threads, arguments.agents, arguments.requests, arguments.rounds)
    if min(*counts, arguments.live_batches) < 1:
        parser.error("every count must be at least 1")
    return arguments


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
