"""A customer's access and erasure: export time and peak memory, and erasure time, for one
customer with many messages among other customers' traffic.

    python bench/erasure.py [--messages 1000] [--others 10000] [--database-url URL]

The customer's `--messages` posts (ten to a conversation, every tenth written in another
customer's conversation) and `--others` posts of other customers go through the real
ingestion; a webhook that takes texts has every message event queued for it. The export (the
zip of a JSON document and a page) is timed alone, then run again into a file under
tracemalloc for Python's peak.
Baselines of the same run: the customer's messages fetched whole (peak memory of holding
them) and read once through the same predicate the erasure uses (the time of one pass over
the table). The erasure is then timed, and checked to have left none of the customer's
texts, in the messages or in the deliveries.

The last lines are the figures, one a line.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import SecretStr

from bench.ingest import bench_database
from inbox.bootstrap import build_services
from inbox.domain.customer_rights import Section
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.store.customer_rights import EXPORT, positional
from inbox.store.migrate import migrate
from inbox.store.secret_box import SecretBox
from inbox.store.thread_events import PgThreadEventOutbox
from inbox.store.webhooks import PgWebhookStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.customer_rights import requested_on_command_line
from inbox.usecases.services import Services

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
BATCH = 500
WORDS = "my fibre line drops every evening since the upgrade, ticket"


def _post(number: int, author: str, conversation: str) -> Mention:
    return Mention(
        network=Network.X,
        external_id=f"{author}-{number}",
        author=Author(external_id=author, handle=f"handle_{author}", display_name=author),
        text=f"{WORDS} {author}-{number}",
        created_at=START + timedelta(seconds=number),
        conversation_key=conversation,
        raw={"id": f"{author}-{number}", "text": f"{WORDS} {number}"},
    )


async def _ingest(services: Services, workspace_id: int, posts: list[Mention]) -> None:
    for start in range(0, len(posts), BATCH):
        await services.ingest(workspace_id, IngestBatch(posts[start : start + BATCH]))


async def run(args: argparse.Namespace) -> dict[str, float]:
    figures: dict[str, float] = {}
    async with bench_database(args.database_url, pool_size=4) as db:
        async with db.connection() as conn:
            await migrate(conn)
        workspace_id = await PgWorkspaceStore(db).ensure_workspace("bench-erasure", "erasure")
        services = build_services(db)
        hooks = PgWebhookStore(db, SecretBox(SecretStr(SecretBox.new_key())))
        await hooks.add(
            workspace_id,
            "https://crm.example.com/in",
            ("message.*",),
            SecretStr("s" * 32),
            include_text=True,
        )
        others = [_post(n, f"other{n % 1000}", f"o-{n // 5}") for n in range(args.others)]
        theirs = [
            _post(n, "zelda", f"o-{n // 5}" if n % 10 == 9 else f"z-{n // 10}")
            for n in range(args.messages)
        ]
        started = time.perf_counter()
        await _ingest(services, workspace_id, others + theirs)
        queued = 0
        while taken := await PgThreadEventOutbox(db).dispatch(5000):
            queued += taken
        print(
            f"{len(others) + len(theirs)} posts ingested and {queued} events queued"
            f" in {time.perf_counter() - started:.1f} s"
        )
        customer = await db.fetchval(
            "SELECT customer_id FROM identity WHERE workspace_id = $1 AND external_user_id = $2",
            workspace_id,
            "zelda",
        )
        request = requested_on_command_line(workspace_id)

        # Timed alone, then again under tracemalloc (which slows Python) for its peak.
        out = io.BytesIO()
        started = time.perf_counter()
        summary = await services.customer_rights.export(request, customer, out)
        figures["export_seconds"] = time.perf_counter() - started
        # Into a file: an in-memory output would count the zip itself.
        with tempfile.TemporaryFile() as file:
            tracemalloc.start()
            await services.customer_rights.export(request, customer, file)
            figures["export_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        figures["export_zip_kib"] = len(out.getvalue()) / 1024
        print(
            f"exported {summary.counts['messages']} messages in {figures['export_seconds']:.2f} s"
        )

        query, values = positional(
            EXPORT[Section.MESSAGES],
            {"workspace": workspace_id, "customers": [customer], "threads": []},
        )
        tracemalloc.start()
        started = time.perf_counter()
        async with db.connection() as conn:
            rows = await conn.fetch(query, *values)
        figures["read_once_seconds"] = time.perf_counter() - started
        figures["fetch_all_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"{len(rows)} messages fetched whole in {figures['read_once_seconds']:.3f} s")
        del rows

        started = time.perf_counter()
        erasure = await services.customer_rights.erase(request, customer, reason="bench")
        figures["erase_seconds"] = time.perf_counter() - started
        left = await db.fetchval(
            "SELECT count(*) FROM mention WHERE workspace_id = $1 AND body LIKE '%zelda-%'",
            workspace_id,
        )
        assert left == 0, f"{left} messages of theirs left"
        carried = await db.fetchval(
            "SELECT count(*) FROM webhook_delivery"
            " WHERE workspace_id = $1 AND payload #>> '{data,text}' LIKE '%zelda-%'",
            workspace_id,
        )
        assert carried == 0, f"{carried} deliveries still carry their texts"
        print(f"erased: {dict(erasure.counts)}")
    return figures


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000)
    parser.add_argument("--others", type=int, default=10_000)
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> None:
    figures = await run(args)
    print(f"messages: {args.messages}")
    print(f"export_seconds: {figures['export_seconds']:.3f}")
    print(f"export_peak_mib: {figures['export_peak_mib']:.2f}")
    print(f"export_zip_kib: {figures['export_zip_kib']:.0f}")
    print(f"fetch_all_peak_mib: {figures['fetch_all_peak_mib']:.2f}")
    memory = figures["export_peak_mib"] / figures["fetch_all_peak_mib"]
    print(f"export_to_fetch_all_memory_ratio: {memory:.2f}")
    print(f"erase_seconds: {figures['erase_seconds']:.3f}")
    print(
        f"erase_to_read_once_ratio: {figures['erase_seconds'] / figures['read_once_seconds']:.1f}"
    )


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
