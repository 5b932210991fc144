"""A reply to a Facebook comment is posted exactly once even when the sender is killed mid-send.

A real `inbox worker` process sends through the fake Graph API on loopback. The fake takes the
reply at once but holds its answer; the test SIGKILLs the worker in that window, so Facebook
has the reply and the database still says "sending". A second worker must find the reply
among the comment's replies and record it, not post it again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from connectors.common.egress import CheckedDestinations
from connectors.meta.fake import FakeGraphServer, FakeMeta
from connectors.meta.normalise import facebook_comment
from inbox.store.database import Database
from inbox.store.inbound_webhooks import PgInboundSourceStore
from inbox.store.outbox import PgOutboxStore
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.inbound_webhooks import ManageWebhookSources
from tests.e2e.worker_process import killed_mid_send, queued_reply, sent_once, worker_env
from tests.factories import allowed_hosts, allowing

pytestmark = pytest.mark.integration


async def test_a_worker_killed_between_post_and_record_never_replies_twice(
    db: Database, database_dsn: str
) -> None:
    fake = FakeMeta()
    comment = fake.facebook_comment("5001", "Jane Doe", "My fibre is down")
    key = SecretBox.new_key()
    async with FakeGraphServer(fake) as graph:
        workspace_id = await PgWorkspaceStore(db).ensure_workspace("default", "default")
        source = await ManageWebhookSources(
            PgInboundSourceStore(db, SecretBox(SecretStr(key))),
            CheckedDestinations(allowing(graph.base_url)),
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
        thread_id, item = await queued_reply(
            db,
            workspace_id,
            facebook_comment(value, fake.page_id),
            "Sorry Jane, a technician is coming",
        )
        store = PgOutboxStore(db)
        assert item.account_id == source.facebook_account_id

        env = worker_env(
            database_dsn, key, INBOX_ALLOWED_INTERNAL_HOSTS=allowed_hosts(graph.base_url)
        )
        fake.hold_seconds = 60

        def answer_again() -> None:
            fake.hold_seconds = 0

        await killed_mid_send(env, fake.posted, answer_again, store, workspace_id, item.id)

    (reply,) = fake.posted
    assert reply.top_level == comment.id
    assert reply.created_at <= datetime.now(UTC)
    assert await sent_once(db, workspace_id, thread_id, item.id) == reply.id
