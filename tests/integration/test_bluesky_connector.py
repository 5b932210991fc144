"""The Bluesky connector end to end: the fake PDS over loopback HTTP, real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg
import pytest
from pydantic import SecretStr

from connectors.bluesky.fake import FakeBluesky, FakeBlueskyServer
from connectors.bluesky.outbound import BlueskyOutboundChannel
from connectors.bluesky.poller import BlueskyAccount, BlueskyPoller
from connectors.bluesky.runner import BlueskyAccountRunner
from connectors.bluesky.xrpc import (
    AuthenticationFailed,
    BlueskyApi,
    BlueskyCredentials,
    bluesky_session,
)
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

BRAND = "acme.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"
CUSTOMERS = ("customer0.bsky.social", "customer1.bsky.social", "customer2.bsky.social")
MENTIONS = "SELECT count(*) FROM mention WHERE workspace_id = $1"
QUARANTINED = "SELECT count(*) FROM quarantine WHERE workspace_id = $1"


def build_world() -> FakeBluesky:
    fake = FakeBluesky()
    fake.add_account(BRAND, "Acme Telecom", app_password=PASSWORD)
    for number, handle in enumerate(CUSTOMERS):
        fake.add_account(handle, f"Customer {number}")
    return fake


@dataclass
class Connected:
    fake: FakeBluesky
    server: FakeBlueskyServer
    api: BlueskyApi
    account: BlueskyAccount
    poller: BlueskyPoller
    sleeps: Sleeps


@asynccontextmanager
async def serving(
    fake: FakeBluesky,
) -> AsyncIterator[tuple[FakeBlueskyServer, aiohttp.ClientSession]]:
    async with (
        FakeBlueskyServer(fake) as server,
        bluesky_session(allowing(server.url)) as session,
    ):
        yield server, session


async def connect(
    db: Database,
    workspace_id: int,
    fake: FakeBluesky,
    server: FakeBlueskyServer,
    session: aiohttp.ClientSession,
    *,
    password: str = PASSWORD,
    page_size: int = 100,
    max_pages: int = 10,
) -> Connected:
    did = fake.did_of(BRAND)
    account_id = await PgWorkspaceStore(db).configure_account(
        workspace_id, Network.BLUESKY, did, BRAND, {"service": server.url}
    )
    account = BlueskyAccount(workspace_id, account_id, did, BRAND)
    sleeps = Sleeps()
    api = BlueskyApi(
        server.url,
        BRAND,
        BlueskyCredentials(SecretStr(password)),
        session,
        clock=fake.clock,
        sleep=sleeps,
    )
    ingest = IngestMentions(PgIngestStore(db), hooks=[KeepClocks()])
    poller = BlueskyPoller(
        account, api, ingest, PgConnectorState(db), page_size=page_size, max_pages=max_pages
    )
    return Connected(fake, server, api, account, poller, sleeps)


@asynccontextmanager
async def connected(
    db: Database,
    workspace_id: int,
    fake: FakeBluesky | None = None,
    *,
    password: str = PASSWORD,
    page_size: int = 100,
    max_pages: int = 10,
) -> AsyncIterator[Connected]:
    world = fake or build_world()
    async with serving(world) as (server, session):
        yield await connect(
            db,
            workspace_id,
            world,
            server,
            session,
            password=password,
            page_size=page_size,
            max_pages=max_pages,
        )


def mention_brand(fake: FakeBluesky, count: int, text: str = "my line is down") -> list[str]:
    return [fake.post(CUSTOMERS[n % 3], f"@{BRAND} {text} ({n})") for n in range(count)]


async def fetch(db: Database, query: str, *args: object) -> list[asyncpg.Record]:
    async with db.connection() as conn:
        return list(await conn.fetch(query, *args))


async def count(db: Database, query: str, workspace_id: int) -> int:
    return int(await db.fetchval(query, workspace_id))


# -- reading -----------------------------------------------------------------------------


async def test_notifications_are_stored_once_across_polls_and_restarts(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    mention_brand(fake, 40)
    async with connected(db, workspace_id, fake) as bsky:
        first = await bsky.poller.poll()
        mention_brand(fake, 150, "still down")
        second = await bsky.poller.poll()
    async with connected(db, workspace_id, fake) as restarted:
        again = await restarted.poller.poll()
    assert (first.added, second.added) == (40, 150)
    assert second.requests == 2  # two pages of 100 down to the position, no further
    # The restarted poller reads nothing it already had: no mention is even handed over.
    assert (again.added, again.reads) == (0, 0)
    assert await count(db, MENTIONS, workspace_id) == 190


async def test_a_burst_larger_than_one_poll_is_caught_up_without_loss(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    mention_brand(fake, 5)
    async with connected(db, workspace_id, fake, page_size=10, max_pages=2) as bsky:
        await bsky.poller.poll()
        mention_brand(fake, 55, "burst")
        behind = await bsky.poller.poll()
        mention_brand(fake, 7, "while catching up")
        polls = 0
        outcome = behind
        while outcome.behind:
            outcome = await bsky.poller.poll()
            polls += 1
            assert polls < 20
    assert behind.behind
    assert behind.added == 20  # two pages of ten: the rest is remembered, not skipped
    assert await count(db, MENTIONS, workspace_id) == 67


async def test_an_account_without_notifications_at_first_reads_all_that_arrive_later(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    async with connected(db, workspace_id, fake, page_size=10, max_pages=2) as bsky:
        empty = await bsky.poller.poll()
        mention_brand(fake, 35)
        outcome = await bsky.poller.poll()
        for _ in range(10):
            if not outcome.behind:
                break
            outcome = await bsky.poller.poll()
    assert empty.added == 0
    assert not outcome.behind
    assert await count(db, MENTIONS, workspace_id) == 35


async def test_a_reply_brings_its_missing_ancestors_into_one_thread(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    root = fake.post(CUSTOMERS[0], "no internet in Lyon since 8am")
    middle = fake.post(CUSTOMERS[1], "same here", reply_to=root)
    fake.post(CUSTOMERS[2], f"@{BRAND} and here, any news?", reply_to=middle)
    async with connected(db, workspace_id, fake) as bsky:
        outcome = await bsky.poller.poll()
    assert outcome.added == 3
    rows = await fetch(
        db,
        "SELECT external_id, in_reply_to, thread_id FROM mention WHERE workspace_id = $1",
        workspace_id,
    )
    assert {row["external_id"] for row in rows} == set(fake.posts)
    assert len({row["thread_id"] for row in rows}) == 1
    threads = await db.fetchval(
        "SELECT thread_key FROM thread WHERE workspace_id = $1", workspace_id
    )
    assert threads == root  # the thread is keyed by the conversation's root post


async def test_a_reply_to_the_brand_is_threaded_under_the_brands_post(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    announcement = fake.post(BRAND, "Maintenance tonight from 1am to 3am")
    fake.post(CUSTOMERS[0], "will the TV work during it?", reply_to=announcement)
    async with connected(db, workspace_id, fake) as bsky:
        outcome = await bsky.poller.poll()
    assert outcome.added == 2
    directions = await fetch(
        db, "SELECT external_id, direction FROM mention WHERE workspace_id = $1", workspace_id
    )
    by_id = {row["external_id"]: row["direction"] for row in directions}
    assert by_id[announcement] == "outbound"  # written by the connected account


async def test_quotes_and_mentions_are_read_but_likes_are_not(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    announcement = fake.post(BRAND, "New prices from May")
    fake.post(CUSTOMERS[0], "this is outrageous", quote=announcement)
    fake.post(CUSTOMERS[1], f"@{BRAND} why?")
    async with connected(db, workspace_id, fake) as bsky:
        outcome = await bsky.poller.poll()
    assert outcome.added == 2
    assert outcome.quarantined == 0


async def test_an_expired_session_is_refreshed_and_nothing_is_lost(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    mention_brand(fake, 3)
    async with connected(db, workspace_id, fake) as bsky:
        await bsky.poller.poll()
        fake.expire_access_tokens()
        mention_brand(fake, 4, "again")
        outcome = await bsky.poller.poll()
    assert outcome.added == 4
    assert (fake.sessions.created, fake.sessions.refreshed) == (1, 1)


async def test_a_session_whose_refresh_is_refused_signs_in_again(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    mention_brand(fake, 2)
    async with connected(db, workspace_id, fake) as bsky:
        await bsky.poller.poll()
        fake.expire_access_tokens()
        fake.sessions.expire_refresh_tokens()
        mention_brand(fake, 2, "again")
        outcome = await bsky.poller.poll()
    assert outcome.added == 2
    assert fake.sessions.created == 2


async def test_an_access_token_about_to_expire_is_refreshed_before_the_call(
    db: Database, workspace_id: int
) -> None:
    now = [datetime(2025, 3, 1, 9, 0, tzinfo=UTC)]
    fake = FakeBluesky(clock=lambda: now[0], access_ttl=timedelta(minutes=5))
    fake.add_account(BRAND, "Acme", app_password=PASSWORD)
    fake.add_account(CUSTOMERS[0])
    fake.post(CUSTOMERS[0], f"@{BRAND} hello")
    async with connected(db, workspace_id, fake) as bsky:
        await bsky.poller.poll()
        now[0] += timedelta(minutes=4, seconds=30)  # inside the renewal margin
        fake.post(CUSTOMERS[0], f"@{BRAND} hello again")
        outcome = await bsky.poller.poll()
    assert outcome.added == 1
    assert fake.sessions.refreshed == 1
    assert fake.requests["app.bsky.notification.listNotifications"] == 2  # none refused


async def test_a_refused_app_password_fails_without_revealing_it(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id, password="wrong-wrong-wrong-wrong") as bsky:
        with pytest.raises(AuthenticationFailed) as refused:
            await bsky.poller.poll()
    assert "Invalid identifier or password" in str(refused.value)
    assert "wrong-wrong" not in str(refused.value)


async def test_a_429_storm_waits_for_the_reset_and_loses_nothing(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    mention_brand(fake, 30)
    async with connected(db, workspace_id, fake) as bsky:
        fake.rate_limit_storm("app.bsky.notification.listNotifications", 3, 60)
        outcome = await bsky.poller.poll()
        waits = [seconds for seconds in bsky.sleeps.seconds if seconds > 0]
    assert outcome.added == 30
    assert len(waits) == 3  # one wait for the reset per 429, none stacked on top
    assert all(55 <= waited <= 62 for waited in waits)


async def test_server_errors_are_retried_with_backoff(db: Database, workspace_id: int) -> None:
    fake = build_world()
    mention_brand(fake, 5)
    async with connected(db, workspace_id, fake) as bsky:
        fake.fail_next("app.bsky.notification.listNotifications", 503, 2)
        outcome = await bsky.poller.poll()
        backoffs = [seconds for seconds in bsky.sleeps.seconds if seconds > 0]
    assert outcome.added == 5
    assert len(backoffs) == 2


async def test_a_malformed_notification_is_quarantined_with_its_error_and_the_rest_stored(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    uris = mention_brand(fake, 10)
    fake.break_notification(uris[4], "missing_text")
    async with connected(db, workspace_id, fake) as bsky:
        outcome = await bsky.poller.poll()
        again = await bsky.poller.poll()
    assert (outcome.added, outcome.quarantined) == (9, 1)
    assert (again.added, again.quarantined) == (0, 0)  # quarantined once, not at every poll
    error = await db.fetchval("SELECT error FROM quarantine WHERE workspace_id = $1", workspace_id)
    assert uris[4] in error
    assert "text" in error


async def test_a_notification_without_a_time_is_quarantined_once(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    uris = mention_brand(fake, 6)
    fake.break_notification(uris[3], "missing_indexed_at")
    async with connected(db, workspace_id, fake) as bsky:
        await bsky.poller.poll()
        mention_brand(fake, 2, "later")
        later = await bsky.poller.poll()
    assert (later.added, later.quarantined) == (2, 0)
    assert await count(db, QUARANTINED, workspace_id) == 1


async def test_a_page_that_is_not_json_is_quarantined_and_read_again(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    mention_brand(fake, 10)
    async with connected(db, workspace_id, fake) as bsky:
        fake.not_json_next("app.bsky.notification.listNotifications")
        broken = await bsky.poller.poll()
        again = await bsky.poller.poll()
    assert (broken.added, broken.quarantined) == (0, 1)
    assert again.added == 10  # the position did not move past the broken page


# -- answering ---------------------------------------------------------------------------


class _Only:
    def __init__(self, channel: BlueskyOutboundChannel) -> None:
        self._channel = channel

    async def for_account(
        self, workspace_id: int, account_id: int | None
    ) -> BlueskyOutboundChannel:
        return self._channel


async def only_thread(db: Database, workspace_id: int) -> int:
    return int(await db.fetchval("SELECT id FROM thread WHERE workspace_id = $1", workspace_id))


async def test_a_reply_names_root_and_parent_and_links_the_customer(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    root = fake.post(CUSTOMERS[0], f"@{BRAND} my fibre is down 😡")
    follow_up = fake.post(CUSTOMERS[0], f"@{BRAND} still down", reply_to=root)
    async with connected(db, workspace_id, fake) as bsky:
        await bsky.poller.poll()
        thread_id = await only_thread(db, workspace_id)
        store = PgOutboxStore(db)
        await store.enqueue(workspace_id, thread_id, OutboxKind.REPLY, "r1", "Sorry! We're on it 🛠")
        sender = SendOutbox(
            store,
            _Only(BlueskyOutboundChannel(bsky.account, bsky.api, utc_now)),
            IngestMentions(PgIngestStore(db)),
            clock=lambda: utc_now() + timedelta(seconds=1),
        )
        report = await sender.run_once()
    assert report.sent == 1
    (posted,) = fake.posted
    record = posted.record
    assert record["reply"]["root"] == fake.posts[root].ref()
    assert record["reply"]["parent"] == fake.posts[follow_up].ref()
    assert record["text"] == f"@{CUSTOMERS[0]} Sorry! We're on it 🛠"
    (facet,) = record["facets"]
    mentioned = record["text"].encode()[facet["index"]["byteStart"] : facet["index"]["byteEnd"]]
    assert mentioned.decode() == f"@{CUSTOMERS[0]}"
    assert facet["features"][0]["did"] == fake.did_of(CUSTOMERS[0])
    outbound = await db.fetchval(
        "SELECT count(*) FROM mention WHERE workspace_id = $1 AND direction = 'outbound' "
        "AND thread_id = $2 AND external_id = $3",
        workspace_id,
        thread_id,
        posted.uri,
    )
    assert outbound == 1


async def test_the_limit_is_300_graphemes_not_300_code_points(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    fake.post(CUSTOMERS[0], f"@{BRAND} help")
    async with connected(db, workspace_id, fake) as bsky:
        await bsky.poller.poll()
        thread_id = await only_thread(db, workspace_id)
        store = PgOutboxStore(db)
        channel = BlueskyOutboundChannel(bsky.account, bsky.api, utc_now)
        # 250 accented letters written as letter + combining accent: 500 code points.
        fits = await store.enqueue(workspace_id, thread_id, OutboxKind.REPLY, "a", "e\u0301" * 250)
        sent = await channel.send(fits)
        too_long = await store.enqueue(
            workspace_id, thread_id, OutboxKind.REPLY, "b", "e\u0301" * 290
        )
        with pytest.raises(DeliveryError) as refused:
            await channel.send(too_long)
    assert sent.external_id == fake.posted[0].uri
    assert refused.value.permanent
    assert "Bluesky accepts 300" in refused.value.reason
    assert len(fake.posted) == 1


async def test_sending_again_after_a_lost_answer_finds_the_first_post(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    fake.post(CUSTOMERS[0], f"@{BRAND} help")
    async with connected(db, workspace_id, fake) as bsky:
        await bsky.poller.poll()
        thread_id = await only_thread(db, workspace_id)
        item = await PgOutboxStore(db).enqueue(
            workspace_id, thread_id, OutboxKind.REPLY, "r1", "On it"
        )
        channel = BlueskyOutboundChannel(bsky.account, bsky.api, utc_now)
        before = await channel.find_sent(item)
        first = await channel.send(item)
        found = await channel.find_sent(item)
        second = await channel.send(item)  # the same record key: refused, then found
    assert before is None
    assert found is not None
    assert first.external_id == found.external_id == second.external_id
    assert len(fake.posted) == 1


async def test_a_reply_to_a_deleted_post_fails_for_good_with_the_reason(
    db: Database, workspace_id: int
) -> None:
    fake = build_world()
    complaint = fake.post(CUSTOMERS[0], f"@{BRAND} help")
    async with connected(db, workspace_id, fake) as bsky:
        await bsky.poller.poll()
        fake.delete(complaint)
        item = await PgOutboxStore(db).enqueue(
            workspace_id, await only_thread(db, workspace_id), OutboxKind.REPLY, "r1", "Hi"
        )
        with pytest.raises(DeliveryError) as refused:
            await BlueskyOutboundChannel(bsky.account, bsky.api, utc_now).send(item)
    assert refused.value.permanent
    assert "deleted" in refused.value.reason
    assert fake.posted == []


async def test_direct_messages_are_refused_for_good(db: Database, workspace_id: int) -> None:
    fake = build_world()
    fake.post(CUSTOMERS[0], f"@{BRAND} help")
    async with connected(db, workspace_id, fake) as bsky:
        await bsky.poller.poll()
        item = await PgOutboxStore(db).enqueue(
            workspace_id,
            await only_thread(db, workspace_id),
            OutboxKind.DIRECT_MESSAGE,
            "dm1",
            "Your account number?",
            recipient_id=fake.did_of(CUSTOMERS[0]),
        )
        channel = BlueskyOutboundChannel(bsky.account, bsky.api, utc_now)
        with pytest.raises(DeliveryError) as refused:
            await channel.send(item)
    assert refused.value.permanent
    assert await channel.find_sent(item) is None


# -- the runner --------------------------------------------------------------------------


def runner_for(bsky: Connected, db: Database) -> BlueskyAccountRunner:
    return BlueskyAccountRunner(
        bsky.poller,
        bsky.api,
        PgApiUsageLedger(db),
        PgChannelHealthStore(db),
        clock=bsky.fake.clock,
        poll_seconds=30,
        max_backoff_seconds=600,
    )


async def channel_events(db: Database, workspace_id: int) -> list[tuple[str, str]]:
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT kind, reason FROM channel_event WHERE workspace_id = $1 ORDER BY id",
            workspace_id,
        )
    return [(row["kind"], row["reason"]) for row in rows]


async def test_failing_polls_raise_channel_degraded_once_and_recovery_once(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as bsky:
        runner = runner_for(bsky, db)
        bsky.fake.fail_next("app.bsky.notification.listNotifications", 403, 6, "Forbidden")
        for _ in range(6):
            await runner.tick()
        await runner.tick()
    events = await channel_events(db, workspace_id)
    assert [kind for kind, _ in events] == ["channel_degraded", "channel_recovered"]
    assert "5 polls failed in a row" in events[0][1]
    stored = await db.fetchval(
        "SELECT health FROM channel_health WHERE workspace_id = $1", workspace_id
    )
    assert PASSWORD not in stored


async def test_the_runner_backs_off_after_failures_and_waits_out_a_rate_limit(
    db: Database, workspace_id: int
) -> None:
    now = [datetime(2025, 3, 1, 9, 0, tzinfo=UTC)]
    fake = FakeBluesky(clock=lambda: now[0])
    fake.add_account(BRAND, "Acme", app_password=PASSWORD)
    async with connected(db, workspace_id, fake) as bsky:
        runner = runner_for(bsky, db)
        delays = []
        fake.fail_next("app.bsky.notification.listNotifications", 400, 3, "InvalidRequest")
        for _ in range(3):
            await runner.tick()
            delays.append((runner.next_at - now[0]).total_seconds())
        await runner.tick()
        recovered = (runner.next_at - now[0]).total_seconds()
        fake.rate_limit_storm("app.bsky.notification.listNotifications", 6, 3600)
        await runner.tick()  # six 429s exhaust the client's attempts
        limited = (runner.next_at - now[0]).total_seconds()
    assert delays == [30, 60, 120]
    assert recovered == 30
    assert limited >= 3600  # not before the window resets
