"""The X connector end to end: real tweepy, the fake X API over loopback TLS, real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.x.budget import ReadBudget, Stream
from connectors.x.outbound import XOutboundChannel
from inbox.domain.outbox import DeliveryError, OutboxKind
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.store.outbox import PgOutboxStore
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.outbox import SendOutbox
from tests.x_world import BRAND, BRAND_ID, CUSTOMERS, connected, runner_for, utc_now

pytestmark = pytest.mark.integration


async def count(db: Database, query: str, workspace_id: int) -> int:
    return int(await db.fetchval(query, workspace_id))


MENTIONS = "SELECT count(*) FROM mention WHERE workspace_id = $1"
QUARANTINED = "SELECT count(*) FROM quarantine WHERE workspace_id = $1"


async def test_polls_store_each_mention_once_across_polls_and_restarts(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as x:
        x.fake.steady(list(CUSTOMERS), BRAND_ID, 40, text=f"@{BRAND} my line is down")
        first = await x.poller.poll_mentions()
        assert first.added == 40
        x.fake.burst(150, BRAND_ID, author_ids=list(CUSTOMERS), text=f"@{BRAND} still down")
        second = await x.poller.poll_mentions()
        assert (second.added, second.requests) == (150, 2)
    async with connected(db, workspace_id) as restarted:
        # A new world answers with new ids; the cursor keeps the old ones from being re-read.
        assert (await restarted.poller.poll_mentions()).added == 0
    assert await count(db, MENTIONS, workspace_id) == 190


async def test_a_reply_brings_its_missing_parent_into_the_thread(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as x:
        parent = x.fake.post(CUSTOMERS[0], "no internet in Lyon since 8am")
        x.fake.post(CUSTOMERS[1], f"@customer0 @{BRAND} same here", reply_to=parent)
        outcome = await x.poller.poll_mentions()
    assert outcome.added == 2
    threads = await db.fetchval(
        "SELECT count(DISTINCT thread_id) FROM mention WHERE workspace_id = $1", workspace_id
    )
    assert threads == 1


async def test_search_catches_complaints_that_do_not_mention_the_brand(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id, search_terms=("panne acme",)) as x:
        x.fake.post(CUSTOMERS[0], "encore une panne acme ce matin")
        x.fake.post(CUSTOMERS[1], "lovely weather")
        outcome = await x.poller.poll_search()
    assert outcome.added == 1


async def test_a_429_storm_waits_for_the_reset_and_loses_nothing(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as x:
        x.fake.steady(list(CUSTOMERS), BRAND_ID, 30)
        x.fake.rate_limit_storm("mentions", 3, reset_after_seconds=60)
        outcome = await x.poller.poll_mentions()
    assert outcome.added == 30
    waits = [seconds for seconds in x.sleeps.seconds if seconds > 0]
    assert len(waits) == 3  # one wait for the reset per 429, none stacked on top
    assert all(55 <= waited <= 62 for waited in waits)


async def test_server_errors_are_retried_with_backoff(db: Database, workspace_id: int) -> None:
    async with connected(db, workspace_id) as x:
        x.fake.steady(list(CUSTOMERS), BRAND_ID, 5)
        x.fake.fail_next("mentions", 503, 2)
        outcome = await x.poller.poll_mentions()
    assert outcome.added == 5
    assert len([seconds for seconds in x.sleeps.seconds if seconds > 0]) == 2


async def test_a_malformed_tweet_is_quarantined_and_the_rest_stored(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as x:
        x.fake.steady(list(CUSTOMERS), BRAND_ID, 10)
        x.fake.malformed_next("mentions", "missing_created_at")
        outcome = await x.poller.poll_mentions()
    assert (outcome.added, outcome.quarantined) == (9, 1)
    assert await count(db, QUARANTINED, workspace_id) == 1


async def test_a_page_that_is_not_json_is_quarantined_and_read_again(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as x:
        x.fake.steady(list(CUSTOMERS), BRAND_ID, 10)
        x.fake.malformed_next("mentions", "invalid_json")
        broken = await x.poller.poll_mentions()
        again = await x.poller.poll_mentions()
    assert (broken.added, broken.quarantined) == (0, 1)
    assert again.added == 10  # the cursor did not move past the broken page


async def test_the_runner_books_reads_and_keeps_health(db: Database, workspace_id: int) -> None:
    async with connected(db, workspace_id) as x:
        x.fake.steady(list(CUSTOMERS), BRAND_ID, 12)
        runner = runner_for(x, db, ReadBudget(reads_per_day=1000))
        await runner.tick(Stream.MENTIONS)
        status = await runner.status()
        x.fake.fail_next("mentions", 401, 1)
        await runner.tick(Stream.MENTIONS)
    assert status["reads_today"] == 12
    assert status["reads_left_today"] == 988
    assert runner.health.consecutive_failures == 1
    assert "401" in (runner.health.last_error or "")
    stored = await db.fetchval(
        "SELECT health FROM channel_health WHERE workspace_id = $1", workspace_id
    )
    assert "401" in stored
    assert "test-bearer" not in stored


async def test_a_reply_is_posted_in_the_conversation_and_recorded_outbound(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as x:
        complaint = x.fake.post(CUSTOMERS[0], f"@{BRAND} my fibre is down")
        await x.poller.poll_mentions()
        thread_id = int(
            await db.fetchval("SELECT id FROM thread WHERE workspace_id = $1", workspace_id)
        )
        store = PgOutboxStore(db)
        await store.enqueue(workspace_id, thread_id, OutboxKind.REPLY, "r1", "Sorry! DM us?")
        channel = XOutboundChannel(x.account, x.api, utc_now)
        sender = SendOutbox(
            store,
            _Only(channel),
            IngestMentions(PgIngestStore(db)),
            clock=lambda: utc_now() + timedelta(seconds=1),
        )
        report = await sender.run_once()
        assert report.sent == 1
        (posted,) = x.fake.posted
        assert posted.conversation_id == complaint
    rows = await db.fetchval(
        "SELECT count(*) FROM mention WHERE workspace_id = $1 AND direction = 'outbound' "
        "AND thread_id = $2",
        workspace_id,
        thread_id,
    )
    assert rows == 1


async def test_x_refusals_fail_the_item_with_xs_reason(db: Database, workspace_id: int) -> None:
    async with connected(db, workspace_id) as x:
        complaint = x.fake.post(CUSTOMERS[0], f"@{BRAND} help")
        await x.poller.poll_mentions()
        x.fake.delete(complaint)
        channel = XOutboundChannel(x.account, x.api, utc_now)
        thread_id = int(
            await db.fetchval("SELECT id FROM thread WHERE workspace_id = $1", workspace_id)
        )
        item = await PgOutboxStore(db).enqueue(
            workspace_id, thread_id, OutboxKind.REPLY, "r1", "Hi"
        )
        with pytest.raises(DeliveryError) as refused:
            await channel.send(item)
    assert refused.value.permanent
    assert "deleted" in refused.value.reason


class _Only:
    def __init__(self, channel: XOutboundChannel) -> None:
        self._channel = channel

    async def for_account(self, workspace_id: int, account_id: int | None) -> XOutboundChannel:
        return self._channel


async def test_failing_polls_raise_channel_degraded_once_and_recovery_once(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as x:
        runner = runner_for(x, db, ReadBudget())
        x.fake.fail_next("mentions", 403, 6)
        for _ in range(6):
            await runner.tick(Stream.MENTIONS)
        await runner.tick(Stream.MENTIONS)
    events = await db_events(db, workspace_id)
    assert [kind for kind, _ in events] == ["channel_degraded", "channel_recovered"]
    assert "5 polls failed in a row" in events[0][1]


async def db_events(db: Database, workspace_id: int) -> list[tuple[str, str]]:
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT kind, reason FROM channel_event WHERE workspace_id = $1 ORDER BY id",
            workspace_id,
        )
    return [(row["kind"], row["reason"]) for row in rows]


async def test_replies_are_addressed_so_the_same_words_reach_two_customers(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as x:
        for customer in CUSTOMERS[:2]:
            x.fake.post(customer, f"@{BRAND} no signal since this morning")
        await x.poller.poll_mentions()
        store = PgOutboxStore(db)
        async with db.connection() as conn:
            threads = [r["id"] for r in await conn.fetch(
                "SELECT id FROM thread WHERE workspace_id = $1 ORDER BY id", workspace_id
            )]  # fmt: skip
        for number, thread_id in enumerate(threads):
            await store.enqueue(
                workspace_id, thread_id, OutboxKind.REPLY, f"same-{number}", "We are on it."
            )
        sender = SendOutbox(
            store,
            _Only(XOutboundChannel(x.account, x.api, utc_now)),
            IngestMentions(PgIngestStore(db)),
            clock=lambda: utc_now() + timedelta(seconds=1),
        )
        report = await sender.run_once()
        assert report.sent == 2  # X refuses duplicate posts: each reply names its customer
        assert sorted(p.text for p in x.fake.posted) == [
            "@customer0 We are on it.",
            "@customer1 We are on it.",
        ]


async def test_a_poll_with_nothing_new_is_neither_quarantined_nor_billed(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as x:
        x.fake.steady(list(CUSTOMERS), BRAND_ID, 3)
        runner = runner_for(x, db, ReadBudget(reads_per_day=1000))
        await runner.tick(Stream.MENTIONS)
        for _ in range(3):  # X answers {"meta": {"result_count": 0}}
            outcome = await runner.tick(Stream.MENTIONS)
            assert outcome is not None
            assert (outcome.reads, outcome.added, outcome.quarantined) == (0, 0, 0)
        status = await runner.status()
    assert status["reads_today"] == 3, "only the posts read are billed"
    assert await count(db, QUARANTINED, workspace_id) == 0
