"""Who takes each new thread: the batch decision, the stale-thread check, the claim order.

For each thread, the first rule that applies:
1. Owner first: the agent who owns the customer, if they are staff, active, on shift, not
   away or busy and under capacity; otherwise the owner's team (rule 4 within it).
2. Reopened: the previous assignee on the same terms; otherwise their team, unless a rule
   set the thread's team, which holds.
3. The team a rule already set (or whose queue the thread waits in), else the team whose
   skills fit best (`routing.teams`).
4. Within the team, the least loaded staff agent who can take it (`routing.pick`); when
   nobody can, the thread waits in the team's queue, and the reasons say why.
5. Community: a low-risk question on a community topic is offered to a community member
   before the staff of its team (whose queue it stays in). Complaints, urgent and high
   threads, private messages, personal data and VIP customers never go to the community.

A batch is decided most pressing first, so that when seats run short an urgent thread gets the
last one, and the assignments come back in the order of the threads given. Every decision
carries its reasons, in words a lead can read.

Pure: the clock is the snapshot's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from routing.pick import Ledger, pick_agent, unavailable
from routing.snapshot import (
    PRIORITIES,
    AgentState,
    AssignedThread,
    Assignment,
    RoutingSettings,
    Snapshot,
    TeamState,
    ThreadToRoute,
)
from routing.teams import choose_team

_URGENCY = {priority: rank for rank, priority in enumerate(PRIORITIES)}
_TOO_PRESSING_FOR_COMMUNITY = frozenset({"urgent", "high"})


def assign(
    threads: Sequence[ThreadToRoute], snapshot: Snapshot, settings: RoutingSettings
) -> list[Assignment]:
    """Decide a batch; each decision counts the seats taken by those before it."""
    router = _Router(snapshot, settings)
    order = sorted(range(len(threads)), key=lambda i: _URGENCY[threads[i].priority])
    decided = {i: router.decide(threads[i]) for i in order}
    return [decided[i] for i in range(len(threads))]


def reassign_stale(
    assigned: Sequence[AssignedThread],
    snapshot: Snapshot,
    timeout: timedelta,
    settings: RoutingSettings | None = None,
) -> list[Assignment]:
    """New homes for the threads not answered within `timeout` of their assignment.

    Each goes to another agent of its team who can take it, else back to the team's queue.
    A thread answered, or assigned exactly `timeout` ago, is not stale.
    """
    router = _Router(snapshot, settings or RoutingSettings())
    stale = [a for a in assigned if not a.answered and snapshot.now - a.assigned_at > timeout]
    for item in stale:  # their holders let them go: the seats are free for the others
        router.ledger.release(item.agent_id)
    order = sorted(
        range(len(stale)),
        key=lambda i: (_URGENCY[stale[i].thread.priority], stale[i].assigned_at.timestamp()),
    )
    decided = {i: router.reroute(stale[i], timeout) for i in order}
    return [decided[i] for i in range(len(stale))]


def next_thread_order_key(priority: str, deadline: datetime | None) -> tuple[int, int, float]:
    """The order of an agent's "next thread": most pressing, then earliest deadline, none last."""
    if priority not in _URGENCY:
        raise ValueError(f"unknown priority {priority!r}")
    if deadline is None:
        return (_URGENCY[priority], 1, 0.0)
    return (_URGENCY[priority], 0, deadline.timestamp())


def community_risks(thread: ThreadToRoute, settings: RoutingSettings) -> tuple[str, ...]:
    """Why the community may not answer the thread; empty when it may."""
    risks: list[str] = []
    if not settings.community_enabled:
        risks.append("community answers are off")
    if thread.kind != "question":
        risks.append(f"a {thread.kind}, not a question")
    if thread.priority in _TOO_PRESSING_FOR_COMMUNITY:
        risks.append(f"{thread.priority} priority")
    if thread.private:
        risks.append("a private message")
    if thread.personal_data:
        risks.append("personal data")
    if thread.vip:
        risks.append("a VIP customer")
    if not thread.topics & settings.community_topics:
        risks.append("no community topic")
    return tuple(risks)


def fairness(assignments: Iterable[Assignment]) -> float:
    """Most threads per agent over fewest, among agents given any; 1.0 when nobody was."""
    counts = Counter(a.agent_id for a in assignments if a.agent_id is not None)
    if not counts:
        return 1.0
    return max(counts.values()) / min(counts.values())


class _Router:
    def __init__(self, snapshot: Snapshot, settings: RoutingSettings) -> None:
        self.ledger = Ledger(snapshot)
        self._now = snapshot.now
        self._settings = settings
        self._teams = snapshot.teams
        self._teams_by_id = {t.team_id: t for t in snapshot.teams}

    def decide(self, thread: ThreadToRoute) -> Assignment:
        reasons: list[str] = []
        personal = (
            ("owner", thread.owner_agent_id),
            ("previous assignee", thread.previous_assignee_id),
        )
        for role, agent_id in personal:
            if agent_id is None:
                continue
            agent = self.ledger.agent(agent_id)
            obstacle = self._personal_obstacle(agent)
            label = agent.label if agent is not None else f"agent {agent_id}"
            if agent is not None and obstacle is None:
                reasons.append(
                    f"{role} {label} is on shift and under capacity ({self.ledger.load(agent)})"
                )
                self.ledger.take(agent.agent_id)
                return Assignment(
                    thread.thread_id, agent.agent_id, _home_team(agent, thread), False, (*reasons,)
                )
            reasons.append(f"{role} {label} {obstacle}")
            team_id = self._team_of(role, agent, thread, reasons)
            if team_id is not None:
                return self._within_team(thread, team_id, reasons)
        if thread.team_id is not None:
            label = self._label(thread.team_id)
            why = "waiting in the queue of {}" if thread.queued else "{} was set by a rule"
            reasons.append(why.format(label))
            return self._within_team(thread, thread.team_id, reasons)
        choice = choose_team(thread, self._teams)
        reasons.extend(choice.reasons)
        return self._within_team(thread, choice.team.team_id if choice.team else None, reasons)

    def reroute(self, item: AssignedThread, timeout: timedelta) -> Assignment:
        holder = self.ledger.agent(item.agent_id)
        label = holder.label if holder is not None else f"agent {item.agent_id}"
        waited = _minutes(self._now - item.assigned_at)
        reasons = [f"not answered {waited} after going to {label} (timeout {_minutes(timeout)})"]
        team_id = item.team_id
        if team_id is None:
            choice = choose_team(item.thread, self._teams)
            reasons.extend(choice.reasons)
            if choice.team is None:
                reasons.append("left unrouted")
                return Assignment(item.thread_id, None, None, False, tuple(reasons))
            team_id = choice.team.team_id
        return self._staff_of_team(item.thread, team_id, reasons, exclude=item.agent_id)

    def _personal_obstacle(self, agent: AgentState | None) -> str | None:
        if agent is None:
            return "is not known to routing"
        if agent.community:
            return "is a community member, not staff"
        reason = unavailable(agent, self.ledger)
        return None if reason is None else f"is {reason}"

    def _team_of(
        self, role: str, agent: AgentState | None, thread: ThreadToRoute, reasons: list[str]
    ) -> int | None:
        """The team to fall back to from an unavailable owner or previous assignee."""
        if role == "owner" and thread.owner_team_id is not None:
            reasons.append(f"routed to the owner's {self._label(thread.owner_team_id)}")
            return thread.owner_team_id
        their = agent.team_ids if agent is not None else frozenset()
        if thread.team_id is not None:
            # A team set by a rule holds; the next rules will route within it.
            if thread.team_id not in their:
                return None
            reasons.append(f"routed to their {self._label(thread.team_id)}")
            return thread.team_id
        choice = choose_team(thread, self._teams, among=their) if their else None
        if choice is None or choice.team is None:
            reasons.append(f"the {role} has no team that fits")
            return None
        reasons.append(f"routed to their {choice.team.label}")
        return choice.team.team_id

    def _within_team(
        self, thread: ThreadToRoute, team_id: int | None, reasons: list[str]
    ) -> Assignment:
        risks = community_risks(thread, self._settings)
        if not risks:
            pick = pick_agent(
                self.ledger.community(),
                thread,
                self.ledger,
                self._settings.fair_window_max,
                group="the community",
                community=True,
            )
            reasons.append(f"a low-risk question on {_topics(thread, self._settings)}")
            reasons.extend(pick.reasons)
            if pick.agent is not None:
                self.ledger.take(pick.agent.agent_id)
                return Assignment(thread.thread_id, pick.agent.agent_id, team_id, True, (*reasons,))
        elif self._settings.community_enabled and thread.topics & self._settings.community_topics:
            reasons.append(f"kept from the community: {', '.join(risks)}")
        if team_id is None:
            reasons.append("left unrouted")
            return Assignment(thread.thread_id, None, None, False, tuple(reasons))
        return self._staff_of_team(thread, team_id, reasons)

    def _staff_of_team(
        self, thread: ThreadToRoute, team_id: int, reasons: list[str], exclude: int | None = None
    ) -> Assignment:
        label = self._label(team_id)
        pick = pick_agent(
            self.ledger.members(team_id),
            thread,
            self.ledger,
            self._settings.fair_window_max,
            group=label,
            exclude=exclude,
        )
        reasons.extend(pick.reasons)
        if pick.agent is None:
            reasons.append(f"left in the queue of {label}")
            return Assignment(thread.thread_id, None, team_id, False, tuple(reasons))
        self.ledger.take(pick.agent.agent_id)
        return Assignment(thread.thread_id, pick.agent.agent_id, team_id, False, tuple(reasons))

    def _label(self, team_id: int) -> str:
        team: TeamState | None = self._teams_by_id.get(team_id)
        return team.label if team is not None else f"team {team_id}"


def _home_team(agent: AgentState, thread: ThreadToRoute) -> int | None:
    """The team a thread given to an agent in person is filed under."""
    for team_id in (thread.team_id, thread.owner_team_id):
        if team_id is not None and team_id in agent.team_ids:
            return team_id
    if agent.team_ids:
        return min(agent.team_ids)
    return thread.team_id if thread.team_id is not None else thread.owner_team_id


def _topics(thread: ThreadToRoute, settings: RoutingSettings) -> str:
    return ", ".join(sorted(thread.topics & settings.community_topics))


def _minutes(span: timedelta) -> str:
    return f"{int(span.total_seconds() // 60)} min"
