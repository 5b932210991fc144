"""Routing figures: decisions per second, claims per second, fairness over a simulated day.

    python bench/routing.py [--threads 20000] [--claimers 8] [--database-url URL]

1. Decisions: `routing.assign` on batches of 1,000 threads against 60 agents in 4 teams.
2. Claims: 8 agents claim a queue of 20,000 threads concurrently through `ClaimNext`, one at
   a time and ten at a time, against the bare ceiling measured in the same run on the same
   table: one `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)` with nothing else
   (no priority order, no capacity, no audit row). Ratios of both to the ceiling.
3. Fairness: the most over the fewest threads an agent received during a simulated day
   (2,000 threads, 12 agents in 3 teams, shifts, breaks and capacities).

The last lines are the figures, one a line.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import bench_database
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.migrate import migrate
from inbox.store.people import PgPeopleStore
from inbox.store.routing import PgRoutingStore
from inbox.store.thread_sql import AWAITING_ANSWER_SQL
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.assignment import ClaimNext
from routing.assign import assign
from routing.simulate import simulate_day
from routing.snapshot import AgentState, RoutingSettings, Snapshot, TeamState, ThreadToRoute

FILL_QUEUE = """
INSERT INTO thread (workspace_id, network, thread_key, status, priority, opened_at,
                    last_inbound_at, sla_due_at)
SELECT $1, 'x', $2 || n, 'new',
       (ARRAY['low', 'normal', 'normal', 'normal', 'high', 'urgent'])[1 + n % 6],
       $3::timestamptz, $3::timestamptz, $3::timestamptz + (n % 997) * interval '1 minute'
FROM generate_series(1, $4) AS n
"""
BARE_CLAIM = f"""
UPDATE thread SET assignee_id = $2
WHERE workspace_id = $1 AND id IN (
    SELECT id FROM thread
    WHERE workspace_id = $1 AND assignee_id IS NULL AND status IN {AWAITING_ANSWER_SQL}
    LIMIT $3 FOR UPDATE SKIP LOCKED)
RETURNING id
"""  # noqa: S608 (constants only)


def decision_rate(batches: int, seed: int) -> float:
    rng = random.Random(seed)
    languages = ("fr", "en")
    teams = tuple(
        TeamState(team_id=t, name=f"team {t}", languages=frozenset({languages[t % 2]}))
        for t in range(4)
    )
    agents = tuple(
        AgentState(
            agent_id=a,
            team_ids=frozenset({a % 4}),
            capacity=10_000,
            open_threads=rng.randrange(0, 20),
            languages=frozenset({languages[a % 2]}),
        )
        for a in range(60)
    )
    snapshot = Snapshot(agents=agents, teams=teams, now=datetime.now(UTC))
    threads = [
        ThreadToRoute(
            thread_id=n,
            network="x",
            language=rng.choice(languages),
            kind=rng.choice(("complaint", "question", "praise")),
            priority=rng.choice(("low", "normal", "high", "urgent")),
        )
        for n in range(1000)
    ]
    started = time.perf_counter()
    for _ in range(batches):
        assign(threads, snapshot, RoutingSettings())
    return batches * len(threads) / (time.perf_counter() - started)


async def fill(db: Database, workspace_id: int, label: str, count: int) -> None:
    async with db.connection() as conn:
        await conn.execute(FILL_QUEUE, workspace_id, label, datetime.now(UTC), count)
        await conn.execute("ANALYZE thread")


async def claims_per_second(
    db: Database, workspace_id: int, agents: Sequence[int], per_claim: int
) -> float:
    claim = ClaimNext(PgRoutingStore(db))

    async def drain(agent_id: int) -> int:
        taken = 0
        while batch := await claim(workspace_id, agent_id, per_claim):
            taken += len(batch)
        return taken

    started = time.perf_counter()
    taken = sum(await asyncio.gather(*(drain(a) for a in agents)))
    return taken / (time.perf_counter() - started)


async def bare_claims_per_second(
    db: Database, workspace_id: int, agents: Sequence[int], per_claim: int
) -> float:
    async def drain(agent_id: int) -> int:
        taken = 0
        while True:
            async with db.transaction() as conn:
                rows = await conn.fetch(BARE_CLAIM, workspace_id, agent_id, per_claim)
            if not rows:
                return taken
            taken += len(rows)

    started = time.perf_counter()
    taken = sum(await asyncio.gather(*(drain(a) for a in agents)))
    return taken / (time.perf_counter() - started)


async def claim_rates(args: argparse.Namespace) -> dict[str, float]:
    rates: dict[str, float] = {}
    async with bench_database(args.database_url, pool_size=args.claimers + 2) as db:
        async with db.connection() as conn:
            await migrate(conn)
        for per_claim in (1, 10):
            for kind in ("inbox", "bare"):
                workspace_id = await PgWorkspaceStore(db).ensure_workspace(
                    f"bench-routing-{kind}-{per_claim}-{time.time_ns()}", "routing bench"
                )
                people = PgPeopleStore(db)
                agents = [
                    await people.save_agent(
                        workspace_id, f"a{n}@example.com", f"a{n}", [Role.AGENT], []
                    )
                    for n in range(args.claimers)
                ]
                async with db.connection() as conn:
                    await conn.execute(
                        "UPDATE agent SET capacity = 1000000 WHERE workspace_id = $1", workspace_id
                    )
                await fill(db, workspace_id, f"{kind}{per_claim}-", args.threads)
                measure = claims_per_second if kind == "inbox" else bare_claims_per_second
                rates[f"{kind}_{per_claim}"] = await measure(db, workspace_id, agents, per_claim)
                print(
                    f"{args.claimers} claimers, {per_claim} a claim, {kind}: "
                    f"{rates[f'{kind}_{per_claim}']:.0f} threads/s"
                )
    return rates


async def main(args: argparse.Namespace) -> None:
    decisions = decision_rate(args.decision_batches, args.seed)
    day = simulate_day(seed=args.seed)
    print(
        f"simulated day: {day.threads} threads, {day.assigned} assigned, "
        f"{day.waiting_at_end} waiting at the end"
    )
    rates = await claim_rates(args)
    print(f"routing_decisions_per_s: {decisions:.0f}")
    print(f"claims_per_s_single: {rates['inbox_1']:.0f}")
    print(f"claims_per_s_batched_10: {rates['inbox_10']:.0f}")
    print(f"bare_skip_locked_per_s_single: {rates['bare_1']:.0f}")
    print(f"bare_skip_locked_per_s_batched_10: {rates['bare_10']:.0f}")
    print(f"claim_ratio_single: {rates['inbox_1'] / rates['bare_1']:.2f}")
    print(f"claim_ratio_batched_10: {rates['inbox_10'] / rates['bare_10']:.2f}")
    print(f"fairness_max_over_min_simulated_day: {day.fairness:.2f}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=20_000, help="queued threads per run")
    parser.add_argument("--claimers", type=int, default=8)
    parser.add_argument("--decision-batches", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    arguments = parser.parse_args(argv)
    if arguments.threads < 10 or arguments.claimers < 1 or arguments.decision_batches < 1:
        parser.error("--threads >= 10, --claimers >= 1, --decision-batches >= 1")
    return arguments


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
