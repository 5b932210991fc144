"""The X connector's throughput, against the ingest ceiling measured in the same run.

    python bench/x_connector.py [--rounds 10] [--per-round 800] [--customers 400]
        [--profile] [--freeze-heap]

The fake X API runs in a child process (as X would, on another machine), serving over
loopback TLS. Each round, the child publishes `--per-round` new posts that mention the brand
(about 70% new complaints, 30% follow-ups in earlier conversations, from repeat customers);
the connector then polls: tweepy fetches every page since its cursor, the pages are
normalised, missing parents are looked up, and one batch is ingested with its cursor.
The same batch is then ingested again, into another workspace, straight from its
normalised mentions: that is the ceiling the connector's transport and parsing eat into.

After each round's posts the fake settles its world (`settle_world`: what it holds is left
out of its later garbage collections, which would otherwise scan a world that only grows while
it serves the polls, about a third of its CPU here). The fake's CPU time during each poll is
read from the child; before the three ratio figures,
the run prints x_fake_cpu_ms_per_1000, x_connector_cpu_over_ceiling_ms_per_1000,
x_full_gc_ms_per_1000 and x_connector_ratio_fake_cpu_excluded, defined as in
bench/connectors.py (the last is the ratio with each poll's wall time less the fake's CPU time
during it: the connector's true ratio, were the fake on another machine, lies between that one
and x_connector_ratio). `--profile` prints where the polls' time went (cProfile);
`--freeze-heap` runs the polls as a worker that froze its heap once started would (see
bench/connectors.py).

The last three lines are the figures: x_connector_mentions_per_s,
ingest_ceiling_mentions_per_s, x_connector_ratio (the first over the second).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import SecretStr

from bench.connectors import (
    Round,
    TimedIngest,
    add_connector_options,
    cpu_figures,
    freeze_heap,
    print_profile,
    profiler_for,
    settle_world,
    timed_round,
)
from bench.ingest import bench_database
from connectors.x.api import XApi, XCredentials
from connectors.x.fake import FakeX, FakeXServer
from connectors.x.poller import XAccount, XPoller
from connectors.x.session import x_api_session
from inbox.domain.network import Network
from inbox.store.connector_state import PgConnectorState
from inbox.store.ingest import PgIngestStore
from inbox.store.migrate import migrate
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.ingest import IngestMentions

BRAND_ID = "1000"
BRAND = "acme"
BEARER = "bench-bearer"
CONSUMER_KEY = "bench-consumer-key"
ACCESS_TOKEN = f"{BRAND_ID}-bench-access-token"
COMPLAINTS = [
    "@{brand} my fibre has been down since this morning, any news?",
    "@{brand} third time this week the 4G drops. Fix it or I leave.",
    "@{brand} billed twice for March, nobody answers the phone",
    "@{brand} bonjour, plus d'internet depuis hier soir à Nantes",
    "@{brand} is there an outage in Bordeaux? TV and internet both gone",
]
FOLLOW_UPS = ["@{brand} still nothing here", "@{brand} any update?", "@{brand} toujours rien"]


# -- the child process: the fake X API ------------------------------------------------------


def publish(
    fake: FakeX, rng: random.Random, customers: list[str], roots: list[str], n: int
) -> None:
    for _ in range(n):
        author = rng.choice(customers)
        if roots and rng.random() < 0.3:
            parent = rng.choice(roots[-2000:])
            fake.post(author, rng.choice(FOLLOW_UPS).format(brand=BRAND), reply_to=parent)
        else:
            roots.append(fake.post(author, rng.choice(COMPLAINTS).format(brand=BRAND)))


async def serve_fake(pipe: Pipe, customers_count: int, seed: int) -> None:
    fake = FakeX()
    fake.add_user(BRAND_ID, BRAND, "Acme Telecom")
    customers = [str(5000 + n) for n in range(customers_count)]
    for user_id in customers:
        fake.add_user(user_id, f"customer{user_id}", f"Customer {user_id}")
    for endpoint in ("mentions", "lookup"):
        fake.set_rate_limit(endpoint, 1_000_000)
    rng = random.Random(seed)
    roots: list[str] = []
    loop = asyncio.get_running_loop()
    async with FakeXServer(
        fake, bearer_token=BEARER, consumer_key=CONSUMER_KEY, access_token=ACCESS_TOKEN
    ) as server:
        pipe.send((server.port, server.ca.cert_pem.bytes()))
        while True:
            command, count = await loop.run_in_executor(None, pipe.recv)
            if command == "stop":
                break
            if command == "cpu":
                pipe.send(time.process_time())
                continue
            publish(fake, rng, customers, roots, count)
            settle_world()
            pipe.send(fake.reads)


def run_fake(pipe: Pipe, customers_count: int, seed: int) -> None:
    asyncio.run(serve_fake(pipe, customers_count, seed))


# -- the parent: the connector and the ceiling -------------------------------------------------


async def ask(pipe: Pipe, message: tuple[str, int]) -> Any:
    pipe.send(message)
    return await asyncio.get_running_loop().run_in_executor(None, pipe.recv)


async def main(args: argparse.Namespace) -> None:
    parent_end, child_end = multiprocessing.Pipe()
    child = multiprocessing.Process(
        target=run_fake, args=(child_end, args.customers, args.seed), daemon=True
    )
    child.start()
    port, ca_pem = parent_end.recv()
    session = x_api_session(pinned_address=("127.0.0.1", port), ca_pem=ca_pem)
    profiler = profiler_for(args)
    try:
        async with bench_database(args.database_url) as db:
            async with db.connection() as conn:
                await migrate(conn)
            workspaces = PgWorkspaceStore(db)
            stamp = int(time.time())
            connector_ws = await workspaces.ensure_workspace(f"bench-x-{stamp}", "x connector")
            ceiling_ws = await workspaces.ensure_workspace(f"bench-x-{stamp}-ceiling", "ceiling")
            account_id = await workspaces.configure_account(
                connector_ws, Network.X, BRAND_ID, BRAND, {}
            )
            ingest = IngestMentions(PgIngestStore(db))
            timed = TimedIngest(ingest)
            api = XApi(XCredentials(bearer_token=SecretStr(BEARER)), session, clock=_utc_now)
            poller = XPoller(
                XAccount(connector_ws, account_id, BRAND_ID, BRAND),
                api,
                timed,
                PgConnectorState(db),
            )
            await ask(parent_end, ("publish", 1))
            await poller.poll_mentions()  # the first poll sets the cursor
            timed.seconds = 0.0
            freeze_heap(args)
            rounds: list[Round] = []
            polled = 0

            async def fake_cpu() -> float:
                return float(await ask(parent_end, ("cpu", 0)))

            for number in range(args.rounds):
                await ask(parent_end, ("publish", args.per_round))
                # The connector writes pages while fetching the next ones; the ceiling writes
                # the whole round at once, its best batch size.
                measured, outcome = await timed_round(
                    poller.poll_mentions, fake_cpu, timed, ingest, ceiling_ws, profiler
                )
                polled += outcome.added
                rounds.append(measured)
                print(
                    f"round {number + 1}: {measured.mentions} mentions in {outcome.requests} "
                    f"requests, {measured.batches} batches; "
                    f"connector {measured.connector_seconds:.3f} s "
                    f"(fake's CPU {measured.fake_cpu_seconds:.3f} s), "
                    f"ceiling {measured.ceiling_seconds:.3f} s"
                )
    finally:
        await session.close()
        parent_end.send(("stop", 0))
        child.join(timeout=10)

    print_profile(profiler, args.profile)
    ingested = sum(r.mentions for r in rounds)
    print(f"{polled} mentions added by the connector, {ingested} in the ceiling workspace")
    connector_total = sum(r.connector_seconds for r in rounds)
    fake_total = sum(r.fake_cpu_seconds for r in rounds)
    print(
        f"connector wall time {connector_total:.2f} s; inside ingestion {timed.seconds:.2f} s "
        f"(overlapping the next pages' fetches); the fake X server's own CPU {fake_total:.2f} s "
        "(rendering pages, TLS), which shares this machine's cores with the connector and "
        "PostgreSQL"
    )
    for figure in cpu_figures("x", rounds):
        print(figure.line())
    connector = statistics.median(r.mentions / r.connector_seconds for r in rounds)
    ceiling = statistics.median(r.mentions / r.ceiling_seconds for r in rounds)
    print(f"x_connector_mentions_per_s: {connector:.0f}")
    print(f"ingest_ceiling_mentions_per_s: {ceiling:.0f}")
    print(f"x_connector_ratio: {connector / ceiling:.3f}")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--per-round", type=int, default=800, help="posts a round (X pages 800 at most per poll)"
    )
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    add_connector_options(parser)
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.per_round <= 800 or arguments.rounds < 1 or arguments.customers < 1:
        parser.error("--per-round must be 1..800; --rounds and --customers at least 1")
    return arguments


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
