"""A post deleted on its network loses its text in the inbox: each connector, against its fake
server speaking the network's wire format, reports the deletion to ingestion, which empties
the message's text and raw payload and keeps its row, its thread and its clocks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from connectors.bluesky.poller import BlueskyPoller
from connectors.bluesky.xrpc import POSTS_PER_CALL
from connectors.common.stored_posts import StoredPostsCheck
from connectors.mastodon.api import STATUSES_PER_LOOKUP, MastodonApi
from connectors.mastodon.poller import MastodonPoller
from connectors.mastodon.stream import MastodonStream
from inbox.domain.clock import Clock, utc_now
from inbox.domain.network import Network
from inbox.store.connector_state import PgConnectorState
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.store.retention import PgHeldMessages
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.ingest import IngestMentions
from tests.integration.test_bluesky_connector import BRAND as BLUESKY_BRAND
from tests.integration.test_bluesky_connector import CUSTOMERS as BLUESKY_CUSTOMERS
from tests.integration.test_bluesky_connector import connected as bluesky_connected
from tests.integration.test_mastodon_connector import BRAND, build_world, connected
from tests.waiting import eventually
from tests.x_world import BRAND as X_BRAND
from tests.x_world import CUSTOMERS as X_CUSTOMERS
from tests.x_world import connected as x_connected

pytestmark = pytest.mark.integration

MESSAGE = """
SELECT body, raw::text AS raw, text_removed_reason, thread_id FROM mention
WHERE workspace_id = $1 AND network = $2 AND external_id = $3
"""
MENTIONS = "SELECT count(*) FROM mention WHERE workspace_id = $1"


def mastodon_check(
    db: Database, workspace_id: int, api: MastodonApi, clock: Clock
) -> StoredPostsCheck:
    return StoredPostsCheck(
        PgHeldMessages(db),
        workspace_id,
        "mastodon",
        api.present_statuses,
        per_call=STATUSES_PER_LOOKUP,
        clock=clock,
        ids_are_global=False,
    )


async def removed(db: Database, workspace_id: int, network: str, external_id: str) -> bool:
    row = await db.fetchrow(MESSAGE, workspace_id, network, external_id)
    return row is not None and row["text_removed_reason"] == "deleted_on_network"


async def test_a_mastodon_status_deleted_by_its_author_loses_its_text_through_the_stream(
    db: Database, workspace_id: int
) -> None:
    world = build_world(keepalive_seconds=0.2)
    fake, customers = world.fake, world.customers
    async with connected(db, workspace_id, world) as m:
        stream = MastodonStream(
            m.account, m.api, IngestMentions(PgIngestStore(db)), flush_seconds=0.1, sleep=m.sleeps
        )
        stop = asyncio.Event()
        running = asyncio.create_task(stream.run(stop))
        try:

            async def listening() -> bool:
                return fake.open_streams() == 1

            await eventually(listening, "the stream to connect")
            regretted = fake.post(customers[0], f"@{BRAND} my phone is 06 12 34 56 78")
            kept = fake.post(customers[1], f"@{BRAND} still no signal")

            async def stored() -> bool:
                return int(await db.fetchval(MENTIONS, workspace_id)) == 2

            await eventually(stored, "both mentions")
            fake.delete(regretted)
            await eventually(
                lambda: removed(db, workspace_id, "mastodon", regretted), "the deletion"
            )
        finally:
            stop.set()
            await running
    gone = await db.fetchrow(MESSAGE, workspace_id, "mastodon", regretted)
    assert gone is not None
    assert (gone["body"], gone["raw"]) == ("", "{}")
    assert gone["thread_id"] is not None
    still = await db.fetchrow(MESSAGE, workspace_id, "mastodon", kept)
    assert still is not None
    assert still["body"] == "@acme still no signal"
    assert stream.events.get("delete") == 1


async def test_a_mastodon_reply_whose_context_answers_404_is_stored_without_its_text(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as m:
        ann, bob, _ = m.world.customers
        parent = m.fake.post(ann, "the fibre is down again")
        reply = m.fake.post(bob, f"@{BRAND} same here", reply_to=parent)
        # The reply is listed, then deleted before its context is fetched: Mastodon's 404.
        m.fake.fail_next("context", 404)
        outcome = await m.poller.poll_mentions()
    assert outcome.added == 1
    assert await removed(db, workspace_id, "mastodon", reply)


async def test_an_x_tweet_deleted_since_it_was_stored_loses_its_text_when_a_reply_names_it(
    db: Database, workspace_id: int
) -> None:
    async with x_connected(db, workspace_id) as x:
        complaint = x.fake.post(X_CUSTOMERS[0], f"@{X_BRAND} my account number is 4412")
        await x.poller.poll_mentions()
        follow_up = x.fake.post(X_CUSTOMERS[0], f"@{X_BRAND} anyone there?", reply_to=complaint)
        # X answers the reply's expanded reference with a resource-not-found error.
        x.fake.delete(complaint)
        outcome = await x.poller.poll_mentions()
    assert outcome.added == 1
    assert await removed(db, workspace_id, "x", complaint)
    kept = await db.fetchrow(MESSAGE, workspace_id, "x", follow_up)
    assert kept is not None
    assert kept["body"] == f"@{X_BRAND} anyone there?"
    assert int(await db.fetchval(MENTIONS, workspace_id)) == 2


async def test_a_bluesky_post_found_deleted_up_a_thread_loses_its_text(
    db: Database, workspace_id: int
) -> None:
    async with bluesky_connected(db, workspace_id) as sky:
        fake = sky.fake
        first, second, third = BLUESKY_CUSTOMERS
        complaint = fake.post(first, f"@{BLUESKY_BRAND} my address is 3 rue des Lilas")
        await sky.poller.poll()
        aside = fake.post(second, "same for me", reply_to=complaint)
        fake.post(third, f"@{BLUESKY_BRAND} and here", reply_to=aside)
        # The thread of the new reply's missing parent ends on a notFoundPost.
        fake.delete(complaint)
        outcome = await sky.poller.poll()
    assert outcome.added == 2
    assert await removed(db, workspace_id, "bluesky", complaint)
    assert int(await db.fetchval(MENTIONS, workspace_id)) == 3


async def test_a_bluesky_parent_the_service_no_longer_finds_is_recorded_as_deleted(
    db: Database, workspace_id: int
) -> None:
    async with bluesky_connected(db, workspace_id) as sky:
        fake = sky.fake
        first, second, _ = BLUESKY_CUSTOMERS
        parent = fake.post(first, "no signal since noon")
        fake.post(second, f"@{BLUESKY_BRAND} here too", reply_to=parent)
        fake.delete(parent)  # getPostThread answers 400 NotFound
        await sky.poller.poll()
    recorded = await db.fetchval(
        "SELECT count(*) FROM network_deletion WHERE workspace_id = $1 AND external_id = $2",
        workspace_id,
        parent,
    )
    assert recorded == 1


async def test_a_bluesky_post_deleted_after_it_was_stored_is_found_gone_within_the_hour(
    db: Database, workspace_id: int
) -> None:
    start = utc_now()
    now = [start]
    async with bluesky_connected(db, workspace_id) as sky:
        check = StoredPostsCheck(
            PgHeldMessages(db),
            workspace_id,
            "bluesky",
            sky.api.present_posts,
            per_call=POSTS_PER_CALL,
            clock=lambda: now[0],
            ids_are_global=True,
        )
        poller = BlueskyPoller(
            sky.account,
            sky.api,
            IngestMentions(PgIngestStore(db)),
            PgConnectorState(db),
            deletions=check,
        )
        first, second, _ = BLUESKY_CUSTOMERS
        regretted = sky.fake.post(first, f"@{BLUESKY_BRAND} my card ends 4242")
        kept = sky.fake.post(second, f"@{BLUESKY_BRAND} no signal")
        await poller.poll()
        sky.fake.delete(regretted)
        now[0] = start + timedelta(minutes=30)
        await poller.poll()  # checked less than an hour ago: not asked yet
        assert not await removed(db, workspace_id, "bluesky", regretted)
        now[0] = start + timedelta(minutes=61)
        outcome = await poller.poll()
    assert outcome.requests >= 1
    assert await removed(db, workspace_id, "bluesky", regretted)
    assert not await removed(db, workspace_id, "bluesky", kept)


async def test_a_mastodon_status_deleted_while_no_stream_listens_is_found_gone_within_the_hour(
    db: Database, workspace_id: int
) -> None:
    start = utc_now()
    now = [start]
    async with connected(db, workspace_id) as m:
        poller = MastodonPoller(
            m.account,
            m.api,
            IngestMentions(PgIngestStore(db)),
            PgConnectorState(db),
            deletions=mastodon_check(db, workspace_id, m.api, lambda: now[0]),
        )
        ann, bob, _ = m.world.customers
        regretted = m.fake.post(ann, f"@{BRAND} my email is ann@example.com")
        kept = m.fake.post(bob, f"@{BRAND} no signal")
        await poller.poll_mentions()
        m.fake.delete(regretted)  # no stream open: the delete event reaches nobody
        now[0] = start + timedelta(minutes=30)
        await poller.poll_mentions()
        assert not await removed(db, workspace_id, "mastodon", regretted)
        now[0] = start + timedelta(minutes=61)
        await poller.poll_mentions()
    assert await removed(db, workspace_id, "mastodon", regretted)
    assert not await removed(db, workspace_id, "mastodon", kept)
    # Nothing was stored at the first poll; asked again only an hour after it.
    assert m.fake.requests.get("statuses") == 1


async def test_an_instance_without_the_statuses_lookup_takes_nothing_for_deleted(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as m:
        poller = MastodonPoller(
            m.account,
            m.api,
            IngestMentions(PgIngestStore(db)),
            PgConnectorState(db),
            deletions=mastodon_check(db, workspace_id, m.api, utc_now),
        )
        m.fake.post(m.world.customers[0], f"@{BRAND} hello")
        await poller.poll_mentions()
        poller_again = MastodonPoller(
            m.account,
            m.api,
            IngestMentions(PgIngestStore(db)),
            PgConnectorState(db),
            deletions=mastodon_check(db, workspace_id, m.api, utc_now),
        )
        m.fake.fail_next("statuses", 404)  # before Mastodon 4.3: no such route
        await poller_again.poll_mentions()
    assert m.fake.requests.get("statuses") == 1
    removed_count = await db.fetchval(
        "SELECT count(*) FROM mention WHERE workspace_id = $1 AND text_removed_at IS NOT NULL",
        workspace_id,
    )
    assert removed_count == 0


async def test_mastodon_statuses_are_not_asked_again_where_two_instances_hold_the_ids(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as m:
        await PgWorkspaceStore(db).configure_account(
            workspace_id, Network.MASTODON, "777", "acme_elsewhere", {"instance": m.server.url}
        )
        poller = MastodonPoller(
            m.account,
            m.api,
            IngestMentions(PgIngestStore(db)),
            PgConnectorState(db),
            deletions=mastodon_check(db, workspace_id, m.api, utc_now),
        )
        m.fake.post(m.world.customers[0], f"@{BRAND} hello")
        await m.poller.poll_mentions()
        await poller.poll_mentions()
    # Another account's ids are not this instance's: none is looked up, none taken for gone.
    assert m.fake.requests.get("statuses") is None
