"""Signed inbound webhooks over real HTTP on loopback, into the real database.

The fake Meta writes the notifications Meta sends and serves the Graph API calls the inbox
makes; its sender signs them with the app secret as Meta does. Generic deliveries are signed
with the source's secret by the format's own `signed_headers`.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from connectors.common.egress import CheckedDestinations
from connectors.meta.fake import FakeGraphServer, FakeMeta, MetaSender
from connectors.meta.graph import GraphApi, graph_session
from connectors.meta.inbound import MetaFormat
from connectors.meta.outbound import MetaOutboundChannel
from connectors.webhooks.inbound_generic import GenericFormat, signed_headers
from inbox.bootstrap import build_services
from inbox.domain.inbound_webhooks import GENERIC_SIGNATURE_HEADER, InboundSource, SourceKind
from inbox.domain.network import Network
from inbox.domain.outbox import OutboxKind
from inbox.store.database import Database
from inbox.store.inbound_webhooks import PgInboundSourceStore
from inbox.store.outbound_channels import ChannelDirectory
from inbox.store.outbox import PgOutboxStore
from inbox.store.secret_box import SecretBox
from inbox.usecases.inbound_webhooks import ManageWebhookSources, ReceiveWebhooks
from inbox.usecases.outbox import SendOutbox
from tests.factories import allowing
from web.app import create_app

pytestmark = pytest.mark.integration

APP_SECRET = "0123456789abcdef0123456789abcdef"
VERIFY_TOKEN = "let-me-in-please"


@dataclass
class World:
    db: Database
    workspace_id: int
    base: str
    session: aiohttp.ClientSession
    graph_http: aiohttp.ClientSession  # the product's own, to the fake Graph API
    fake: FakeMeta
    graph: FakeGraphServer
    meta: InboundSource
    shop: InboundSource
    generic_secret: SecretStr
    sources: ManageWebhookSources

    @property
    def meta_sender(self) -> MetaSender:
        return MetaSender(self.session, f"{self.base}/api/v1/inbound/acme/meta", APP_SECRET)

    async def generic(self, body: bytes, *, at: datetime | None = None) -> tuple[int, object]:
        headers = signed_headers(self.generic_secret, body, at or datetime.now(UTC))
        return await self.post("shop", body, headers)

    async def post(self, source: str, body: bytes, headers: dict[str, str]) -> tuple[int, object]:
        url = f"{self.base}/api/v1/inbound/acme/{source}"
        async with self.session.post(url, data=body, headers=headers) as answer:
            return answer.status, await answer.json()

    async def count(self, table: str) -> int:
        value = await self.db.fetchval(
            f"SELECT count(*) FROM {table} WHERE workspace_id = $1",  # noqa: S608 (tests' own names)
            self.workspace_id,
        )
        return int(value)


@pytest.fixture
async def world(db: Database, workspace_id: int) -> AsyncIterator[World]:
    fake = FakeMeta()
    box = SecretBox(SecretStr(SecretBox.new_key()))
    store = PgInboundSourceStore(db, box)
    services = build_services(db)
    async with (
        FakeGraphServer(fake) as graph,
        aiohttp.ClientSession() as session,
        graph_session(allowing(graph.base_url)) as graph_http,
    ):
        sources = ManageWebhookSources(store, CheckedDestinations(allowing(graph.base_url)))
        meta = await sources.add_meta(
            workspace_id,
            "meta",
            app_secret=SecretStr(APP_SECRET),
            verify_token=SecretStr(VERIFY_TOKEN),
            access_token=SecretStr(fake.access_token),
            graph_url=graph.base_url,
            page=(fake.page_id, fake.page_name),
            instagram=(fake.instagram_id, fake.instagram_username),
        )
        generic, secret = await sources.add_generic(workspace_id, "shop")
        receiver = ReceiveWebhooks(
            store,
            {SourceKind.META: MetaFormat(graph_http), SourceKind.GENERIC: GenericFormat()},
            services.ingest,
            clock=lambda: datetime.now(UTC),
        )
        server = TestServer(
            create_app(services, workspace_id, inbound=receiver), host="127.0.0.1", port=0
        )
        await server.start_server()
        try:
            yield World(
                db,
                workspace_id,
                str(server.make_url("")).rstrip("/"),
                session,
                graph_http,
                fake,
                graph,
                meta,
                generic,
                secret,
                sources,
            )
        finally:
            await server.close()


def generic_message(message_id: str, **changes: object) -> dict[str, object]:
    message: dict[str, object] = {
        "id": message_id,
        "author": {"id": "c-1", "handle": "jane", "name": "Jane Doe"},
        "text": "My order never arrived",
        "created_at": datetime.now(UTC).isoformat(),
    }
    message.update(changes)
    return message


async def test_meta_handshake_echoes_the_challenge_only_for_the_verify_token(
    world: World,
) -> None:
    assert await world.meta_sender.subscribe(VERIFY_TOKEN, "1158201444") == (200, "1158201444")
    status, _ = await world.meta_sender.subscribe("not-the-token", "1158201444")
    assert status == 403
    url = f"{world.base}/api/v1/inbound/acme/shop"
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}
    async with world.session.get(url, params=params) as answer:
        assert answer.status == 404  # a generic source has no handshake
    async with world.session.get(url.replace("shop", "nobody"), params=params) as answer:
        assert answer.status == 404


async def test_a_signed_facebook_comment_is_ingested_and_threaded(world: World) -> None:
    fake = world.fake
    first = fake.facebook_comment("5001", "Jane Doe", "My fibre is down since 8am")
    status, receipt = await world.meta_sender.deliver(fake.notification(first))
    assert status == 200
    assert receipt == {"added": 1, "duplicates": 0, "quarantined": 0, "ignored": 0}
    again = fake.facebook_comment("5001", "Jane Doe", "Still down", reply_to=first.id)
    ours = fake.reply(Network.FACEBOOK, first.id, "Sorry Jane, a technician is on the way")
    status, receipt = await world.meta_sender.deliver(fake.notification(again, ours))
    assert status == 200
    async with world.db.connection() as conn:
        rows = await conn.fetch(
            "SELECT m.external_id, m.direction, t.thread_key, t.network FROM mention m "
            "JOIN thread t ON t.workspace_id = m.workspace_id AND t.id = m.thread_id "
            "WHERE m.workspace_id = $1",
            world.workspace_id,
        )
    assert {r["thread_key"] for r in rows} == {first.id}
    assert {r["network"] for r in rows} == {"facebook"}
    directions = {r["external_id"]: r["direction"] for r in rows}
    assert directions == {first.id: "inbound", again.id: "inbound", ours.id: "outbound"}
    assert await world.count("thread") == 1


async def test_an_instagram_mention_is_looked_up_and_ingested(world: World) -> None:
    fake = world.fake
    mentioned = fake.instagram_comment(
        "7001", "fan.of.acme", "@acme_support my order is late", mention=True
    )
    comment = fake.instagram_comment("7002", "jane.d", "Where is my parcel?")
    status, receipt = await world.meta_sender.deliver(fake.notification(mentioned, comment))
    assert status == 200
    assert receipt == {"added": 2, "duplicates": 0, "quarantined": 0, "ignored": 0}
    async with world.db.connection() as conn:
        rows = await conn.fetch(
            "SELECT external_id, body, network, author_handle FROM mention "
            "WHERE workspace_id = $1 ORDER BY external_id",
            world.workspace_id,
        )
    found = {r["external_id"]: (r["network"], r["body"], r["author_handle"]) for r in rows}
    assert found == {
        mentioned.id: ("instagram", "@acme_support my order is late", None),
        comment.id: ("instagram", "Where is my parcel?", "jane.d"),
    }


async def test_a_mention_that_cannot_be_looked_up_is_quarantined(world: World) -> None:
    fake = world.fake
    mentioned = fake.instagram_comment("7001", "fan", "@acme_support hi", mention=True)
    fake.access_token = "revoked"
    status, receipt = await world.meta_sender.deliver(fake.notification(mentioned))
    assert status == 200
    assert receipt == {"added": 0, "duplicates": 0, "quarantined": 1, "ignored": 0}
    error = await world.db.fetchval(
        "SELECT error FROM quarantine WHERE workspace_id = $1", world.workspace_id
    )
    assert error.startswith(f"entry[0].changes[0] (comment {mentioned.id}): look-up failed")
    assert "190" in error


async def test_a_bad_signature_is_refused_and_nothing_is_stored(world: World) -> None:
    fake = world.fake
    body = json.dumps(fake.notification(fake.facebook_comment("5001", "Jane", "hi"))).encode()
    wrong = MetaSender(world.session, world.meta_sender.url, "another-app-secret-entirely")
    for headers in (
        {"Content-Type": "application/json"},
        wrong.headers(body),
        {**world.meta_sender.headers(body), "X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": "sha1=abc"},
    ):
        status, answer = await world.meta_sender.deliver(body, headers=headers)
        assert status == 401
        assert isinstance(answer, dict)
        assert answer["error"]["code"] == "bad_signature"
    tampered = world.meta_sender.headers(body)
    status, _ = await world.meta_sender.deliver(body.replace(b"hi", b"ho"), headers=tampered)
    assert status == 401
    status, _ = await world.post("shop", b"[]", {GENERIC_SIGNATURE_HEADER: "t=1,v1=" + "0" * 64})
    assert status == 401
    for table in ("mention", "quarantine", "thread", "customer"):
        assert await world.count(table) == 0, table


async def test_a_signed_but_malformed_payload_is_quarantined_with_its_field(
    world: World,
) -> None:
    fake = world.fake
    notification = fake.notification(fake.facebook_comment("5001", "Jane", "no author"))
    del notification["entry"][0]["changes"][0]["value"]["from"]
    status, receipt = await world.meta_sender.deliver(notification)
    assert status == 200
    assert receipt == {"added": 0, "duplicates": 0, "quarantined": 1, "ignored": 0}
    status, receipt = await world.generic(
        json.dumps([generic_message("m-1"), generic_message("m-2", author={})]).encode()
    )
    assert status == 200
    assert receipt == {"added": 1, "duplicates": 0, "quarantined": 1, "ignored": 0}
    async with world.db.connection() as conn:
        rows = await conn.fetch(
            "SELECT source, error, raw FROM quarantine WHERE workspace_id = $1 ORDER BY id",
            world.workspace_id,
        )
    (meta_source, meta_error, meta_raw), (shop_source, shop_error, _) = rows
    assert meta_source == "meta:meta"
    assert "value.from: Field required" in meta_error
    assert json.loads(meta_raw)["value"]["message"] == "no author"
    assert shop_source == "webhook:shop"
    assert shop_error == "message m-2: author.id: Field required"


async def test_a_replayed_delivery_adds_nothing(world: World) -> None:
    fake = world.fake
    notification = fake.notification(fake.facebook_comment("5001", "Jane", "down again"))
    first = await world.meta_sender.deliver(notification)
    replay = await world.meta_sender.deliver(notification)
    assert first == (200, {"added": 1, "duplicates": 0, "quarantined": 0, "ignored": 0})
    assert replay == (200, {"added": 0, "duplicates": 1, "quarantined": 0, "ignored": 0})
    body = json.dumps(generic_message("m-9")).encode()
    assert (await world.generic(body))[1] == {
        "added": 1,
        "duplicates": 0,
        "quarantined": 0,
        "ignored": 0,
    }
    assert (await world.generic(body))[1] == {
        "added": 0,
        "duplicates": 1,
        "quarantined": 0,
        "ignored": 0,
    }
    assert await world.count("mention") == 2


async def test_a_stale_generic_timestamp_is_refused(world: World) -> None:
    body = json.dumps(generic_message("m-1")).encode()
    status, answer = await world.generic(body, at=datetime.now(UTC) - timedelta(minutes=10))
    assert status == 401
    assert isinstance(answer, dict)
    assert "away from our clock" in answer["error"]["message"]
    assert await world.count("mention") == 0
    assert await world.count("quarantine") == 0
    status, _ = await world.generic(body)
    assert status == 200
    assert await world.count("mention") == 1


async def test_unknown_sources_and_oversized_bodies_are_refused(world: World) -> None:
    body = json.dumps(generic_message("m-1")).encode()
    headers = signed_headers(world.generic_secret, body, datetime.now(UTC))
    assert (await world.post("nobody", body, headers))[0] == 404
    assert (await world.post("BAD NAME", body, headers))[0] == 404
    url = f"{world.base}/api/v1/inbound/elsewhere/shop"
    async with world.session.post(url, data=body, headers=headers) as answer:
        assert answer.status == 404
    huge = b"[" + b" " * (1024 * 1024) + b"]"
    headers = signed_headers(world.generic_secret, huge, datetime.now(UTC))
    async with world.session.post(
        f"{world.base}/api/v1/inbound/acme/shop", data=io.BytesIO(huge), headers=headers
    ) as answer:
        assert answer.status == 413  # declared too long: refused before reading

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(huge), 65536):
            yield huge[start : start + 65536]

    async with world.session.post(
        f"{world.base}/api/v1/inbound/acme/shop", data=chunks(), headers=headers
    ) as answer:
        assert answer.status == 413  # no length given: refused once past the limit
    assert await world.count("mention") == 0


async def test_a_reply_to_a_facebook_comment_is_posted_once(world: World) -> None:
    fake = world.fake
    comment = fake.facebook_comment("5001", "Jane Doe", "My fibre is down")
    await world.meta_sender.deliver(fake.notification(comment))
    thread_id = await world.db.fetchval(
        "SELECT id FROM thread WHERE workspace_id = $1", world.workspace_id
    )
    outbox = PgOutboxStore(world.db)
    item = await outbox.enqueue(
        world.workspace_id, thread_id, OutboxKind.REPLY, "reply-1", "Sorry Jane, we are on it"
    )
    assert item.account_id == world.meta.facebook_account_id
    assert item.in_reply_to == comment.id
    channel = MetaOutboundChannel(
        Network.FACEBOOK,
        fake.page_id,
        fake.page_name,
        GraphApi(world.graph_http, world.graph.base_url, SecretStr(fake.access_token)),
        lambda: datetime.now(UTC),
    )
    sender = SendOutbox(
        outbox,
        ChannelDirectory({(world.workspace_id, item.account_id or 0): channel}),
        build_services(world.db).ingest,
        clock=lambda: datetime.now(UTC),
    )
    assert (await sender.run_once()).sent == 1
    assert (await sender.run_once()).sent == 0
    (posted,) = fake.posted
    assert (posted.text, posted.top_level, posted.author_id) == (
        "Sorry Jane, we are on it",
        comment.id,
        fake.page_id,
    )
    sent = await outbox.get(world.workspace_id, item.id)
    assert sent is not None
    assert sent.sent_external_id == posted.id
    # Meta then notifies the Page's own reply: the same message, not a second one.
    status, receipt = await world.meta_sender.deliver(fake.notification(posted))
    assert (status, receipt) == (200, {"added": 0, "duplicates": 1, "quarantined": 0, "ignored": 0})
    outbound = await world.db.fetchval(
        "SELECT count(*) FROM mention WHERE workspace_id = $1 AND thread_id = $2 "
        "AND direction = 'outbound'",
        world.workspace_id,
        thread_id,
    )
    assert outbound == 1


async def test_sources_are_listed_without_secrets_and_removed(world: World) -> None:
    listed = await world.sources.all(world.workspace_id)
    assert [(s.name, s.kind.value, s.can_reply) for s in listed] == [
        ("meta", "meta", True),
        ("shop", "generic", False),
    ]
    assert APP_SECRET not in repr(listed)
    await world.sources.remove(world.workspace_id, "shop")
    body = json.dumps(generic_message("m-1")).encode()
    assert (await world.generic(body))[0] == 404
    stored = await world.db.fetchval(
        "SELECT secret_sealed FROM inbound_source WHERE workspace_id = $1", world.workspace_id
    )
    assert APP_SECRET.encode() not in bytes(stored)
