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
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator
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
from inbox.domain.outbox import OutboxKind
from inbox.store.database import Database
from inbox.store.migrate import migrate
from inbox.store.outbox import PgOutboxStore
from inbox.store.secret_box import SecretBox
from tests.controlled_postgres import ControlledPostgres, controlled_postgres
from tests.e2e.browsing import PASSWORD
from tests.e2e.worker_process import mastodon_account
from tests.factories import allowed_hosts

pytestmark = pytest.mark.integration

INBOX = [sys.executable, "-m", "inbox.cli"]
TOKEN = "brand-token"
AGENT = "agent@example.com"
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


async def until_health(url: str, status: int, naming: Collection[str] = ()) -> dict[str, Any]:
    """The first answer of /healthz with `status` that names each of the parts `naming` (a
    part joins the answer once it has started)."""
    deadline = asyncio.get_running_loop().time() + DEADLINE_S
    seen: tuple[int, dict[str, Any]] | None = None
    while asyncio.get_running_loop().time() < deadline:
        seen = await health(url)
        if seen is not None and seen[0] == status and set(naming) <= set(seen[1]["parts"]):
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


async def inbox_command(env: dict[str, str], *args: str, stdin: str = "") -> str:
    process = await asyncio.create_subprocess_exec(
        *INBOX, *args, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate(stdin.encode())
    assert process.returncode == 0, err.decode()
    return out.decode()


@asynccontextmanager
async def signed_in(base: str) -> AsyncIterator[aiohttp.ClientSession]:
    """A browser's session of the agent, logged in through the login form."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        form = {"email": AGENT, "password": PASSWORD}
        async with session.post(f"{base}/login", data=form, allow_redirects=False) as answer:
            assert answer.status == 303, await answer.text()
        yield session


class OpenStream:
    """An open `/events` stream (every change of the workspace), read as it comes, as a
    page's EventSource reads it; it must stay open through the outage."""

    def __init__(self, answer: aiohttp.ClientResponse) -> None:
        self._answer = answer
        self.events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._reading = asyncio.create_task(self._read())

    @classmethod
    @asynccontextmanager
    async def opened(cls, session: aiohttp.ClientSession, base: str) -> AsyncIterator[OpenStream]:
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with session.get(f"{base}/events", timeout=timeout) as answer:
            assert answer.headers["Content-Type"] == "text/event-stream"
            stream = cls(answer)
            try:
                name, _ = await stream.next()
                assert name == "hello"
                yield stream
            finally:
                stream._reading.cancel()
                await asyncio.gather(stream._reading, return_exceptions=True)

    async def _read(self) -> None:
        name = ""
        async for raw in self._answer.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                self.events.put_nowait((name, json.loads(line[len("data: ") :])))
        self.events.put_nowait(("ended", {}))

    async def next(self) -> tuple[str, dict[str, Any]]:
        name, data = await asyncio.wait_for(self.events.get(), DEADLINE_S)
        assert name != "ended", "the stream ended"
        return name, data

    async def until_change_of(self, thread_id: int) -> None:
        while True:
            name, data = await self.next()
            if name == "change" and thread_id in data.get("threads", []):
                return

    async def quiet_for(self, seconds: float) -> None:
        """Reads what the stream says until it has said nothing for `seconds` (longer than a
        page's one-second pace): what it says next was caused by what happens next."""
        while True:
            try:
                name, _ = await asyncio.wait_for(self.events.get(), seconds)
            except TimeoutError:
                return
            assert name != "ended", "the stream ended"

    async def until_told_of(self, thread_id: int) -> None:
        """A change naming the thread, or a resync: a page reloads its whole view on a resync,
        and a change arriving while one is pending is folded into it."""
        while True:
            name, data = await self.next()
            if name == "resync" or (name == "change" and thread_id in data.get("threads", [])):
                return


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
    await inbox_command(
        env, "agent", "add", AGENT, "--name", "Ann", "--password-stdin", stdin=PASSWORD
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    health_url = f"{base}/healthz"

    async def deliver(
        number: int, accept: str = "application/json"
    ) -> tuple[int, dict[str, Any], str | None]:
        """The answer's status, body and Retry-After."""
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
                headers={**signed_headers(secret, body, datetime.now(UTC)), "Accept": accept},
            ) as answer,
        ):
            return answer.status, await answer.json(), answer.headers.get("Retry-After")

    async def thread_of(message_id: str) -> int:
        """The thread of a delivered message (its external id is prefixed by its source)."""
        conn = await asyncpg.connect(outage_dsn)
        try:
            found = await conn.fetchval(
                "SELECT thread_id FROM mention WHERE external_id LIKE '%:' || $1", message_id
            )
        finally:
            await conn.close()
        assert found is not None
        return int(found)

    log = tmp_path / "serve.log"
    async with inbox_process(env, "serve", "--port", str(port), log=log) as serve:
        ready = await until_health(
            health_url, 200, naming={"database", "listener", "timer", "outbox", "webhooks"}
        )
        assert down_parts(ready) == set()
        async with signed_in(base) as browser, OpenStream.opened(browser, base) as page:
            assert (await deliver(1))[1]["added"] == 1
            await page.until_change_of(await thread_of("m-1"))

            async def refused_for_now() -> None:
                # The sender retries later (not a server error): JSON, whatever it accepts.
                status, answer, retry_after = await deliver(2, accept="text/html, */*")
                assert (status, answer["error"]["code"]) == (503, "unavailable")
                assert retry_after is not None
                await until_listener_down(health_url)
                await page_says_unavailable(browser, base)

            await go_through(outage, postgres, health_url, while_down=refused_for_now)
            back = await until_health(health_url, 200)
            assert back["status"] == "ok"
            assert back["parts"]["listener"] == {"status": "ok", "detail": "listening"}
            assert serve.returncode is None, "the process outlived its database"
            await page.quiet_for(3.0)  # the resync of the listener's return is behind
            status, answer, _ = await deliver(3)
            assert (status, answer["added"]) == (200, 1)
            await page.until_told_of(await thread_of("m-3"))
    assert_quiet_about_the_outage(log, postgres)


async def until_listener_down(health_url: str) -> None:
    """/healthz names the live updates' listener down while the database is (it notices the
    loss of its connection at once, or within its probe's 15 s)."""

    async def named() -> bool:
        seen = await health(health_url)
        return seen is not None and "listener" in down_parts(seen[1])

    await eventually(named, "/healthz to name the listener down")


async def page_says_unavailable(browser: aiohttp.ClientSession, base: str) -> None:
    """A page asked for during the outage: a short page saying so, to retry in a moment."""
    async with browser.get(f"{base}/inbox", headers={"Accept": "text/html"}) as answer:
        text = await answer.text()
        assert answer.status == 503
        assert answer.content_type == "text/html"
        assert int(answer.headers["Retry-After"]) > 0
        assert "The database is unavailable" in text
        assert "Try again" in text


def assert_quiet_about_the_outage(log: Path, postgres: ControlledPostgres) -> None:
    """Every line of the process's log is a JSON object; what the outage made it log names
    the error's class, with no traceback and not where the server listens."""
    socket_folder = postgres.control.dsn("postgres").split("host=")[1].split("&")[0]
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        if entry.get("logger") == "asyncpg.pool":
            assert entry["action"] == "database_pool_retry", entry
            assert "Traceback" not in line, entry
        assert socket_folder not in line, entry


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
            workspace_id, account_id = await mastodon_account(
                db, key, server.url, brand, TOKEN, poll_seconds=1
            )
            fake.post(customer, "@acme my fibre is down")
            port = free_port()
            health_url = f"http://127.0.0.1:{port}/healthz"
            env = inbox_env(outage_dsn, key)
            env["INBOX_ALLOWED_INTERNAL_HOSTS"] = allowed_hosts(server.url)  # on loopback
            args = ("worker", "--health-port", str(port))
            async with inbox_process(env, *args, log=tmp_path / "worker.log") as worker:
                connector = f"mastodon:{account_id}"
                ready = await until_health(
                    health_url, 200, naming={"database", connector, "outbox", "timer"}
                )
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
