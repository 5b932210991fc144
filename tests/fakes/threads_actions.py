"""In-memory fakes of the ports that act on threads already in the inbox: snooze one or
several, tag them, give them to someone, close them as needing no reply. One board of
threads stands for the database; each fake port reads and writes it as its store does in
SQL (a thread of another workspace is not found, a resolved one is neither snoozed nor
given, a closure resolves the thread and clears its snooze)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from inbox.domain.bulk import AssignTarget, Skipped
from inbox.domain.ingestion import NewThreadTimeline
from inbox.domain.routing import RoutingConfig
from inbox.domain.sla import SlaSettings, StoredClock, ThreadTimeline
from inbox.domain.thread import OPEN_STATUSES, ThreadStatus
from routing.snapshot import Assignment, Snapshot, ThreadToRoute
from tests.fakes.assignment import Writer
from tests.fakes.clocks import FakeClockWriter
from tests.fakes.ingest import InMemoryInbox


@dataclass
class DeskThread:
    """What the actions read and change of one thread."""

    workspace_id: int
    status: ThreadStatus = ThreadStatus.OPEN
    snoozed_until: datetime | None = None
    tags: tuple[str, ...] = ()
    # The brand answered after the customer's latest message: "resolved" may close it.
    answered: bool = False
    agent_id: int | None = None  # who holds it
    team_id: int | None = None  # whose queue it is in

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass
class Closure:
    thread_id: int
    at: datetime
    reason: str
    closed_by: str


@dataclass
class ThreadBoard:
    """The threads of every workspace, by id, and what was recorded about them."""

    threads: dict[int, DeskThread]
    closures: list[Closure] = field(default_factory=list)
    # Each transaction opened, by kind ("bulk", "clocks"), in order.
    transactions: list[str] = field(default_factory=list)

    def of(self, workspace_id: int, thread_id: int) -> DeskThread | None:
        thread = self.threads.get(thread_id)
        return thread if thread is not None and thread.workspace_id == workspace_id else None

    def found(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> tuple[dict[int, DeskThread], dict[int, Skipped]]:
        """(the threads of the workspace named, by id; the others, skipped as not found)."""
        found = {i: t for i in thread_ids if (t := self.of(workspace_id, i)) is not None}
        return found, {i: Skipped.NOT_FOUND for i in thread_ids if i not in found}

    def found_and_open(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> tuple[dict[int, DeskThread], dict[int, Skipped]]:
        """(the open threads of the workspace named, by id; why the others were skipped)."""
        found, skipped = self.found(workspace_id, thread_ids)
        skipped |= {i: Skipped.CLOSED for i, thread in found.items() if not thread.open}
        return {i: t for i, t in found.items() if t.open}, skipped


@dataclass
class FakeSelectionRouting(Writer):
    """Routing on a selection's transaction: who holds the threads of the board, the teams
    around them, the threads waiting in those teams' queues, and the workspace's people as
    `snapshot_of` says; routing's decisions are recorded (`written`) and applied to the
    board."""

    board: ThreadBoard = field(kw_only=True)

    async def assign_selection(
        self,
        workspace_id: int,
        thread_ids: Sequence[int],
        target: AssignTarget,
        at: datetime,
        reason: str,
    ) -> tuple[list[int], dict[int, Skipped], list[int]]:
        found, skipped = self.board.found_and_open(workspace_id, thread_ids)
        done, holders = [], set()
        for thread_id, thread in found.items():
            if target.agent_id is not None and thread.agent_id == target.agent_id:
                skipped[thread_id] = Skipped.ALREADY
                continue
            if thread.agent_id is not None:
                holders.add(thread.agent_id)
            thread.agent_id = target.agent_id  # a team's queue: nobody holds it yet
            thread.team_id = target.team_id or thread.team_id
            done.append(thread_id)
        return done, skipped, sorted(holders)

    async def teams_around(
        self, workspace_id: int, thread_ids: Sequence[int] = (), agent_ids: Sequence[int] = ()
    ) -> list[int]:
        threads = [self.board.of(workspace_id, i) for i in thread_ids]
        teams = {t.team_id for t in threads if t is not None and t.team_id is not None}
        for agent in self.snapshot_of.agents:
            if agent.agent_id in agent_ids:
                teams |= agent.team_ids
        return sorted(teams)

    async def waiting(
        self, workspace_id: int, team_ids: Collection[int] | None, now: datetime, limit: int
    ) -> list[ThreadToRoute]:
        return [
            ThreadToRoute(thread_id, "x", team_id=thread.team_id, queued=True)
            for thread_id, thread in self.board.threads.items()
            if thread.workspace_id == workspace_id
            and thread.open
            and thread.agent_id is None
            and thread.team_id is not None
            and (team_ids is None or thread.team_id in team_ids)
        ][:limit]

    async def config(self, workspace_id: int) -> RoutingConfig | None:
        return None

    async def apply(
        self,
        workspace_id: int,
        assignments: Sequence[Assignment],
        at: datetime,
        source: str,
        holders: Sequence[int | None] | None = None,
    ) -> None:
        await super().apply(workspace_id, assignments, at, source, holders)
        for decision in assignments:
            thread = self.board.threads[decision.thread_id]
            thread.agent_id, thread.team_id = decision.agent_id, decision.team_id


@dataclass
class FakeBulkWriter:
    """The actions on one transaction of the board; routing on the same one."""

    board: ThreadBoard
    names: dict[AssignTarget, str]
    routing: FakeSelectionRouting

    async def tag(
        self, workspace_id: int, thread_ids: Sequence[int], tags: Sequence[str], most: int
    ) -> tuple[list[int], dict[int, Skipped]]:
        found, skipped = self.board.found(workspace_id, thread_ids)
        done = []
        for thread_id, thread in found.items():
            tagged = tuple(sorted({*thread.tags, *tags}))
            if len(tagged) > most:
                skipped[thread_id] = Skipped.TOO_MANY_TAGS
                continue
            thread.tags = tagged
            done.append(thread_id)
        return done, skipped

    async def untag(
        self, workspace_id: int, thread_ids: Sequence[int], tags: Sequence[str]
    ) -> tuple[list[int], dict[int, Skipped]]:
        found, skipped = self.board.found(workspace_id, thread_ids)
        for thread in found.values():
            thread.tags = tuple(t for t in thread.tags if t not in tags)
        return list(found), skipped

    async def snooze(
        self, workspace_id: int, thread_ids: Sequence[int], until: datetime
    ) -> tuple[list[int], dict[int, Skipped]]:
        found, skipped = self.board.found_and_open(workspace_id, thread_ids)
        for thread in found.values():
            thread.snoozed_until = until
        return list(found), skipped

    async def target_name(self, workspace_id: int, target: AssignTarget) -> str | None:
        return self.names.get(target)


@dataclass
class FakeBulkStore:
    """Whom threads may be given to, as (id, name), and the board its writers act on; the
    workspace's people as routing sees them (`snapshot_of`: its agents and teams)."""

    board: ThreadBoard
    snapshot_of: Snapshot
    colleagues: tuple[tuple[int, str], ...] = ()
    teams: tuple[tuple[int, str], ...] = ()
    routing: list[FakeSelectionRouting] = field(default_factory=list)

    @asynccontextmanager
    async def transaction(self, workspace_id: int) -> AsyncIterator[FakeBulkWriter]:
        self.board.transactions.append("bulk")
        names = {AssignTarget(agent_id=i): name for i, name in self.colleagues}
        names |= {AssignTarget(team_id=i): f"team {name}" for i, name in self.teams}
        routing = FakeSelectionRouting(self.snapshot_of, board=self.board)
        self.routing.append(routing)
        yield FakeBulkWriter(self.board, names, routing)

    async def statuses(self, workspace_id: int, thread_ids: Sequence[int]) -> dict[int, str]:
        found = {i: self.board.of(workspace_id, i) for i in thread_ids}
        return {i: thread.status.value for i, thread in found.items() if thread is not None}

    async def assignees(
        self, workspace_id: int
    ) -> tuple[tuple[tuple[int, str], ...], tuple[tuple[int, str], ...]]:
        return self.colleagues, self.teams


class FakeClosingWriter(FakeClockWriter):
    """The SLA clock writer's closures on the board; no clock is stored (no timeline), so
    keeping the clocks only records which threads it was asked about. Settings, stored
    clocks and major windows are the shared fake's, all empty."""

    def __init__(self, board: ThreadBoard) -> None:
        super().__init__(InMemoryInbox())
        self.board = board
        self.clocks_kept_for: list[list[int]] = []

    async def timelines(
        self,
        workspace_id: int,
        thread_ids: Sequence[int],
        written: Mapping[int, NewThreadTimeline] | None = None,
    ) -> list[ThreadTimeline]:
        self.clocks_kept_for.append(list(thread_ids))
        return []

    async def save_clocks(
        self,
        workspace_id: int,
        clocks: Sequence[StoredClock],
        stale: Sequence[StoredClock] = (),
        fresh: Collection[int] = frozenset(),
    ) -> None:
        raise AssertionError("no clock is derived from an empty timeline")

    async def queue_acknowledgements(
        self, workspace_id: int, acknowledgements: Sequence[tuple[int, str, str]]
    ) -> None:
        assert not acknowledgements

    async def thread_exists(self, workspace_id: int, thread_id: int) -> bool:
        return self.board.of(workspace_id, thread_id) is not None

    async def record_closures(
        self,
        workspace_id: int,
        thread_ids: Sequence[int],
        at: datetime,
        reason: str,
        closed_by: str,
    ) -> list[int]:
        closed = []
        for thread_id in thread_ids:
            thread = self.board.of(workspace_id, thread_id)
            if thread is None or (reason == "resolved" and not thread.answered):
                continue
            thread.status, thread.snoozed_until = ThreadStatus.RESOLVED, None
            self.board.closures.append(Closure(thread_id, at, reason, closed_by))
            closed.append(thread_id)
        return closed


@dataclass
class FakeClosingStore:
    """The SLA settings store as closing threads uses it: its clock transaction."""

    board: ThreadBoard
    writers: list[FakeClosingWriter] = field(default_factory=list)

    async def load(self, workspace_id: int) -> SlaSettings | None:
        return None

    @asynccontextmanager
    async def clock_transaction(self, workspace_id: int) -> AsyncIterator[FakeClosingWriter]:
        self.board.transactions.append("clocks")
        writer = FakeClosingWriter(self.board)
        self.writers.append(writer)
        yield writer


@dataclass
class FakeSnoozeQuery:
    """The inbox pages' query as one thread's snooze uses it."""

    board: ThreadBoard

    async def snooze(self, workspace_id: int, thread_id: int, until: datetime | None) -> bool:
        found, _ = self.board.found_and_open(workspace_id, [thread_id])
        for thread in found.values():
            thread.snoozed_until = until
        return bool(found)

    async def wake_snoozed(self, workspace_id: int, now: datetime) -> list[int]:
        woken = []
        for thread_id, thread in self.board.threads.items():
            due = thread.snoozed_until is not None and thread.snoozed_until <= now
            if thread.workspace_id == workspace_id and thread.open and due:
                thread.snoozed_until = None
                woken.append(thread_id)
        return woken
