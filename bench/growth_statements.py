"""Each page's statements alone, on the workspace bench/growth.py grew: what the database does
for a page, without the other agents' requests or the machine's noise that move a p99.

    python bench/growth_statements.py --database-url URL [--runs 7] [--explain PLANS]

Run after `bench/growth.py --database-url URL` on the same server: it finds the newest
workspace that benchmark made there. The pages are asked for one at a time through the
application as it runs (`build_services`, the aiohttp app on loopback), each `--runs` times
after a first that prepares its statements; every statement the page sends is timed by the
driver (asyncpg's query logger: the statement's round trip on the local socket, no rendering).
The pages: the inbox list, the thread page (each run another thread, of any age), search for
a common word and for an order number, the lead's dashboard; and the SLA timer's breach scan,
half an hour ahead, rolled back each time as in bench/growth.py.

`--explain PLANS` writes each statement's plan, `EXPLAIN (ANALYZE, BUFFERS)` with the
arguments of its first run, in a transaction rolled back, to the file PLANS.

Prints the median of each statement (named by its constant in `inbox.store` when it is one,
else by its first words) and each page's total, in milliseconds, one figure a line, after the
median round trip of `SELECT 1` as the baseline of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import pkgutil
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import inbox.store
from bench import growth, growth_fill
from bench.serving import served
from bench.web import logged_in
from inbox.bootstrap import build_services
from inbox.store.database import Database
from inbox.store.sla_timer import FIRE_DUE
from web.app import create_app

WORKSPACE = """
SELECT workspace_id, slug FROM workspace WHERE slug LIKE 'growth-%'
ORDER BY workspace_id DESC LIMIT 1
"""
POOL = 4


def _flat(query: str) -> str:
    return re.sub(r"\s+", " ", query).strip()


def statement_names() -> dict[str, str]:
    """The named SQL constants of the store modules, by their text."""
    names: dict[str, str] = {}
    for module_info in pkgutil.iter_modules(inbox.store.__path__):
        module = importlib.import_module(f"inbox.store.{module_info.name}")
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str) and " " in value:
                names.setdefault(_flat(value), f"{module_info.name}.{name.strip('_')}")
    return names


def statement_beginnings(names: dict[str, str]) -> list[tuple[re.Pattern[str], str]]:
    """The longer constants as the beginning of a statement, their `{placeholders}` (filled
    by the code: a report's dimension, a view's conditions) matching anything; the longest
    first."""
    patterns = []
    for text, name in sorted(names.items(), key=lambda item: -len(item[0])):
        if len(text) >= 40:
            parts = re.split(r"\{[a-z_]*\}", text)
            patterns.append((re.compile(".*?".join(map(re.escape, parts))), name))
    return patterns


@dataclass(eq=False)  # the driver keeps its loggers in a set
class Recorder:
    """The statements sent since the last `take`, in order, with their arguments and time."""

    sent: list[asyncpg.connection.LoggedQuery] = field(default_factory=list)

    def __call__(self, record: asyncpg.connection.LoggedQuery) -> None:
        self.sent.append(record)

    async def take(self) -> list[asyncpg.connection.LoggedQuery]:
        await asyncio.sleep(0)  # the driver hands records over on the loop's next turn
        taken, self.sent = self.sent, []
        return taken


@dataclass
class Timings:
    names: dict[str, str]
    # (page, position in the page, statement) -> milliseconds of each run
    each: dict[tuple[str, int, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    first: dict[tuple[str, int, str], tuple[str, tuple[Any, ...]]] = field(default_factory=dict)
    totals: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        self.beginnings = statement_beginnings(self.names)

    def name(self, query: str) -> str:
        flat = _flat(query)
        if flat in self.names:
            return self.names[flat]
        for pattern, name in self.beginnings:
            if pattern.match(flat):
                return f"{name}_and_more" if pattern.fullmatch(flat) is None else name
        return "_".join(re.findall(r"[a-z_]+", flat.lower())[:6])

    def add(self, page: str, records: Sequence[asyncpg.connection.LoggedQuery]) -> None:
        for position, record in enumerate(records, start=1):
            key = (page, position, self.name(record.query))
            self.each[key].append(1000 * record.elapsed)
            self.first.setdefault(key, (record.query, tuple(record.args or ())))
        self.totals[page].append(1000 * sum(r.elapsed for r in records))


async def listen_on_every_connection(db: Database, recorder: Recorder) -> None:
    """The pool opens all its connections at once, and each one reports to `recorder`."""
    held = asyncio.Event()
    ready = 0

    async def hold() -> None:
        nonlocal ready
        async with db.connection() as conn:
            conn.add_query_logger(recorder)
            ready += 1
            if ready == POOL:
                held.set()
            await held.wait()

    await asyncio.gather(*(hold() for _ in range(POOL)))


async def page_runs(
    base: str,
    session: aiohttp.ClientSession,
    page: str,
    address: Callable[[int], str],
    runs: int,
    recorder: Recorder,
    timings: Timings,
) -> None:
    for run in range(runs + 1):
        async with session.get(base + address(run)) as answer:
            await answer.read()
            assert answer.status == 200, (page, answer.status)
        records = await recorder.take()
        if run:  # the first one prepares the statements
            timings.add(page, records)


async def breach_scans(db: Database, runs: int, recorder: Recorder, timings: Timings) -> None:
    for run in range(runs + 1):
        ahead = growth_fill.utc_minute() + growth.BREACH_SCAN_AHEAD
        async with db.connection() as conn:
            transaction = conn.transaction()
            await transaction.start()
            try:
                await recorder.take()
                await conn.fetch(FIRE_DUE, ahead, 500)
                records = [r for r in await recorder.take() if r.query == FIRE_DUE]
                if run:
                    timings.add("breach_scan", records)
            finally:
                await transaction.rollback()


# What a plan can be asked of; a page's transaction control (BEGIN, COMMIT) is not.
PLANNED = re.compile(r"\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# A page's settings for its own transaction (search's work_mem), replayed before its plans.
SETTING = re.compile(r"\s*SET\s+LOCAL\b", re.IGNORECASE)


async def write_plans(db: Database, timings: Timings, path: Path) -> None:
    settings: dict[str, list[str]] = defaultdict(list)
    for (page, _, _), (query, _) in timings.first.items():
        if SETTING.match(query):
            settings[page].append(query)
    with path.open("w") as plans:
        for (page, position, name), (query, args) in timings.first.items():
            if not PLANNED.match(query):
                continue
            async with db.connection() as conn:
                transaction = conn.transaction()
                await transaction.start()
                try:
                    for setting in settings[page]:
                        await conn.execute(setting)
                    rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {query}", *args)
                finally:
                    await transaction.rollback()
            plans.write(f"-- {page} {position}. {name}\n{query.strip()}\n-- arguments {args!r}\n")
            plans.write("\n".join(r[0] for r in rows) + "\n\n")


async def round_trips(db: Database, runs: int) -> float:
    async with db.connection() as conn:
        timings = []
        for _ in range(runs + 1):
            started = time.perf_counter()
            await conn.fetchval("SELECT 1")
            timings.append(1000 * (time.perf_counter() - started))
    return statistics.median(timings[1:])


async def main(args: argparse.Namespace) -> None:
    db = await Database.connect(args.database_url, size=POOL, min_size=POOL)
    recorder = Recorder()
    timings = Timings(statement_names())
    try:
        found = await db.fetchrow(WORKSPACE)
        assert found is not None, "no workspace of bench/growth.py on this server"
        workspace_id = found["workspace_id"]
        baseline = await round_trips(db, args.runs)
        threads = await growth.sample_threads(db, workspace_id, args.runs + 1)
        word = await growth.rare_word(db, workspace_id)
        mentions = await db.fetchval(
            "SELECT count(*) FROM mention WHERE workspace_id = $1", workspace_id
        )
        async with served(create_app(build_services(db), workspace_id)) as base:
            connector = aiohttp.TCPConnector(limit=0)
            agent, lead = await logged_in(base, ["agent0@growth.example", growth.LEAD], connector)
            try:
                await listen_on_every_connection(db, recorder)
                pages: list[tuple[str, aiohttp.ClientSession, Callable[[int], str]]] = [
                    ("inbox", agent, lambda _: "/inbox?view=all"),
                    ("thread", agent, lambda run: f"/threads/{threads[run % len(threads)]}"),
                    ("search_common", agent, lambda _: f"/search?q={growth.COMMON_WORD}"),
                    ("search_rare", agent, lambda _: f"/search?q={word}"),
                    ("dashboard", lead, lambda _: "/dashboard"),
                ]
                for page, session, address in pages:
                    await page_runs(base, session, page, address, args.runs, recorder, timings)
                await breach_scans(db, args.runs, recorder, timings)
                if args.explain:
                    await write_plans(db, timings, args.explain)
            finally:
                for session in (agent, lead):
                    await session.close()
                await connector.close()
    finally:
        await db.close()
    print(f"workspace {found['slug']}: {mentions} mentions, median of {args.runs} runs")
    print(f"round_trip_ms: {baseline:.2f}")
    for (page, position, name), values in timings.each.items():
        print(f"{page}.{position}.{name}_ms: {statistics.median(values):.2f}")
    for page, values in timings.totals.items():
        print(f"{page}_statements_ms: {statistics.median(values):.2f}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="the server bench/growth.py used")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each page")
    parser.add_argument("--explain", type=Path, help="a file for each statement's plan")
    arguments = parser.parse_args(argv)
    if arguments.runs < 1:
        parser.error("runs must be at least 1")
    return arguments


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
