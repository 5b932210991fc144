"""A Bluesky reply is posted exactly once even when the sending process is killed mid-send.

The account is connected with the real `inbox connect bluesky` (app password on standard
input) and a real `inbox worker` reads the complaint from the fake PDS on loopback. The fake
stores the reply at once but holds its answer; the test SIGKILLs the worker in that window,
so Bluesky has the reply and the database still says "sending". A second worker must find
the reply under the item's record key and record it, not post it again.
"""

from __future__ import annotations

import signal

import pytest

from connectors.bluesky.fake import FakeBluesky, FakeBlueskyServer
from inbox.domain.outbox import OutboxKind
from inbox.store.database import Database
from inbox.store.outbox import PgOutboxStore
from inbox.store.secret_box import SecretBox
from tests.e2e.worker_process import (
    reconciled_by_a_second_worker,
    run_inbox,
    running_worker,
    sent_once,
    until_posted,
    worker_env,
)
from tests.factories import allowed_hosts
from tests.waiting import eventually

pytestmark = pytest.mark.integration

BRAND = "acme.bsky.social"
CUSTOMER = "jo.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"
CREATE_RECORD = "com.atproto.repo.createRecord"


async def test_a_worker_killed_between_post_and_update_never_posts_twice(
    db: Database, database_dsn: str
) -> None:
    fake = FakeBluesky()
    fake.add_account(BRAND, "Acme Telecom", app_password=PASSWORD)
    fake.add_account(CUSTOMER, "Jo")
    complaint = fake.post(CUSTOMER, f"@{BRAND} my fibre is down")
    async with FakeBlueskyServer(fake) as server:
        env = worker_env(
            database_dsn,
            SecretBox.new_key(),
            INBOX_ALLOWED_INTERNAL_HOSTS=allowed_hosts(server.url),
        )
        connected = await run_inbox(
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
        store = PgOutboxStore(db)
        async with running_worker(env, stopped_by=signal.SIGKILL):

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
            await until_posted(fake.posted)
        fake.hold_answer(CREATE_RECORD, 0)
        await reconciled_by_a_second_worker(env, store, workspace_id, item.id)

    (reply,) = fake.posted
    assert fake.requests[CREATE_RECORD] == 1  # the second worker looked, it did not post
    assert reply.record["reply"]["parent"]["uri"] == complaint
    assert await sent_once(db, workspace_id, thread_id, item.id) == reply.uri


async def _thread(db: Database, thread_key: str) -> tuple[int, int]:
    async with db.connection() as conn:
        row = await conn.fetchrow(
            "SELECT workspace_id, id FROM thread WHERE thread_key = $1", thread_key
        )
    assert row is not None
    return int(row["workspace_id"]), int(row["id"])
