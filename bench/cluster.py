"""The chaos run: a cluster of inbox processes under steady traffic, killed again and again,
its primary database lost and its replica promoted; then what the fakes and the database say.

    python bench/cluster.py [--short] [--kills N] [--kill-every S] [--seed N] [--logs DIR]

Starts a PostgreSQL primary with a streaming replica (`pg_basebackup`), a PgBouncer in
transaction mode in front of the primary, two `inbox web` and two `inbox worker` processes
(bench/cluster_processes.py), and in this process a fake X, Mastodon and Bluesky with the
brand's account on each (bench/cluster_world.py). Customers write steadily on the three
networks, and once a burst of outage complaints arrives on X; agents reply to threads through
the API with a token (each reply with its own idempotency key, sent again to the other web
process when one dies under it; bench/cluster_agents.py). Every few seconds a random process
is killed with SIGKILL and started again (a process that ends by itself is started again, as
a supervisor would, and the run says so); halfway through, the primary's machine is lost
(server and PgBouncer stopped for good) and the replica promoted. Then the traffic stops, the
run waits for the cluster to catch up (bounded), and prints, last, one figure a line:

- `mentions_served`: customer posts put on the fakes; `mentions_lost`: those the database does
  not hold; `mentions_duplicated`: stored more than once;
- `replies_requested`: replies the API accepted; `replies_duplicated`: posted on a network more
  than once (the fakes' own post logs); `replies_unsent`: accepted and never posted;
- `overlapping_polls`: two processes polling one account at once (bench/cluster_polls.py);
- `x_reads_per_post`: tweets X billed as read per distinct tweet it served;
- `sla_events_fired`: SLA warnings and breaches fired (targets of a minute: they fire during
  the run); `sla_events_duplicated`: fired twice for one clock;
- `incidents_opened`: incidents the detector opened (one burst: 1 expected);
- `failover_seconds`: from the last mention written before the primary was lost to the first
  written after (`ingested_at`, the database's clock);
- `replica_lag_max_seconds`, `replica_lag_p50_seconds`: the replica's replay lag under the
  run's load (`pg_stat_replication` on the primary, sampled every half second until it is
  lost).

`--short` is the form CI runs: fewer kills, closer together, shorter leases; bounded in
count and time, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cluster_agents import Replies
from bench.cluster_polls import PollLog, overlapping_polls
from bench.cluster_processes import (
    Databases,
    InboxCluster,
    Slot,
    databases,
    inbox_env,
    until_healthy,
)
from bench.cluster_seed import seed
from bench.cluster_world import CUSTOMER_MARKER, FakeWorld
from inbox.store.secret_box import SecretBox

BURST = 12
FIGURES = (
    "mentions_served",
    "mentions_lost",
    "mentions_duplicated",
    "replies_requested",
    "replies_duplicated",
    "replies_unsent",
    "overlapping_polls",
    "x_reads_per_post",
    "sla_events_fired",
    "sla_events_duplicated",
    "incidents_opened",
    "failover_seconds",
    "replica_lag_max_seconds",
    "replica_lag_p50_seconds",
)


@dataclass(frozen=True, slots=True)
class Plan:
    kills: int
    kill_every_s: float
    lease_seconds: float
    mentions_per_s: float
    reply_every_s: float
    catch_up_s: float  # at most, after the chaos, for the cluster to catch up
    seed: int


def plan_of(args: argparse.Namespace) -> Plan:
    if args.short:
        return Plan(
            kills=args.kills or 6,
            kill_every_s=args.kill_every or 4.0,
            lease_seconds=5.0,
            mentions_per_s=3.0,
            reply_every_s=2.0,
            catch_up_s=75.0,
            seed=args.seed,
        )
    return Plan(
        kills=args.kills or 20,
        kill_every_s=args.kill_every or 8.0,
        lease_seconds=20.0,
        mentions_per_s=5.0,
        reply_every_s=1.5,
        catch_up_s=180.0,
        seed=args.seed,
    )


# -- what runs during the chaos ---------------------------------------------------------------


async def sample_replica_lag(dbs: Databases, lags: list[float], stop: asyncio.Event) -> None:
    """The replica's replay lag as the primary sees it, every half second until `stop`."""
    while not stop.is_set():
        try:
            conn = await asyncpg.connect(dbs.primary.control.dsn("postgres"), timeout=2)
            try:
                lag = await conn.fetchval(
                    "SELECT extract(epoch FROM max(replay_lag)) FROM pg_stat_replication"
                )
            finally:
                await conn.close()
            lags.append(float(lag or 0.0))
        except (OSError, asyncpg.PostgresError, TimeoutError):
            pass
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except TimeoutError:
            continue


async def keep_reading_polls(log: PollLog, cluster: InboxCluster, stop: asyncio.Event) -> None:
    while not stop.is_set():
        log.read(cluster.pids)
        await asyncio.sleep(0.1)


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Run:
    plan: Plan
    dbs: Databases
    world: FakeWorld
    cluster: InboxCluster
    polls: PollLog
    replies: Replies
    rng: random.Random
    lags: list[float] = field(default_factory=list)
    primary_lost_at: datetime | None = None
    kills: Counter[str] = field(default_factory=Counter)
    exited: Counter[str] = field(default_factory=Counter)  # without being killed
    # One kill or restart at a time: the chaos and the supervisor never start one process twice.
    turns: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def chaos(self) -> None:
        """`plan.kills` kills of a random process, each started again at once; halfway, the
        primary lost and the replica promoted. The order is random, the count even: every
        process is killed in each round of as many kills as there are processes."""
        lag_stop = asyncio.Event()
        sampling = asyncio.create_task(sample_replica_lag(self.dbs, self.lags, lag_stop))
        victims = self.victims()
        for number in range(1, self.plan.kills + 1):
            await asyncio.sleep(self.plan.kill_every_s)
            slot = next(victims)
            async with self.turns:
                await self.restart_the_fallen()
                # Read the fakes' logs first, in the same step: the victim's polls are its own.
                self.polls.read(self.cluster.pids)
                pid = self.cluster.kill(slot)
                self.polls.died(pid)
                self.kills[slot.role] += 1
                await self.cluster.reap(slot)
                await self.cluster.start(slot)
            print(f"kill {number}: {slot.name} (pid {pid}), started again", flush=True)
            if number == self.plan.kills // 2:
                lag_stop.set()
                await sampling
                await self.fail_over()

    def victims(self) -> Iterator[Slot]:
        while True:
            round_ = list(self.cluster.slots)
            self.rng.shuffle(round_)
            yield from round_

    async def supervise(self, stop: asyncio.Event) -> None:
        """As a supervisor does (systemd, compose's restart policy): a process that ended by
        itself is started again a second later."""
        while not stop.is_set():
            async with self.turns:
                await self.restart_the_fallen()
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                continue

    async def restart_the_fallen(self) -> None:
        """A process that ended without being killed (one started while no server took
        writes exits with status 2, saying so): said, and started again."""
        for slot in self.cluster.slots:
            if slot.process is not None and slot.process.returncode is not None:
                self.exited[slot.name] += 1
                tail = slot.log.read_text(errors="replace").splitlines()[-5:]
                print(f"{slot.name} exited by itself ({slot.process.returncode}):", flush=True)
                print("\n".join(f"    {line[:300]}" for line in tail), flush=True)
                self.polls.died(slot.process.pid)
                await self.cluster.start(slot)

    async def fail_over(self) -> None:
        self.primary_lost_at = datetime.now(UTC)
        await asyncio.to_thread(self.dbs.lose_primary)
        print("primary lost (server and its PgBouncer stopped for good)", flush=True)
        await asyncio.to_thread(self.dbs.promote_replica)
        print("replica promoted", flush=True)

    async def catch_up(self, incident_expected: bool) -> bool:
        """Until every served mention is stored, every accepted reply posted and the
        incident opened, or `plan.catch_up_s` has passed: whether it all happened."""
        deadline = time.monotonic() + self.plan.catch_up_s
        while time.monotonic() < deadline:
            stored, _, incidents = await self.database_view()
            posted = self.world.posted_reply_markers()
            if (
                all(stored[m] for m in self.world.served.markers)
                and all(posted[key] for key in self.replies.accepted)
                and (incidents >= 1 or not incident_expected)
            ):
                return True
            await asyncio.sleep(1.0)
        return False

    async def database_view(self) -> tuple[Counter[str], tuple[int, int], int]:
        """How many stored inbound mentions carry each marker, SLA events fired (and how
        many of them twice for one clock), and the incidents the detector opened; read on the
        primary of the moment."""
        conn = await asyncpg.connect(self.dbs.primary_dsn())
        try:
            bodies = await conn.fetch("SELECT body FROM mention WHERE direction = 'inbound'")
            sla = await conn.fetchrow(
                "SELECT count(*), count(*) - count(DISTINCT (workspace_id, clock_id, kind))"
                " FROM sla_event"
            )
            incidents = await conn.fetchval(
                "SELECT count(*) FROM incident WHERE source = 'detector'"
            )
        finally:
            await conn.close()
        stored = Counter(
            found[0] for row in bodies if (found := CUSTOMER_MARKER.search(row["body"]))
        )
        fired, twice = (int(sla[0]), int(sla[1])) if sla is not None else (0, 0)
        return stored, (fired, twice), int(incidents)

    async def failover_seconds(self) -> float:
        """From the last mention written before the primary was lost to the first after."""
        if self.primary_lost_at is None:
            return 0.0
        conn = await asyncpg.connect(self.dbs.primary_dsn())
        try:
            row = await conn.fetchrow(
                "SELECT max(ingested_at) FILTER (WHERE ingested_at <= $1),"
                " min(ingested_at) FILTER (WHERE ingested_at > $1) FROM mention",
                self.primary_lost_at,
            )
        finally:
            await conn.close()
        before, after = (row[0], row[1]) if row is not None else (None, None)
        if before is None or after is None:
            return float("nan")
        return float((after - before).total_seconds())

    async def figures(self) -> dict[str, float]:
        stored, (sla_fired, sla_twice), incidents = await self.database_view()
        served = self.world.served.markers
        posted = self.world.posted_reply_markers()
        lags = self.lags or [0.0]
        return {
            "mentions_served": len(served),
            "mentions_lost": sum(1 for marker in served if not stored[marker]),
            "mentions_duplicated": sum(count - 1 for count in stored.values() if count > 1),
            "replies_requested": len(self.replies.accepted),
            "replies_duplicated": sum(count - 1 for count in posted.values() if count > 1),
            "replies_unsent": sum(1 for key in self.replies.accepted if not posted[key]),
            "overlapping_polls": overlapping_polls(self.polls.polls, self.plan.lease_seconds),
            "x_reads_per_post": round(self.world.x_reads_per_post(), 3),
            "sla_events_fired": sla_fired,
            "sla_events_duplicated": sla_twice,
            "incidents_opened": incidents,
            "failover_seconds": round(await self.failover_seconds(), 2),
            "replica_lag_max_seconds": round(max(lags), 3),
            "replica_lag_p50_seconds": round(statistics.median(lags), 3),
        }


async def run(dbs: Databases, folder: Path, plan: Plan) -> dict[str, float]:
    world = FakeWorld()
    key = SecretBox.new_key()
    async with world.serving(folder / "fake-x-ca.pem"):
        env = inbox_env(
            dbs,
            key,
            INBOX_ALLOWED_INTERNAL_HOSTS=world.allowed_hosts(),
            INBOX_X_API_ADDRESS=f"127.0.0.1:{world.x_port}",
            INBOX_X_API_CA_FILE=str(folder / "fake-x-ca.pem"),
            INBOX_ACCOUNT_LEASE_SECONDS=str(plan.lease_seconds),
            # A killed sender's claim is looked at again soon (the default is two minutes).
            INBOX_OUTBOX_LEASE_SECONDS="5",
        )
        token = await seed(dbs, world, key)
        since = datetime.now(UTC)
        cluster = InboxCluster.of(env, folder, webs=2, workers=2)
        started = time.monotonic()
        async with cluster.running():
            for slot in cluster.slots:
                await until_healthy(slot)
            await _until_a_detector_leads(cluster)
            print(f"cluster healthy in {time.monotonic() - started:.1f} s", flush=True)
            this = Run(
                plan, dbs, world, cluster, PollLog(world.request_logs()),
                Replies(token, since), random.Random(plan.seed),
            )  # fmt: skip
            stop = asyncio.Event()
            background = [
                asyncio.create_task(world.steady(stop, plan.mentions_per_s)),
                asyncio.create_task(this.supervise(stop)),
                asyncio.create_task(keep_reading_polls(this.polls, cluster, stop)),
                asyncio.create_task(
                    this.replies.keep_replying(cluster, stop, plan.reply_every_s, this.rng)
                ),
            ]
            world.burst(BURST)
            try:
                await this.chaos()
            finally:
                stop.set()
                await asyncio.gather(*background)
            supervising = asyncio.create_task(this.supervise(caught := asyncio.Event()))
            caught_up = await this.catch_up(incident_expected=True)
            caught.set()
            await supervising
            print(
                f"caught up: {caught_up}; kills {dict(this.kills)};"
                f" exited by themselves {dict(this.exited)};"
                f" polls attributed {len(this.polls.polls)}, unattributed"
                f" {this.polls.unattributed}; {time.monotonic() - started:.1f} s",
                flush=True,
            )
            this.polls.read(cluster.pids)
            figures = await this.figures()
            stopping = time.monotonic()
        print(f"processes stopped in {time.monotonic() - stopping:.1f} s", flush=True)
        return figures


async def _until_a_detector_leads(cluster: InboxCluster) -> None:
    """One worker's detector leads: the burst is counted from a minute it watches."""
    leading = [
        asyncio.create_task(until_healthy(slot, part="incidents", detail="leading"))
        for slot in cluster.of_role("worker")
    ]
    done, pending = await asyncio.wait(leading, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--short", action="store_true", help="the short form CI runs")
    parser.add_argument("--kills", type=int, help="processes killed (20; --short 6)")
    parser.add_argument("--kill-every", type=float, help="seconds between kills (8; --short 4)")
    parser.add_argument("--seed", type=int, default=17, help="which processes are killed")
    parser.add_argument("--logs", type=Path, help="keep the processes' logs in this folder")
    args = parser.parse_args(argv)
    plan = plan_of(args)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="inbox-chaos-logs-") as scratch, databases() as dbs:
        folder = args.logs or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"primary, replica and PgBouncer ready in {time.monotonic() - began:.1f} s")
        figures = asyncio.run(run(dbs, folder, plan))
        ending = time.monotonic()
    print(f"databases stopped in {time.monotonic() - ending:.1f} s")
    print(f"whole run {time.monotonic() - began:.1f} s")
    for name in FIGURES:
        print(f"{name} {figures[name]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
