"""Choosing the agent: who may take a thread now, and the least loaded of those who may.

The ledger carries every agent's load through a batch, so each decision sees the ones made
before it: nobody is given more threads than their capacity, and equal loads rotate.

Of the eligible agents the least loaded wins (open threads over capacity, then open threads),
except that an agent who reached the fair-distribution limit lets anyone who has not go first:
a fast agent whose threads close quickly would otherwise be fed everything. Ties go round
robin, to whoever waited longest since their last assignment (never assigned first), then to
the lowest agent id.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from routing.snapshot import AgentState, Snapshot, ThreadToRoute, accepts

_NEVER = (0, 0.0, 0)

# (reached the fair limit, load ratio, open threads, turn, agent id): smaller goes first.
Rank: TypeAlias = tuple[bool, float, int, tuple[int, float, int], int]


class Ledger:
    """The agents of a snapshot and their load as the batch assigns."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._now = snapshot.now.timestamp()
        self._agents: dict[int, AgentState] = {}
        self._open: dict[int, int] = {}
        self._recent: dict[int, int] = {}
        # Turns order round robin: (0, ...) never assigned; (1, instant, n) the n-th of this
        # batch, so agents assigned within the batch rotate even though the clock stands still.
        self._turn: dict[int, tuple[int, float, int]] = {}
        self._members: defaultdict[int, list[AgentState]] = defaultdict(list)
        self._community: list[AgentState] = []
        self._batch_turns = 0
        for agent in sorted(snapshot.agents, key=lambda a: a.agent_id):
            self._agents[agent.agent_id] = agent
            self._open[agent.agent_id] = agent.open_threads
            self._recent[agent.agent_id] = agent.assigned_recently
            at = agent.last_assigned_at
            self._turn[agent.agent_id] = _NEVER if at is None else (1, at.timestamp(), 0)
            for team_id in agent.team_ids:
                self._members[team_id].append(agent)
            if agent.community:
                self._community.append(agent)

    def agent(self, agent_id: int) -> AgentState | None:
        return self._agents.get(agent_id)

    def members(self, team_id: int) -> Sequence[AgentState]:
        return self._members.get(team_id, ())

    def community(self) -> Sequence[AgentState]:
        return self._community

    def has_room(self, agent: AgentState) -> bool:
        return self._open[agent.agent_id] < agent.capacity

    def load(self, agent: AgentState) -> str:
        return f"{self._open[agent.agent_id]}/{agent.capacity}"

    def at_fair_limit(self, agent: AgentState, fair_window_max: int) -> bool:
        return self._recent[agent.agent_id] >= fair_window_max

    def rank(self, agent: AgentState, fair_window_max: int) -> Rank:
        open_threads = self._open[agent.agent_id]
        return (
            self.at_fair_limit(agent, fair_window_max),
            open_threads / max(agent.capacity, 1),
            open_threads,
            self._turn[agent.agent_id],
            agent.agent_id,
        )

    def take(self, agent_id: int) -> None:
        self._batch_turns += 1
        self._open[agent_id] += 1
        self._recent[agent_id] += 1
        previous = self._turn[agent_id][1]
        self._turn[agent_id] = (1, max(self._now, previous), self._batch_turns)

    def release(self, agent_id: int) -> None:
        if agent_id in self._open:
            self._open[agent_id] = max(0, self._open[agent_id] - 1)


def unavailable(agent: AgentState, ledger: Ledger) -> str | None:
    """Why the agent can take no thread at all now; None when they can."""
    if not agent.active:
        return "inactive"
    if not agent.on_shift:
        return "off shift"
    if agent.away:
        return "away"
    if agent.busy:
        return "busy"
    if not ledger.has_room(agent):
        return f"at capacity ({ledger.load(agent)})"
    return None


def _obstacle(
    agent: AgentState, thread: ThreadToRoute, ledger: Ledger, community: bool, exclude: int | None
) -> str | None:
    """The first reason the agent cannot take this thread, as a short category."""
    if agent.agent_id == exclude:
        return "already holding it"
    if agent.community != community:
        return "not staff" if agent.community else "not in the community"
    reason = unavailable(agent, ledger)
    if reason is not None:
        return reason.partition(" (")[0]
    if not accepts(agent.languages, thread.language):
        return f"without {thread.language}"
    if not accepts(agent.networks, thread.network):
        return f"not on {thread.network}"
    return None


@dataclass(frozen=True, slots=True)
class Pick:
    agent: AgentState | None
    reasons: tuple[str, ...]


def pick_agent(
    people: Sequence[AgentState],
    thread: ThreadToRoute,
    ledger: Ledger,
    fair_window_max: int,
    *,
    group: str,
    community: bool = False,
    exclude: int | None = None,
) -> Pick:
    """The agent of `people` to take the thread (staff, or community members if `community`).

    `group` names the people in the reasons ("team Care", "the community"); `exclude` is an
    agent who must not get it (the one who let it go stale).
    """
    if not people:
        return Pick(None, (f"{group} has nobody to take it",))
    eligible: list[AgentState] = []
    obstacles: Counter[str] = Counter()
    for agent in people:
        obstacle = _obstacle(agent, thread, ledger, community, exclude)
        if obstacle is None:
            eligible.append(agent)
        else:
            obstacles[obstacle] += 1
    if not eligible:
        summary = ", ".join(f"{n} {why}" for why, n in sorted(obstacles.items()))
        if len(obstacles) == 1 and len(people) > 1:
            summary = f"all {len(people)} {next(iter(obstacles))}"
        return Pick(None, (f"nobody in {group} can take it ({summary})",))
    ranked = sorted(eligible, key=lambda a: ledger.rank(a, fair_window_max))
    chosen = ranked[0]
    if len(ranked) == 1:
        reasons = [f"{chosen.label} is the only one in {group} who can ({ledger.load(chosen)})"]
    else:
        reasons = [
            f"{chosen.label} is the least loaded of {len(ranked)} in {group} who can "
            f"({ledger.load(chosen)})"
        ]
        if ledger.rank(chosen, fair_window_max)[:3] == ledger.rank(ranked[1], fair_window_max)[:3]:
            reasons.append("equal loads: round robin to whoever waited longest for a thread")
    limited = sum(ledger.at_fair_limit(a, fair_window_max) for a in ranked)
    if limited == len(ranked):
        reasons.append(f"everyone eligible reached the fair-distribution limit ({fair_window_max})")
    elif limited:
        reasons.append(
            f"{limited} at the fair-distribution limit ({fair_window_max}) let the others go first"
        )
    return Pick(chosen, tuple(reasons))
