"""Batch ingestion end to end, against the bare ceiling of a single-table upsert.

    python bench/ingest.py [--mentions 20000] [--batch 1000] [--rounds 3] [--profile]
                           [--one-by-one] [--classifier-processes N]

Generates realistic X mentions (about 70% opening threads, 25% replies in existing threads of
which some are the brand's own, repeat customers, 5% duplicates, ~1 KB raw payloads), then,
in the same run and in alternating order, ingests them through the real use case and inserts
the same rows into a table shaped like `mention` with only its primary key, using
`INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING` at the same batch size. Both start
from the same Mention objects and commit each batch durably.

The ingestion measured is the application's own (`build_services`): screening,
classification, rules and assignment, incident links and the outage watcher's counts, SLA
clocks and the queue's deadline, the live announcement. Batches go through `ingest_many`, as
a file import does (the next batch classified while one is written, in a thread of the
writer's process as the product composes it by default, or with `--classifier-processes N` in
N processes of their own); `--one-by-one` calls ingestion batch after batch instead, for
comparison. `--profile` books each statement, the commit and, apart, the classification.

Runs on a throwaway embedded PostgreSQL unless --database-url names a server (it then works
in workspaces of its own and in a `bench_raw` table it drops at the end).

The last three lines are the figures: ingest_mentions_per_s, raw_upsert_rows_per_s,
ingest_ratio (medians over the rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inbox.bootstrap import build_services, open_classifier_processes
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network
from inbox.store import (
    assignment,
    customer_events,
    incidents_sql,
    ingest_sql,
    live_sql,
    routing,
    sla_clocks,
    thread_sql,
)
from inbox.store.database import Connection, Database
from inbox.store.embedded import EmbeddedPostgres
from inbox.store.ingest import raw_json
from inbox.store.migrate import migrate
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.ingest_classify import ClassifyInProcesses
from inbox.usecases.routing import ClassifyMentions

BRAND_ID = "900000000000000001"
BRAND_HANDLE = "AcmeTelecom"
START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)

COMPLAINTS = [
    "@{brand} my fibre has been down since this morning, any news? #panne",
    "@{brand} third time this week the 4G drops in Lyon 3e. Fix it or I leave.",
    "@{brand} I was billed twice for March, order 48213, nobody answers the phone",
    "@{brand} bonjour, plus d'internet depuis hier soir à Nantes, c'est normal ?",
    "@{brand} the app keeps logging me out, can't pay my bill",
    "@{brand} thanks for fixing it so fast yesterday!",
    "@{brand} is there an outage in Bordeaux? TV and internet both gone",
    "@{brand} my delivery was supposed to arrive Tuesday, still nothing",
]
FOLLOW_UPS = [
    "still nothing here",
    "ok it works now, thanks",
    "done, sent you a DM",
    "any update? it's been two hours",
    "toujours rien...",
]
BRAND_REPLIES = [
    "Hi {name}, sorry about this. Could you DM us your account number so we can check?",
    "Bonjour {name}, nos équipes sont sur le coup, on revient vers vous très vite.",
    "Thanks {name}, we've escalated it to our network team.",
]

# Constant padding that makes a raw payload look like what X returns with full expansions.
_CONTEXT = [
    {
        "domain": {"id": "46", "name": "Business Taxonomy", "description": "Brand categories"},
        "entity": {"id": "1557696848252391426", "name": "Telecommunications"},
    },
    {
        "domain": {"id": "47", "name": "Brand", "description": "Brands and Companies"},
        "entity": {"id": "10040395078", "name": BRAND_HANDLE},
    },
]


def tweet_payload(tweet: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    data = {
        **tweet,
        "lang": "en",
        "source": "Twitter for Android",
        "reply_settings": "everyone",
        "possibly_sensitive": False,
        "edit_history_tweet_ids": [tweet["id"]],
        "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0},
        "entities": {"mentions": [{"start": 0, "end": 12, "username": BRAND_HANDLE}]},
        "context_annotations": _CONTEXT,
    }
    return {"data": data, "includes": {"users": [user]}}


class Generator:
    """A reproducible stream of mentions with the mix of a busy brand account."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.next_id = 1_700_000_000_000_000_000
        self.customers: list[tuple[str, str]] = []
        self.conversations: list[tuple[str, str, str]] = []  # root id, customer id, last id
        self.emitted: list[Mention] = []
        self.clock = START

    def _id(self) -> str:
        self.next_id += self.rng.randint(1, 5000)
        return str(self.next_id)

    def _customer(self) -> tuple[str, str]:
        if self.customers and self.rng.random() < 0.3:
            return self.rng.choice(self.customers)
        author = (str(10_000_000 + len(self.customers)), f"customer_{len(self.customers)}")
        self.customers.append(author)
        return author

    def _mention(
        self,
        author: tuple[str, str],
        text: str,
        conversation: str | None,
        reply_to: str | None,
        direction: Direction = Direction.INBOUND,
    ) -> Mention:
        self.clock += timedelta(milliseconds=self.rng.randint(50, 2000))
        tweet_id = self._id()
        conversation_key = conversation or tweet_id
        tweet = {
            "id": tweet_id,
            "text": text,
            "author_id": author[0],
            "conversation_id": conversation_key,
            "created_at": self.clock.isoformat().replace("+00:00", "Z"),
        }
        if reply_to:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
        user = {
            "id": author[0],
            "username": author[1],
            "name": author[1].replace("_", " ").title(),
            "verified": False,
            "created_at": "2014-05-12T10:00:00.000Z",
            "public_metrics": {"followers_count": self.rng.randint(0, 5000), "tweet_count": 812},
            "profile_image_url": f"https://pbs.twimg.com/profile_images/{author[0]}/a_normal.jpg",
        }
        return Mention(
            network=Network.X,
            external_id=tweet_id,
            author=Author(external_id=author[0], handle=author[1], display_name=user["name"]),
            text=text,
            created_at=self.clock,
            direction=direction,
            conversation_key=conversation_key,
            in_reply_to=reply_to,
            language="en",
            url=f"https://x.com/{author[1]}/status/{tweet_id}",
            raw=tweet_payload(tweet, user),
        )

    def one(self) -> Mention:
        roll = self.rng.random()
        if roll < 0.05 and self.emitted:
            return self.rng.choice(self.emitted[-3000:])  # a duplicate, often across batches
        if roll < 0.30 and self.conversations:
            index = self.rng.randrange(
                max(0, len(self.conversations) - 2000), len(self.conversations)
            )
            root, customer_id, last = self.conversations[index]
            if self.rng.random() < 0.4:
                name = f"customer_{int(customer_id) - 10_000_000}"
                text = self.rng.choice(BRAND_REPLIES).format(name="@" + name)
                made = self._mention((BRAND_ID, BRAND_HANDLE), text, root, last, Direction.OUTBOUND)
            else:
                customer = (customer_id, f"customer_{int(customer_id) - 10_000_000}")
                made = self._mention(customer, self.rng.choice(FOLLOW_UPS), root, last)
            self.conversations[index] = (root, customer_id, made.external_id)
        else:
            customer = self._customer()
            text = self.rng.choice(COMPLAINTS).format(brand=BRAND_HANDLE)
            made = self._mention(customer, text, None, None)
            self.conversations.append((made.external_id, customer[0], made.external_id))
        self.emitted.append(made)
        return made

    def batches(self, total: int, size: int) -> list[list[Mention]]:
        stream = [self.one() for _ in range(total)]
        return [stream[i : i + size] for i in range(0, total, size)]


RAW_TABLE = """
DROP TABLE IF EXISTS bench_raw;
CREATE TABLE bench_raw (LIKE mention INCLUDING DEFAULTS);
ALTER TABLE bench_raw ADD PRIMARY KEY (workspace_id, network, external_id);
"""
RAW_UPSERT = """
INSERT INTO bench_raw (workspace_id, network, external_id, thread_key, direction,
                       author_external_id, author_handle, author_name, body, language,
                       in_reply_to, url, edit_of, created_at, raw)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                         $12::text[], $13::text[], $14::timestamptz[], $15::jsonb[])
ON CONFLICT DO NOTHING
"""


async def raw_upsert(db: Database, workspace_id: int, batch: Sequence[Mention]) -> None:
    columns: list[list[Any]] = [[] for _ in range(14)]
    for m in batch:
        row = (
            m.network.value,
            m.external_id,
            m.conversation_key or m.external_id,
            m.direction.value,
            m.author.external_id,
            m.author.handle,
            m.author.display_name,
            m.text,
            m.language,
            m.in_reply_to,
            m.url,
            m.edit_of,
            m.created_at,
            raw_json(m.raw),
        )
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    async with db.connection() as conn, conn.transaction():
        await conn.execute(RAW_UPSERT, workspace_id, *columns)


# The modules whose statements a batch runs, for their names in the profile.
NAMED_STATEMENTS = (
    ingest_sql, thread_sql, sla_clocks, incidents_sql, routing, assignment, live_sql,
    customer_events,
)  # fmt: skip


class StatementTimes:
    """Time spent per ingestion statement, named after its constant in the modules of
    NAMED_STATEMENTS."""

    def __init__(self) -> None:
        self.names = {
            value: name
            for module in NAMED_STATEMENTS
            for name, value in vars(module).items()
            if isinstance(value, str) and not name.startswith("_")
        }
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] += seconds
        self.calls[name] += 1


class TimedConnection:
    """Passes every call to the connection and books its duration."""

    def __init__(self, conn: Connection, times: StatementTimes) -> None:
        self._conn = conn
        self._times = times

    def __getattr__(self, attribute: str) -> Any:
        target = getattr(self._conn, attribute)
        if attribute not in {"execute", "fetch", "fetchval", "fetchrow", "copy_records_to_table"}:
            return target

        async def timed(*args: Any, **kwargs: Any) -> Any:
            first = args[0] if args else ""
            name = self._times.names.get(first, f"{attribute} {str(first)[:30]!r}")
            if attribute == "copy_records_to_table":
                name = f"COPY {first}"
            started = time.perf_counter()
            try:
                return await target(*args, **kwargs)
            finally:
                self._times.add(name, time.perf_counter() - started)

        return timed


class ProfiledDatabase(Database):
    """Books each transaction's statements, its commit and its whole time. The bench's raw
    upserts do not come through here (they open their transaction on a connection)."""

    times = StatementTimes()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        started = time.perf_counter()
        async with super().transaction() as conn:
            yield TimedConnection(conn, self.times)  # type: ignore[misc]
            commit_from = time.perf_counter()
        self.times.add("COMMIT", time.perf_counter() - commit_from)
        self.times.add("(whole batch)", time.perf_counter() - started)


def time_classification(
    times: StatementTimes, classifier: type[ClassifyMentions] | type[ClassifyInProcesses]
) -> None:
    """Books classification too: it runs before the transaction (in a worker thread or
    process, while the previous batch is written), outside what the statements account for."""
    classify = classifier.classify

    async def timed(self: Any, workspace_id: int, mentions: Any) -> Any:
        started = time.perf_counter()
        try:
            return await classify(self, workspace_id, mentions)
        finally:
            times.add("(classify, overlapped)", time.perf_counter() - started)

    classifier.classify = timed  # type: ignore[method-assign]


async def run_ingest(
    ingest: IngestMentions,
    workspace_id: int,
    batches: Sequence[Sequence[Mention]],
    *,
    one_by_one: bool,
) -> tuple[float, float, int]:
    """Seconds taken, CPU seconds of this process (every thread of it, not the database's
    nor the classifier's processes), mentions added."""
    added = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    if one_by_one:
        for batch in batches:
            result = await ingest(workspace_id, IngestBatch(batch))
            added += result.mentions_added
    else:
        async for result in ingest.ingest_many(workspace_id, (IngestBatch(b) for b in batches)):
            added += result.mentions_added
    return time.perf_counter() - started, time.process_time() - cpu_started, added


async def run_raw(db: Database, workspace_id: int, batches: Sequence[Sequence[Mention]]) -> float:
    started = time.perf_counter()
    for batch in batches:
        await raw_upsert(db, workspace_id, batch)
    return time.perf_counter() - started


@asynccontextmanager
async def bench_database(
    database_url: str | None, *, pool_size: int = 2, kind: type[Database] = Database
) -> AsyncIterator[Database]:
    if database_url:
        db = await kind.connect(database_url, size=pool_size)
        try:
            yield db
        finally:
            await db.close()
        return
    with tempfile.TemporaryDirectory(prefix="inbox-bench-") as folder:
        server = EmbeddedPostgres(Path(folder) / "postgres", delete_on_stop=True)
        dsn = await asyncio.to_thread(server.start)
        try:
            db = await kind.connect(dsn, size=pool_size)
            try:
                yield db
            finally:
                await db.close()
        finally:
            await asyncio.to_thread(server.stop)


async def main(args: argparse.Namespace) -> None:
    # Each round is a fresh workspace with its own traffic of the same shape.
    rounds = [
        Generator(seed=args.seed + number).batches(args.mentions, args.batch)
        for number in range(args.rounds)
    ]
    raw_bytes = statistics.mean(len(raw_json(m.raw).encode()) for m in rounds[0][0])
    duplicates = args.mentions - len({m.external_id for b in rounds[0] for m in b})

    kind = ProfiledDatabase if args.profile else Database
    times = ProfiledDatabase.times
    processes = args.classifier_processes
    if args.profile:
        time_classification(times, ClassifyInProcesses if processes else ClassifyMentions)
    async with (
        bench_database(args.database_url, kind=kind) as db,
        # Started and warm before the rounds, as in a process that has ingested before.
        open_classifier_processes(processes, warm=True) as classifier,
    ):
        async with db.connection() as conn:
            await migrate(conn)
            await conn.execute(RAW_TABLE)
        workspaces = PgWorkspaceStore(db)
        # The product's ingestion as the application composes it: classification, rules and
        # assignment, incident links, SLA clocks.
        ingest = build_services(db, classifier_processes=classifier).ingest
        ingest_rates: list[float] = []
        raw_rates: list[float] = []
        stamp = int(time.time())
        for number, batches in enumerate(rounds):
            slug = f"bench-{stamp}-{number}"
            workspace_id = await workspaces.ensure_workspace(slug, slug)
            await workspaces.add_account(workspace_id, Network.X, BRAND_ID, BRAND_HANDLE)
            count = sum(len(b) for b in batches)
            # Alternate which side runs first, so that neither always meets a warmer cache.
            if number % 2 == 0:
                ingest_seconds, ingest_cpu, added = await run_ingest(
                    ingest, workspace_id, batches, one_by_one=args.one_by_one
                )
                raw_seconds = await run_raw(db, workspace_id, batches)
            else:
                raw_seconds = await run_raw(db, workspace_id, batches)
                ingest_seconds, ingest_cpu, added = await run_ingest(
                    ingest, workspace_id, batches, one_by_one=args.one_by_one
                )
            ingest_rates.append(count / ingest_seconds)
            raw_rates.append(count / raw_seconds)
            threads = await db.fetchval(
                "SELECT count(*) FROM thread WHERE workspace_id = $1", workspace_id
            )
            print(
                f"round {number + 1}: {count} mentions ({added} new, {threads} threads) "
                f"ingest {ingest_seconds:.2f} s ({1e6 * ingest_cpu / count:.0f} us CPU a mention "
                f"in this process), raw upsert {raw_seconds:.2f} s, "
                f"ratio {ingest_rates[-1] / raw_rates[-1]:.3f}"
            )
        async with db.connection() as conn:
            await conn.execute("DROP TABLE bench_raw")

    print(
        f"classification in {f'{processes} process(es)' if processes else 'a thread'} "
        "beside the writer's"
    )
    print(
        f"{args.rounds} rounds of {args.mentions} mentions in batches of {args.batch}; "
        f"{duplicates} duplicates a round; raw payload {raw_bytes:.0f} bytes on average"
    )
    if args.profile:
        batches_run = times.calls["(whole batch)"]
        whole = times.seconds["(whole batch)"]
        print(f"where ingestion time goes (per batch of {args.batch}, {batches_run} batches):")
        booked = 0.0
        for name, seconds in sorted(times.seconds.items(), key=lambda kv: -kv[1]):
            if name.startswith("("):  # the whole, and what runs outside the transaction
                continue
            booked += seconds
            per_batch_ms = 1000 * seconds / batches_run
            print(f"  {name:<28} {per_batch_ms:8.2f} ms  {100 * seconds / whole:5.1f}%")
        other = whole - booked
        print(
            f"  {'python and round trips':<28} {1000 * other / batches_run:8.2f} ms"
            f"  {100 * other / whole:5.1f}%"
        )
        classify = times.seconds["(classify, overlapped)"]
        when = "before its batch" if args.one_by_one else "while the previous batch is written"
        print(
            f"outside the transaction: classification {1000 * classify / batches_run:.2f} ms "
            f"a batch ({when})"
        )

    ingest_rate = statistics.median(ingest_rates)
    raw_rate = statistics.median(raw_rates)
    print(f"ingest_mentions_per_s: {ingest_rate:.0f}")
    print(f"raw_upsert_rows_per_s: {raw_rate:.0f}")
    print(f"ingest_ratio: {ingest_rate / raw_rate:.3f}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=20_000, help="mentions per round")
    parser.add_argument("--batch", type=int, default=1000, help="mentions per batch")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="time each SQL statement")
    parser.add_argument(
        "--one-by-one",
        action="store_true",
        help="call ingestion batch after batch instead of ingest_many (no classification ahead)",
    )
    parser.add_argument(
        "--classifier-processes",
        type=int,
        default=0,
        help="processes classifying beside the writer (default 0: a thread of its own process)",
    )
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    arguments = parser.parse_args(argv)
    if arguments.mentions < 1 or arguments.batch < 1 or arguments.rounds < 1:
        parser.error("--mentions, --batch and --rounds must be at least 1")
    return arguments


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
