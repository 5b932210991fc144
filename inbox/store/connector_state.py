"""What connectors keep between polls: cursors, stored ids, API use, channel health."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from inbox.domain.network import ChannelStatus
from inbox.store.database import Database

CURSOR = "SELECT position FROM connector_cursor WHERE workspace_id = $1 AND connector = $2"
KNOWN_IDS = """
SELECT external_id FROM mention
WHERE workspace_id = $1 AND network = $2 AND external_id = ANY($3::text[])
"""
RECORD_USAGE = """
INSERT INTO api_usage (workspace_id, account_id, day, requests, reads)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (workspace_id, account_id, day)
DO UPDATE SET requests = api_usage.requests + excluded.requests,
              reads = api_usage.reads + excluded.reads
"""
READS = """
SELECT coalesce(sum(reads) FILTER (WHERE day = $3), 0) AS today,
       coalesce(sum(reads), 0) AS month
FROM api_usage
WHERE workspace_id = $1 AND account_id = $2 AND day >= $4 AND day <= $3
"""
SAVE_HEALTH = """
INSERT INTO channel_health (workspace_id, account_id, health) VALUES ($1, $2, $3::jsonb)
ON CONFLICT (workspace_id, account_id)
DO UPDATE SET health = excluded.health, updated_at = now()
"""
ADD_EVENTS = """
INSERT INTO channel_event (workspace_id, account_id, kind, reason, at)
SELECT $1, $2, kind, reason, at
FROM unnest($3::text[], $4::text[], $5::timestamptz[]) AS e (kind, reason, at)
"""
NOTIFY_EVENTS = "SELECT pg_notify('inbox_channel_events', $1)"
LOAD_HEALTH = "SELECT health FROM channel_health WHERE workspace_id = $1 AND account_id = $2"


class PgConnectorState:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def cursor(self, workspace_id: int, connector: str) -> str | None:
        value = await self._db.fetchval(CURSOR, workspace_id, connector)
        return None if value is None else str(value)

    async def known_external_ids(
        self, workspace_id: int, network: str, external_ids: Sequence[str]
    ) -> set[str]:
        if not external_ids:
            return set()
        async with self._db.connection() as conn:
            rows = await conn.fetch(KNOWN_IDS, workspace_id, network, list(external_ids))
        return {row["external_id"] for row in rows}


class PgApiUsageLedger:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self, workspace_id: int, account_id: int, day: date, requests: int, reads: int
    ) -> None:
        async with self._db.connection() as conn:
            await conn.execute(RECORD_USAGE, workspace_id, account_id, day, requests, reads)

    async def reads(
        self, workspace_id: int, account_id: int, day: date, month_start: date
    ) -> tuple[int, int]:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(READS, workspace_id, account_id, day, month_start)
        assert row is not None
        return int(row["today"]), int(row["month"])


class PgChannelHealthStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(
        self,
        workspace_id: int,
        account_id: int,
        health: Mapping[str, Any],
        events: Sequence[tuple[str, str, datetime]],
    ) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(SAVE_HEALTH, workspace_id, account_id, json.dumps(health))
            if events:
                await conn.execute(
                    ADD_EVENTS,
                    workspace_id,
                    account_id,
                    [kind for kind, _, _ in events],
                    [reason for _, reason, _ in events],
                    [at for _, _, at in events],
                )
                payload = {"workspace_id": workspace_id, "account_id": account_id}
                await conn.execute(NOTIFY_EVENTS, json.dumps(payload))

    async def load(self, workspace_id: int, account_id: int) -> dict[str, Any] | None:
        value = await self._db.fetchval(LOAD_HEALTH, workspace_id, account_id)
        return None if value is None else dict(json.loads(value))


LIST_CHANNELS = """
SELECT a.id AS account_id, a.network, a.handle, a.enabled, h.health AS status,
       h.updated_at,
       (SELECT count(*) FROM channel_event e
        WHERE e.workspace_id = a.workspace_id AND e.account_id = a.id
          AND e.kind = 'channel_degraded') AS degraded_events
FROM network_account a
LEFT JOIN channel_health h ON h.workspace_id = a.workspace_id AND h.account_id = a.id
WHERE a.workspace_id = $1
ORDER BY a.network, a.handle
"""


class PgChannelQuery:
    """Connected accounts with the latest status their connector reported (no secrets)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def list_channels(self, workspace_id: int) -> list[ChannelStatus]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(LIST_CHANNELS, workspace_id)
        return [
            ChannelStatus(
                account_id=row["account_id"],
                network=row["network"],
                handle=row["handle"],
                enabled=row["enabled"],
                status=json.loads(row["status"]) if row["status"] else None,
                updated_at=row["updated_at"],
                degraded_events=row["degraded_events"],
            )
            for row in rows
        ]
