"""Who holds each thread: every way a thread is assigned, claimed, taken, handed over or
reassigned, in one place. The decisions are pure (`routing.assign`); the writes are
`inbox.store.assignment`'s; this module says when each happens and in which transaction.

- New and changed threads of an ingestion batch, in the batch's transaction, after the
  workspace's rules (`assign_changed`, and `assign_as_rules_say` for a rule's assignee).
- Threads waiting in a team's queue, as soon as someone may have room (`AssignWaiting`).
- An agent claiming the next threads of their queue (`ClaimNext`).
- A person taking a thread, or giving one to a colleague or a team (`AssignByHand`), or a
  selection of them (`AssignSelection`).
- Threads nobody answered in time, every minute (`ReassignStale`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from inbox.domain.bulk import AssignTarget, Skipped
from inbox.domain.clock import Clock, utc_now
from inbox.domain.errors import ConfigurationError, NotFoundError
from inbox.domain.routing import ClaimedThread
from inbox.ports.routing import (
    BulkWriter,
    HandAssignmentStore,
    RoutingStore,
    RoutingWriter,
    WaitingThreads,
)
from inbox.usecases.routing_config import RoutingConfigs
from routing.assign import assign, reassign_stale
from routing.settings import WorkspaceRouting
from routing.snapshot import Assignment

log = logging.getLogger(__name__)


async def assign_changed(
    writer: RoutingWriter,
    workspace_id: int,
    thread_ids: Sequence[int],
    settings: WorkspaceRouting,
    now: datetime,
) -> None:
    """In an ingestion batch's transaction: the threads it changed that wait for someone
    (nobody holds them, or their holder is gone) go where routing decides."""
    routed = await writer.to_route(workspace_id, thread_ids)
    if not routed:
        return
    snapshot = await writer.snapshot(workspace_id, now, settings.fair_window)
    decisions = assign([facts for facts, _ in routed], snapshot, settings.decisions())
    # A thread left where it was (no agent, same team, nobody to take it from) is not
    # rewritten: with no one on shift, a batch costs no extra write per thread.
    changes = [
        (decision, holder)
        for decision, (facts, holder) in zip(decisions, routed, strict=True)
        if decision.agent_id is not None
        or holder is not None
        or (decision.team_id is not None and decision.team_id != facts.team_id)
    ]
    await writer.assignments.apply(
        workspace_id,
        [decision for decision, _ in changes],
        now,
        "routing",
        holders=[holder for _, holder in changes],
    )


async def assign_as_rules_say(
    writer: RoutingWriter,
    workspace_id: int,
    assigned: Sequence[tuple[int, int, Sequence[str]]],
    now: datetime,
) -> None:
    """Threads nobody holds go to the agent a workspace rule named: (thread, agent, reasons)."""
    if assigned:
        await writer.assignments.apply(
            workspace_id,
            [Assignment(t, agent, None, False, tuple(why)) for t, agent, why in assigned],
            now,
            "rule",
        )


class ClaimNext:
    """An agent takes the next threads of their queue: most pressing first, then the nearest
    deadline; rows others are claiming are skipped, never waited for."""

    def __init__(self, store: RoutingStore, *, clock: Clock = utc_now):
        self._store = store
        self._clock = clock

    async def __call__(
        self, workspace_id: int, agent_id: int, count: int = 1
    ) -> list[ClaimedThread]:
        if not 1 <= count <= 50:
            raise ConfigurationError("count", "claim between 1 and 50 threads at once")
        return await self._store.claim(workspace_id, agent_id, count, self._clock())


class AssignWaiting:
    """Threads waiting in their teams' queues go to whoever can take them now, decided by the
    routing rules and fairness as new threads are (owner first, then the least loaded agent
    of the team), most pressing first, set-based. Those nobody can take stay where they are,
    unwritten."""

    # Threads decided in one pass: more than any team frees seats for at once.
    MOST_AT_ONCE = 200

    def __init__(
        self,
        store: RoutingStore,
        configs: RoutingConfigs,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._configs = configs
        self._clock = clock

    async def within(
        self, writer: RoutingWriter, workspace_id: int, team_ids: Collection[int] | None
    ) -> int:
        """In the writer's transaction: the waiting threads of these teams (None: every team);
        how many were given to someone."""
        if team_ids is not None and not team_ids:
            return 0
        now = self._clock()
        waiting = await writer.waiting(workspace_id, team_ids, now, self.MOST_AT_ONCE)
        if not waiting:
            return 0
        config = self._configs.parsed(workspace_id, await writer.config(workspace_id))
        snapshot = await writer.snapshot(workspace_id, now, config.settings.fair_window)
        decisions = assign(waiting, snapshot, config.settings.decisions())
        given = [d for d in decisions if d.agent_id is not None]
        await writer.assignments.apply(workspace_id, given, now, "queue")
        if given:
            log.info(
                "waiting threads assigned",
                extra={"action": "queue_assigned", "workspace_id": workspace_id,
                       "assigned": len(given), "waiting": len(waiting)},
            )  # fmt: skip
        return len(given)

    async def __call__(self, workspace_id: int, team_ids: Collection[int] | None = None) -> int:
        async with self._store.transaction() as writer:
            return await self.within(writer, workspace_id, team_ids)

    async def seats_freed(self, workspace_id: int, thread_ids: Sequence[int]) -> None:
        """After threads were closed or handed over: the queues of their teams and of their
        holders' teams move. The change itself is done and stays done: should this fail, the
        worker's pass gives the threads out within a minute."""
        if not thread_ids:
            return
        try:
            async with self._store.transaction() as writer:
                teams = await writer.teams_around(workspace_id, thread_ids)
                await self.within(writer, workspace_id, teams)
        except Exception as exc:  # the close or hand-over already committed: keep it so
            log.warning(
                "waiting threads not assigned after a change; the next pass will",
                extra={"action": "queue_assign_failed", "workspace_id": workspace_id,
                       "error": type(exc).__name__},
            )  # fmt: skip


class ReassignStale:
    """Threads assigned but not answered in time go to the next agent of their team, or back
    to its queue (the worker runs this every minute)."""

    def __init__(self, store: RoutingStore, configs: RoutingConfigs, *, clock: Clock):
        self._store = store
        self._configs = configs
        self._clock = clock

    async def __call__(self, workspace_id: int) -> int:
        config = self._configs.parsed(workspace_id, await self._store.load_config(workspace_id))
        timeout = config.settings.reassign_after
        if timeout is None:
            return 0
        now = self._clock()
        async with self._store.transaction() as writer:
            stale = await writer.stale(workspace_id, now - timeout)
            if not stale:
                return 0
            snapshot = await writer.snapshot(workspace_id, now, config.settings.fair_window)
            decisions = reassign_stale(stale, snapshot, timeout, config.settings.decisions())
            await writer.assignments.apply(
                workspace_id, decisions, now, "reassign", holders=[s.agent_id for s in stale]
            )
        return len(decisions)

    async def everywhere(self, workspace_ids: Iterable[int]) -> int:
        """The pass over every workspace; how many threads moved in all."""
        moved_in_all = 0
        for workspace_id in workspace_ids:
            moved = await self(workspace_id)
            if moved:
                log.info(
                    "unanswered threads reassigned",
                    extra={"action": "reassign", "workspace_id": workspace_id, "moved": moved},
                )
            moved_in_all += moved
        return moved_in_all


class AssignByHand:
    """A person decides who holds one thread: takes it themselves, or gives it to a colleague
    or to a team's queue. Who may do so is the calling page's check; a thread handed over
    frees its holder's seat for the threads waiting in their teams' queues."""

    def __init__(
        self,
        store: HandAssignmentStore,
        *,
        clock: Clock = utc_now,
        waiting: WaitingThreads | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._waiting = waiting

    async def take(self, workspace_id: int, thread_id: int, agent_id: int) -> None:
        if not await self._store.take(workspace_id, thread_id, agent_id, self._clock()):
            raise NotFoundError("open thread", thread_id)

    async def give(
        self,
        workspace_id: int,
        thread_id: int,
        agent_id: int | None,
        team_id: int | None,
        by_agent_id: int,
    ) -> None:
        """To one colleague, or to one team's queue (nobody in it yet)."""
        if (agent_id is None) == (team_id is None):
            raise ConfigurationError("assignee", "choose one colleague or one team")
        if not await self._store.assign(
            workspace_id, thread_id, agent_id, team_id, by_agent_id, self._clock()
        ):
            raise NotFoundError("open thread, colleague or team", thread_id)
        if self._waiting is not None:
            await self._waiting.seats_freed(workspace_id, [thread_id])


class AssignSelection:
    """A person gives several threads at once to a colleague or a team's queue, in the
    selection's transaction; the seats their holders freed go to the threads waiting in the
    teams around them, in the same transaction."""

    def __init__(self, waiting: AssignWaiting, *, clock: Clock = utc_now):
        self._waiting = waiting
        self._clock = clock

    async def __call__(
        self,
        writer: BulkWriter,
        workspace_id: int,
        thread_ids: Sequence[int],
        target: AssignTarget,
        reason: str,
    ) -> tuple[list[int], dict[int, Skipped]]:
        """(done, skipped with why)."""
        done, skipped, holders = await writer.routing.assignments.assign_selection(
            workspace_id, thread_ids, target, self._clock(), reason
        )
        if done:
            teams = await writer.routing.teams_around(workspace_id, done, holders)
            await self._waiting.within(writer.routing, workspace_id, teams)
        return done, skipped
