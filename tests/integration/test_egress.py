"""Outbound requests go only where they should: addresses checked when typed in and at every
connection (a name resolved, each address checked, the connection made to those), internal
receivers only when named, webhook URLs sealed at rest. Real receivers on loopback, real
PostgreSQL; DNS is a name table of the test's own, the one thing outside the machine."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from pydantic import SecretStr

from connectors.bluesky.xrpc import BlueskyApi, BlueskyCredentials, RefusedService, bluesky_session
from connectors.common.egress import CheckedDestinations, guarded_session
from connectors.mastodon.api import MastodonApi, RefusedInstance, mastodon_session
from connectors.meta.graph import GraphApi, GraphError, graph_session
from connectors.webhooks.outbound import POST_TIMEOUT, AiohttpWebhookPoster, webhook_session
from inbox.domain.clock import utc_now
from inbox.domain.egress import PUBLIC_ONLY, EgressPolicy, ForbiddenDestination
from inbox.domain.network import Network
from inbox.store.database import Database
from inbox.store.migrate import available_migrations, migrate
from inbox.store.secret_box import SecretBox
from inbox.store.webhooks import PgWebhookStore
from inbox.usecases.webhooks import DeliverWebhooks, ManageWebhooks
from tests.hooks import HookReceiver

pytestmark = pytest.mark.integration

BOX = SecretBox(SecretStr(SecretBox.new_key()))
PUBLIC_ADDRESS = "93.184.215.14"
SEALED_MIGRATION = 22


class NameTable(AbstractResolver):
    """DNS as the test decides it: each name answers the addresses given, on any port."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self._names = dict(names)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        address = self._names.get(host)
        if address is None:
            raise OSError(f"{host} does not resolve")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


@dataclass
class Listener:
    """A TCP port on loopback that counts the connections it is offered (and answers none)."""

    port: int = 0
    connections: int = 0

    async def accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    state = Listener()
    server = await asyncio.start_server(state.accept, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    yield state
    server.close()
    await server.wait_closed()


async def queue_delivery(db: Database, workspace_id: int, webhook_id: int) -> None:
    """One event waiting for the webhook, as the SLA dispatcher queues it."""
    await db.fetchval(
        "INSERT INTO webhook_delivery (workspace_id, webhook_id, event_key, event_kind, payload)"
        " VALUES ($1, $2, 'sla.breach:1:1', 'sla.breach', '{\"kind\": \"sla.breach\"}')"
        " RETURNING id",
        workspace_id,
        webhook_id,
    )


async def delivery(db: Database, workspace_id: int) -> dict[str, object]:
    async with db.connection() as conn:
        row = await conn.fetchrow(
            "SELECT status, attempts, last_error FROM webhook_delivery WHERE workspace_id = $1",
            workspace_id,
        )
    assert row is not None
    return dict(row)


# -- at connection time -------------------------------------------------------------------


async def test_a_name_rebound_to_loopback_after_it_was_checked_is_refused_when_connecting(
    db: Database, workspace_id: int, listener: Listener
) -> None:
    url = f"https://hooks.example.net:{listener.port}/hooks/s3cret"
    checked_then = CheckedDestinations(
        PUBLIC_ONLY, NameTable({"hooks.example.net": PUBLIC_ADDRESS})
    )
    hook, _ = await ManageWebhooks(PgWebhookStore(db, BOX), checked_then).add(workspace_id, url, [])
    await queue_delivery(db, workspace_id, hook.id)
    rebound = NameTable({"hooks.example.net": "127.0.0.1"})
    async with guarded_session(PUBLIC_ONLY, resolver=rebound, timeout=POST_TIMEOUT) as session:
        deliver = DeliverWebhooks(
            PgWebhookStore(db, BOX), AiohttpWebhookPoster(session), clock=utc_now
        )
        assert await deliver.run_once() == 1
    found = await delivery(db, workspace_id)
    assert (found["status"], found["attempts"]) == ("failed", 1)  # for good, at once
    assert "hooks.example.net resolves to a loopback address" in str(found["last_error"])
    assert "s3cret" not in str(found["last_error"])
    assert listener.connections == 0


async def test_a_webhook_stored_before_the_policy_to_a_loopback_port_fails_without_connecting(
    db: Database, workspace_id: int, listener: Listener
) -> None:
    # As `inbox webhook add http://127.0.0.1:5432/x` stored it before addresses were checked.
    webhook_id = await db.fetchval(
        "INSERT INTO webhook (workspace_id, url, events, secret_sealed)"
        " VALUES ($1, $2, '{*}', $3) RETURNING id",
        workspace_id,
        f"http://127.0.0.1:{listener.port}/x",
        BOX.seal(SecretStr("secret")),
    )
    await queue_delivery(db, workspace_id, webhook_id)
    async with webhook_session(PUBLIC_ONLY) as session:
        deliver = DeliverWebhooks(
            PgWebhookStore(db, BOX), AiohttpWebhookPoster(session), clock=utc_now
        )
        await deliver.run_once()
    found = await delivery(db, workspace_id)
    assert found["status"] == "failed"
    assert "points to a loopback address (127.0.0.1)" in str(found["last_error"])
    assert listener.connections == 0


async def test_a_named_internal_receiver_is_reached_through_the_allow_setting(
    db: Database, workspace_id: int, receiver: HookReceiver
) -> None:
    policy = EgressPolicy.from_setting(f"hooks.corp.example:{receiver.port}")
    names = NameTable({"hooks.corp.example": "127.0.0.1"})
    webhooks = ManageWebhooks(PgWebhookStore(db, BOX), CheckedDestinations(policy, names))
    hook, _ = await webhooks.add(
        workspace_id, f"http://hooks.corp.example:{receiver.port}/hooks/s3cret", []
    )
    await queue_delivery(db, workspace_id, hook.id)
    async with guarded_session(policy, resolver=names, timeout=POST_TIMEOUT) as session:
        deliver = DeliverWebhooks(
            PgWebhookStore(db, BOX), AiohttpWebhookPoster(session), clock=utc_now
        )
        assert await deliver.run_once() == 1
    assert (await delivery(db, workspace_id))["status"] == "delivered"
    assert len(receiver.received) == 1


async def test_a_loopback_receiver_named_by_address_and_port_is_reached_and_no_other_port(
    db: Database, workspace_id: int, receiver: HookReceiver, listener: Listener
) -> None:
    policy = EgressPolicy.from_setting(f"127.0.0.1:{receiver.port}")
    webhooks = ManageWebhooks(PgWebhookStore(db, BOX), CheckedDestinations(policy))
    hook, _ = await webhooks.add(workspace_id, f"http://127.0.0.1:{receiver.port}/hooks/a", [])
    await queue_delivery(db, workspace_id, hook.id)
    with pytest.raises(ForbiddenDestination, match="loopback"):
        await webhooks.add(workspace_id, f"http://127.0.0.1:{listener.port}/hooks/b", [])
    async with webhook_session(policy) as session:
        deliver = DeliverWebhooks(
            PgWebhookStore(db, BOX), AiohttpWebhookPoster(session), clock=utc_now
        )
        assert await deliver.run_once() == 1
    assert (await delivery(db, workspace_id))["status"] == "delivered"
    assert len(receiver.received) == 1
    assert listener.connections == 0


async def test_connector_sessions_refuse_a_loopback_service_for_good_before_connecting(
    listener: Listener,
) -> None:
    base = f"http://127.0.0.1:{listener.port}"
    async with mastodon_session(PUBLIC_ONLY) as session:
        mastodon = MastodonApi(base, SecretStr("token"), session, clock=utc_now)
        with pytest.raises(RefusedInstance, match="points to a loopback address"):
            await mastodon.verify_credentials()
    async with bluesky_session(PUBLIC_ONLY) as session:
        credentials = BlueskyCredentials(SecretStr("app-pass-word-xxxx"))
        bluesky = BlueskyApi(base, "acme.bsky.social", credentials, session, clock=utc_now)
        with pytest.raises(RefusedService, match="points to a loopback address"):
            await bluesky.sign_in()
    async with graph_session(PUBLIC_ONLY) as session:
        graph = GraphApi(session, f"{base}/v21.0", SecretStr("page-token"))
        with pytest.raises(GraphError) as refused:
            await graph.replies(Network.FACEBOOK, "1_2")
        assert not refused.value.transient
        assert "points to a loopback address" in refused.value.reason
    assert listener.connections == 0


async def test_a_graph_api_over_plain_http_is_refused_even_when_public() -> None:
    names = NameTable({"graph.example.com": PUBLIC_ADDRESS})
    async with guarded_session(PUBLIC_ONLY, resolver=names) as session:
        graph = GraphApi(session, "http://graph.example.com/v21.0", SecretStr("page-token"))
        with pytest.raises(GraphError, match="must use https"):
            await graph.replies(Network.FACEBOOK, "1_2")


# -- when typed in ------------------------------------------------------------------------


async def test_a_name_resolving_to_a_private_address_is_refused_when_added(
    db: Database, workspace_id: int
) -> None:
    names = NameTable({"hooks.example.net": "10.0.0.5"})
    webhooks = ManageWebhooks(PgWebhookStore(db, BOX), CheckedDestinations(PUBLIC_ONLY, names))
    with pytest.raises(ForbiddenDestination) as refused:
        await webhooks.add(workspace_id, "https://hooks.example.net/hooks/s3cret", [])
    assert str(refused.value).startswith(
        "webhook url: hooks.example.net resolves to a private address"
    )
    assert await webhooks.all(workspace_id) == []


async def test_a_name_that_does_not_resolve_yet_is_accepted_and_checked_when_connecting(
    db: Database, workspace_id: int
) -> None:
    webhooks = ManageWebhooks(
        PgWebhookStore(db, BOX), CheckedDestinations(PUBLIC_ONLY, NameTable({}))
    )
    hook, _ = await webhooks.add(workspace_id, "https://hooks.example.net/hooks/s3cret", [])
    assert hook.shown_url == "https://hooks.example.net/…"


# -- sealed at rest -----------------------------------------------------------------------


async def test_webhook_urls_are_sealed_in_the_database_and_listed_by_host_only(
    db: Database, workspace_id: int
) -> None:
    names = NameTable({"hooks.example.com": PUBLIC_ADDRESS})
    webhooks = ManageWebhooks(PgWebhookStore(db, BOX), CheckedDestinations(PUBLIC_ONLY, names))
    await webhooks.add(workspace_id, "https://hooks.example.com/T0/B0/s3cret-path?token=t0k", [])
    async with db.connection() as conn:
        row = await conn.fetchrow("SELECT * FROM webhook WHERE workspace_id = $1", workspace_id)
    assert row is not None
    assert row["url"] is None
    stored = b"".join(
        value if isinstance(value, bytes) else str(value).encode() for value in row.values()
    )
    assert b"s3cret-path" not in stored
    assert b"t0k" not in stored
    (listed,) = await webhooks.all(workspace_id)
    assert listed.shown_url == "https://hooks.example.com/…"
    assert "s3cret" not in listed.model_dump_json()  # a listing never carries the sealed URL


async def test_a_webhook_stored_in_clear_before_the_migration_keeps_working_and_is_sealed(
    postgres_admin_dsn: str,
) -> None:
    name = "inbox_sealing_upgrade"
    admin = await asyncpg.connect(postgres_admin_dsn)
    await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {name}")
    base, _, query = postgres_admin_dsn.partition("?")
    dsn = f"{base.rpartition('/')[0]}/{name}" + (f"?{query}" if query else "")
    try:
        conn = await asyncpg.connect(dsn)
        try:
            # The database as the last release left it: every migration before sealing...
            await conn.execute(
                "CREATE TABLE schema_migration (version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            for migration in available_migrations():
                if migration.version < SEALED_MIGRATION:
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migration (version, name) VALUES ($1, $2)",
                        migration.version,
                        migration.name,
                    )
            # ...and a webhook stored then, its URL in clear.
            workspace_id = await conn.fetchval(
                "INSERT INTO workspace (slug, name) VALUES ('acme', 'Acme') RETURNING workspace_id"
            )
            await conn.execute(
                "INSERT INTO webhook (workspace_id, url, events, secret_sealed)"
                " VALUES ($1, 'https://hooks.example.com/old/s3cret', '{*}', $2)",
                workspace_id,
                BOX.seal(SecretStr("secret")),
            )
            assert SEALED_MIGRATION in await migrate(conn)
        finally:
            await conn.close()
        db = await Database.connect(dsn, size=2)
        try:
            store = PgWebhookStore(db, BOX)
            (before,) = await store.all(workspace_id)
            assert before.shown_url == "https://hooks.example.com/…"
            assert await store.seal_clear_urls() == 1
            assert await store.seal_clear_urls() == 0
            assert await store.all(workspace_id) == [before]
            clear = await db.fetchval("SELECT count(*) FROM webhook WHERE url IS NOT NULL")
            assert clear == 0
            await queue_delivery(db, workspace_id, before.id)
            (job,) = await store.claim_due(utc_now(), 10, timedelta(seconds=60))
            assert job.url == "https://hooks.example.com/old/s3cret"
        finally:
            await db.close()
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()
