"""In-memory fakes of the assignment ports: one thread's assignment by hand, the seats freed
for the waiting threads, routing on a transaction (the threads it is shown, the decisions it
writes) and the routing store that opens it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from inbox.domain.routing import ClaimedThread, RoutingConfig
from routing.snapshot import AssignedThread, Assignment, Snapshot, ThreadToRoute


@dataclass
class HandStore:
    """Threads open in the workspace; what was taken or given, as (thread, agent, team)."""

    open_threads: set[int]
    done: list[tuple[int, int | None, int | None]] = field(default_factory=list)

    async def take(self, workspace_id: int, thread_id: int, agent_id: int, at: datetime) -> bool:
        if thread_id not in self.open_threads:
            return False
        self.done.append((thread_id, agent_id, None))
        return True

    async def assign(
        self,
        workspace_id: int,
        thread_id: int,
        agent_id: int | None,
        team_id: int | None,
        by_agent_id: int,
        at: datetime,
    ) -> bool:
        if thread_id not in self.open_threads:
            return False
        self.done.append((thread_id, agent_id, team_id))
        return True


@dataclass
class Seats:
    freed: list[list[int]] = field(default_factory=list)

    async def seats_freed(self, workspace_id: int, thread_ids: Sequence[int]) -> None:
        self.freed.append(list(thread_ids))


@dataclass
class Writer:
    """Routing on one transaction: the threads it is shown, and the decisions written."""

    snapshot_of: Snapshot
    routed: list[tuple[ThreadToRoute, int | None]] = field(default_factory=list)
    held: list[AssignedThread] = field(default_factory=list)
    written: list[tuple[str, list[Assignment], list[int | None] | None]] = field(
        default_factory=list
    )

    @property
    def assignments(self) -> Writer:  # what it writes is recorded on itself
        return self

    async def to_route(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[tuple[ThreadToRoute, int | None]]:
        return [(facts, holder) for facts, holder in self.routed if facts.thread_id in thread_ids]

    async def snapshot(self, workspace_id: int, now: datetime, window: timedelta) -> Snapshot:
        return self.snapshot_of

    async def stale(
        self, workspace_id: int, assigned_before: datetime, limit: int = 500
    ) -> list[AssignedThread]:
        return [a for a in self.held if a.assigned_at < assigned_before]

    async def apply(
        self,
        workspace_id: int,
        assignments: Sequence[Assignment],
        at: datetime,
        source: str,
        holders: Sequence[int | None] | None = None,
    ) -> None:
        self.written.append((source, list(assignments), None if holders is None else [*holders]))


@dataclass
class RoutingStore:
    """Each workspace's writer; no stored configuration (the defaults apply)."""

    writers: dict[int, Writer]
    claims: list[tuple[int, int, int, datetime]] = field(default_factory=list)
    current: int = 0

    async def load_config(self, workspace_id: int) -> RoutingConfig | None:
        self.current = workspace_id
        return None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Writer]:
        yield self.writers[self.current]

    async def claim(
        self, workspace_id: int, agent_id: int, limit: int, at: datetime
    ) -> list[ClaimedThread]:
        self.claims.append((workspace_id, agent_id, limit, at))
        return []
