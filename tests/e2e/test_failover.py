"""A failover under `inbox serve`: its DATABASE_URL lists the primary and its streaming
replica with `target_session_attrs=read-write`; the primary is killed, the replica promoted,
and the process finds the new primary by itself: webhook deliveries are taken again, the live
updates' listener and the SLA timer's leadership come back, the Mastodon account is run
(leased) and polled again, and /healthz said so meanwhile.

The failover's length (the last delivery stored before the kill, the first after) is printed
with the test's output (`-s`), not asserted: the machine is shared.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import psutil
import pytest
from pydantic import SecretStr

from connectors.mastodon.fake import FakeMastodon, FakeMastodonServer
from connectors.webhooks.inbound_generic import signed_headers
from inbox.domain.network import Network
from inbox.store.credentials import PgCredentialStore
from inbox.store.database import Database
from inbox.store.migrate import migrate
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore
from tests.controlled_postgres import ControlledPostgres, controlled_postgres
from tests.e2e.test_database_outages import (
    AGENT,
    PASSWORD,
    OpenStream,
    down_parts,
    free_port,
    inbox_command,
    inbox_env,
    inbox_process,
    signed_in,
    until_health,
)
from tests.factories import allowed_hosts
from tests.replica import Replica, streaming_replica

pytestmark = pytest.mark.integration

DATABASE = "failover"
TOKEN = "brand-token"
DEADLINE_S = 120.0


@dataclass(frozen=True, slots=True)
class Pair:
    primary: ControlledPostgres
    replica: Replica

    def both(self) -> str:
        """Both servers, the primary first, for a session that takes writes."""
        sockets = [_socket(self.primary.control.dsn(DATABASE)), _socket(self.replica.dsn(DATABASE))]
        return (
            f"postgresql://postgres@/{DATABASE}?host={sockets[0][0]},{sockets[1][0]}"
            f"&port={sockets[0][1]},{sockets[1][1]}&target_session_attrs=read-write"
        )


def _socket(dsn: str) -> tuple[str, str]:
    query = dsn.split("?", 1)[1]
    values = dict(part.split("=", 1) for part in query.split("&"))
    return values["host"], values["port"]


@pytest.fixture
def pair() -> Iterator[Pair]:
    with (
        tempfile.TemporaryDirectory(prefix="inbox-failover-") as folder,
        controlled_postgres(Path(folder) / "primary") as primary,
    ):
        asyncio.run(_migrated_database(primary))
        with streaming_replica(primary, Path(folder) / "replica") as replica:
            yield Pair(primary, replica)


async def _migrated_database(primary: ControlledPostgres) -> None:
    admin = await asyncpg.connect(primary.admin_dsn)
    try:
        await admin.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await admin.close()
    conn = await asyncpg.connect(primary.dsn(DATABASE))
    try:
        await migrate(conn)
    finally:
        await conn.close()


@dataclass
class Deliveries:
    """Webhook deliveries sent one after another: when each stored one was sent and answered
    (monotonic seconds)."""

    stored: list[tuple[float, float]]
    refused: int = 0


async def _keep_delivering(
    base: str, secret: SecretStr, deliveries: Deliveries, stop: asyncio.Event
) -> None:
    async with aiohttp.ClientSession() as session:
        for number in range(1, 100_000):
            if stop.is_set():
                return
            body = json.dumps(
                {
                    "id": f"m-{number}",
                    "author": {"id": f"c-{number}", "handle": f"customer{number}"},
                    "text": "My order never arrived",
                    "created_at": datetime.now(UTC).isoformat(),
                }
            ).encode()
            sent_at = time.monotonic()
            try:
                async with session.post(
                    f"{base}/api/v1/inbound/default/shop",
                    data=body,
                    headers=signed_headers(secret, body, datetime.now(UTC)),
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as answer:
                    if answer.status == 200 and (await answer.json())["added"] == 1:
                        deliveries.stored.append((sent_at, time.monotonic()))
                    else:
                        deliveries.refused += 1
            except (aiohttp.ClientError, TimeoutError):
                deliveries.refused += 1
            await asyncio.sleep(0.05)


async def test_inbox_serve_follows_a_failover_to_the_promoted_replica(
    pair: Pair, tmp_path: Path
) -> None:
    env = inbox_env(pair.both(), SecretBox.new_key())
    added = await inbox_command(env, "webhook-source", "add", "shop", "--kind", "generic")
    found = re.search(r"signing secret \(shown once\): (\S+)", added)
    assert found is not None
    secret = SecretStr(found[1])
    await inbox_command(
        env, "agent", "add", AGENT, "--name", "Ann", "--password-stdin", stdin=PASSWORD
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    health_url = f"{base}/healthz"
    fake = FakeMastodon()
    brand = fake.add_account("acme", "Acme", token=TOKEN)
    customer = fake.add_account("ann", domain="other.example")
    async with (
        FakeMastodonServer(fake) as mastodon,
        inbox_process(
            {**env, "INBOX_ALLOWED_INTERNAL_HOSTS": allowed_hosts(mastodon.url)},
            "serve", "--port", str(port), log=tmp_path / "serve.log",
        ) as serve,
    ):  # fmt: skip
        connector = f"mastodon:{await _connect_mastodon(pair, env, brand, mastodon.url)}"
        ready = await until_health(
            health_url, 200, naming={"database", "listener", "timer", connector}
        )
        assert ready["parts"]["timer"]["detail"] == "leading"
        fake.post(customer, "@acme my fibre is down")
        await _until_mentions(pair.primary.dsn(DATABASE), "mastodon", 1)
        async with signed_in(base) as browser, OpenStream.opened(browser, base) as page:
            deliveries, stop = Deliveries([]), asyncio.Event()
            sending = asyncio.create_task(_keep_delivering(base, secret, deliveries, stop))
            try:
                await _until_stored(deliveries, 5)
                await asyncio.to_thread(_lose_the_machine, pair.primary)
                killed_at = time.monotonic()
                before = [answered for _, answered in deliveries.stored if answered <= killed_at]

                down = await until_health(health_url, 503)
                assert "database" in down_parts(down)
                await asyncio.to_thread(pair.replica.promote)

                back = await until_health(health_url, 200, naming={"listener", "timer"})
                assert back["parts"]["listener"]["detail"] == "listening"
                assert back["parts"]["timer"]["detail"] == "leading"
                await _until_stored(deliveries, len(before) + 3)
            finally:
                stop.set()
                await sending
            # Sent after the kill: written on the new primary.
            after = [answered for sent, answered in deliveries.stored if sent > killed_at]
            assert after, "deliveries were taken again after the failover"
            # The account is run again (its lease taken on the new primary) and polled.
            fake.post(customer, "@acme still down after your failover")
            await _until_mentions(pair.replica.dsn(DATABASE), "mastodon", 2)
            # Heard through the listener on the new primary: a change, or the resync a page
            # is sent when its listener comes back.
            await page.quiet_for(3.0)
            async with aiohttp.ClientSession() as session:
                await _deliver_one(session, base, secret, "after")
            name, _ = await page.next()
            assert name in {"change", "resync"}
        assert serve.returncode is None, "the process outlived the failover"
    new_primary = await asyncpg.connect(pair.replica.dsn(DATABASE))
    try:
        kept = int(
            await new_primary.fetchval("SELECT count(*) FROM mention WHERE network <> 'mastodon'")
        )
    finally:
        await new_primary.close()
    # Every delivery answered once the replica took over is kept (and those before the kill
    # that reached the replica: asynchronous replication may lose the last ones).
    assert kept >= len(after) + 1
    print(
        f"\nfailover_seconds {after[0] - before[-1]:.2f}"
        f"  (last delivery stored before the kill, first after; {deliveries.refused} refused,"
        f" {len(deliveries.stored) + 1 - kept} answered but not on the new primary)"
    )


async def _connect_mastodon(pair: Pair, env: dict[str, str], brand: Any, url: str) -> int:
    """The brand's Mastodon account, connected while the process runs (the workers follow
    account changes): its id."""
    db = await Database.connect(pair.primary.dsn(DATABASE), size=1)
    try:
        workspaces = PgWorkspaceStore(db)
        workspace_id = await workspaces.ensure_workspace("default", "default")
        account_id = await workspaces.configure_account(
            workspace_id, Network.MASTODON, brand, "acme", {"instance": url, "poll_seconds": 1}
        )
        await PgCredentialStore(db, SecretBox(SecretStr(env["INBOX_SECRET_KEY"]))).replace(
            workspace_id, account_id, {"access_token": SecretStr(TOKEN)}
        )
    finally:
        await db.close()
    return account_id


async def _until_mentions(dsn: str, network: str, count: int) -> None:
    deadline = asyncio.get_running_loop().time() + DEADLINE_S
    while True:
        conn = await asyncpg.connect(dsn)
        try:
            stored = await conn.fetchval(
                "SELECT count(*) FROM mention WHERE network = $1 AND direction = 'inbound'",
                network,
            )
        finally:
            await conn.close()
        if stored >= count:
            return
        assert asyncio.get_running_loop().time() < deadline, f"{count} {network} mentions"
        await asyncio.sleep(0.2)


def _lose_the_machine(primary: ControlledPostgres) -> None:
    """SIGKILL of the primary's postmaster and of every backend it started, as when its
    machine is lost (a postmaster's orphans would otherwise go on serving their sessions)."""
    postmaster = psutil.Process(primary.control.postmaster_pid())
    everyone = [postmaster, *postmaster.children(recursive=True)]
    for process in everyone:
        process.kill()
    psutil.wait_procs(everyone, timeout=DEADLINE_S)


async def _until_stored(deliveries: Deliveries, count: int) -> None:
    deadline = asyncio.get_running_loop().time() + DEADLINE_S
    while len(deliveries.stored) < count:
        assert asyncio.get_running_loop().time() < deadline, "deliveries were not stored"
        await asyncio.sleep(0.05)


async def _deliver_one(
    session: aiohttp.ClientSession, base: str, secret: SecretStr, message_id: str
) -> None:
    body = json.dumps(
        {
            "id": message_id,
            "author": {"id": "c-after", "handle": "after"},
            "text": "Still nothing",
            "created_at": datetime.now(UTC).isoformat(),
        }
    ).encode()
    async with session.post(
        f"{base}/api/v1/inbound/default/shop",
        data=body,
        headers=signed_headers(secret, body, datetime.now(UTC)),
    ) as answer:
        assert answer.status == 200, await answer.text()
