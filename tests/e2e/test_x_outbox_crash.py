"""A reply is posted exactly once even when the sending process is killed mid-send.

A real `inbox worker` process sends through the fake X API (TLS on loopback). The fake takes
the post at once but holds its answer; the test SIGKILLs the worker in that window, so X has
the reply and the database still says "sending". A second worker must find the reply among
the account's posts and record it, not post it again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from connectors.x.fake import FakeXServer
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.store.credentials import PgCredentialStore
from inbox.store.database import Database
from inbox.store.outbox import PgOutboxStore
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore
from tests.e2e.worker_process import killed_mid_send, queued_reply, sent_once, worker_env
from tests.x_world import (
    ACCESS_TOKEN,
    BEARER,
    BRAND,
    BRAND_ID,
    CONSUMER_KEY,
    CREDENTIALS,
    CUSTOMERS,
    build_world,
    utc_now,
)

pytestmark = pytest.mark.integration


async def test_a_worker_killed_between_post_and_update_never_posts_twice(
    db: Database, database_dsn: str, tmp_path: Path
) -> None:
    fake = build_world()
    complaint = fake.post(CUSTOMERS[0], f"@{BRAND} my fibre is down")
    key = SecretBox.new_key()
    async with FakeXServer(
        fake, bearer_token=BEARER, consumer_key=CONSUMER_KEY, access_token=ACCESS_TOKEN
    ) as server:
        ca_file = tmp_path / "fake-x-ca.pem"
        server.ca.cert_pem.write_to_path(str(ca_file))
        workspace_id = await PgWorkspaceStore(db).ensure_workspace("default", "default")
        account_id = await PgWorkspaceStore(db).configure_account(
            workspace_id, Network.X, BRAND_ID, BRAND, {"poll_mentions_seconds": 600}
        )
        await PgCredentialStore(db, SecretBox(SecretStr(key))).replace(
            workspace_id, account_id, CREDENTIALS.as_mapping()
        )
        written = Mention(
            network=Network.X,
            external_id=complaint,
            author=Author(external_id=CUSTOMERS[0]),
            text="my fibre is down",
            created_at=utc_now(),
            conversation_key=complaint,
        )
        thread_id, item = await queued_reply(db, workspace_id, written, "Sorry, DM us")
        store = PgOutboxStore(db)

        env = worker_env(
            database_dsn,
            key,
            INBOX_X_API_ADDRESS=f"127.0.0.1:{server.port}",
            INBOX_X_API_CA_FILE=str(ca_file),
        )
        fake.hold_answer("create_tweet", 60)
        await killed_mid_send(
            env,
            fake.posted,
            lambda: fake.hold_answer("create_tweet", 0),
            store,
            workspace_id,
            item.id,
        )

    (reply,) = fake.posted
    assert await sent_once(db, workspace_id, thread_id, item.id) == reply.id
