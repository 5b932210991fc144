"""A Bluesky reply is posted exactly once even when the sending process is killed mid-send.

The account is connected with the real `inbox connect bluesky` (app password on standard
input) and a real `inbox worker` reads the complaint from the fake PDS on loopback. The fake
stores the reply at once but holds its answer; the test SIGKILLs the worker in that window,
so Bluesky has the reply and the database still says "sending". A second worker must find
the reply under the item's record key and record it, not post it again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable

import pytest

from connectors.bluesky.fake import FakeBluesky, FakeBlueskyServer
from inbox.domain.outbox import OutboxKind
from inbox.store.database import Database
from inbox.store.outbox import PgOutboxStore
from inbox.store.secret_box import SecretBox

pytestmark = pytest.mark.integration

BRAND = "acme.bsky.social"
CUSTOMER = "jo.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"
CREATE_RECORD = "com.atproto.repo.createRecord"


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 60) -> None:
    for _ in range(int(seconds * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def inbox(env: dict[str, str], *args: str, stdin: bytes | None = None) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inbox.cli",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(stdin)
    assert process.returncode == 0, err.decode()
    return out.decode()


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


async def test_a_worker_killed_between_post_and_update_never_posts_twice(
    db: Database, database_dsn: str
) -> None:
    fake = FakeBluesky()
    fake.add_account(BRAND, "Acme Telecom", app_password=PASSWORD)
    fake.add_account(CUSTOMER, "Jo")
    complaint = fake.post(CUSTOMER, f"@{BRAND} my fibre is down")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env.update(
        DATABASE_URL=database_dsn,
        INBOX_SECRET_KEY=SecretBox.new_key(),
        INBOX_OUTBOX_LEASE_SECONDS="1",
    )
    async with FakeBlueskyServer(fake) as server:
        connected = await inbox(
            env,
            "connect",
            "bluesky",
            "--handle",
            BRAND,
            "--service",
            server.url,
            stdin=f"{PASSWORD}\n".encode(),
        )
        assert fake.did_of(BRAND) in connected
        assert PASSWORD not in connected

        fake.hold_answer(CREATE_RECORD, 60)
        first = await start_worker(env)
        store = PgOutboxStore(db)
        try:

            async def complaint_read() -> bool:
                return bool(
                    await db.fetchval(
                        "SELECT count(*) FROM thread WHERE thread_key = $1", complaint
                    )
                )

            await eventually(complaint_read, "the worker to read the complaint")
            workspace_id, thread_id = await _thread(db, complaint)
            item = await store.enqueue(
                workspace_id, thread_id, OutboxKind.REPLY, "r1", "Sorry, we are on it"
            )

            async def posted() -> bool:
                return len(fake.posted) == 1

            await eventually(posted, "the worker to post the reply")
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        fake.hold_answer(CREATE_RECORD, 0)
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
    assert fake.requests[CREATE_RECORD] == 1  # the second worker looked, it did not post
    assert reply.record["reply"]["parent"]["uri"] == complaint
    done = await store.get(workspace_id, item.id)
    assert done is not None
    assert done.sent_external_id == reply.uri
    outbound = await db.fetchval(
        "SELECT count(*) FROM mention WHERE workspace_id = $1 AND thread_id = $2 "
        "AND direction = 'outbound'",
        workspace_id,
        thread_id,
    )
    assert outbound == 1


async def _thread(db: Database, thread_key: str) -> tuple[int, int]:
    async with db.connection() as conn:
        row = await conn.fetchrow(
            "SELECT workspace_id, id FROM thread WHERE thread_key = $1", thread_key
        )
    assert row is not None
    return int(row["workspace_id"]), int(row["id"])
