"""What assignment decides on: agents, teams, the threads to route, the settings, the result.

A snapshot of the agents and teams is taken once per batch, with the clock's reading in it;
the decisions never read a clock or a database, so one snapshot and one batch always give the
same assignments. An empty skill set (languages, networks, topics) means "any".

Kinds and priorities are plain strings (the values of `inbox.domain.thread`'s enums, which
are `str` too) so that this package stays free of the rest of the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PRIORITIES = ("urgent", "high", "normal", "low")  # the most pressing first
KINDS = frozenset({"complaint", "question", "praise", "other", "unclassified"})


def accepts(skills: frozenset[str], value: str | None) -> bool:
    """Whether the skills admit a value; empty skills, or an unknown value, always do."""
    return not skills or value is None or value in skills


@dataclass(frozen=True, slots=True)
class AgentState:
    agent_id: int
    team_ids: frozenset[int] = frozenset()
    languages: frozenset[str] = frozenset()
    networks: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    on_shift: bool = True
    away: bool = False
    busy: bool = False  # keeps their threads, takes no new ones
    capacity: int = 8  # the most open threads the agent holds at once
    open_threads: int = 0
    assigned_recently: int = 0  # assignments received in the current fair-distribution window
    last_assigned_at: datetime | None = None
    community: bool = False  # a trusted community member, not staff
    active: bool = True
    name: str = ""  # only for the reasons; "agent 7" when empty

    @property
    def label(self) -> str:
        return self.name or f"agent {self.agent_id}"


@dataclass(frozen=True, slots=True)
class TeamState:
    team_id: int
    name: str = ""
    languages: frozenset[str] = frozenset()
    networks: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    vip: bool = False  # handles VIP customers, and only them while another team fits

    @property
    def label(self) -> str:
        return f"team {self.name or self.team_id}"


@dataclass(frozen=True, slots=True)
class ThreadToRoute:
    thread_id: int
    network: str
    language: str | None = None
    topics: frozenset[str] = frozenset()
    kind: str = "unclassified"
    priority: str = "normal"
    vip: bool = False
    owner_agent_id: int | None = None  # the agent who owns the customer
    owner_team_id: int | None = None
    previous_assignee_id: int | None = None  # set when the thread was reopened
    personal_data: bool = False
    private: bool = False  # a direct message
    team_id: int | None = None  # set by a rule: the thread stays in that team
    # Waiting in its team's (`team_id`) queue for someone to have room: it stays in that team.
    queued: bool = False

    def __post_init__(self) -> None:
        # A typo here would quietly lift the guard that keeps complaints from the community.
        if self.kind not in KINDS:
            raise ValueError(f"unknown thread kind {self.kind!r}")
        if self.priority not in PRIORITIES:
            raise ValueError(f"unknown priority {self.priority!r}")


@dataclass(frozen=True, slots=True)
class AssignedThread:
    """A thread held by an agent, for the check that reassigns it when nobody answers."""

    thread: ThreadToRoute
    agent_id: int
    team_id: int | None
    assigned_at: datetime
    answered: bool

    @property
    def thread_id(self) -> int:
        return self.thread.thread_id


@dataclass(frozen=True, slots=True)
class RoutingSettings:
    fair_window_max: int = 5  # assignments in the window after which an agent lets others go first
    community_topics: frozenset[str] = frozenset()  # topics the community may answer; empty = none
    community_enabled: bool = False

    def __post_init__(self) -> None:
        if self.fair_window_max < 1:
            raise ValueError("fair_window_max must be at least 1")


@dataclass(frozen=True, slots=True)
class Snapshot:
    agents: tuple[AgentState, ...]
    teams: tuple[TeamState, ...]
    now: datetime


@dataclass(frozen=True, slots=True)
class Assignment:
    """A decision: the agent (None: the team's queue) and the team (None: unrouted), and why."""

    thread_id: int
    agent_id: int | None
    team_id: int | None
    community: bool
    reasons: tuple[str, ...]
