"""Routing's writer on an in-memory inbox: the workspace's people and settings, fixed for a
test (`RoutingSetup`), and what routing writes, kept in the inbox with its transaction."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from inbox.domain.bulk import AssignTarget, Skipped
from inbox.domain.presence import AgentStatus, Presence
from inbox.domain.routing import RoutingConfig
from routing.rules import RuleFacts, RuleOutcome, RuleSubject
from routing.snapshot import (
    AgentState,
    AssignedThread,
    Assignment,
    Snapshot,
    TeamState,
    ThreadToRoute,
)

if TYPE_CHECKING:
    from tests.fakes.ingest import InMemoryInbox


@dataclass(frozen=True)
class RoutingSetup:
    """The workspace as routing sees it: its settings and rules, agents, teams and emails."""

    config: RoutingConfig | None = None
    agents: tuple[AgentState, ...] = ()
    teams: tuple[TeamState, ...] = ()
    emails: Mapping[str, int] = field(default_factory=dict)


class FakeAssignmentWriter:
    def __init__(self, inbox: InMemoryInbox) -> None:
        self._inbox = inbox

    async def apply(
        self,
        workspace_id: int,
        assignments: Sequence[Assignment],
        at: datetime,
        source: str,
        holders: Sequence[int | None] | None = None,
    ) -> None:
        for assignment in assignments:
            thread = self._inbox.threads[assignment.thread_id]
            thread.assignee_id = assignment.agent_id
            if assignment.team_id is not None:
                thread.team_id = assignment.team_id
            self._inbox.assignments.append((source, assignment))

    async def assign_selection(
        self,
        workspace_id: int,
        thread_ids: Sequence[int],
        target: AssignTarget,
        at: datetime,
        reason: str,
    ) -> tuple[list[int], dict[int, Skipped], list[int]]:
        raise NotImplementedError("not part of an ingestion batch")


class FakeRoutingWriter:
    """What RouteThreads reads and writes; the rest of the port answers as an empty
    workspace would."""

    def __init__(self, inbox: InMemoryInbox, setup: RoutingSetup) -> None:
        self._inbox = inbox
        self._setup = setup
        self.assignments = FakeAssignmentWriter(inbox)
        self.raised: list[tuple[list[int], int]] = []  # raise_repeated's calls

    async def config(self, workspace_id: int) -> RoutingConfig | None:
        return self._setup.config

    async def snapshot(self, workspace_id: int, now: datetime, window: timedelta) -> Snapshot:
        return Snapshot(self._setup.agents, self._setup.teams, now)

    async def to_route(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[tuple[ThreadToRoute, int | None]]:
        threads = [self._inbox.threads[t] for t in thread_ids]
        return [
            (
                ThreadToRoute(
                    t.id, t.network, t.language, t.topics, t.kind, t.priority, team_id=t.team_id
                ),
                None,
            )
            for t in threads
            if t.assignee_id is None and t.status != "resolved"
        ]

    async def rule_subjects(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[RuleSubject]:
        subjects = []
        for thread in (self._inbox.threads[t] for t in thread_ids):
            if thread.last_inbound_at is None:
                continue
            facts = RuleFacts(
                kind=thread.kind, language=thread.language, topics=thread.topics,
                urgency=thread.priority, network=thread.network, customer_vip=False,
                followers=None, personal_data=False, text=thread.last_text,
                at=thread.last_inbound_at,
            )  # fmt: skip
            subjects.append(RuleSubject(thread.id, thread.assignee_id is not None, facts))
        return subjects

    async def apply_rules(
        self, workspace_id: int, outcomes: Sequence[tuple[int, RuleOutcome]]
    ) -> None:
        teams = {team.name: team.team_id for team in self._setup.teams}
        for thread_id, outcome in outcomes:
            thread = self._inbox.threads[thread_id]
            thread.tags |= outcome.tags
            thread.priority = outcome.priority or thread.priority
            if outcome.team:
                thread.team_id = teams.get(outcome.team, thread.team_id)

    async def agents_by_email(self, workspace_id: int, emails: Sequence[str]) -> dict[str, int]:
        return {e: self._setup.emails[e] for e in emails if e in self._setup.emails}

    async def raise_repeated(
        self, workspace_id: int, thread_ids: Sequence[int], unanswered: int
    ) -> list[int]:
        self.raised.append((list(thread_ids), unanswered))
        return []

    async def stale(
        self, workspace_id: int, assigned_before: datetime, limit: int = 500
    ) -> list[AssignedThread]:
        return []

    async def count_rules(self, workspace_id: int, fired: dict[str, int], at: datetime) -> None:
        for name, count in fired.items():
            self._inbox.rules_fired[name] = self._inbox.rules_fired.get(name, 0) + count

    async def waiting(
        self, workspace_id: int, team_ids: Collection[int] | None, now: datetime, limit: int
    ) -> list[ThreadToRoute]:
        return []

    async def teams_around(
        self, workspace_id: int, thread_ids: Sequence[int] = (), agent_ids: Sequence[int] = ()
    ) -> list[int]:
        return []

    async def set_status(
        self, workspace_id: int, agent_id: int, status: AgentStatus
    ) -> Presence | None:
        return None

    async def team_ids(self, workspace_id: int) -> list[int]:
        return [team.team_id for team in self._setup.teams]

    async def set_shifts(self, workspace_id: int, open_now: Mapping[int, bool]) -> dict[int, bool]:
        return {}
