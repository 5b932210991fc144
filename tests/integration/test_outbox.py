"""The outbox against the real database: idempotent queueing, leases, exactly-once sending.

The network side here is a double of the OutboundChannel port that remembers what it
"posted"; the same flow against the fake X API, with a real process killed mid-send, is in
tests/e2e/test_x_outbox.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network
from inbox.domain.outbox import DeliveryError, OutboxItem, OutboxKind, OutboxStatus
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.store.outbox import PgOutboxStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.outbox import SendOutbox, SendPolicy
from tests.factories import mention

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        # Items are due from the database's now(); the test clock starts there and moves on.
        self.now = datetime.now(UTC) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now


class RecordingChannel:
    """Posts into a list; can be told to fail, or to 'crash' after posting."""

    def __init__(self) -> None:
        self.posted: list[tuple[str, str | None]] = []
        self.fail: DeliveryError | None = None
        self.crash_after_post = False

    async def for_account(self, workspace_id: int, account_id: int | None) -> RecordingChannel:
        return self

    def _as_mention(self, item: OutboxItem, index: int) -> Mention:
        return Mention(
            network=Network.X,
            external_id=f"reply-{index}",
            author=Author(external_id="brand"),
            text=item.body,
            created_at=datetime(2026, 3, 2, 9, 5, tzinfo=UTC),
            direction=Direction.OUTBOUND,
            conversation_key=item.thread_key,
            in_reply_to=item.in_reply_to,
        )

    async def send(self, item: OutboxItem) -> Mention:
        if self.fail is not None:
            raise self.fail
        self.posted.append((item.body, item.in_reply_to))
        if self.crash_after_post:
            raise SystemExit("killed between the post and the database update")
        return self._as_mention(item, len(self.posted))

    async def find_sent(self, item: OutboxItem) -> Mention | None:
        for index, (body, reply_to) in enumerate(self.posted, start=1):
            if body == item.body and reply_to == item.in_reply_to:
                return self._as_mention(item, index)
        return None


async def thread_with_a_complaint(db: Database, workspace_id: int) -> int:
    await PgWorkspaceStore(db).add_account(workspace_id, Network.X, "brand", "acme")
    ingest = IngestMentions(PgIngestStore(db))
    await ingest(workspace_id, IngestBatch([mention("100", conversation="100")]))
    return int(await db.fetchval("SELECT id FROM thread WHERE workspace_id = $1", workspace_id))


async def queued_reply(
    db: Database, workspace_id: int
) -> tuple[PgOutboxStore, OutboxItem, RecordingChannel, Clock]:
    """A complaint's thread with one reply queued, a channel that records, a test clock."""
    thread_id = await thread_with_a_complaint(db, workspace_id)
    store = PgOutboxStore(db)
    item = await store.enqueue(workspace_id, thread_id, OutboxKind.REPLY, "k1", "On it")
    return store, item, RecordingChannel(), Clock()


def sender(db: Database, channel: RecordingChannel, clock: Clock) -> SendOutbox:
    return SendOutbox(
        PgOutboxStore(db),
        channel,
        IngestMentions(PgIngestStore(db)),
        clock=clock,
        policy=SendPolicy(lease=timedelta(minutes=2)),
        jitter=lambda: 0.5,
    )


async def test_the_same_key_queues_one_item_aimed_at_the_latest_customer_message(
    db: Database, workspace_id: int
) -> None:
    thread_id = await thread_with_a_complaint(db, workspace_id)
    store = PgOutboxStore(db)
    first = await store.enqueue(workspace_id, thread_id, OutboxKind.REPLY, "k1", "Sorry!")
    again = await store.enqueue(workspace_id, thread_id, OutboxKind.REPLY, "k1", "Sorry!!")
    assert again.id == first.id
    assert again.body == "Sorry!"
    assert first.in_reply_to == "100"
    assert first.account_id is not None
    assert first.status is OutboxStatus.PENDING


async def test_a_reply_is_sent_once_and_recorded_on_its_thread(
    db: Database, workspace_id: int
) -> None:
    thread_id = await thread_with_a_complaint(db, workspace_id)
    await PgOutboxStore(db).enqueue(workspace_id, thread_id, OutboxKind.REPLY, "k1", "On it")
    channel, clock = RecordingChannel(), Clock()
    report = await sender(db, channel, clock).run_once()
    assert report.sent == 1
    assert channel.posted == [("On it", "100")]
    assert await sender(db, channel, clock).run_once() == type(report)()
    row = await db.fetchval(
        "SELECT thread_id FROM mention WHERE workspace_id = $1 AND external_id = 'reply-1'",
        workspace_id,
    )
    assert row == thread_id


async def test_a_crash_after_posting_is_reconciled_not_posted_again(
    db: Database, workspace_id: int
) -> None:
    store, item, channel, clock = await queued_reply(db, workspace_id)
    channel.crash_after_post = True
    with pytest.raises(SystemExit):
        await sender(db, channel, clock).run_once()
    channel.crash_after_post = False
    assert (await sender(db, channel, clock).run_once()).sent == 0  # still under its lease
    clock.now += timedelta(minutes=3)
    report = await sender(db, channel, clock).run_once()
    assert (report.reconciled, report.sent) == (1, 0)
    assert len(channel.posted) == 1
    stored = await store.get(workspace_id, item.id)
    assert stored is not None
    assert stored.status is OutboxStatus.SENT
    assert stored.sent_external_id == "reply-1"


async def test_transient_failures_back_off_and_permanent_ones_fail_with_the_reason(
    db: Database, workspace_id: int
) -> None:
    store, item, channel, clock = await queued_reply(db, workspace_id)
    channel.fail = DeliveryError("x: HTTP 503", permanent=False)
    assert (await sender(db, channel, clock).run_once()).retried == 1
    assert (await sender(db, channel, clock).run_once()).retried == 0  # not due yet
    clock.now += timedelta(minutes=1)
    channel.fail = DeliveryError(
        "create_tweet: HTTP 403: You attempted to reply to a Tweet that is deleted", permanent=True
    )
    assert (await sender(db, channel, clock).run_once()).failed == 1
    stored = await store.get(workspace_id, item.id)
    assert stored is not None
    assert stored.status is OutboxStatus.FAILED
    assert "deleted" in (stored.last_error or "")
    assert channel.posted == []
