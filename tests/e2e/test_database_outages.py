"""`inbox serve` and `inbox worker` outlive their database: stopped, crashed or restarted
under them, PostgreSQL comes back and so does their work, without a restart of theirs.

Real processes against a PostgreSQL server of the test's own, which it stops (fast shutdown),
kills (SIGKILL of the postmaster, then crash recovery on the next start) and restarts.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from pydantic import SecretStr

from connectors.mastodon.fake import FakeMastodon, FakeMastodonServer
from connectors.webhooks.inbound_generic import signed_headers
from inbox.domain.errors import DatabaseUnavailableError
from inbox.domain.network import Network
from inbox.domain.outbox import OutboxKind
from inbox.store.credentials import PgCredentialStore
from inbox.store.database import Database
from inbox.store.migrate import migrate
from inbox.store.outbox import PgOutboxStore
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore
from tests.controlled_postgres import ControlledPostgres, controlled_postgres

pytestmark = pytest.mark.integration

INBOX = [sys.executable, "-m", "inbox.cli"]
TOKEN = "brand-token"
# Generous: a part that failed waits up to 30 s before it starts again, on a busy machine.
DEADLINE_S = 120.0
_databases = itertools.count(1)


@pytest.fixture(scope="module")
def postgres() -> Iterator[ControlledPostgres]:
    # Not under pytest's own temporary folder: another pytest starting meanwhile makes that
    # private again, and the server (run as another user when tests run as root) could no
    # longer reach its data folder on its next start.
    with (
        tempfile.TemporaryDirectory(prefix="inbox-outages-") as folder,
        controlled_postgres(Path(folder) / "data") as server,
    ):
        yield server


@pytest.fixture
async def outage_dsn(postgres: ControlledPostgres) -> AsyncIterator[str]:
    """A fresh, migrated database on the server the test controls."""
    name = f"outage_{os.getpid()}_{next(_databases)}"
    admin = await asyncpg.connect(postgres.admin_dsn)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    dsn = postgres.dsn(name)
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    yield dsn
    if not postgres.control.running():  # a failed test may have left it down
        await asyncio.to_thread(postgres.control.start)
    admin = await asyncpg.connect(postgres.admin_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


# -- the outages ------------------------------------------------------------------------------

OUTAGES = ["stopped", "killed", "restarted"]


async def take_down(postgres: ControlledPostgres, outage: str) -> None:
    """A fast shutdown ("stopped") or a SIGKILL of the postmaster ("killed")."""
    control = postgres.control
    await asyncio.to_thread(control.stop if outage == "stopped" else control.kill)


async def go_through(
    outage: str,
    postgres: ControlledPostgres,
    health_url: str,
    *,
    while_down: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """The outage, under a process that answers /healthz at `health_url`. Stopped or killed,
    the server stays down until the process answers 503 naming the database (the answer
    itself proves the process is alive); then it is started again. A restart is too short to
    be sure a poll of /healthz falls inside it."""
    if outage == "restarted":
        await asyncio.to_thread(postgres.control.restart)
        return
    await take_down(postgres, outage)
    unavailable = await until_health(health_url, 503)
    assert unavailable["status"] == "unavailable"
    assert "database" in down_parts(unavailable)
    if while_down is not None:
        await while_down()
    await asyncio.to_thread(postgres.control.start)


# -- the processes --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def inbox_env(dsn: str, key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env.update(DATABASE_URL=dsn, INBOX_SECRET_KEY=key, INBOX_OUTBOX_LEASE_SECONDS="1")
    return env


@asynccontextmanager
async def inbox_process(
    env: dict[str, str], *args: str, log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`inbox ARGS` for the block; stopped by SIGTERM, which it must obey with status 0."""
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            *INBOX, *args, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), DEADLINE_S)
                except TimeoutError:
                    process.kill()
                    await process.wait()
    if process.returncode != 0:
        printed = await asyncio.to_thread(log.read_text)
        raise AssertionError(f"inbox {args[0]} exited with {process.returncode}: {printed[-4000:]}")


async def health(url: str) -> tuple[int, dict[str, Any]] | None:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as answer,
        ):
            return answer.status, await answer.json()
    except (aiohttp.ClientError, TimeoutError):
        return None  # not listening yet


async def until_health(url: str, status: int) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + DEADLINE_S
    seen: tuple[int, dict[str, Any]] | None = None
    while asyncio.get_running_loop().time() < deadline:
        seen = await health(url)
        if seen is not None and seen[0] == status:
            return seen[1]
        await asyncio.sleep(0.2)
    raise AssertionError(f"/healthz did not answer {status} in time; last seen {seen}")


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + DEADLINE_S
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def down_parts(body: dict[str, Any]) -> set[str]:
    return {name for name, part in body["parts"].items() if part["status"] == "down"}


# -- the pool ------------------------------------------------------------------------------


@pytest.mark.parametrize("outage", ["stopped", "killed"])
async def test_the_pool_says_unavailable_while_the_server_is_down_and_recovers_by_itself(
    outage: str, postgres: ControlledPostgres, outage_dsn: str
) -> None:
    db = await Database.connect(outage_dsn, size=2)
    try:
        assert await db.fetchval("SELECT 1") == 1
        await take_down(postgres, outage)
        for _ in range(3):  # the pooled connections that died, then new ones refused
            with pytest.raises(DatabaseUnavailableError) as raised:
                async with db.transaction() as conn:
                    await conn.fetchval("SELECT 1")
            assert outage_dsn not in str(raised.value)
        await asyncio.to_thread(postgres.control.start)
        assert await db.fetchval("SELECT 1") == 1
    finally:
        await db.close()


# -- inbox serve ----------------------------------------------------------------------------


@pytest.mark.parametrize("outage", OUTAGES)
async def test_inbox_serve_outlives_its_database_and_takes_deliveries_again(
    outage: str, postgres: ControlledPostgres, outage_dsn: str, tmp_path: Path
) -> None:
    env = inbox_env(outage_dsn, SecretBox.new_key())
    added = await asyncio.create_subprocess_exec(
        *INBOX, "webhook-source", "add", "shop", "--kind", "generic",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await added.communicate()
    assert added.returncode == 0, err.decode()
    found = re.search(r"signing secret \(shown once\): (\S+)", out.decode())
    assert found is not None
    secret = SecretStr(found[1])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    health_url = f"{base}/healthz"

    async def deliver(number: int) -> tuple[int, dict[str, Any]]:
        body = json.dumps(
            {
                "id": f"m-{number}",
                "author": {"id": f"c-{number}", "handle": f"customer{number}"},
                "text": "My order never arrived",
                "created_at": datetime.now(UTC).isoformat(),
            }
        ).encode()
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{base}/api/v1/inbound/default/shop",
                data=body,
                headers=signed_headers(secret, body, datetime.now(UTC)),
            ) as answer,
        ):
            return answer.status, await answer.json()

    async with inbox_process(
        env, "serve", "--port", str(port), log=tmp_path / "serve.log"
    ) as serve:
        ready = await until_health(health_url, 200)
        assert down_parts(ready) == set()
        assert {"database", "timer", "outbox", "webhooks"} <= set(ready["parts"])
        assert (await deliver(1))[1]["added"] == 1

        async def refused_for_now() -> None:
            status, answer = await deliver(2)
            assert status == 503, answer  # the sender retries later; not a server error

        await go_through(outage, postgres, health_url, while_down=refused_for_now)
        back = await until_health(health_url, 200)
        assert back["status"] == "ok"
        assert serve.returncode is None, "the process outlived its database"
        status, answer = await deliver(3)
        assert (status, answer["added"]) == (200, 1)


# -- inbox worker ---------------------------------------------------------------------------


@pytest.mark.parametrize("outage", OUTAGES)
async def test_inbox_worker_outlives_its_database_then_polls_and_sends_again(
    outage: str, postgres: ControlledPostgres, outage_dsn: str, tmp_path: Path
) -> None:
    fake = FakeMastodon()
    brand = fake.add_account("acme", "Acme", token=TOKEN)
    customer = fake.add_account("ann", domain="other.example")
    key = SecretBox.new_key()
    db = await Database.connect(outage_dsn, size=2)
    try:
        async with FakeMastodonServer(fake) as server:
            workspaces = PgWorkspaceStore(db)
            workspace_id = await workspaces.ensure_workspace("default", "default")
            account_id = await workspaces.configure_account(
                workspace_id, Network.MASTODON, brand, "acme",
                {"instance": server.url, "poll_seconds": 1},
            )  # fmt: skip
            await PgCredentialStore(db, SecretBox(SecretStr(key))).replace(
                workspace_id, account_id, {"access_token": SecretStr(TOKEN)}
            )
            fake.post(customer, "@acme my fibre is down")
            port = free_port()
            health_url = f"http://127.0.0.1:{port}/healthz"
            env = inbox_env(outage_dsn, key)
            args = ("worker", "--health-port", str(port))
            async with inbox_process(env, *args, log=tmp_path / "worker.log") as worker:
                ready = await until_health(health_url, 200)
                connector = f"mastodon:{account_id}"
                assert {"database", connector, "outbox", "timer"} <= set(ready["parts"])
                assert ready["parts"]["timer"]["detail"] == "leading"
                await eventually(lambda: _mentions_stored(db, 1), "the first mention")

                await go_through(outage, postgres, health_url)
                back = await until_health(health_url, 200)
                assert back["parts"]["timer"]["detail"] == "leading"
                assert worker.returncode is None, "the process outlived its database"

                fake.post(customer, "@acme still down after your maintenance")
                await eventually(lambda: _mentions_stored(db, 2), "a mention after the outage")
                thread_id = int(
                    await db.fetchval(
                        "SELECT min(id) FROM thread WHERE workspace_id = $1", workspace_id
                    )
                )
                await PgOutboxStore(db).enqueue(
                    workspace_id, thread_id, OutboxKind.REPLY, "after-outage", "Sorry, DM us"
                )

                async def sent() -> bool:
                    return len(fake.posted) == 1

                await eventually(sent, "the reply queued after the outage to be posted")
    finally:
        await db.close()


async def _mentions_stored(db: Database, count: int) -> bool:
    stored = await db.fetchval(
        "SELECT count(*) FROM mention WHERE network = 'mastodon' AND direction = 'inbound'"
    )
    return int(stored) >= count
