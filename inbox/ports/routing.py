"""Routing and assignment: the writers of a batch, the queue, bulk actions, hand assignment."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from inbox.domain.bulk import AssignTarget, Skipped
from inbox.domain.presence import AgentStatus, Presence
from inbox.domain.routing import ClaimedThread, RoutingConfig
from routing.rules import RuleOutcome, RuleSubject
from routing.snapshot import AssignedThread, Assignment, Snapshot, ThreadToRoute

if TYPE_CHECKING:
    pass


class AssignmentWriter(Protocol):
    """Every change of who holds a thread, on a transaction its caller owns, each logged in
    the thread's assignment history with its source and reasons."""

    async def apply(
        self,
        workspace_id: int,
        assignments: Sequence[Assignment],
        at: datetime,
        source: str,
        holders: Sequence[int | None] | None = None,
    ) -> None:
        """Routing's decisions, for the threads still held as the decision saw them."""
        ...

    async def assign_selection(
        self,
        workspace_id: int,
        thread_ids: Sequence[int],
        target: AssignTarget,
        at: datetime,
        reason: str,
    ) -> tuple[list[int], dict[int, Skipped], list[int]]:
        """A selection to one colleague or one team's queue: (done, skipped with why, the
        colleagues who held the threads given away)."""
        ...


class RoutingWriter(Protocol):
    """Routing on one open transaction (an ingestion batch's, or one of its own)."""

    @property
    def assignments(self) -> AssignmentWriter:
        """The assignments routing writes, on the same transaction."""
        ...

    async def config(self, workspace_id: int) -> RoutingConfig | None: ...

    async def snapshot(self, workspace_id: int, now: datetime, window: timedelta) -> Snapshot: ...

    async def to_route(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[tuple[ThreadToRoute, int | None]]:
        """Threads waiting for someone, with who holds them now (None: the queue)."""
        ...

    async def rule_subjects(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[RuleSubject]: ...

    async def apply_rules(
        self, workspace_id: int, outcomes: Sequence[tuple[int, RuleOutcome]]
    ) -> None: ...

    async def agents_by_email(self, workspace_id: int, emails: Sequence[str]) -> dict[str, int]: ...

    async def raise_repeated(
        self, workspace_id: int, thread_ids: Sequence[int], unanswered: int
    ) -> list[int]:
        """Make high the threads whose customer wrote `unanswered` times without an answer."""
        ...

    async def stale(
        self, workspace_id: int, assigned_before: datetime, limit: int = 500
    ) -> list[AssignedThread]: ...

    async def count_rules(self, workspace_id: int, fired: dict[str, int], at: datetime) -> None: ...

    async def waiting(
        self, workspace_id: int, team_ids: Collection[int] | None, now: datetime, limit: int
    ) -> list[ThreadToRoute]:
        """Threads nobody holds in the queues of these teams (None: every team), most pressing
        first, locked until the transaction ends; one caller at a time per workspace."""
        ...

    async def teams_around(
        self, workspace_id: int, thread_ids: Sequence[int] = (), agent_ids: Sequence[int] = ()
    ) -> list[int]:
        """The teams of these threads, of the agents holding them, and of these agents."""
        ...

    async def set_status(
        self, workspace_id: int, agent_id: int, status: AgentStatus
    ) -> Presence | None:
        """The agent's presence once their status is set; None without such an active agent."""
        ...

    async def team_ids(self, workspace_id: int) -> list[int]: ...

    async def set_shifts(self, workspace_id: int, open_now: Mapping[int, bool]) -> dict[int, bool]:
        """Record which teams are on shift now; those that changed, with their new state."""
        ...


class BulkWriter(Protocol):
    """Actions on several threads in one transaction, each checked against the workspace and
    the thread's state; the threads changed are announced as it ends."""

    @property
    def routing(self) -> RoutingWriter:
        """Routing on the same transaction."""
        ...

    async def tag(
        self, workspace_id: int, thread_ids: Sequence[int], tags: Sequence[str], most: int
    ) -> tuple[list[int], dict[int, Skipped]]: ...

    async def untag(
        self, workspace_id: int, thread_ids: Sequence[int], tags: Sequence[str]
    ) -> tuple[list[int], dict[int, Skipped]]: ...

    async def snooze(
        self, workspace_id: int, thread_ids: Sequence[int], until: datetime
    ) -> tuple[list[int], dict[int, Skipped]]: ...

    async def target_name(self, workspace_id: int, target: AssignTarget) -> str | None:
        """The colleague's name or the team's ("team Support FR"); None if not there."""
        ...


class BulkStore(Protocol):
    def transaction(self, workspace_id: int) -> AbstractAsyncContextManager[BulkWriter]: ...

    async def statuses(self, workspace_id: int, thread_ids: Sequence[int]) -> dict[int, str]:
        """The status of each thread named that is in the workspace."""
        ...

    async def assignees(
        self, workspace_id: int
    ) -> tuple[tuple[tuple[int, str], ...], tuple[tuple[int, str], ...]]:
        """Whom threads may be given to: (colleagues, teams), each (id, name)."""
        ...


class WaitingThreads(Protocol):
    """Routing of the threads waiting in team queues, told when seats may have come free."""

    async def seats_freed(self, workspace_id: int, thread_ids: Sequence[int]) -> None:
        """These threads were closed or handed over: their holders and teams may have room."""
        ...


class RoutingStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[RoutingWriter]: ...

    async def claim(
        self, workspace_id: int, agent_id: int, limit: int, at: datetime
    ) -> list[ClaimedThread]: ...

    async def rule_counts(self, workspace_id: int) -> dict[str, int]: ...

    async def load_config(self, workspace_id: int) -> RoutingConfig | None: ...

    async def save_config(
        self,
        workspace_id: int,
        settings: dict[str, object],
        lexicon: dict[str, object],
        rules: dict[str, object],
    ) -> int: ...


class HandAssignmentStore(Protocol):
    """A person's own assignments of one thread, each in a transaction of its own."""

    async def take(self, workspace_id: int, thread_id: int, agent_id: int, at: datetime) -> bool:
        """Assign an open thread to the agent; False when there is no such open thread."""
        ...

    async def assign(
        self,
        workspace_id: int,
        thread_id: int,
        agent_id: int | None,
        team_id: int | None,
        by_agent_id: int,
        at: datetime,
    ) -> bool:
        """Give an open thread to an active colleague or a team (its agent then cleared);
        False when the thread, the person or the team is not there."""
        ...
