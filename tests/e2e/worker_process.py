"""Real `inbox` processes for the end-to-end tests: a worker started and stopped by a signal,
a command run to its end, and waiting on what they do to the database."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from inbox.store.database import Database
from inbox.store.outbox import PgOutboxStore


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 60) -> None:
    for _ in range(int(seconds * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def worker_env(database_dsn: str, secret_key: str, **settings: str) -> dict[str, str]:
    """This environment without the developer's own INBOX_ settings, on the test database.
    Outbox claims last a second: a killed worker's claim expires before the next one looks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env.update(
        DATABASE_URL=database_dsn,
        INBOX_SECRET_KEY=secret_key,
        INBOX_OUTBOX_LEASE_SECONDS="1",
        INBOX_PORT="0",  # its /healthz on a free port: workers of parallel tests never collide
    )
    env.update(settings)
    return env


@asynccontextmanager
async def running_worker(
    env: dict[str, str], *, stopped_by: signal.Signals = signal.SIGTERM
) -> AsyncIterator[asyncio.subprocess.Process]:
    """An `inbox worker` for the length of the block; SIGKILL stops it with no chance to
    tidy up, as a crash would."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inbox.cli",
        "worker",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.send_signal(stopped_by)
        await process.wait()


async def run_inbox(env: dict[str, str], *args: str, stdin: bytes | None = None) -> str:
    """`inbox ARGS...` to its end; what it printed. It must succeed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inbox.cli",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(stdin)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def until_sent(store: PgOutboxStore, workspace_id: int, item_id: int, what: str) -> None:
    async def sent() -> bool:
        current = await store.get(workspace_id, item_id)
        return current is not None and current.status.value == "sent"

    await eventually(sent, what)


async def outbound_mentions(db: Database, workspace_id: int, thread_id: int) -> int:
    """How many replies the thread records as sent by the brand."""
    return int(
        await db.fetchval(
            "SELECT count(*) FROM mention WHERE workspace_id = $1 AND thread_id = $2 "
            "AND direction = 'outbound'",
            workspace_id,
            thread_id,
        )
    )
