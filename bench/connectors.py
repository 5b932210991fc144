"""Connectors' throughput through their fake networks, against the ingest ceiling of the run.

    python bench/connectors.py [--connector mastodon] [--rounds 5] [--per-round 400]

Each connector has one section: a coroutine that starts its fake network server on loopback,
publishes `--per-round` new mentions a round, lets the real connector read and ingest them
into the real (embedded) database, then ingests the very same normalised mentions again,
straight, into a workspace of their own: that second figure is the ceiling the connector's
transport and parsing eat into. A section returns its figures; `main` runs the sections asked
for with `--connector` (all by default) and prints every figure last, one a line.

To add a connector: write `async def bench_<name>(db, args) -> list[Figure]` and register it
in SECTIONS.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import bench_database
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
    """Ingests as the connector asks and keeps the batches, for the ceiling run."""

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

    def mentions_since(self, first_batch: int) -> list[Mention]:
        return [m for b in self.batches[first_batch:] for m in b.mentions]


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


def utc_now() -> datetime:
    return datetime.now(UTC)


# -- Mastodon -----------------------------------------------------------------------------------


async def bench_mastodon(db: Database, args: argparse.Namespace) -> list[Figure]:
    raise NotImplementedError("the Mastodon section is being written")


# -- running ----------------------------------------------------------------------------------

SECTIONS: dict[str, Section] = {
    "mastodon": bench_mastodon,
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
    arguments = parser.parse_args(argv)
    if arguments.rounds < 1 or arguments.per_round < 1 or arguments.customers < 1:
        parser.error("--rounds, --per-round and --customers must be at least 1")
    return arguments


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
