"""The chaos run's cluster: a PostgreSQL primary behind a PgBouncer in transaction mode, its
streaming replica, and `inbox web` and `inbox worker` processes that the run kills (SIGKILL)
and starts again. The servers are the tests' own (tests/controlled_postgres.py,
tests/replica.py), the PgBouncer bench/pgbouncer_control.py's.

Every process is given the settings a deployment with a standby has:
- `DATABASE_URL`: the primary's PgBouncer, then the replica itself, with
  `target_session_attrs=read-write`, so that after a promotion new connections find the new
  primary by themselves. Not a PgBouncer before the replica too: PgBouncer hands its clients
  the `in_hot_standby` its server connections reported when they opened, so through it a
  promoted replica still reads as a standby until PgBouncer reconnects (asyncpg trusts the
  reported value);
- `INBOX_DIRECT_DATABASE_URL`: both servers themselves, the same way, for what needs a session
  (LISTEN, advisory locks, leases);
- `INBOX_READ_DATABASE_URL`: the replica, for dashboards and search.

Losing the primary's machine stops its server (a fast shutdown: what it committed reaches the
replica) and its PgBouncer, for good; the replica is then promoted.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import asyncpg

from bench.pgbouncer_control import RunningPgBouncer, running_pgbouncer
from inbox.store.migrate import migrate
from tests.controlled_postgres import ControlledPostgres, controlled_postgres
from tests.replica import Replica, streaming_replica

INBOX = [sys.executable, "-m", "inbox.cli"]
DATABASE = "chaos"
HEALTH_DEADLINE_S = 120.0


def _socket(dsn: str) -> tuple[str, str]:
    query = parse_qs(urlsplit(dsn).query)
    return query["host"][0], query["port"][0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Databases:
    """The primary with its PgBouncer, and its replica."""

    primary: ControlledPostgres
    replica: Replica
    bouncer: RunningPgBouncer
    _stop_bouncer: ExitStack
    primary_lost: bool = False

    def pooled_url(self) -> str:
        (replica_host, replica_port) = _socket(self.replica.dsn(DATABASE))
        return (
            f"postgresql://postgres@/{DATABASE}?host=127.0.0.1,{replica_host}"
            f"&port={self.bouncer.port},{replica_port}&target_session_attrs=read-write"
        )

    def direct_url(self) -> str:
        (primary_host, primary_port) = _socket(self.primary.control.dsn(DATABASE))
        (replica_host, replica_port) = _socket(self.replica.dsn(DATABASE))
        return (
            f"postgresql://postgres@/{DATABASE}?host={primary_host},{replica_host}"
            f"&port={primary_port},{replica_port}&target_session_attrs=read-write"
        )

    def read_url(self) -> str:
        return self.replica.dsn(DATABASE)

    def primary_dsn(self) -> str:
        """The primary of the moment (the replica once promoted)."""
        if self.primary_lost:
            return self.replica.dsn(DATABASE)
        return self.primary.control.dsn(DATABASE)

    def lose_primary(self) -> None:
        """Its machine is gone: the server stopped, its PgBouncer too, for good."""
        self.primary_lost = True
        self.primary.control.stop()
        self._stop_bouncer.close()

    def promote_replica(self) -> None:
        self.replica.promote()


@contextmanager
def databases() -> Iterator[Databases]:
    """A migrated database on a primary with its PgBouncer, and its streaming replica."""
    with ExitStack() as stack:
        # Not under pytest's temporary folders: the servers and PgBouncer may run as the
        # embedded server's own user, which must reach their folders.
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="inbox-chaos-")))
        primary = stack.enter_context(controlled_postgres(folder / "primary"))
        asyncio.run(_migrated(primary))
        replica = stack.enter_context(streaming_replica(primary, folder / "replica"))
        # Its own folder: PgBouncer may run as the embedded server's user.
        bouncer_folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="inbox-chaos-"))
        stop_bouncer = stack.enter_context(ExitStack())
        bouncer = stop_bouncer.enter_context(
            running_pgbouncer(Path(bouncer_folder), primary.control.dsn("postgres"))
        )
        yield Databases(primary, replica, bouncer, stop_bouncer)


async def _migrated(primary: ControlledPostgres) -> None:
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


def inbox_env(dbs: Databases, secret_key: str, **settings: str) -> dict[str, str]:
    """This environment without the caller's own INBOX_ settings, on the cluster."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("INBOX_")}
    env.update(
        DATABASE_URL=dbs.pooled_url(),
        INBOX_DIRECT_DATABASE_URL=dbs.direct_url(),
        INBOX_READ_DATABASE_URL=dbs.read_url(),
        # Debian 12's PgBouncer (1.18) keeps no prepared statement across transactions.
        INBOX_STATEMENT_CACHE_SIZE="0",
        INBOX_SECRET_KEY=secret_key,
        INBOX_POOL_SIZE="4",
        INBOX_LOG_LEVEL="WARNING",
    )
    env.update(settings)
    return env


@dataclass
class Slot:
    """One process of the cluster, started again under the same name and port after a kill."""

    name: str
    role: str  # "web" or "worker"
    port: int
    log: Path
    process: asyncio.subprocess.Process | None = None
    kills: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        process = self.process
        return process.pid if process is not None and process.returncode is None else None


@dataclass
class InboxCluster:
    """`inbox web` and `inbox worker` processes on the cluster's settings."""

    env: dict[str, str]
    slots: list[Slot] = field(default_factory=list)

    @classmethod
    def of(cls, env: dict[str, str], folder: Path, webs: int, workers: int) -> InboxCluster:
        roles = [("web", n) for n in range(1, webs + 1)] + [
            ("worker", n) for n in range(1, workers + 1)
        ]
        slots = [
            Slot(f"{role}-{n}", role, free_port(), folder / f"{role}-{n}.log") for role, n in roles
        ]
        return cls(env, slots)

    def of_role(self, role: str) -> list[Slot]:
        return [slot for slot in self.slots if slot.role == role]

    def pids(self) -> list[int]:
        return [pid for slot in self.slots if (pid := slot.pid) is not None]

    async def start(self, slot: Slot) -> None:
        with slot.log.open("ab") as log:
            slot.process = await asyncio.create_subprocess_exec(
                *INBOX, slot.role, "--port", str(slot.port),
                env=self.env, stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )  # fmt: skip

    def kill(self, slot: Slot) -> int:
        """SIGKILL: no chance to tidy up, as a crash or the out-of-memory killer. Its pid."""
        process = slot.process
        if process is None or process.returncode is not None:
            raise RuntimeError(f"{slot.name} is not running")
        process.send_signal(signal.SIGKILL)
        slot.kills += 1
        return process.pid

    async def reap(self, slot: Slot) -> None:
        if slot.process is not None:
            await slot.process.wait()

    async def stop_all(self) -> None:
        for slot in self.slots:
            if slot.process is not None and slot.process.returncode is None:
                slot.process.send_signal(signal.SIGTERM)
        for slot in self.slots:
            if slot.process is None:
                continue
            try:
                await asyncio.wait_for(slot.process.wait(), HEALTH_DEADLINE_S)
            except TimeoutError:
                slot.process.kill()
                await slot.process.wait()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[InboxCluster]:
        try:
            for slot in self.slots:
                await self.start(slot)
            yield self
        finally:
            await self.stop_all()


async def health(slot: Slot) -> tuple[int, dict[str, Any]] | None:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{slot.url}/healthz", timeout=aiohttp.ClientTimeout(total=5)) as answer,
        ):
            return answer.status, await answer.json()
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None


async def until_healthy(slot: Slot, *, part: str | None = None, detail: str | None = None) -> None:
    """Until `slot` answers /healthz 200 (naming `part`, with `detail` when given)."""
    deadline = asyncio.get_running_loop().time() + HEALTH_DEADLINE_S
    while asyncio.get_running_loop().time() < deadline:
        seen = await health(slot)
        if seen is not None and seen[0] == 200:
            parts = seen[1].get("parts", {})
            if part is None or (
                part in parts and (detail is None or parts[part].get("detail") == detail)
            ):
                return
        await asyncio.sleep(0.2)
    raise SystemExit(f"{slot.name} was not healthy in {HEALTH_DEADLINE_S:.0f} s; see {slot.log}")
