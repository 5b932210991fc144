"""The inbox through PgBouncer in transaction mode: the pool on DATABASE_URL (PgBouncer), what
needs a session (LISTEN, the SLA timer's lock, the migration lock, the account leases'
listener) on INBOX_DIRECT_DATABASE_URL (the server itself).

Debian 12's PgBouncer is 1.18: it does not keep prepared statements across transactions
(`max_prepared_statements` came with 1.21), so the processes run with
INBOX_STATEMENT_CACHE_SIZE=0, as asyncpg documents for it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from pydantic import SecretStr

from connectors.mastodon.fake import FakeMastodon, FakeMastodonServer
from connectors.webhooks.inbound_generic import signed_headers
from inbox.domain.network import Network
from inbox.store.credentials import PgCredentialStore
from inbox.store.database import Database
from inbox.store.migrate import available_migrations, migrate
from inbox.store.secret_box import SecretBox
from inbox.store.sla_timer import TIMER_LOCK_KEY
from inbox.store.workspaces import PgWorkspaceStore
from tests.e2e.test_bench import run_bench
from tests.e2e.test_database_outages import (
    AGENT,
    PASSWORD,
    OpenStream,
    down_parts,
    eventually,
    free_port,
    inbox_command,
    inbox_env,
    inbox_process,
    signed_in,
    until_health,
)
from tests.factories import allowed_hosts
from tests.pgbouncer import RunningPgBouncer, require_pgbouncer, running_pgbouncer

pytestmark = pytest.mark.integration

TOKEN = "brand-token"
_databases = iter(range(1, 1_000_000))


@pytest.fixture(scope="module")
def bouncer(postgres_admin_dsn: str) -> Iterator[RunningPgBouncer]:
    require_pgbouncer()
    if "host=/" not in postgres_admin_dsn:
        pytest.skip("PgBouncer is started in front of the embedded test server only")
    # Not under pytest's temporary folder: PgBouncer may run as the embedded server's user.
    with (
        tempfile.TemporaryDirectory(prefix="inbox-pgbouncer-") as folder,
        running_pgbouncer(Path(folder), postgres_admin_dsn) as running,
    ):
        yield running


@pytest.fixture
async def empty_database(postgres_admin_dsn: str) -> AsyncIterator[str]:
    """A new database without the schema: the name; its processes migrate it."""
    name = f"bounced_{os.getpid()}_{next(_databases)}"
    admin = await asyncpg.connect(postgres_admin_dsn)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    yield name
    admin = await asyncpg.connect(postgres_admin_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


def _direct(admin_dsn: str, database: str) -> str:
    base, _, query = admin_dsn.partition("?")
    return f"{base.rpartition('/')[0]}/{database}?{query}"


async def test_pooled_connections_share_server_sessions_so_statements_go_unnamed(
    bouncer: RunningPgBouncer, empty_database: str
) -> None:
    # A statement asyncpg prepared by name on one server connection is missing on the other
    # PgBouncer hands the client once the first is taken (it reuses the last freed first).
    dsn = bouncer.dsn(empty_database)
    named, holder = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        assert await named.fetchval("SELECT $1::int", 1) == 1
        async with holder.transaction():
            await holder.fetchval("SELECT 1")
            with pytest.raises(asyncpg.InvalidSQLStatementNameError):
                await named.fetchval("SELECT $1::int", 1)
    finally:
        await asyncio.gather(named.close(), holder.close())
    db = await Database.connect(dsn, size=8, statement_cache_size=0)
    try:

        async def one(n: int) -> int:
            async with db.transaction() as conn:
                return int(await conn.fetchval("SELECT $1::int + 1", n))

        assert await asyncio.gather(*(one(n) for n in range(100))) == list(range(1, 101))
    finally:
        await db.close()


async def test_migrations_take_their_lock_on_the_direct_connection(
    bouncer: RunningPgBouncer, empty_database: str, postgres_admin_dsn: str
) -> None:
    direct = _direct(postgres_admin_dsn, empty_database)
    db = await Database.connect(
        bouncer.dsn(empty_database), size=4, direct_dsn=direct, statement_cache_size=0
    )
    try:
        async with db.dedicated() as first, db.dedicated() as second:
            applied = await asyncio.gather(migrate(first), migrate(second))
            every = [m.version for m in available_migrations()]
            assert sorted(applied, key=len) == [[], every]  # each applied once
            # Each session let go of the lock it took: none is left behind.
            assert await _advisory_locks_held(db) == 0
    finally:
        await db.close()


async def test_serve_and_worker_ingest_show_reply_and_update_live_through_pgbouncer(
    bouncer: RunningPgBouncer, empty_database: str, postgres_admin_dsn: str, tmp_path: Path
) -> None:
    direct = _direct(postgres_admin_dsn, empty_database)
    key = SecretBox.new_key()
    fake = FakeMastodon()
    brand = fake.add_account("acme", "Acme", token=TOKEN)
    customer = fake.add_account("ann", domain="other.example")
    async with FakeMastodonServer(fake) as mastodon:
        env = inbox_env(bouncer.dsn(empty_database), key)
        env.update(
            INBOX_DIRECT_DATABASE_URL=direct,
            INBOX_STATEMENT_CACHE_SIZE="0",
            INBOX_ALLOWED_INTERNAL_HOSTS=allowed_hosts(mastodon.url),
        )
        # The first command migrates the empty database, under the lock on the direct URL.
        added = await inbox_command(env, "webhook-source", "add", "shop", "--kind", "generic")
        found = re.search(r"signing secret \(shown once\): (\S+)", added)
        assert found is not None
        secret = SecretStr(found[1])
        await inbox_command(
            env, "agent", "add", AGENT, "--name", "Ann", "--password-stdin", stdin=PASSWORD
        )
        token = (
            await inbox_command(env, "token", "create", "--name", "ann", "--agent", AGENT)
        ).strip()
        db = await Database.connect(direct, size=2)
        try:
            workspaces = PgWorkspaceStore(db)
            workspace_id = await workspaces.ensure_workspace("default", "default")
            account_id = await workspaces.configure_account(
                workspace_id, Network.MASTODON, brand, "acme",
                {"instance": mastodon.url, "poll_seconds": 1},
            )  # fmt: skip
            await PgCredentialStore(db, SecretBox(SecretStr(key))).replace(
                workspace_id, account_id, {"access_token": SecretStr(TOKEN)}
            )
            fake.post(customer, "@acme my fibre is down")
            web_port = free_port()
            base = f"http://127.0.0.1:{web_port}"
            workers = [f"http://127.0.0.1:{free_port()}/healthz" for _ in range(2)]
            async with (
                inbox_process(env, "web", "--port", str(web_port), log=tmp_path / "web.log"),
                inbox_process(env, "worker", "--port", _port(workers[0]), log=tmp_path / "w1.log"),
                inbox_process(env, "worker", "--port", _port(workers[1]), log=tmp_path / "w2.log"),
            ):
                web_health = await until_health(f"{base}/healthz", 200, naming={"listener"})
                assert web_health["parts"]["listener"]["detail"] == "listening"
                timers = []
                for url in workers:
                    ready = await until_health(url, 200, naming={"timer", "outbox"})
                    assert down_parts(ready) == set()
                    timers.append(ready["parts"]["timer"]["detail"])
                # One SLA timer leads, on its lock held by a session on the direct URL.
                assert sorted(timers) == ["following", "leading"]
                assert await _advisory_locks_held(db, TIMER_LOCK_KEY) == 1

                # The connector's mention, ingested through the pool.
                await eventually(lambda: _stored(db, "mastodon", 1), "the polled mention")

                async with signed_in(base) as browser, OpenStream.opened(browser, base) as page:
                    status, answer = await _deliver(base, secret, "m-1", "My order never arrived")
                    assert (status, answer["added"]) == (200, 1)
                    # Told by NOTIFY, heard by the web process's LISTEN on the direct URL.
                    await page.until_change_of(await _thread_of(db, "m-1"))
                    async with browser.get(f"{base}/inbox?view=all") as listed:
                        assert listed.status == 200
                        assert "My order never arrived" in await listed.text()

                    mastodon_thread = await _first_thread(db, "mastodon")
                    async with browser.post(
                        f"{base}/api/v1/threads/{mastodon_thread}/replies",
                        json={"body": "Sorry, we are on it", "key": "r-1"},
                        headers={"Authorization": f"Bearer {token}"},
                    ) as replied:
                        assert replied.status == 202, await replied.text()
                    await eventually(lambda: _posted(fake), "the reply posted by a worker")
        finally:
            await db.close()
    assert bouncer.logins(empty_database) > 0, "the pools went through PgBouncer"


def _port(health_url: str) -> str:
    return health_url.rsplit(":", 1)[1].split("/", 1)[0]


async def _deliver(
    base: str, secret: SecretStr, message_id: str, text: str
) -> tuple[int, dict[str, Any]]:
    message = {
        "id": message_id,
        "author": {"id": "c-1", "handle": "customer1"},
        "text": text,
        "created_at": datetime.now(UTC).isoformat(),
    }
    body = json.dumps(message).encode()
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{base}/api/v1/inbound/default/shop",
            data=body,
            headers={
                **signed_headers(secret, body, datetime.now(UTC)),
                "Accept": "application/json",
            },
        ) as answer,
    ):
        return answer.status, await answer.json()


async def _stored(db: Database, network: str, count: int) -> bool:
    stored = await db.fetchval(
        "SELECT count(*) FROM mention WHERE network = $1 AND direction = 'inbound'", network
    )
    return int(stored) >= count


async def _thread_of(db: Database, message_id: str) -> int:
    found = await db.fetchval(
        "SELECT thread_id FROM mention WHERE external_id LIKE '%:' || $1", message_id
    )
    assert found is not None
    return int(found)


async def _first_thread(db: Database, network: str) -> int:
    found = await db.fetchval(
        "SELECT min(thread_id) FROM mention WHERE network = $1 AND direction = 'inbound'",
        network,
    )
    assert found is not None
    return int(found)


async def _posted(fake: FakeMastodon) -> bool:
    return len(fake.posted) == 1


async def _advisory_locks_held(db: Database, key: int | None = None) -> int:
    """Advisory locks granted in this database (on `key` only, when given)."""
    held = await db.fetchval(
        """SELECT count(*) FROM pg_locks
           WHERE locktype = 'advisory' AND granted
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND ($1::bigint IS NULL OR ((classid::bigint << 32) | objid::bigint) = $1)""",
        key,
    )
    return int(held)


def test_the_pgbouncer_benchmark_prints_its_ratios_last() -> None:
    require_pgbouncer()
    result = run_bench("pgbouncer.py", "--seconds", "0.5", "--rounds", "1", "--clients", "4")
    last = result.stdout.strip().splitlines()[-2:]
    assert [line.split()[0] for line in last] == [
        "pgbouncer_page_ratio",
        "pgbouncer_mentions_ratio",
    ]
    assert all(float(line.split()[1]) > 0 for line in last)
