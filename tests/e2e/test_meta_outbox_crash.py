"""A reply to a Facebook comment is posted exactly once even when the sender is killed mid-send.

A real `inbox worker` process sends through the fake Graph API on loopback. The fake takes the
reply at once but holds its answer; the test SIGKILLs the worker in that window, so Facebook
has the reply and the database still says "sending". A second worker must find the reply
among the comment's replies and record it, not post it again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from connectors.meta.fake import FakeGraphServer, FakeMeta
from connectors.meta.normalise import facebook_comment
from inbox.domain.ingestion import IngestBatch
from inbox.domain.outbox import OutboxKind
from inbox.store.database import Database
from inbox.store.inbound_webhooks import PgInboundSourceStore
from inbox.store.ingest import PgIngestStore
from inbox.store.outbox import PgOutboxStore
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.inbound_webhooks import ManageWebhookSources
from inbox.usecases.ingest import IngestMentions

pytestmark = pytest.mark.integration


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 60) -> None:
    for _ in range(int(seconds * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def start_worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inbox.cli",
        "worker",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_a_worker_killed_between_post_and_record_never_replies_twice(
    db: Database, database_dsn: str
) -> None:
    fake = FakeMeta()
    comment = fake.facebook_comment("5001", "Jane Doe", "My fibre is down")
    key = SecretBox.new_key()
    async with FakeGraphServer(fake) as graph:
        workspace_id = await PgWorkspaceStore(db).ensure_workspace("default", "default")
        source = await ManageWebhookSources(
            PgInboundSourceStore(db, SecretBox(SecretStr(key)))
        ).add_meta(
            workspace_id,
            "meta",
            app_secret=SecretStr("0123456789abcdef0123456789abcdef"),
            verify_token=SecretStr("let-me-in-please"),
            access_token=SecretStr(fake.access_token),
            graph_url=graph.base_url,
            page=(fake.page_id, fake.page_name),
            instagram=None,
        )
        value = fake.notification(comment)["entry"][0]["changes"][0]["value"]
        await IngestMentions(PgIngestStore(db))(
            workspace_id, IngestBatch([facebook_comment(value, fake.page_id)])
        )
        thread_id = int(
            await db.fetchval("SELECT id FROM thread WHERE workspace_id = $1", workspace_id)
        )
        store = PgOutboxStore(db)
        item = await store.enqueue(
            workspace_id, thread_id, OutboxKind.REPLY, "r1", "Sorry Jane, a technician is coming"
        )
        assert item.account_id == source.facebook_account_id

        env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
        env.update(DATABASE_URL=database_dsn, INBOX_SECRET_KEY=key, INBOX_OUTBOX_LEASE_SECONDS="1")
        fake.hold_seconds = 60
        first = await start_worker(env)
        try:

            async def posted() -> bool:
                return len(fake.posted) == 1

            await eventually(posted, "the worker to post the reply")
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        fake.hold_seconds = 0
        claimed = await store.get(workspace_id, item.id)
        assert claimed is not None
        assert claimed.status.value == "sending"

        second = await start_worker(env)
        try:

            async def sent() -> bool:
                current = await store.get(workspace_id, item.id)
                return current is not None and current.status.value == "sent"

            await eventually(sent, "the second worker to reconcile the reply")
        finally:
            second.send_signal(signal.SIGTERM)
            await second.wait()

    (reply,) = fake.posted
    assert reply.top_level == comment.id
    assert reply.created_at <= datetime.now(UTC)
    done = await store.get(workspace_id, item.id)
    assert done is not None
    assert done.sent_external_id == reply.id
    outbound = await db.fetchval(
        "SELECT count(*) FROM mention WHERE workspace_id = $1 AND thread_id = $2 "
        "AND direction = 'outbound'",
        workspace_id,
        thread_id,
    )
    assert outbound == 1
