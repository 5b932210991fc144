"""Thread events leave through webhooks signed, once each, and in order thread by thread."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr

from connectors.common.egress import CheckedDestinations
from connectors.webhooks.outbound import AiohttpWebhookPoster, webhook_session
from inbox.bootstrap import build_services
from inbox.domain.clock import utc_now
from inbox.domain.egress import EgressPolicy
from inbox.domain.ingestion import IngestBatch
from inbox.domain.outbox import OutboxKind
from inbox.domain.people import Role
from inbox.domain.webhooks import signature
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.store.outbox import PgOutboxStore
from inbox.store.people import PgPeopleStore
from inbox.store.secret_box import SecretBox
from inbox.store.thread_events import PgThreadEventOutbox
from inbox.store.webhooks import PgWebhookStore
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.webhooks import DeliverWebhooks, DeliveryPolicy, ManageWebhooks
from tests.factories import T0, mention

pytestmark = pytest.mark.integration

BOX = SecretBox(SecretStr(SecretBox.new_key()))


@dataclass
class Receiver:
    """A webhook receiver on loopback; it answers 500 once to each event key in `fail_once`."""

    url: str = ""
    allowed: str = ""
    fail_once: set[str] = field(default_factory=set)
    # Every post, in arrival order: (headers, body, the status answered).
    posts: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        key = request.headers["X-Inbox-Delivery"]
        status = 500 if key in self.fail_once else 204
        self.fail_once.discard(key)
        self.posts.append((dict(request.headers), body, status))
        return web.Response(status=status)

    def delivered(self, thread_id: int) -> list[dict[str, Any]]:
        """The events of one thread the receiver accepted, in the order it accepted them."""
        events = [json.loads(body) for _, body, status in self.posts if status == 204]
        return [e for e in events if e["data"].get("thread_id") == thread_id]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/crm", state.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}/hooks/crm"
    state.allowed = f"127.0.0.1:{port}"
    yield state
    await runner.cleanup()


def managed(db: Database, receiver: Receiver) -> ManageWebhooks:
    policy = EgressPolicy.from_setting(receiver.allowed)
    return ManageWebhooks(PgWebhookStore(db, BOX), CheckedDestinations(policy))


def deliverer(db: Database, poster: AiohttpWebhookPoster, now: list[datetime]) -> DeliverWebhooks:
    return DeliverWebhooks(
        PgWebhookStore(db, BOX),
        poster,
        clock=lambda: now[0],
        policy=DeliveryPolicy(max_attempts=3),
        outboxes=[PgThreadEventOutbox(db)],
    )


async def thread_ids(db: Database, workspace_id: int) -> dict[str, int]:
    rows = await db.fetch("SELECT thread_key, id FROM thread WHERE workspace_id = $1", workspace_id)
    return {row["thread_key"]: row["id"] for row in rows}


async def test_events_of_a_thread_arrive_in_order_even_when_one_delivery_fails_then_succeeds(
    db: Database, workspace_id: int, receiver: Receiver
) -> None:
    _, secret = await managed(db, receiver).add(workspace_id, receiver.url, ["*"])
    services = build_services(db)
    ana = await PgPeopleStore(db).save_agent(
        workspace_id, "ana@example.com", "Ana", [Role.AGENT], []
    )
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                mention("a1", conversation="a", minute=1),
                mention("b1", conversation="b", author="u2", minute=2),
                mention("a2", conversation="a", minute=3),
            ]
        ),
    )
    threads = await thread_ids(db, workspace_id)
    a, b = threads["a"], threads["b"]
    assert {c.thread_id for c in await services.claim_next(workspace_id, ana, 2)} == {a, b}
    await services.close_without_reply(workspace_id, a, "no_reply_needed", f"agent:{ana}")
    # The customer writes again after the resolution: the thread reopens.
    again = mention("a3", conversation="a").model_copy(
        update={"created_at": utc_now() + timedelta(minutes=1)}
    )
    await services.ingest(workspace_id, IngestBatch([again]))
    receiver.fail_once.add(f"thread.created:{workspace_id}:{a}.1")

    now = [utc_now() + timedelta(days=1)]
    async with webhook_session(EgressPolicy.from_setting(receiver.allowed)) as session:
        send = deliverer(db, AiohttpWebhookPoster(session), now)
        while await send.run_once():
            pass
        # Thread a waits behind its failed first event; thread b went on meanwhile.
        assert receiver.delivered(a) == []
        assert [e["kind"] for e in receiver.delivered(b)] == [
            "thread.created",
            "message.received",
            "thread.assigned",
        ]
        now[0] += timedelta(seconds=11)
        while await send.run_once():
            pass

    events = receiver.delivered(a)
    assert [(e["kind"], e["data"]["sequence"]) for e in events] == [
        ("thread.created", 1),
        ("message.received", 2),
        ("message.received", 3),
        ("thread.assigned", 4),
        ("thread.resolved", 5),
        ("thread.reopened", 6),
        ("message.received", 7),
    ]
    assert [
        e["data"]["message"]["external_id"] for e in events if e["kind"] == "message.received"
    ] == ["a1", "a2", "a3"]
    assert events[3]["data"]["agent_id"] == ana
    assert events[4]["data"]["reason"] == "no_reply_needed"
    # Exactly once each: the only repeat is the retry of the refused one.
    keys = [headers["X-Inbox-Delivery"] for headers, _, _ in receiver.posts]
    assert len(keys) == len(set(keys)) + 1
    # Signed, and without a text: this webhook did not ask for texts.
    for headers, body, _ in receiver.posts:
        stamp = int(headers["X-Inbox-Timestamp"])
        assert headers["X-Inbox-Signature"] == signature(secret, stamp, body)
        assert "text" not in json.loads(body)["data"]
        assert b"message a1" not in body


async def test_a_rolled_back_batch_emits_no_event(
    db: Database, workspace_id: int, receiver: Receiver
) -> None:
    await managed(db, receiver).add(workspace_id, receiver.url, ["*"])

    class Refused(Exception):
        pass

    async def refuse(*_: object) -> None:
        raise Refused

    ingest = IngestMentions(PgIngestStore(db), hooks=[refuse])
    with pytest.raises(Refused):
        await ingest(workspace_id, IngestBatch([mention("x1", conversation="x")]))

    assert await db.fetchval("SELECT count(*) FROM thread_event") == 0
    assert await PgThreadEventOutbox(db).dispatch(100) == 0
    assert await db.fetchval("SELECT count(*) FROM webhook_delivery") == 0


async def test_a_reply_sent_is_one_message_sent_event_with_its_text_only_where_asked(
    db: Database, workspace_id: int, receiver: Receiver
) -> None:
    await managed(db, receiver).add(workspace_id, receiver.url, ["message.*"], include_text=True)
    await managed(db, receiver).add(workspace_id, receiver.url, ["message.sent"])
    await build_services(db).ingest(
        workspace_id, IngestBatch([mention("r1", conversation="r", text="my order 42 is late")])
    )
    thread = (await thread_ids(db, workspace_id))["r"]
    outbox = PgOutboxStore(db)
    await outbox.enqueue(workspace_id, thread, OutboxKind.REPLY, "reply-1", "On its way today")
    (item,) = await outbox.claim_due(utc_now() + timedelta(days=1), 10, timedelta(minutes=1))
    await outbox.mark_sent(item, "x-990")
    await outbox.mark_sent(item, "x-990")  # a repeat after a crash writes no second event

    now = [T0 + timedelta(days=1)]
    async with webhook_session(EgressPolicy.from_setting(receiver.allowed)) as session:
        send = deliverer(db, AiohttpWebhookPoster(session), now)
        while await send.run_once():
            pass

    bodies = [json.loads(body) for _, body, _ in receiver.posts]
    with_text = sorted((e["kind"], e["data"].get("text")) for e in bodies if "text" in e["data"])
    assert with_text == [
        ("message.received", "my order 42 is late"),
        ("message.sent", "On its way today"),
    ]
    plain = [e for e in bodies if "text" not in e["data"]]
    assert [e["kind"] for e in plain] == ["message.sent"]
    assert plain[0]["data"]["message"] == {"network": "x", "external_id": "x-990"}
