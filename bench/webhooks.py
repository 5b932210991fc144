"""Webhook fan-out: thread and customer events (ordered per thread, per customer) against SLA
events (unordered).

    python bench/webhooks.py [--threads 200] [--messages 5] [--database-url URL]

One loopback receiver answering 204, one webhook subscribed to everything, the real delivery
worker (8 posts at a time). After a warm-up round, as many SLA-style deliveries as the thread
events to come are queued at once and posted: the baseline. Then `--threads` conversations
of `--messages` customer messages each are ingested (one event to create each thread, one per
message), and the worker queues and posts them, a thread's events one after another,
threads in parallel. Ingestion time is not counted. Then the same number of events from one
single thread (the worst case: every post waits for the one before). Then as many
`customer.updated` events, `--messages` + 1 edits of each customer those threads created
(the edits not counted), queued and posted customer by customer.

The last lines are the figures, one a line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import bench_database
from connectors.common.egress import CheckedDestinations
from connectors.webhooks.outbound import AiohttpWebhookPoster, webhook_session
from inbox.bootstrap import build_services
from inbox.domain.audit import COMMAND_LINE
from inbox.domain.clock import utc_now
from inbox.domain.egress import EgressPolicy
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.domain.sla_alerts import SlaDispatch
from inbox.store.customer_events import PgCustomerEventOutbox
from inbox.store.database import Database
from inbox.store.migrate import migrate
from inbox.store.secret_box import SecretBox
from inbox.store.sla_alerts import PgSlaDispatchStore
from inbox.store.thread_events import PgThreadEventOutbox
from inbox.store.webhooks import PgWebhookStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.customers import RecordEdit
from inbox.usecases.webhooks import DeliverWebhooks, ManageWebhooks

BOX = SecretBox(SecretStr(SecretBox.new_key()))


def conversations(prefix: str, threads: int, messages: int) -> list[Mention]:
    start = utc_now() - timedelta(hours=1)
    return [
        Mention(
            network=Network.X,
            external_id=f"{prefix}-{t}-{m}",
            author=Author(external_id=f"{prefix}-u{t}", handle=f"user{t}"),
            text=f"my line is down again ({m})",
            created_at=start + timedelta(seconds=t * messages + m),
            conversation_key=f"{prefix}-{t}",
            raw={"id": f"{prefix}-{t}-{m}"},
        )
        for t in range(threads)
        for m in range(messages)
    ]


async def drain(send: DeliverWebhooks) -> tuple[int, float]:
    started = time.perf_counter()
    posted = 0
    while attempted := await send.run_once():
        posted += attempted
    return posted, time.perf_counter() - started


async def queue_sla_events(db: Database, workspace_id: int, prefix: str, count: int) -> None:
    await PgSlaDispatchStore(db).record(
        [
            SlaDispatch(
                workspace_id=workspace_id,
                event_key=f"sla.breach:{workspace_id}:{prefix}-{n}",
                event_kind="sla.breach",
                payload=json.dumps({"id": n, "kind": "sla.breach", "data": {}}),
            )
            for n in range(count)
        ]
    )


async def ingest(db: Database, workspace_id: int, mentions: list[Mention]) -> None:
    services = build_services(db)
    for first in range(0, len(mentions), 500):
        await services.ingest(workspace_id, IngestBatch(mentions[first : first + 500]))


async def edit_customers(db: Database, workspace_id: int, edits_each: int) -> None:
    """Each customer of the workspace edited `edits_each` times: one `customer.updated` each."""
    customers = build_services(db).customers
    ids = [
        r["id"]
        for r in await db.fetch("SELECT id FROM customer WHERE workspace_id = $1", workspace_id)
    ]
    for round_ in range(edits_each):
        for customer_id in ids:
            await customers.edit(
                workspace_id, customer_id, RecordEdit(tags=(f"round-{round_}",)), COMMAND_LINE
            )


async def run(args: argparse.Namespace) -> dict[str, float]:
    received = 0

    async def handle(request: web.Request) -> web.Response:
        nonlocal received
        await request.read()
        received += 1
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    policy = EgressPolicy.from_setting(f"127.0.0.1:{port}")
    events = args.threads * (args.messages + 1)
    figures: dict[str, float] = {}
    try:
        async with bench_database(args.database_url, pool_size=10) as db:
            async with db.connection() as conn:
                await migrate(conn)
            workspace_id = await PgWorkspaceStore(db).ensure_workspace("bench-hooks", "hooks")
            hooks = ManageWebhooks(PgWebhookStore(db, BOX), CheckedDestinations(policy))
            await hooks.add(workspace_id, f"http://127.0.0.1:{port}/hook", ["*"])
            async with webhook_session(policy) as session:
                send = DeliverWebhooks(
                    PgWebhookStore(db, BOX),
                    AiohttpWebhookPoster(session),
                    clock=utc_now,
                    outboxes=[PgThreadEventOutbox(db), PgCustomerEventOutbox(db)],
                )
                # A first round unmeasured: connections opened, statements prepared.
                await queue_sla_events(db, workspace_id, "warm", 200)
                await drain(send)
                await queue_sla_events(db, workspace_id, "measured", events)
                posted, seconds = await drain(send)
                print(f"{posted} SLA deliveries posted in {seconds:.2f} s")
                figures["sla_events_per_s"] = posted / seconds

                await ingest(db, workspace_id, conversations("many", args.threads, args.messages))
                posted, seconds = await drain(send)
                print(f"{posted} thread events of {args.threads} threads posted in {seconds:.2f} s")
                figures["thread_events_per_s"] = posted / seconds

                await ingest(db, workspace_id, conversations("one", 1, events - 1))
                posted, seconds = await drain(send)
                print(f"{posted} thread events of one thread posted in {seconds:.2f} s")
                figures["one_thread_events_per_s"] = posted / seconds

                # The customers of the "many" threads (the single thread's customer is one more).
                await edit_customers(db, workspace_id, args.messages + 1)
                posted, seconds = await drain(send)
                print(f"{posted} customer events posted in {seconds:.2f} s")
                figures["customer_events_per_s"] = posted / seconds
    finally:
        await runner.cleanup()
    print(f"{received} posts received")
    return figures


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=200)
    parser.add_argument("--messages", type=int, default=5, help="customer messages per thread")
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead")
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> None:
    figures = await run(args)
    print(f"sla_events_per_s: {figures['sla_events_per_s']:.0f}")
    print(f"thread_events_per_s: {figures['thread_events_per_s']:.0f}")
    print(f"one_thread_events_per_s: {figures['one_thread_events_per_s']:.0f}")
    print(f"customer_events_per_s: {figures['customer_events_per_s']:.0f}")
    ratio = figures["thread_events_per_s"] / figures["sla_events_per_s"]
    print(f"thread_to_sla_fanout_ratio: {ratio:.2f}")
    ratio = figures["customer_events_per_s"] / figures["sla_events_per_s"]
    print(f"customer_to_sla_fanout_ratio: {ratio:.2f}")


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
