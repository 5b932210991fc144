"""Peak resident memory of `inbox serve` on a grown workspace, for bench/growth.py.

The server runs as a process of its own on the benchmark's database, with `accounts` brand
accounts connected to fake Mastodon and Bluesky services on loopback (half each; the real
connectors poll them, Mastodon's also stream), `streams` pages holding the live updates
endpoint open, and the pages an agent and a lead use asked for meanwhile. The figures are read
from /proc of the server process: VmHWM (the peak resident set, the kernel's own high-water
mark) and VmRSS at the end.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from pydantic import SecretStr

from bench.web import load, logged_in
from connectors.bluesky.fake import FakeBluesky, FakeBlueskyServer
from connectors.bluesky.xrpc import BlueskyCredentials
from connectors.mastodon.fake import FakeMastodon, FakeMastodonServer
from inbox.bootstrap import credential_store
from inbox.domain.network import Network
from inbox.settings import Settings
from inbox.store.database import Database
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.accounts import ConnectAccounts

ROOT = Path(__file__).resolve().parent.parent
# Credentials of the fake services only: they mean nothing anywhere else.
APP_PASSWORD = "bench-bench-bench-bench"  # noqa: S105


@dataclass(frozen=True, slots=True)
class Memory:
    started_mb: float  # resident once serving, before any page
    peak_mb: float  # VmHWM at the end: the highest resident set of the run
    end_mb: float  # VmRSS at the end, streams still open


def resident_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            found[name] = int(value.split()[0]) / 1024
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def fake_networks(
    accounts: int,
) -> AsyncIterator[
    tuple[list[tuple[Network, str, str, dict[str, object], dict[str, SecretStr]]], str]
]:
    """The accounts to connect (network, id, handle, settings, secrets) on fake services,
    and the loopback hosts outbound requests must be allowed to."""
    mastodon = FakeMastodon(domain="fake.social", keepalive_seconds=5)
    bluesky = FakeBluesky()
    async with FakeMastodonServer(mastodon) as mserver, FakeBlueskyServer(bluesky) as bserver:
        found: list[tuple[Network, str, str, dict[str, object], dict[str, SecretStr]]] = []
        for number in range(accounts):
            if number % 2 == 0:
                token = f"bench-token-{number}"
                handle = f"brand{number}"
                account = mastodon.add_account(handle, f"Brand {number}", token=token)
                settings: dict[str, object] = {
                    "instance": mserver.url,
                    "stream": True,
                    "poll_seconds": 5,
                }
                found.append(
                    (
                        Network.MASTODON,
                        account,
                        handle,
                        settings,
                        {"access_token": SecretStr(token)},
                    )
                )
            else:
                handle = f"brand{number}.bsky.social"
                did = bluesky.add_account(handle, f"Brand {number}", app_password=APP_PASSWORD)
                credentials = BlueskyCredentials(SecretStr(APP_PASSWORD)).as_mapping()
                found.append(
                    (Network.BLUESKY, did, handle,
                     {"service": bserver.url, "poll_seconds": 5}, dict(credentials))
                )  # fmt: skip
        hosts = ",".join(urlsplit(url).netloc for url in (mserver.url, bserver.url))
        yield found, hosts


@asynccontextmanager
async def serving(environment: dict[str, str], log: Path) -> AsyncIterator[tuple[str, int]]:
    """`inbox serve` on a free port: its address and process id."""
    port = free_port()
    with log.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "inbox.cli", "serve", "--host", "127.0.0.1", "--port", str(port)),
            cwd=ROOT,
            env={**os.environ, **environment, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=log_file,
        )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=300)
        if b"inbox serving on" not in line:
            text = await asyncio.to_thread(log.read_text, encoding="utf-8", errors="replace")
            tail = text[-2000:]
            raise RuntimeError(f"inbox serve did not start:\n{tail}")
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        except TimeoutError:
            process.kill()
            await process.wait()


async def open_stream(session: aiohttp.ClientSession, base: str) -> aiohttp.ClientResponse:
    answer = await session.get(f"{base}/events?view=all")
    assert answer.status == 200, answer.status
    await asyncio.wait_for(answer.content.readline(), timeout=60)  # subscribed
    return answer


async def measure(
    db: Database,
    dsn: str,
    slug: str,
    workspace_id: int,
    emails: Sequence[str],
    lead: str,
    pages: Sequence[str],
    lead_pages: Sequence[str],
    *,
    accounts: int,
    streams: int,
    folder: Path,
) -> Memory:
    key = SecretStr(os.environ.get("INBOX_SECRET_KEY") or _new_key())
    async with fake_networks(accounts) as (found, hosts):
        settings = Settings(database_url=SecretStr(dsn), secret_key=key, workspace=slug)
        connect = ConnectAccounts(PgWorkspaceStore(db), lambda: credential_store(settings, db))
        for network, external_id, handle, account_settings, secrets in found:
            await connect.connect(
                workspace_id, network, external_id, handle, account_settings, secrets
            )
        environment = {
            "DATABASE_URL": dsn,
            "INBOX_WORKSPACE": slug,
            "INBOX_SECRET_KEY": key.get_secret_value(),
            "INBOX_LOG_LEVEL": "WARNING",
            "INBOX_ALLOWED_INTERNAL_HOSTS": hosts,
        }
        async with (
            serving(environment, folder / "serve.log") as (base, pid),
            AsyncExitStack() as stack,
        ):
            started = resident_mb(pid)["VmRSS"]
            connector = aiohttp.TCPConnector(limit=0)
            stack.push_async_callback(connector.close)
            sessions = await logged_in(base, emails, connector)
            (lead_session,) = await logged_in(base, [lead], connector)
            for session in [*sessions, lead_session]:
                stack.push_async_callback(session.close)
            opened = await asyncio.gather(
                *(open_stream(sessions[n % len(sessions)], base) for n in range(streams))
            )
            for answer in opened:
                stack.callback(answer.close)
            for page in pages:
                await load(base, page, sessions, 3)
            for page in lead_pages:
                await load(base, page, [lead_session], 3)
            now = resident_mb(pid)
            return Memory(started, now["VmHWM"], now["VmRSS"])


def _new_key() -> str:
    from inbox.store.secret_box import SecretBox

    return SecretBox.new_key()
