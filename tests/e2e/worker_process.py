"""Real `inbox` processes for the end-to-end tests: a worker started and stopped by a signal,
a command run to its end, and waiting on what they do to the database."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Sized
from contextlib import asynccontextmanager

from pydantic import SecretStr

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Mention
from inbox.domain.network import Network
from inbox.domain.outbox import OutboxItem, OutboxKind
from inbox.store.credentials import PgCredentialStore
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.store.outbox import PgOutboxStore
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.ingest import IngestMentions
from tests.waiting import eventually


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


async def inbox_command(
    env: dict[str, str], *args: str, stdin: bytes | None = None
) -> tuple[int, str, str]:
    """`inbox ARGS...` to its end: its exit code, and what it printed on each stream."""
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
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def run_inbox(env: dict[str, str], *args: str, stdin: bytes | None = None) -> str:
    """`inbox ARGS...` to its end; what it printed. It must succeed."""
    code, out, err = await inbox_command(env, *args, stdin=stdin)
    assert code == 0, err
    return out


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


async def mastodon_account(
    db: Database, secret_key: str, instance: str, brand: str, token: str, poll_seconds: int
) -> tuple[int, int]:
    """The default workspace with the brand's Mastodon account on `instance`, its token
    sealed with `secret_key` for a worker to read: the workspace's id and the account's."""
    workspaces = PgWorkspaceStore(db)
    workspace_id = await workspaces.ensure_workspace("default", "default")
    account_id = await workspaces.configure_account(
        workspace_id, Network.MASTODON, brand, "acme",
        {"instance": instance, "poll_seconds": poll_seconds},
    )  # fmt: skip
    await PgCredentialStore(db, SecretBox(SecretStr(secret_key))).replace(
        workspace_id, account_id, {"access_token": SecretStr(token)}
    )
    return workspace_id, account_id


# -- a worker killed mid-send ---------------------------------------------------------------


async def queued_reply(
    db: Database, workspace_id: int, complaint: Mention, body: str
) -> tuple[int, OutboxItem]:
    """The customer's complaint ingested and the brand's reply to it queued: the thread's id
    and the outbox item."""
    await IngestMentions(PgIngestStore(db))(workspace_id, IngestBatch([complaint]))
    thread_id = int(
        await db.fetchval("SELECT id FROM thread WHERE workspace_id = $1", workspace_id)
    )
    item = await PgOutboxStore(db).enqueue(workspace_id, thread_id, OutboxKind.REPLY, "r1", body)
    return thread_id, item


async def killed_mid_send(
    env: dict[str, str],
    posted: Sized,
    answer_again: Callable[[], object],
    store: PgOutboxStore,
    workspace_id: int,
    item_id: int,
) -> None:
    """A worker killed (SIGKILL) once the fake network holds the reply (`posted`, the fake's
    list of replies) while the fake holds its answer back; then the fake answers again
    (`answer_again`) and the next worker must record the item as sent."""
    async with running_worker(env, stopped_by=signal.SIGKILL):
        await until_posted(posted)
    answer_again()
    await reconciled_by_a_second_worker(env, store, workspace_id, item_id)


async def until_posted(posted: Sized) -> None:
    """Wait until the fake network holds one reply (`posted`, the fake's list of them)."""

    async def one() -> bool:
        return len(posted) == 1

    await eventually(one, "the worker to post the reply")


async def reconciled_by_a_second_worker(
    env: dict[str, str], store: PgOutboxStore, workspace_id: int, item_id: int
) -> None:
    """The item a killed worker left "sending" is recorded as sent by the next worker."""
    claimed = await store.get(workspace_id, item_id)
    assert claimed is not None
    assert claimed.status.value == "sending"

    async with running_worker(env):
        await until_sent(store, workspace_id, item_id, "the second worker to reconcile it")


async def sent_once(db: Database, workspace_id: int, thread_id: int, item_id: int) -> str | None:
    """The network's id the item was recorded as sent under, the thread holding one reply."""
    assert await outbound_mentions(db, workspace_id, thread_id) == 1
    done = await PgOutboxStore(db).get(workspace_id, item_id)
    assert done is not None
    return done.sent_external_id
