"""SLA engine figures: deadline arithmetic against minute stepping, and the breach scan.

    python bench/sla.py [--deadlines 20000] [--naive 300]

1. Deadlines per second for a Paris calendar with split shifts and 12 holidays, arrivals
   spread at random over a year, a 60-minute target: the engine (interval arithmetic)
   against a naive implementation that steps minute by minute, in the same run.
2. The timer's scan with 100,000 and then 1,000,000 running clocks in PostgreSQL: the time
   to find the next due instant, and to fire the clocks due now (1,000 of them).
3. The timer's punctuality: a leading timer sleeps; customer messages arrive whose breaches
   fall due 2 to 4 seconds later; how long after each instant its breach fired (median and
   worst), next to how late a bare `asyncio.sleep` to the same instants wakes in this run.

The last lines are the figures, one a line.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import bench_database
from inbox.bootstrap import build_services
from inbox.domain.clock import utc_now
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.store.database import Database
from inbox.store.migrate import migrate
from inbox.store.sla_timer import PgSlaTimerStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.sla_timer import SlaTimer
from sla.calendar import WeeklyCalendar, deadline
from sla.calendar_config import calendar_from_config

HOLIDAYS_2026 = [
    "2026-01-01",
    "2026-04-06",
    "2026-05-01",
    "2026-05-08",
    "2026-05-14",
    "2026-05-25",
    "2026-07-14",
    "2026-08-15",
    "2026-11-01",
    "2026-11-11",
    "2026-12-25",
    "2026-12-31",
]
CALENDAR = {
    "tz": "Europe/Paris",
    "weekly": {
        d: [["09:00", "12:30"], ["13:30", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
    },
    "holidays": HOLIDAYS_2026,
}
TARGET = timedelta(minutes=60)


def naive_is_open(calendar: WeeklyCalendar, instant: datetime) -> bool:
    local = instant.astimezone(calendar.zone)
    if local.date() in calendar.holidays:
        return False
    minute = local.hour * 60 + local.minute
    return any(w.start <= minute < w.end for w in calendar.windows_starting(local.date()))


def naive_deadline(calendar: WeeklyCalendar, start: datetime, budget: timedelta) -> datetime:
    """What a straightforward implementation does: walk the clock a minute at a time."""
    moment, left = start, int(budget.total_seconds() // 60)
    while left:
        if naive_is_open(calendar, moment):
            left -= 1
        moment += timedelta(minutes=1)
    return moment


def arrivals(count: int, seed: int) -> list[datetime]:
    rng = random.Random(seed)
    year = datetime(2026, 1, 1, tzinfo=UTC)
    return [year + timedelta(minutes=rng.randrange(365 * 24 * 60)) for _ in range(count)]


def deadline_rates(args: argparse.Namespace) -> tuple[float, float]:
    calendar = calendar_from_config(CALENDAR)
    assert isinstance(calendar, WeeklyCalendar)
    fast_starts = arrivals(args.deadlines, args.seed)
    naive_starts = fast_starts[: args.naive]
    for start in naive_starts:  # both agree, or the comparison means nothing
        assert deadline(calendar, start, TARGET) == naive_deadline(calendar, start, TARGET)
    started = time.perf_counter()
    for start in fast_starts:
        deadline(calendar, start, TARGET)
    fast = len(fast_starts) / (time.perf_counter() - started)
    started = time.perf_counter()
    for start in naive_starts:
        naive_deadline(calendar, start, TARGET)
    naive = len(naive_starts) / (time.perf_counter() - started)
    return fast, naive


FILL_CLOCKS = """
INSERT INTO sla_clock (workspace_id, thread_id, kind, started_at, policy, calendar,
                       config_version, budget_seconds, deadline, warn_at, next_due_at)
SELECT $1, n, 'first_response', $2::timestamptz - interval '1 hour', 'p', 'c', 1, 3600,
       due, due - interval '15 minutes', due
FROM (SELECT n, $2::timestamptz + (n % 43200) * interval '1 minute' AS due
      FROM generate_series($3::bigint, $4::bigint) AS n) AS s
"""
# A thousand clocks whose next event is now: what one pass of the timer fires.
MAKE_DUE = """
UPDATE sla_clock SET next_due_at = $2::timestamptz - interval '1 second',
                     deadline = $2::timestamptz - interval '1 second'
WHERE workspace_id = $1 AND thread_id <= $3 AND thread_id > $3 - 1000
"""


def complaint(number: int, breach_at: datetime) -> Mention:
    """A customer message whose one-hour clock (the default policy) breaches at `breach_at`."""
    return Mention(
        network=Network.X,
        external_id=f"punctual-{number}",
        author=Author(external_id=f"9{number}", handle=f"customer_{number}"),
        text="still no answer?",
        created_at=breach_at - timedelta(hours=1),
        conversation_key=f"punctual-{number}",
        raw={"id": f"punctual-{number}"},
    )


async def sleep_lateness(instants: Sequence[datetime]) -> list[float]:
    late = []
    for instant in instants:
        await asyncio.sleep(max((instant - utc_now()).total_seconds(), 0))
        late.append((utc_now() - instant).total_seconds() * 1000)
    return late


async def timer_lateness(db: Database, count: int) -> tuple[list[float], list[float]]:
    """Milliseconds between each breach instant and its firing, and the bare sleep's."""
    workspace_id = await PgWorkspaceStore(db).ensure_workspace(
        f"bench-timer-{int(time.time())}", "timer bench"
    )
    timer = SlaTimer(PgSlaTimerStore(db), clock=utc_now, leadership_retry_seconds=0.2)
    stop = asyncio.Event()
    running = asyncio.create_task(timer.run(stop))
    try:
        await asyncio.sleep(0.5)  # leading and asleep: each deadline below comes by NOTIFY
        first = utc_now() + timedelta(seconds=2)
        instants = [first + timedelta(milliseconds=100 * n) for n in range(count)]
        ingest = build_services(db).ingest
        for number, instant in enumerate(instants):
            await ingest(workspace_id, IngestBatch([complaint(number, instant)]))
        bare = await sleep_lateness([i + timedelta(seconds=3) for i in instants])
        for _ in range(200):
            late = await db.fetchval(BREACHES_FIRED, workspace_id)
            if late is not None and len(late) == count:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await running
    return [1000 * float(x) for x in late or []], bare


BREACHES_FIRED = """
SELECT array_agg(extract(epoch FROM fired_at - due_at)) FROM sla_event
WHERE workspace_id = $1 AND kind = 'breach'
"""


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


async def scan_times(
    args: argparse.Namespace,
) -> tuple[list[tuple[int, float, float]], tuple[list[float], list[float]]]:
    figures = []
    async with bench_database(args.database_url) as db:
        async with db.connection() as conn:
            await migrate(conn)
        lateness = await timer_lateness(db, args.punctual)
        print(
            f"{len(lateness[0])} of {args.punctual} breaches fired by a sleeping timer; "
            f"median {percentile(lateness[0], 0.5):.1f} ms after their instants"
        )
        workspace_id = await PgWorkspaceStore(db).ensure_workspace(
            f"bench-sla-{int(time.time())}", "sla bench"
        )
        store = PgSlaTimerStore(db)
        now = datetime.now(UTC) + timedelta(minutes=1)
        filled = 0
        for size in args.clocks:
            async with db.connection() as conn:
                await conn.execute(FILL_CLOCKS, workspace_id, now, filled + 1, size)
                await conn.execute("ANALYZE sla_clock")
                await conn.execute(MAKE_DUE, workspace_id, now, size)
            filled = size
            started = time.perf_counter()
            await store.next_due()
            next_due_ms = 1000 * (time.perf_counter() - started)
            started = time.perf_counter()
            fired = await store.fire_due(now, limit=1000)
            fire_ms = 1000 * (time.perf_counter() - started)
            print(
                f"{size} running clocks: next due found in {next_due_ms:.2f} ms; "
                f"{len(fired)} due clocks fired in {fire_ms:.1f} ms"
            )
            figures.append((size, next_due_ms, fire_ms))
    return figures, lateness


async def main(args: argparse.Namespace) -> None:
    fast, naive = deadline_rates(args)
    print(f"{args.deadlines} deadlines by interval arithmetic, {args.naive} by minute stepping")
    scans, (late, bare) = await scan_times(args)
    print(f"deadlines_per_s: {fast:.0f}")
    print(f"naive_deadlines_per_s: {naive:.0f}")
    print(f"deadline_speedup_ratio: {fast / naive:.1f}")
    for size, next_due_ms, fire_ms in scans:
        label = f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}m"
        print(f"breach_scan_next_due_ms_{label}: {next_due_ms:.2f}")
        print(f"breach_scan_fire_1000_ms_{label}: {fire_ms:.1f}")
    print(f"timer_breach_lateness_ms_p50: {percentile(late, 0.5):.1f}")
    print(f"timer_breach_lateness_ms_max: {max(late):.1f}")
    print(f"bare_sleep_lateness_ms_p50: {percentile(bare, 0.5):.2f}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deadlines", type=int, default=20_000)
    parser.add_argument("--naive", type=int, default=300)
    parser.add_argument(
        "--clocks", type=int, nargs="+", default=[100_000, 1_000_000], help="running clocks"
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--punctual", type=int, default=20, help="breaches timed for the timer's punctuality"
    )
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    arguments = parser.parse_args(argv)
    if arguments.deadlines < 1 or not 1 <= arguments.naive <= arguments.deadlines:
        parser.error("--naive must be between 1 and --deadlines")
    if sorted(arguments.clocks) != arguments.clocks or arguments.clocks[0] < 1000:
        parser.error("--clocks must be increasing sizes of at least 1000")
    return arguments


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
