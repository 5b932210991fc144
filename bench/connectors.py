"""Connectors' throughput through their fake networks, against the ingest ceiling of the run.

    python bench/connectors.py [--connector mastodon] [--rounds 5] [--per-round 400] [--profile]

Each connector has one section: a coroutine that starts its fake network server on loopback,
publishes `--per-round` new mentions a round, lets the real connector read and ingest them
into the real (embedded) database, then ingests the very same normalised mentions again,
straight, into a workspace of their own: that second figure is the ceiling the connector's
transport and parsing eat into. A section returns its figures; `main` runs the sections asked
for with `--connector` (all by default) and prints every figure last, one a line.

The fake runs in a child process, as the network would on another machine; but here it shares
the machine's cores with the connector and PostgreSQL, so its own work (rendering pages) is
inside the connector's measured time. A polled section therefore also prints, before its three
ratio figures:

- `<name>_fake_cpu_ms_per_1000`: the fake's CPU time during the polls (read from the child
  before and after each), per 1,000 mentions;
- `<name>_connector_cpu_over_ceiling_ms_per_1000`: this process's CPU time during the poll
  less its CPU time ingesting the same mentions straight, full garbage collections left out
  of both: the connector's own share (transport, decoding, normalisation, and what its extra
  batches cost ingestion);
- `<name>_full_gc_ms_per_1000`: what full garbage collections took during the polls, less
  during the ceiling's ingests. They scan the whole heap and fall on whatever allocates when
  one is due, mostly the polls (they allocate the pages and the mentions), sometimes the
  ceiling: apart, neither side's CPU is read through the other's collections. The two
  figures add up to the connector's whole CPU over the ceiling's;
- `<name>_connector_ratio_fake_cpu_excluded`: the ratio with each poll's wall time less the
  fake's CPU time during it, as if the fake served from another machine. It takes off all of
  the fake's CPU, as though every bit of it delayed the poll: the connector's true ratio lies
  between this one and `<name>_connector_ratio`, which is printed unchanged.

`--freeze-heap` leaves what this process holds once set up out of its later garbage
collections (gc.freeze), as a worker that froze its heap after starting would run: full
collections, which otherwise fall on the polls, then scan only what was made since.
`--profile [LINES]` runs cProfile over the polls alone (not the ceiling) and prints, before
the figures, the functions with the most time of their own; the figures then carry the
profiler's cost.

To add a connector: write `async def bench_<name>(db, args) -> list[Figure]` and register it
in SECTIONS.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import pstats
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import bench_database
from connectors.common.egress import CheckedDestinations
from inbox.domain.clock import utc_now
from inbox.domain.egress import EgressPolicy
from inbox.domain.ingestion import IngestBatch, IngestResult
from inbox.domain.mention import Mention
from inbox.store.database import Database
from inbox.store.migrate import migrate
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.ingest import IngestMentions


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    value: float
    decimals: int = 0

    def line(self) -> str:
        return f"{self.name}: {self.value:.{self.decimals}f}"


Section = Callable[[Database, argparse.Namespace], Awaitable[list[Figure]]]


# -- shared by every section ------------------------------------------------------------------


@dataclass(slots=True)
class TimedIngest:
    """Ingests as the connector asks and keeps the batches of the round, for its ceiling."""

    ingest: IngestMentions
    batches: list[IngestBatch] = field(default_factory=list)
    seconds: float = 0.0

    async def __call__(self, workspace_id: int, batch: IngestBatch) -> IngestResult:
        started = time.perf_counter()
        try:
            return await self.ingest(workspace_id, batch)
        finally:
            self.seconds += time.perf_counter() - started
            self.batches.append(batch)

    def taken(self) -> tuple[list[Mention], int]:
        """The mentions written since the last call, and in how many batches; forgotten
        here. Kept round after round, they would outlive what a connector holds and make
        each full garbage collection, which falls on the polls that allocate, ever longer."""
        mentions = [m for b in self.batches for m in b.mentions]
        count = len(self.batches)
        self.batches.clear()
        return mentions, count


async def ceiling_rate(ingest: IngestMentions, workspace_id: int, mentions: list[Mention]) -> float:
    """Mentions per second of ingesting these mentions directly, in one batch."""
    started = time.perf_counter()
    await ingest(workspace_id, IngestBatch(mentions))
    return len(mentions) / max(time.perf_counter() - started, 1e-9)


async def workspaces_for(db: Database, name: str) -> tuple[int, int]:
    """A fresh workspace for the connector and one for its ceiling."""
    store = PgWorkspaceStore(db)
    stamp = time.time_ns()
    connector = await store.ensure_workspace(f"bench-{name}-{stamp}", f"{name} connector")
    ceiling = await store.ensure_workspace(f"bench-{name}-{stamp}-ceiling", f"{name} ceiling")
    return connector, ceiling


@dataclass(frozen=True, slots=True)
class Round:
    """One polled round: the poll's wall time and the CPU spent during it, the ceiling's."""

    mentions: int
    # The batches the connector wrote them in.
    batches: int
    connector_seconds: float
    ceiling_seconds: float
    # The fake server's CPU time during the poll (its child process).
    fake_cpu_seconds: float
    # This process's CPU time during the poll, less during the ceiling's straight ingest,
    # full garbage collections left out of both.
    cpu_over_ceiling_seconds: float
    # What full garbage collections took during the poll, less during the ceiling's ingest.
    full_gc_seconds: float = 0.0


def per_thousand(seconds: float, mentions: int) -> float:
    return 1000 * seconds * 1000 / max(mentions, 1)


def cpu_figures(name: str, rounds: Sequence[Round]) -> list[Figure]:
    """What the fake's own work and the connector's own work cost, and the ratio without the
    fake's (see the module's docstring)."""
    mentions = sum(r.mentions for r in rounds)
    fake_excluded = statistics.median(
        r.mentions / max(r.connector_seconds - r.fake_cpu_seconds, 1e-9) for r in rounds
    )
    ceiling = statistics.median(r.mentions / r.ceiling_seconds for r in rounds)
    return [
        Figure(
            f"{name}_fake_cpu_ms_per_1000",
            per_thousand(sum(r.fake_cpu_seconds for r in rounds), mentions),
            1,
        ),
        Figure(
            f"{name}_connector_cpu_over_ceiling_ms_per_1000",
            per_thousand(sum(r.cpu_over_ceiling_seconds for r in rounds), mentions),
            1,
        ),
        Figure(
            f"{name}_full_gc_ms_per_1000",
            per_thousand(sum(r.full_gc_seconds for r in rounds), mentions),
            1,
        ),
        Figure(f"{name}_connector_ratio_fake_cpu_excluded", fake_excluded / ceiling, 3),
    ]


class FullCollections:
    """The CPU time full (generation 2) garbage collections take while it is entered: they
    scan the whole heap, and fall on whatever allocates when one is due, here the polls."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self._observe)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._observe)


def ratio_figures(
    name: str, connector_rates: list[float], ceiling_rates: list[float]
) -> list[Figure]:
    connector = statistics.median(connector_rates)
    ceiling = statistics.median(ceiling_rates)
    return [
        Figure(f"{name}_connector_mentions_per_s", connector),
        Figure(f"{name}_ingest_ceiling_mentions_per_s", ceiling),
        Figure(f"{name}_connector_ratio", connector / ceiling, 3),
    ]


def add_connector_options(parser: argparse.ArgumentParser) -> None:
    """The options of every polled connector's benchmark."""
    parser.add_argument(
        "--freeze-heap",
        action="store_true",
        help="once set up, leave this process's heap out of later garbage collections "
        "(gc.freeze), as a worker that froze its startup heap would run",
    )
    add_profile_option(parser)


def freeze_heap(args: argparse.Namespace) -> None:
    """With `--freeze-heap`, what this process holds once set up (modules, schemas, the pool)
    is left out of later garbage collections: full ones then scan only what was made since."""
    if args.freeze_heap:
        gc.collect()
        gc.freeze()


def add_profile_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=40,
        default=0,
        metavar="LINES",
        help="profile the polls (cProfile) and print the LINES functions with the most own time "
        "(40 without a number); the figures then include the profiler's cost",
    )


def profiler_for(args: argparse.Namespace) -> cProfile.Profile | None:
    """The profiler of the polls when `--profile` asks for one."""
    return cProfile.Profile() if args.profile else None


def print_profile(profiler: cProfile.Profile | None, lines: int) -> None:
    """Where the polls' time went, in this process (the connector and the ingestion it
    calls; the fake's is in its child): the functions with the most time of their own."""
    if profiler is None:
        return
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(pstats.SortKey.TIME).print_stats(lines)
    print(out.getvalue())


async def timed_round(
    poll: Callable[[], Awaitable[Any]],
    fake_cpu: Callable[[], Awaitable[float]],
    timed: TimedIngest,
    ingest: IngestMentions,
    ceiling_ws: int,
    profiler: cProfile.Profile | None = None,
) -> tuple[Round, Any]:
    """One poll, timed with the CPU of both processes, then its mentions ingested straight
    into the ceiling's workspace, timed alike; with the poll's outcome. With a `profiler`,
    the poll (not the ceiling) is profiled: its timings are then the profiler's too."""
    timed.taken()  # what an earlier poll wrote is not this round's
    fake_before = await fake_cpu()
    cpu_before = time.process_time()
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    try:
        with FullCollections() as polls_collections:
            outcome = await poll()
    finally:
        if profiler is not None:
            profiler.disable()
    connector_seconds = time.perf_counter() - started
    connector_cpu = time.process_time() - cpu_before
    fake_seconds = await fake_cpu() - fake_before
    mentions, batches = timed.taken()
    cpu_before = time.process_time()
    started = time.perf_counter()
    with FullCollections() as ceiling_collections:
        await ingest(ceiling_ws, IngestBatch(mentions))
    ceiling_seconds = max(time.perf_counter() - started, 1e-9)
    ceiling_cpu = time.process_time() - cpu_before
    polls_gc, ceiling_gc = polls_collections.seconds, ceiling_collections.seconds
    measured = Round(
        len(mentions),
        batches,
        connector_seconds,
        ceiling_seconds,
        fake_seconds,
        (connector_cpu - polls_gc) - (ceiling_cpu - ceiling_gc),
        polls_gc - ceiling_gc,
    )
    return measured, outcome


async def polled_rounds(
    name: str,
    args: argparse.Namespace,
    ask: Ask,
    poll: Callable[[], Awaitable[Any]],
    timed: TimedIngest,
    ingest: IngestMentions,
    ceiling_ws: int,
) -> list[Figure]:
    """Each round the fake publishes new mentions and the connector polls them all; the same
    mentions are then ingested straight into the ceiling's workspace, timed alike."""
    rounds: list[Round] = []
    added = 0
    profiler = profiler_for(args)
    freeze_heap(args)

    async def fake_cpu() -> float:
        return float(await ask("cpu", 0))

    for number in range(args.rounds):
        await ask("publish", args.per_round)
        measured, outcome = await timed_round(poll, fake_cpu, timed, ingest, ceiling_ws, profiler)
        added += outcome.added
        rounds.append(measured)
        print(
            f"round {number + 1}: {measured.mentions} mentions in {outcome.requests} "
            f"requests, {measured.batches} batches; "
            f"connector {measured.connector_seconds:.3f} s "
            f"(fake's CPU {measured.fake_cpu_seconds:.3f} s), "
            f"ceiling {measured.ceiling_seconds:.3f} s"
        )
    print(f"{added} mentions added by the {name} connector")
    print_profile(profiler, args.profile)
    return [
        *cpu_figures(name.lower(), rounds),
        *ratio_figures(
            name.lower(),
            [r.mentions / r.connector_seconds for r in rounds],
            [r.mentions / r.ceiling_seconds for r in rounds],
        ),
    ]


Ask = Callable[[str, int], Awaitable[Any]]


@asynccontextmanager
async def fake_in_child(
    target: Callable[[Any, int, int], None], args: argparse.Namespace
) -> AsyncIterator[tuple[Ask, Any]]:
    """A fake network server in a child process (its CPU apart from the connector's), asked
    over a pipe; with what it first says (its address and the brand's account)."""
    import multiprocessing

    parent, child = multiprocessing.Pipe()
    fake = multiprocessing.Process(
        target=target, args=(child, args.customers, args.seed), daemon=True
    )
    fake.start()
    loop = asyncio.get_running_loop()

    async def ask(command: str, count: int) -> Any:
        parent.send((command, count))
        return await loop.run_in_executor(None, parent.recv)

    try:
        yield ask, await loop.run_in_executor(None, parent.recv)
    finally:
        parent.send(("stop", 0))
        fake.join(timeout=10)


async def post_rounds(
    pipe: Any,
    post: Callable[..., str],
    customers: Sequence[Any],
    seed: int,
    complaints: Sequence[str],
    follow_ups: Sequence[str],
    *,
    reads: Callable[[], int],
) -> None:
    """A fake network's side of the rounds, until the pipe says "stop": each round's count
    of posts by customers (three in ten follow up a recent one), then the fake's reads so
    far, sent back; asked "cpu", its CPU time so far. Each round's world is settled
    (`settle_world`) before the fake answers."""
    import random

    rng = random.Random(seed)
    roots: list[str] = []
    loop = asyncio.get_running_loop()
    while True:
        command, count = await loop.run_in_executor(None, pipe.recv)
        if command == "stop":
            break
        if command == "cpu":
            pipe.send(time.process_time())
            continue
        for _ in range(count):
            author = rng.choice(customers)
            if roots and rng.random() < 0.3:
                parent = rng.choice(roots[-2000:])
                post(author, rng.choice(follow_ups), reply_to=parent)
            else:
                roots.append(post(author, rng.choice(complaints)))
        settle_world()
        pipe.send(reads())


def settle_world() -> None:
    """In a fake's process, once a round is published: what the fake holds is left out of its
    later garbage collections. The fake stands for a server on another machine; its world only
    grows, and full collections scanning it took about a third of its CPU while it served the
    polls, on the cores the connector is measured on."""
    gc.collect()
    gc.freeze()


# -- Mastodon -----------------------------------------------------------------------------------


MASTODON_TOKEN = "bench-token"  # noqa: S105 (the bench's own fake instance)
MASTODON_COMPLAINTS = [
    "@acme my fibre has been down since this morning, any news?",
    "@acme third time this week the 4G drops. Fix it or I leave.",
    "@acme billed twice for March, nobody answers the phone",
    "@acme bonjour, plus d'internet depuis hier soir à Nantes",
]
MASTODON_FOLLOW_UPS = ["@acme still nothing here", "@acme any update?", "@acme toujours rien"]


async def _serve_fake_mastodon(pipe: Any, customers_count: int, seed: int) -> None:
    """The fake instance, in a child process as a real one would be on another machine."""
    from connectors.mastodon.fake import FakeMastodon, FakeMastodonServer

    world = FakeMastodon(rate_limit=1_000_000)
    brand = world.add_account("acme", "Acme Telecom", token=MASTODON_TOKEN)
    customers = [
        world.add_account(f"customer{n}", f"Customer {n}", domain=f"host{n % 7}.example")
        for n in range(customers_count)
    ]
    async with FakeMastodonServer(world) as server:
        pipe.send((server.url, brand))
        await post_rounds(
            pipe, world.post, customers, seed, MASTODON_COMPLAINTS, MASTODON_FOLLOW_UPS,
            reads=lambda: world.reads,
        )  # fmt: skip


def _run_fake_mastodon(pipe: Any, customers_count: int, seed: int) -> None:
    asyncio.run(_serve_fake_mastodon(pipe, customers_count, seed))


async def bench_mastodon(db: Database, args: argparse.Namespace) -> list[Figure]:
    """Mention notifications polled from the fake instance (JSON pages over loopback HTTP,
    followed by `min_id`, HTML to text, parents checked) and ingested with their cursor; the
    ceiling ingests the same normalised mentions in one batch."""
    from pydantic import SecretStr

    from connectors.mastodon.api import NOTIFICATIONS_PAGE, MastodonApi, mastodon_session
    from connectors.mastodon.poller import MastodonAccount, MastodonPoller
    from inbox.domain.network import Network
    from inbox.store.connector_state import PgConnectorState
    from inbox.store.ingest import PgIngestStore

    async with fake_in_child(_run_fake_mastodon, args) as (ask, (url, brand)):
        connector_ws, ceiling_ws = await workspaces_for(db, "mastodon")
        account_id = await PgWorkspaceStore(db).configure_account(
            connector_ws, Network.MASTODON, brand, "acme", {"instance": url}
        )
        ingest = IngestMentions(PgIngestStore(db))
        timed = TimedIngest(ingest)
        # The fake listens on loopback: named, as INBOX_ALLOWED_INTERNAL_HOSTS would name it.
        async with mastodon_session(EgressPolicy.from_setting(urlsplit(url).netloc)) as session:
            api = MastodonApi(url, SecretStr(MASTODON_TOKEN), session, clock=utc_now)
            poller = MastodonPoller(
                MastodonAccount(connector_ws, account_id, url, brand, "acme"),
                api,
                timed,
                PgConnectorState(db),
                max_pages=args.per_round // NOTIFICATIONS_PAGE + 2,
            )
            await ask("publish", 1)
            await poller.poll_mentions()  # the first poll sets the cursor
            return await polled_rounds(
                "Mastodon",
                args,
                ask,
                poller.poll_mentions,
                timed,
                ingest,
                ceiling_ws,
            )


# -- inbound webhooks ---------------------------------------------------------------------------

WEBHOOK_CONCURRENCY = 8


async def bench_webhooks(db: Database, args: argparse.Namespace) -> list[Figure]:
    """Signed deliveries (one mention each, Meta and generic alternately) POSTed to the real
    endpoint over loopback; baselines: the same mentions ingested in one batch (the ceiling)
    and one batch per mention at the same concurrency (what a delivery cannot beat)."""
    import json
    import random

    import aiohttp
    from aiohttp import web
    from pydantic import SecretStr

    from connectors.meta.fake import FakeMeta, MetaSender
    from connectors.meta.fake.sender import encoded
    from connectors.meta.inbound import MetaFormat
    from connectors.meta.normalise import facebook_comment
    from connectors.webhooks.inbound_generic import GenericFormat, normalise_message, signed_headers
    from inbox.bootstrap import build_services
    from inbox.domain.inbound_webhooks import SourceKind
    from inbox.store.inbound_webhooks import PgInboundSourceStore
    from inbox.store.secret_box import SecretBox
    from inbox.usecases.group_commit import GroupCommit
    from inbox.usecases.inbound_webhooks import ManageWebhookSources, ReceiveWebhooks
    from web.app import create_app

    app_secret = "0123456789abcdef0123456789abcdef"  # noqa: S105 (the bench's own fake)
    connector_ws, ceiling_ws = await workspaces_for(db, "webhooks")
    _, single_ws = await workspaces_for(db, "webhooks-single")
    slug = await db.fetchval("SELECT slug FROM workspace WHERE workspace_id = $1", connector_ws)
    store = PgInboundSourceStore(db, SecretBox(SecretStr(SecretBox.new_key())))
    # No Page token: the Graph URL (nobody listens on port 9) is never called.
    graph_url = "http://127.0.0.1:9/v21.0"
    sources = ManageWebhookSources(
        store, CheckedDestinations(EgressPolicy.from_setting(urlsplit(graph_url).netloc))
    )
    fake = FakeMeta(clock=utc_now)
    await sources.add_meta(
        connector_ws,
        "meta",
        app_secret=SecretStr(app_secret),
        verify_token=SecretStr("bench-verify-token"),
        access_token=None,
        graph_url=graph_url,
        page=(fake.page_id, fake.page_name),
        instagram=None,
    )
    _, secret = await sources.add_generic(connector_ws, "shop")
    ingest = build_services(db).ingest
    rng = random.Random(args.seed)
    rates: tuple[list[float], list[float], list[float]] = ([], [], [])
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=WEBHOOK_CONCURRENCY)
    ) as session:
        receiver = ReceiveWebhooks(
            store,
            {SourceKind.META: MetaFormat(session), SourceKind.GENERIC: GenericFormat()},
            GroupCommit(ingest),  # as the composition root wires it
            clock=utc_now,
        )
        runner = web.AppRunner(create_app(build_services(db), inbound=receiver), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}/api/v1/inbound/{slug}"
        meta = MetaSender(session, f"{base}/meta", app_secret)
        gate = asyncio.Semaphore(WEBHOOK_CONCURRENCY)

        async def post(url: str, body: bytes, headers: dict[str, str]) -> None:
            async with gate, session.post(url, data=body, headers=headers) as answer:
                if answer.status != 200:
                    raise RuntimeError(f"delivery refused: {answer.status} {await answer.text()}")

        try:
            for round_number in range(args.rounds):
                deliveries: list[tuple[str, bytes, bool]] = []
                mentions: list[Mention] = []
                for n in range(args.per_round):
                    customer = rng.randrange(args.customers)
                    text = f"round {round_number} message {n}: my service is down"
                    if n % 2:
                        comment = fake.facebook_comment(str(9000 + customer), f"C{customer}", text)
                        notification = fake.notification(comment)
                        value = notification["entry"][0]["changes"][0]["value"]
                        mentions.append(facebook_comment(value, fake.page_id))
                        deliveries.append((meta.url, encoded(notification), True))
                    else:
                        message = {
                            "id": f"{round_number}-{n}",
                            "author": {"id": str(customer), "handle": f"c{customer}"},
                            "text": text,
                            "created_at": utc_now().isoformat(),
                        }
                        mentions.append(normalise_message(message, "shop"))
                        deliveries.append((f"{base}/shop", json.dumps(message).encode(), False))
                started = time.perf_counter()
                await asyncio.gather(
                    *(
                        post(
                            url,
                            body,
                            meta.headers(body)
                            if is_meta
                            else signed_headers(secret, body, utc_now()),
                        )
                        for url, body, is_meta in deliveries
                    )
                )
                rates[0].append(len(deliveries) / (time.perf_counter() - started))
                rates[1].append(await ceiling_rate(ingest, ceiling_ws, mentions))
                started = time.perf_counter()

                async def one(mention: Mention) -> None:
                    async with gate:
                        await ingest(single_ws, IngestBatch([mention]))

                await asyncio.gather(*(one(m) for m in mentions))
                rates[2].append(len(mentions) / (time.perf_counter() - started))
        finally:
            await runner.cleanup()
    deliveries_rate, single = statistics.median(rates[0]), statistics.median(rates[2])
    return [
        *ratio_figures("webhooks", rates[0], rates[1]),
        Figure("webhooks_single_mention_batches_per_s", single),
        Figure("webhooks_delivery_vs_single_batch_ratio", deliveries_rate / single, 3),
    ]


# -- Bluesky ------------------------------------------------------------------------------------

BLUESKY_BRAND = "acme.bsky.social"
BLUESKY_PASSWORD = "benc-hpas-swor-d000"  # noqa: S105 (the bench's own fake PDS)
BLUESKY_COMPLAINTS = [
    "@acme.bsky.social my fibre has been down since this morning, any news? 😡",
    "@acme.bsky.social third time this week the 4G drops. Fix it or I leave.",
    "@acme.bsky.social billed twice for March, nobody answers the phone",
    "@acme.bsky.social bonjour, plus d'internet depuis hier soir à Nantes",
]
BLUESKY_FOLLOW_UPS = [
    "@acme.bsky.social still nothing here",
    "@acme.bsky.social any update?",
    "@acme.bsky.social toujours rien",
]


async def _serve_fake_bluesky(pipe: Any, customers_count: int, seed: int) -> None:
    """The fake PDS, in a child process as the real one is on another machine."""
    from connectors.bluesky.fake import FakeBluesky, FakeBlueskyServer

    world = FakeBluesky(rate_limit=1_000_000)
    world.add_account(BLUESKY_BRAND, "Acme Telecom", app_password=BLUESKY_PASSWORD)
    customers = [
        world.add_account(f"customer{n}.bsky.social", f"Customer {n}")
        for n in range(customers_count)
    ]
    async with FakeBlueskyServer(world) as server:
        pipe.send((server.url, world.did_of(BLUESKY_BRAND)))
        await post_rounds(
            pipe, world.post, customers, seed, BLUESKY_COMPLAINTS, BLUESKY_FOLLOW_UPS,
            reads=lambda: sum(world.requests.values()),
        )  # fmt: skip


def _run_fake_bluesky(pipe: Any, customers_count: int, seed: int) -> None:
    asyncio.run(_serve_fake_bluesky(pipe, customers_count, seed))


async def bench_bluesky(db: Database, args: argparse.Namespace) -> list[Figure]:
    """Notifications polled from the fake PDS (XRPC pages over loopback HTTP, newest first
    down to the saved position, a signed-in session) and ingested in one batch with the new
    position; the ceiling ingests the same normalised mentions in one batch."""
    from pydantic import SecretStr

    from connectors.bluesky.poller import PAGE_SIZE, BlueskyAccount, BlueskyPoller
    from connectors.bluesky.xrpc import BlueskyApi, BlueskyCredentials, bluesky_session
    from inbox.domain.network import Network
    from inbox.store.connector_state import PgConnectorState
    from inbox.store.ingest import PgIngestStore

    async with fake_in_child(_run_fake_bluesky, args) as (ask, (url, brand_did)):
        connector_ws, ceiling_ws = await workspaces_for(db, "bluesky")
        account_id = await PgWorkspaceStore(db).configure_account(
            connector_ws, Network.BLUESKY, brand_did, BLUESKY_BRAND, {"service": url}
        )
        ingest = IngestMentions(PgIngestStore(db))
        timed = TimedIngest(ingest)
        credentials = BlueskyCredentials(SecretStr(BLUESKY_PASSWORD))
        async with bluesky_session(EgressPolicy.from_setting(urlsplit(url).netloc)) as session:
            api = BlueskyApi(url, BLUESKY_BRAND, credentials, session, clock=utc_now)
            poller = BlueskyPoller(
                BlueskyAccount(connector_ws, account_id, brand_did, BLUESKY_BRAND),
                api,
                timed,
                PgConnectorState(db),
                max_pages=args.per_round // PAGE_SIZE + 2,
            )
            await ask("publish", 1)
            await poller.poll()  # the first poll signs in and sets the position
            return await polled_rounds(
                "Bluesky",
                args,
                ask,
                poller.poll,
                timed,
                ingest,
                ceiling_ws,
            )


# -- running ----------------------------------------------------------------------------------

SECTIONS: dict[str, Section] = {
    "bluesky": bench_bluesky,
    "mastodon": bench_mastodon,
    "webhooks": bench_webhooks,
}


async def main(args: argparse.Namespace) -> None:
    figures: list[Figure] = []
    async with bench_database(args.database_url) as db:
        async with db.connection() as conn:
            await migrate(conn)
        for name in args.connector or list(SECTIONS):
            print(f"== {name}")
            figures.extend(await SECTIONS[name](db, args))
    for figure in figures:
        print(figure.line())


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--connector",
        action="append",
        choices=sorted(SECTIONS),
        help="repeatable; default: every connector",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=400, help="new mentions a round")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    add_connector_options(parser)
    arguments = parser.parse_args(argv)
    if arguments.rounds < 1 or arguments.per_round < 1 or arguments.customers < 1:
        parser.error("--rounds, --per-round and --customers must be at least 1")
    return arguments


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
