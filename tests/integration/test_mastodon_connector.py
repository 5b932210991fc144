"""The Mastodon connector end to end: the fake instance over loopback HTTP, real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest
from pydantic import SecretStr

from connectors.mastodon.api import MastodonApi, mastodon_session
from connectors.mastodon.fake import FakeMastodon, FakeMastodonServer
from connectors.mastodon.outbound import MastodonOutboundChannel
from connectors.mastodon.poller import MastodonAccount, MastodonPoller
from connectors.mastodon.runner import MastodonAccountRunner
from inbox.domain.clock import utc_now
from inbox.domain.network import Network
from inbox.domain.outbox import DeliveryError, OutboxKind
from inbox.store.connector_state import PgApiUsageLedger, PgChannelHealthStore, PgConnectorState
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.store.outbox import PgOutboxStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.outbox import SendOutbox
from inbox.usecases.sla import KeepClocks
from tests.factories import allowing
from tests.waiting import Sleeps

pytestmark = pytest.mark.integration

BRAND = "acme"
BRAND_TOKEN = "brand-token"
MENTIONS = "SELECT count(*) FROM mention WHERE workspace_id = $1"
QUARANTINED = "SELECT count(*) FROM quarantine WHERE workspace_id = $1"


@dataclass
class World:
    fake: FakeMastodon
    brand: str
    customers: list[str]


def build_world(keepalive_seconds: float = 15.0) -> World:
    fake = FakeMastodon(keepalive_seconds=keepalive_seconds)
    brand = fake.add_account(BRAND, "Acme Telecom", token=BRAND_TOKEN)
    customers = [
        fake.add_account("ann", "Ann", domain="other.example", followers=120),
        fake.add_account("bob", "Bob"),
        fake.add_account("chloe", "Chloé", domain="mastodon.example"),
    ]
    return World(fake, brand, customers)


@dataclass
class Connected:
    world: World
    server: FakeMastodonServer
    session: aiohttp.ClientSession
    api: MastodonApi
    account: MastodonAccount
    poller: MastodonPoller
    sleeps: Sleeps

    @property
    def fake(self) -> FakeMastodon:
        return self.world.fake


@asynccontextmanager
async def connected(
    db: Database, workspace_id: int, world: World | None = None, *, page_size: int = 80
) -> AsyncIterator[Connected]:
    world = world or build_world()
    async with (
        FakeMastodonServer(world.fake) as server,
        mastodon_session(allowing(server.url)) as session,
    ):
        account_id = await PgWorkspaceStore(db).configure_account(
            workspace_id, Network.MASTODON, world.brand, BRAND, {"instance": server.url}
        )
        account = MastodonAccount(workspace_id, account_id, server.url, world.brand, BRAND)
        sleeps = Sleeps()
        api = MastodonApi(server.url, SecretStr(BRAND_TOKEN), session, clock=utc_now, sleep=sleeps)
        ingest = IngestMentions(PgIngestStore(db), hooks=[KeepClocks()])
        poller = MastodonPoller(account, api, ingest, PgConnectorState(db), page_size=page_size)
        yield Connected(world, server, session, api, account, poller, sleeps)


def runner_for(m: Connected, db: Database) -> MastodonAccountRunner:
    return MastodonAccountRunner(
        m.poller, m.api, PgApiUsageLedger(db), PgChannelHealthStore(db), clock=utc_now
    )


async def count(db: Database, query: str, workspace_id: int) -> int:
    return int(await db.fetchval(query, workspace_id))


async def only_thread(db: Database, workspace_id: int) -> int:
    return int(await db.fetchval("SELECT id FROM thread WHERE workspace_id = $1", workspace_id))


class _Only:
    def __init__(self, channel: MastodonOutboundChannel) -> None:
        self._channel = channel

    async def for_account(
        self, workspace_id: int, account_id: int | None
    ) -> MastodonOutboundChannel:
        return self._channel


def sender_for(m: Connected, db: Database, *, later: float = 1.0) -> SendOutbox:
    return SendOutbox(
        PgOutboxStore(db),
        _Only(MastodonOutboundChannel(m.account, m.api, utc_now)),
        IngestMentions(PgIngestStore(db)),
        clock=lambda: utc_now() + timedelta(seconds=later),
    )


# -- reading ---------------------------------------------------------------------------------


async def test_polls_store_each_mention_once_across_polls_and_restarts(
    db: Database, workspace_id: int
) -> None:
    world = build_world()
    fake, customers = world.fake, world.customers
    async with connected(db, workspace_id, world, page_size=20) as m:
        fake.steady(customers, f"@{BRAND} my line is down", 30)
        first = await m.poller.poll_mentions()
        assert first.added == 20  # the first poll reads the newest page only
        fake.steady(customers, f"@{BRAND} still down", 75)
        second = await m.poller.poll_mentions()
        assert (second.added, second.requests) == (75, 4)
    async with connected(db, workspace_id, world, page_size=20) as restarted:
        fake.steady(customers, f"@{BRAND} and now?", 5)
        assert (await restarted.poller.poll_mentions()).added == 5
        assert (await restarted.poller.poll_mentions()).added == 0
    assert await count(db, MENTIONS, workspace_id) == 100


async def test_a_poll_capped_at_its_pages_leaves_the_rest_for_the_next_poll(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id, page_size=10) as m:
        m.fake.post(m.world.customers[0], f"@{BRAND} first")
        await m.poller.poll_mentions()
        m.fake.steady(m.world.customers, f"@{BRAND} busy day", 130)
        capped = await m.poller.poll_mentions()
        rest = await m.poller.poll_mentions()
    assert (capped.added, capped.truncated) == (100, True)
    assert (rest.added, rest.truncated) == (30, False)
    assert await count(db, MENTIONS, workspace_id) == 131


async def test_a_reply_brings_its_missing_ancestors_into_one_thread(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as m:
        ann, bob, _ = m.world.customers
        root = m.fake.post(ann, "no internet in Lyon since 8am")
        middle = m.fake.post(bob, "@ann same in Villeurbanne", reply_to=root)
        m.fake.post(ann, f"@bob @{BRAND} any news?", reply_to=middle)
        outcome = await m.poller.poll_mentions()
    assert outcome.added == 3
    threads = await db.fetchval(
        "SELECT count(DISTINCT thread_id) FROM mention WHERE workspace_id = $1", workspace_id
    )
    assert threads == 1


async def test_html_is_stored_as_plain_text_and_direct_mentions_are_private(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as m:
        ann = m.world.customers[0]
        text = f"@{BRAND} <b>bill</b> & fees\nsee https://example.com/a"
        m.fake.post(ann, text, visibility="direct")
        await m.poller.poll_mentions()
    async with db.connection() as conn:
        row = await conn.fetchrow(
            "SELECT m.body, m.private, t.private AS private_thread FROM mention m"
            " JOIN thread t ON t.workspace_id = m.workspace_id AND t.id = m.thread_id"
            " WHERE m.workspace_id = $1",
            workspace_id,
        )
    assert row is not None
    assert row["body"] == f"@{BRAND} <b>bill</b> & fees\nsee https://example.com/a"
    assert row["private"] is True
    assert row["private_thread"] is True  # never offered to the community


async def test_a_429_storm_waits_for_the_reset_and_loses_nothing(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as m:
        m.fake.steady(m.world.customers, f"@{BRAND} down", 12)
        m.fake.rate_limit_storm("notifications", 3, reset_after_seconds=60)
        outcome = await m.poller.poll_mentions()
    assert outcome.added == 12
    waits = [seconds for seconds in m.sleeps.seconds if seconds > 0]
    assert len(waits) == 3  # one wait for the reset per 429, none stacked on top
    assert all(55 <= waited <= 62 for waited in waits)


async def test_server_errors_are_retried_with_backoff(db: Database, workspace_id: int) -> None:
    async with connected(db, workspace_id) as m:
        m.fake.steady(m.world.customers, f"@{BRAND} down", 5)
        m.fake.fail_next("notifications", 503, 2)
        outcome = await m.poller.poll_mentions()
    assert outcome.added == 5
    assert len([seconds for seconds in m.sleeps.seconds if seconds > 0]) == 2


async def test_a_malformed_notification_is_quarantined_with_its_error_and_the_rest_stored(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as m:
        m.fake.steady(m.world.customers, f"@{BRAND} down", 10)
        m.fake.malformed_next("notifications", "missing_created_at")
        outcome = await m.poller.poll_mentions()
    assert (outcome.added, outcome.quarantined) == (9, 1)
    error = await db.fetchval("SELECT error FROM quarantine WHERE workspace_id = $1", workspace_id)
    assert "status.created_at" in error


async def test_a_page_that_is_not_json_is_quarantined_and_read_again(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as m:
        m.fake.post(m.world.customers[0], f"@{BRAND} first")
        await m.poller.poll_mentions()
        m.fake.steady(m.world.customers, f"@{BRAND} down", 10)
        m.fake.malformed_next("notifications", "invalid_json")
        broken = await m.poller.poll_mentions()
        again = await m.poller.poll_mentions()
    assert (broken.added, broken.quarantined) == (0, 1)
    assert again.added == 10  # the cursor did not move past the broken page


async def test_deleted_statuses_and_other_notifications_are_skipped(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as m:
        ann, bob, _ = m.world.customers
        gone = m.fake.post(ann, f"@{BRAND} oops")
        m.fake.delete(gone)
        m.fake.notify(m.world.brand, "favourite", bob)
        m.fake.post(bob, f"@{BRAND} hello")
        outcome = await m.poller.poll_mentions()
    assert (outcome.added, outcome.skipped, outcome.quarantined) == (1, 1, 0)


async def test_the_runner_keeps_health_and_raises_degraded_once_and_recovered_once(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as m:
        runner = runner_for(m, db)
        m.fake.fail_next("notifications", 403, 6)
        for _ in range(7):
            await runner.tick()
    async with db.connection() as conn:
        events = await conn.fetch(
            "SELECT kind, reason FROM channel_event WHERE workspace_id = $1 ORDER BY id",
            workspace_id,
        )
        stored = await conn.fetchval(
            "SELECT health FROM channel_health WHERE workspace_id = $1", workspace_id
        )
    assert [e["kind"] for e in events] == ["channel_degraded", "channel_recovered"]
    assert "5 polls failed in a row" in events[0]["reason"]
    assert BRAND_TOKEN not in stored
    assert "rate_limit_remaining" in stored


# -- replying --------------------------------------------------------------------------------


async def test_a_reply_is_posted_addressed_in_the_thread_and_recorded_outbound(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as m:
        complaint = m.fake.post(m.world.customers[0], f"@{BRAND} my fibre is down")
        await m.poller.poll_mentions()
        thread_id = await only_thread(db, workspace_id)
        await PgOutboxStore(db).enqueue(
            workspace_id, thread_id, OutboxKind.REPLY, "r1", "Sorry! Which town?",
            in_reply_to=complaint,
        )  # fmt: skip
        report = await sender_for(m, db).run_once()
        (posted,) = m.fake.posted
    assert report.sent == 1
    assert posted.in_reply_to_id == complaint
    assert posted.text == "@ann@other.example Sorry! Which town?"
    assert posted.visibility == "public"
    outbound = await db.fetchval(
        "SELECT count(*) FROM mention WHERE workspace_id = $1 AND direction = 'outbound' "
        "AND thread_id = $2",
        workspace_id,
        thread_id,
    )
    assert outbound == 1


async def test_a_reply_to_a_direct_mention_is_direct(db: Database, workspace_id: int) -> None:
    async with connected(db, workspace_id) as m:
        complaint = m.fake.post(
            m.world.customers[1], f"@{BRAND} my account number is 1234", visibility="direct"
        )
        await m.poller.poll_mentions()
        thread_id = await only_thread(db, workspace_id)
        await PgOutboxStore(db).enqueue(
            workspace_id, thread_id, OutboxKind.REPLY, "r1", "Thanks, fixed.",
            in_reply_to=complaint,
        )  # fmt: skip
        await sender_for(m, db).run_once()
        (posted,) = m.fake.posted
    assert posted.visibility == "direct"
    assert posted.text == "@bob Thanks, fixed."


async def test_a_reply_whose_answer_was_lost_is_found_not_posted_again(
    db: Database, workspace_id: int
) -> None:
    """The post reached Mastodon but its answer never came back (a timeout): the retry finds
    the reply among the account's statuses and records it."""
    async with connected(db, workspace_id) as m:
        complaint = m.fake.post(m.world.customers[2], f"@{BRAND} help")
        await m.poller.poll_mentions()
        thread_id = await only_thread(db, workspace_id)
        store = PgOutboxStore(db)
        item = await store.enqueue(
            workspace_id, thread_id, OutboxKind.REPLY, "r1", "On it.", in_reply_to=complaint
        )
        m.fake.hold_answer("post_status", 60)
        hurried = MastodonApi(
            m.server.url,
            SecretStr(BRAND_TOKEN),
            m.session,
            clock=utc_now,
            timeout=aiohttp.ClientTimeout(total=0.5),
        )
        with pytest.raises(DeliveryError) as lost:
            await MastodonOutboundChannel(m.account, hurried, utc_now).send(item)
        assert not lost.value.permanent
        m.fake.hold_answer("post_status", 0)
        claimed = (await store.claim_due(utc_now(), 10, timedelta(seconds=0)))[0]
        await store.retry_later(claimed, "lost", utc_now())
        report = await sender_for(m, db, later=5).run_once()
        (posted,) = m.fake.posted
    assert (report.sent, report.reconciled) == (0, 1)
    done = await store.get(workspace_id, item.id)
    assert done is not None
    assert done.sent_external_id == posted.id


async def test_the_idempotency_key_makes_a_repeated_post_return_the_first_status(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as m:
        complaint = m.fake.post(m.world.customers[0], f"@{BRAND} help")
        await m.poller.poll_mentions()
        item = await PgOutboxStore(db).enqueue(
            workspace_id, await only_thread(db, workspace_id), OutboxKind.REPLY, "r1", "Hello",
            in_reply_to=complaint,
        )  # fmt: skip
        channel = MastodonOutboundChannel(m.account, m.api, utc_now)
        first = await channel.send(item)
        second = await channel.send(item)
        assert len(m.fake.posted) == 1
    assert first.external_id == second.external_id


async def test_a_reply_to_a_deleted_status_fails_for_good_with_the_reason(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as m:
        complaint = m.fake.post(m.world.customers[0], f"@{BRAND} help")
        await m.poller.poll_mentions()
        m.fake.delete(complaint)
        item = await PgOutboxStore(db).enqueue(
            workspace_id, await only_thread(db, workspace_id), OutboxKind.REPLY, "r1", "Hi",
            in_reply_to=complaint,
        )  # fmt: skip
        with pytest.raises(DeliveryError) as refused:
            await MastodonOutboundChannel(m.account, m.api, utc_now).send(item)
    assert refused.value.permanent
    assert "deleted" in refused.value.reason
