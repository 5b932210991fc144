"""A simulated working day, for the benchmark: how fast and how evenly routing hands out work.

Deterministic for a seed. Threads arrive at random over the day: general questions and
complaints in English, the same in French, and billing matters; some customers have an owner.
The agents, in three teams (Care, Billing, Care FR) that each get a third of the threads,
work one of two staggered shifts of three quarters of the day, take a half-hour break, and
close each thread after a random handling time. Every minute the new threads, and those still
waiting in a team's queue, are decided as one batch, as the service would; the
fair-distribution window is the hour.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from routing.assign import assign, fairness
from routing.snapshot import (
    AgentState,
    Assignment,
    RoutingSettings,
    Snapshot,
    TeamState,
    ThreadToRoute,
)

START = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
TEAMS = (
    TeamState(1, "Care", languages=frozenset({"en"})),
    TeamState(2, "Billing", languages=frozenset({"en"}), topics=frozenset({"billing", "refund"})),
    TeamState(3, "Care FR", languages=frozenset({"fr"})),
)
_NETWORKS = ("x", "mastodon", "bluesky")
_GENERAL_TOPICS = ("delivery", "account", "product")
_CAPACITIES = (6, 8, 10, 8)
_MEAN_HANDLING_MINUTES = 12.0
_BREAK_MINUTES = 30
_WINDOW_MINUTES = 60


@dataclass(frozen=True, slots=True)
class SimulatedDay:
    threads: int
    decisions: int  # a thread waiting in a queue is decided again each minute
    assigned: int
    waiting_at_end: int
    per_agent: Mapping[int, int]  # every agent, by id: threads received over the day
    fairness: float  # most over fewest threads, among agents who received any


@dataclass(slots=True)
class _Agent:
    state: AgentState
    shift: range  # the minutes of the day on shift
    away: range
    closing_at: list[int]  # the minute each open thread will be closed


def simulate_day(
    seed: int = 7,
    threads: int = 2000,
    hours: int = 8,
    agents: int = 12,
    settings: RoutingSettings | None = None,
) -> SimulatedDay:
    rng = random.Random(seed)
    settings = settings or RoutingSettings()
    minutes = hours * 60
    staff = [_make_agent(number, minutes, rng) for number in range(1, agents + 1)]
    arrivals: dict[int, list[ThreadToRoute]] = {}
    handling: dict[int, int] = {}
    for thread_id in range(1, threads + 1):
        minute = rng.randrange(minutes)
        arrivals.setdefault(minute, []).append(_make_thread(thread_id, staff, rng))
        handling[thread_id] = max(1, round(rng.expovariate(1 / _MEAN_HANDLING_MINUTES)))
    waiting: list[ThreadToRoute] = []
    made: list[Assignment] = []
    decisions = 0
    for minute in range(minutes):
        now = START + timedelta(minutes=minute)
        batch = waiting + arrivals.get(minute, [])
        if not batch:
            continue
        snapshot = Snapshot(tuple(_state_at(a, minute) for a in staff), TEAMS, now)
        by_id = {a.state.agent_id: a for a in staff}
        waiting = []
        for thread, decision in zip(batch, assign(batch, snapshot, settings), strict=True):
            decisions += 1
            if decision.agent_id is None:
                waiting.append(thread)
                continue
            made.append(decision)
            agent = by_id[decision.agent_id]
            agent.closing_at.append(minute + handling[thread.thread_id])
            agent.state = replace(
                agent.state,
                assigned_recently=agent.state.assigned_recently + 1,
                last_assigned_at=now,
            )
    counts = {a.state.agent_id: 0 for a in staff}
    for decision in made:
        if decision.agent_id is not None:
            counts[decision.agent_id] += 1
    return SimulatedDay(threads, decisions, len(made), len(waiting), counts, fairness(made))


def _make_agent(number: int, minutes: int, rng: random.Random) -> _Agent:
    team = TEAMS[(number - 1) % len(TEAMS)]
    cohort = (number - 1) // len(TEAMS)
    length = minutes * 3 // 4
    start = 0 if cohort % 2 == 0 else minutes - length
    earliest = start + length // 4  # the break falls in the middle half of the shift
    pause = rng.randrange(earliest, max(earliest + 1, start + length * 3 // 4 - _BREAK_MINUTES))
    languages = frozenset({"fr", "en"}) if "fr" in team.languages else frozenset({"en"})
    state = AgentState(
        agent_id=number,
        name=f"agent {number}",
        team_ids=frozenset({team.team_id}),
        languages=languages,
        capacity=_CAPACITIES[cohort % len(_CAPACITIES)],
    )
    return _Agent(state, range(start, start + length), range(pause, pause + _BREAK_MINUTES), [])


def _make_thread(thread_id: int, staff: list[_Agent], rng: random.Random) -> ThreadToRoute:
    draw = rng.random()  # a third to each team
    if draw < 1 / 3:
        language, topic, team_id = "fr", rng.choice(_GENERAL_TOPICS), 3
    elif draw < 2 / 3:
        language, topic, team_id = "en", rng.choice(("billing", "refund")), 2
    else:
        language, topic, team_id = "en", rng.choice(_GENERAL_TOPICS), 1
    owner = None
    if rng.random() < 0.1:
        owner = rng.choice([a.state for a in staff if team_id in a.state.team_ids])
    return ThreadToRoute(
        thread_id=thread_id,
        network=rng.choice(_NETWORKS),
        language=language,
        topics=frozenset({topic}),
        kind=rng.choices(("question", "complaint", "praise", "other"), (5, 3, 1, 1))[0],
        priority=rng.choices(("low", "normal", "high", "urgent"), (20, 60, 15, 5))[0],
        owner_agent_id=owner.agent_id if owner else None,
        owner_team_id=team_id if owner else None,
    )


def _state_at(agent: _Agent, minute: int) -> AgentState:
    """The agent's state at the start of the minute, once the threads due are closed."""
    agent.closing_at = [m for m in agent.closing_at if m > minute]
    recent = 0 if minute % _WINDOW_MINUTES == 0 else agent.state.assigned_recently
    agent.state = replace(
        agent.state,
        on_shift=minute in agent.shift,
        away=minute in agent.away,
        open_threads=len(agent.closing_at),
        assigned_recently=recent,
    )
    return agent.state
