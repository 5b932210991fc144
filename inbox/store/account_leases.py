"""Account leases and the worker registry (implements the AccountLeases port), and the
notifications that tell workers the connected accounts changed.

Every expiry is computed with the server's `now()`: the workers' machines never compare
their own clocks. Each statement is set-based: a heartbeat renews all of a worker's leases
at once, a take claims all the free accounts it asks for at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection

from inbox.domain.errors import DatabaseUnavailableError
from inbox.ports.leases import AccountKey, ClusterView
from inbox.store.database import CONNECTION_GONE, Database
from inbox.store.live import Listening

log = logging.getLogger(__name__)

# The networks whose accounts a worker polls or streams; webhook sources are pushed to
# whichever web process receives them and need no owner.
LEASED_NETWORKS = ("x", "mastodon", "bluesky")
CHANNEL = "inbox_accounts"

REGISTER = """
INSERT INTO cluster_worker (worker_id) VALUES ($1)
ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = now()
"""
# Rows of workers gone for long are kept a while for the operator, then dropped.
FORGET_DEAD_WORKERS = """
DELETE FROM cluster_worker WHERE heartbeat_at < now() - $1 * interval '10 seconds'
"""
# Only leases still running are renewed: one that expired may already be another's, and the
# worker treats it as lost.
RENEW = """
UPDATE account_lease SET expires_at = now() + $2 * interval '1 second'
WHERE worker_id = $1 AND expires_at > now()
RETURNING workspace_id, account_id
"""
LIVE_WORKERS = """
SELECT worker_id FROM cluster_worker WHERE heartbeat_at > now() - $1 * interval '1 second'
"""
# The version digest covers what a runner is built from: the row and the sealed secrets.
ACCOUNTS = """
SELECT a.workspace_id, a.id AS account_id,
       md5(concat_ws('|', a.network, a.external_id, a.handle, a.settings::text,
                     (SELECT string_agg(c.name || ':' || md5(c.ciphertext), ',' ORDER BY c.name)
                      FROM account_credential c
                      WHERE c.workspace_id = a.workspace_id AND c.account_id = a.id)))
       AS version,
       l.worker_id AS holder
FROM network_account a
LEFT JOIN account_lease l
       ON l.workspace_id = a.workspace_id AND l.account_id = a.id AND l.expires_at > now()
WHERE a.enabled AND a.network = ANY($1::text[])
"""
# Free or expired leases become this worker's; a lease another worker holds (even one it
# renews at this very moment: the conflicting row is locked, then its condition re-read) is
# left alone. Rows go in key order so that two takers never wait on each other in a cycle.
TAKE = """
INSERT INTO account_lease (workspace_id, account_id, worker_id, expires_at)
SELECT a.workspace_id, a.id, $1, now() + $4 * interval '1 second'
FROM unnest($2::bigint[], $3::bigint[]) AS w (workspace_id, account_id)
JOIN network_account a ON a.workspace_id = w.workspace_id AND a.id = w.account_id AND a.enabled
ORDER BY a.workspace_id, a.id
ON CONFLICT (workspace_id, account_id) DO UPDATE
SET worker_id = excluded.worker_id, expires_at = excluded.expires_at
WHERE account_lease.expires_at <= now() OR account_lease.worker_id = excluded.worker_id
RETURNING workspace_id, account_id
"""
RELEASE = """
DELETE FROM account_lease l
USING unnest($2::bigint[], $3::bigint[]) AS r (workspace_id, account_id)
WHERE l.worker_id = $1 AND l.workspace_id = r.workspace_id AND l.account_id = r.account_id
"""
RELEASE_ALL = "DELETE FROM account_lease WHERE worker_id = $1"
UNREGISTER = "DELETE FROM cluster_worker WHERE worker_id = $1"


class PgAccountLeases:
    def __init__(self, db: Database, networks: Collection[str] = LEASED_NETWORKS) -> None:
        self._db = db
        self._networks = list(networks)

    async def beat(self, worker_id: str, lease_seconds: float) -> ClusterView:
        async with self._db.transaction() as conn:
            await conn.execute(REGISTER, worker_id)
            renewed = await conn.fetch(RENEW, worker_id, lease_seconds)
            live = await conn.fetch(LIVE_WORKERS, lease_seconds)
            accounts = await conn.fetch(ACCOUNTS, self._networks)
            await conn.execute(FORGET_DEAD_WORKERS, lease_seconds)
        return ClusterView(
            live_workers=frozenset(row["worker_id"] for row in live),
            accounts={(row["workspace_id"], row["account_id"]): row["version"] for row in accounts},
            holders={
                (row["workspace_id"], row["account_id"]): row["holder"]
                for row in accounts
                if row["holder"] is not None
            },
            renewed=frozenset((row["workspace_id"], row["account_id"]) for row in renewed),
        )

    async def take(
        self, worker_id: str, accounts: Collection[AccountKey], lease_seconds: float
    ) -> frozenset[AccountKey]:
        workspaces, ids = _columns(accounts)
        async with self._db.connection() as conn:
            rows = await conn.fetch(TAKE, worker_id, workspaces, ids, lease_seconds)
        return frozenset((row["workspace_id"], row["account_id"]) for row in rows)

    async def release(self, worker_id: str, accounts: Collection[AccountKey]) -> None:
        workspaces, ids = _columns(accounts)
        async with self._db.connection() as conn:
            await conn.execute(RELEASE, worker_id, workspaces, ids)

    async def leave(self, worker_id: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(RELEASE_ALL, worker_id)
            await conn.execute(UNREGISTER, worker_id)


def _columns(accounts: Collection[AccountKey]) -> tuple[list[int], list[int]]:
    ordered = sorted(accounts)
    return [account[0] for account in ordered], [account[1] for account in ordered]


class PgAccountChanges:
    """Tells `changed` whenever a connected account or its secrets change (a trigger sends
    the notification, whichever path wrote the row), and once on every (re)connection: what
    changed while nobody listened is caught up then."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def listen(self, changed: Callable[[], object], stop: asyncio.Event) -> None:
        """Until `stop` is set; raises DatabaseUnavailableError when the connection is lost
        (its supervisor listens again after a backoff)."""

        def notified(_conn: object, _pid: int, _channel: str, _payload: object) -> None:
            changed()

        async with self._db.dedicated() as conn:
            listening = Listening(conn)
            try:
                await conn.add_listener(CHANNEL, notified)
            except CONNECTION_GONE as exc:
                raise DatabaseUnavailableError(
                    f"cannot listen for account changes: {exc.__class__.__name__}"
                ) from exc
            changed()
            closed = asyncio.create_task(listening.closed())
            stopping = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait({closed, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (closed, stopping):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if not stop.is_set():
                raise DatabaseUnavailableError(f"account change listener: {closed.result()}")
