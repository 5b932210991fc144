"""Changes announced by PostgreSQL (LISTEN), for the pages' live updates: one dedicated
connection per process, its notifications decoded into `inbox.domain.live` changes; and the
changed threads' rows, read once for every open page.

A connection ends without telling a listener that merely waits (a terminated backend, a
failover, a network that drops packets): `Listening.closed` returns when asyncpg sees it go
or when a probe on the connection gets no answer, and the caller listens again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from inbox.domain.live import (
    AlertRaised,
    IncidentChanged,
    LiveChange,
    PeopleTold,
    SlaEventFired,
    ThreadsChanged,
    ThreadState,
)
from inbox.domain.web import InboxRow
from inbox.store.database import Database
from inbox.store.inbox_list import ROW_COLUMNS, ROW_JOINS, inbox_row

log = logging.getLogger(__name__)

CHANNELS = (
    "inbox_threads",
    "inbox_sla_events",
    "inbox_sla_alerts",
    "inbox_notifications",
    "inbox_incidents",
)
# How often an idle listening connection is asked whether it is still there, and how long
# its answer may take: a connection lost without a word is noticed within their sum.
PROBE_EVERY_SECONDS = 10.0
PROBE_TIMEOUT_SECONDS = 5.0


class Listening:
    """An open listening connection; `closed()` returns, with the reason, once it is gone."""

    def __init__(self, conn: asyncpg.Connection[asyncpg.Record]) -> None:
        self._conn = conn
        self._gone = asyncio.Event()
        self._reason = "the connection closed"
        conn.add_termination_listener(self._terminated)

    def _terminated(self, _conn: Any) -> None:
        self._gone.set()

    async def closed(self) -> str:
        while not self._gone.is_set() and not self._conn.is_closed():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._gone.wait(), timeout=PROBE_EVERY_SECONDS)
                break
            try:
                await self._conn.fetchval("SELECT 1", timeout=PROBE_TIMEOUT_SECONDS)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                self._reason = f"the connection did not answer: {exc.__class__.__name__}"
                break
        return self._reason


class PgChangeFeed:
    """Implements the ChangeFeed port: one dedicated connection listening on the inbox's
    channels, each notification decoded and handed to `deliver`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @contextlib.asynccontextmanager
    async def listening(self, deliver: Callable[[LiveChange], None]) -> AsyncIterator[Listening]:
        def relay(_conn: Any, _pid: int, channel: str, payload: object) -> None:
            try:
                decoded = json.loads(str(payload)) if payload else {}
            except ValueError:
                return
            for change in changes(channel, decoded):
                deliver(change)

        async with self._db.dedicated() as conn:
            try:
                for channel in CHANNELS:
                    await conn.add_listener(channel, relay)
                yield Listening(conn)
            finally:
                # A lost connection would make a polite close wait on the network.
                if not conn.is_closed():
                    conn.terminate()


# The changed threads, whatever their status, with what their inbox rows show and what the
# views select on (as `live_sql.THREAD_STATE` announces it).
ROWS = f"""
SELECT {ROW_COLUMNS}, t.assignee_id, t.sla_due_at, t.last_inbound_at, t.last_answered_at,
       t.team_id, t.community, t.snoozed_until
FROM thread t {ROW_JOINS}
WHERE t.workspace_id = $1 AND t.id = ANY ($2::bigint[])
"""  # noqa: S608 (constants only)


class PgLiveRows:
    """Implements the LiveRows port: the rows of the threads that changed, in one query."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def rows(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[tuple[ThreadState, InboxRow]]:
        async with self._db.connection() as conn:
            found = await conn.fetch(ROWS, workspace_id, list(thread_ids))
        return [(_read_state(row), inbox_row(row)) for row in found]


def _read_state(row: Any) -> ThreadState:
    inbound, answered = row["last_inbound_at"], row["last_answered_at"]
    return ThreadState(
        thread_id=row["id"],
        status=row["status"],
        assignee_id=row["assignee_id"],
        team_id=row["team_id"],
        community=row["community"],
        waiting_on_customer=answered is not None and (inbound is None or answered >= inbound),
        snoozed_until=row["snoozed_until"],
        sla_due_at=row["sla_due_at"],
        network=row["network"],
        kind=row["kind"],
        priority=row["priority"],
        language=row["language"],
        topics=tuple(row["topics"]),
        tags=tuple(row["tags"]),
    )


def changes(channel: str, payload: Any) -> Iterator[LiveChange]:
    """The changes a notification announces; whatever cannot be read is skipped (the pages
    are only told less, and they reload their views now and then anyway)."""
    items = payload if isinstance(payload, list) else [payload]
    for item in items:
        if not isinstance(item, dict) or not _is_id(item.get("workspace_id")):
            continue
        try:
            change = _decoded(channel, item["workspace_id"], item)
        except (TypeError, ValueError, KeyError, IndexError, OverflowError):
            log.warning(
                "unreadable change skipped", extra={"action": "live_skip", "channel": channel}
            )
            continue
        if change is not None:
            yield change


def _decoded(channel: str, workspace_id: int, item: dict[str, Any]) -> LiveChange | None:
    if channel == "inbox_threads":
        if "threads" in item:
            return ThreadsChanged(workspace_id, threads=tuple(map(_state, item["threads"])))
        ids = item.get("thread_ids")
        if ids is None:
            return ThreadsChanged(workspace_id, everything=True)
        return ThreadsChanged(workspace_id, unknown=tuple(i for i in ids if _is_id(i)))
    if channel == "inbox_sla_events":
        thread_id = item.get("thread_id")
        return SlaEventFired(
            workspace_id, thread_id if _is_id(thread_id) else None, str(item.get("kind", ""))
        )
    if channel == "inbox_sla_alerts":
        event_id = item.get("event_id")
        return AlertRaised(
            workspace_id,
            int(item["agent_id"]),
            event_id if _is_id(event_id) else None,
            str(item.get("reason", "")),
        )
    if channel == "inbox_notifications":
        thread_id = item.get("thread_id")
        return PeopleTold(
            workspace_id,
            frozenset(a for a in item.get("for_agents", ()) if _is_id(a)),
            thread_id if _is_id(thread_id) else None,
            str(item.get("kind", "")),
        )
    if channel == "inbox_incidents":
        incident_id = item.get("incident_id")
        return IncidentChanged(
            workspace_id, incident_id if _is_id(incident_id) else None, str(item.get("kind", ""))
        )
    return None


def _state(row: list[Any]) -> ThreadState:
    """A thread's state as `inbox.store.live_sql.THREAD_STATE` writes it."""
    if len(row) == 1:
        return ThreadState(thread_id=int(row[0]), status=None)
    (thread_id, status, assignee, team, community, waiting, snoozed, due) = row[:8]
    network, kind, priority, language, topics = row[8:13]
    tags = row[13] if len(row) > 13 else ()
    return ThreadState(
        thread_id=int(thread_id),
        status=str(status),
        assignee_id=None if assignee is None else int(assignee),
        team_id=None if team is None else int(team),
        community=bool(community),
        waiting_on_customer=bool(waiting),
        snoozed_until=_instant(snoozed),
        sla_due_at=_instant(due),
        network=str(network),
        kind=str(kind),
        priority=str(priority),
        language=None if language is None else str(language),
        topics=tuple(str(t) for t in topics or ()),
        tags=tuple(str(t) for t in tags or ()),
    )


def _instant(epoch: Any) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(int(epoch), UTC)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
