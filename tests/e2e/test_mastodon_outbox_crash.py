"""A Mastodon reply is posted exactly once even when the sending process is killed mid-send.

A real `inbox worker` process sends through the fake Mastodon instance (HTTP on loopback). The
fake makes the status at once but holds its answer; the test SIGKILLs the worker in that
window, so Mastodon has the reply and the database still says "sending". The instance then
forgets the Idempotency-Key (it keeps them an hour), so only the look-up can save us: a second
worker must find the reply among the account's statuses and record it, not post it again.
"""

from __future__ import annotations

import pytest

from connectors.mastodon.fake import FakeMastodon, FakeMastodonServer
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.store.database import Database
from inbox.store.outbox import PgOutboxStore
from inbox.store.secret_box import SecretBox
from tests.e2e.worker_process import (
    killed_mid_send,
    mastodon_account,
    queued_reply,
    sent_once,
    worker_env,
)
from tests.factories import allowed_hosts
from tests.integration.test_mastodon_connector import utc_now

pytestmark = pytest.mark.integration

TOKEN = "brand-token"


async def test_a_worker_killed_between_post_and_update_never_posts_twice(
    db: Database, database_dsn: str
) -> None:
    fake = FakeMastodon()
    brand = fake.add_account("acme", "Acme", token=TOKEN)
    customer = fake.add_account("ann", domain="other.example")
    complaint = fake.post(customer, "@acme my fibre is down")
    key = SecretBox.new_key()
    async with FakeMastodonServer(fake) as server:
        workspace_id, _ = await mastodon_account(
            db, key, server.url, brand, TOKEN, poll_seconds=600
        )
        written = Mention(
            network=Network.MASTODON,
            external_id=complaint,
            author=Author(external_id=customer, handle="ann@other.example"),
            text="@acme my fibre is down",
            created_at=utc_now(),
        )
        thread_id, item = await queued_reply(db, workspace_id, written, "Sorry, DM us")
        store = PgOutboxStore(db)

        env = worker_env(database_dsn, key, INBOX_ALLOWED_INTERNAL_HOSTS=allowed_hosts(server.url))
        fake.hold_answer("post_status", 60)

        def answer_again() -> None:
            fake.hold_answer("post_status", 0)
            fake.idempotency.clear()  # more than an hour later, as far as the instance knows

        await killed_mid_send(env, fake.posted, answer_again, store, workspace_id, item.id)

    (reply,) = fake.posted
    assert reply.text == "@ann@other.example Sorry, DM us"
    assert await sent_once(db, workspace_id, thread_id, item.id) == reply.id
