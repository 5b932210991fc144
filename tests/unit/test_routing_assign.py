"""Assigning threads to agents: owner first, reopened, skills, load, fairness, community."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox.domain.thread import Priority, ThreadKind
from routing.assign import (
    assign,
    community_risks,
    fairness,
    next_thread_order_key,
    reassign_stale,
)
from routing.simulate import simulate_day
from routing.snapshot import (
    AgentState,
    AssignedThread,
    Assignment,
    RoutingSettings,
    Snapshot,
    TeamState,
    ThreadToRoute,
)

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
CARE = TeamState(1, "Care")
FR = TeamState(2, "Care FR", languages=frozenset({"fr"}))
BILLING = TeamState(3, "Billing", topics=frozenset({"billing", "refund"}))
X_ONLY = TeamState(4, "X desk", networks=frozenset({"x"}))
VIP = TeamState(5, "VIP", vip=True)
DEFAULTS = RoutingSettings()
COMMUNITY_ON = RoutingSettings(community_enabled=True, community_topics=frozenset({"shipping"}))


def agent(agent_id: int, *teams: int, **fields: Any) -> AgentState:
    fields.setdefault("name", f"a{agent_id}")
    return AgentState(agent_id=agent_id, team_ids=frozenset(teams or (1,)), **fields)


def member(agent_id: int, **fields: Any) -> AgentState:
    """A community member: in no team."""
    return AgentState(agent_id=agent_id, name=f"c{agent_id}", community=True, **fields)


def thread(thread_id: int = 1, **fields: Any) -> ThreadToRoute:
    fields.setdefault("network", "x")
    return ThreadToRoute(thread_id=thread_id, **fields)


def question(thread_id: int = 1, **fields: Any) -> ThreadToRoute:
    """A low-risk public question on a community topic: the community may answer it."""
    fields = {"kind": "question", "topics": frozenset({"shipping"}), **fields}
    return thread(thread_id, **fields)


def snap(agents: Sequence[AgentState], teams: Sequence[TeamState] = (CARE,)) -> Snapshot:
    return Snapshot(tuple(agents), tuple(teams), NOW)


def one(
    t: ThreadToRoute,
    agents: Sequence[AgentState],
    teams: Sequence[TeamState] = (CARE,),
    routing: RoutingSettings = DEFAULTS,
) -> Assignment:
    [decision] = assign([t], snap(agents, teams), routing)
    return decision


# Owner first, reopened threads


def test_the_owner_gets_the_thread_when_on_shift_and_under_capacity() -> None:
    owner = agent(7, name="ana", open_threads=3, capacity=8)
    decision = one(thread(owner_agent_id=7, owner_team_id=1), [agent(1), owner])
    assert (decision.agent_id, decision.team_id, decision.community) == (7, 1, False)
    assert decision.reasons == ("owner ana is on shift and under capacity (3/8)",)


@pytest.mark.parametrize(
    ("state", "why"),
    [
        ({"on_shift": False}, "owner a7 is off shift"),
        ({"away": True}, "owner a7 is away"),
        ({"busy": True}, "owner a7 is busy"),
        ({"active": False}, "owner a7 is inactive"),
        ({"open_threads": 8, "capacity": 8}, "owner a7 is at capacity (8/8)"),
    ],
)
def test_an_unavailable_owner_hands_over_to_the_owners_team(
    state: dict[str, Any], why: str
) -> None:
    owner = agent(7, 1, **state)
    decision = one(thread(owner_agent_id=7, owner_team_id=1), [owner, agent(2)])
    assert (decision.agent_id, decision.team_id) == (2, 1)
    assert decision.reasons[:2] == (why, "routed to the owner's team Care")


def test_the_owners_team_is_used_even_when_skills_point_elsewhere() -> None:
    owner = agent(7, 3, on_shift=False)
    decision = one(
        thread(owner_agent_id=7, owner_team_id=3, language="fr"),
        [owner, agent(2, 2), agent(3, 3)],
        teams=(FR, BILLING),
    )
    assert (decision.agent_id, decision.team_id) == (3, 3)


def test_with_nobody_free_in_the_owners_team_the_thread_waits_in_its_queue() -> None:
    agents = [agent(7, on_shift=False), agent(2, on_shift=False), agent(3, on_shift=False)]
    decision = one(thread(owner_agent_id=7, owner_team_id=1), agents)
    assert (decision.agent_id, decision.team_id) == (None, 1)
    assert "nobody in team Care can take it (all 3 off shift)" in decision.reasons
    assert decision.reasons[-1] == "left in the queue of team Care"


def test_a_thread_waiting_in_a_queue_goes_to_a_free_agent_of_that_team_never_a_busy_one() -> None:
    busy = agent(7, 3, busy=True)
    decision = one(
        thread(team_id=3, queued=True, language="fr"),
        [busy, agent(2, 2), agent(3, 3, open_threads=2)],
        teams=(FR, BILLING),
    )
    assert (decision.agent_id, decision.team_id) == (3, 3)
    assert decision.reasons[0] == "waiting in the queue of team Billing"


def test_a_community_member_never_gets_a_thread_as_its_owner() -> None:
    owner = member(7)
    decision = one(thread(owner_agent_id=7, owner_team_id=1), [owner, agent(2)])
    assert decision.agent_id == 2
    assert decision.reasons[0] == "owner c7 is a community member, not staff"


def test_an_owner_without_a_team_lets_the_other_rules_decide() -> None:
    owner = AgentState(7, on_shift=False)
    decision = one(
        thread(owner_agent_id=7, language="fr"), [owner, agent(1, 1), agent(2, 2)], (CARE, FR)
    )
    assert (decision.agent_id, decision.team_id) == (2, 2)
    assert decision.reasons[:2] == ("owner agent 7 is off shift", "the owner has no team that fits")


def test_a_reopened_thread_goes_back_to_its_previous_assignee() -> None:
    decision = one(thread(previous_assignee_id=5), [agent(1), agent(5, open_threads=6)])
    assert decision.agent_id == 5
    assert decision.reasons == ("previous assignee a5 is on shift and under capacity (6/8)",)


def test_a_reopened_thread_goes_to_the_previous_assignees_team_when_they_are_away() -> None:
    previous = agent(5, 3, away=True)
    decision = one(
        thread(previous_assignee_id=5, topics=frozenset({"delivery"})),
        [agent(1, 1), previous, agent(6, 3)],
        teams=(CARE, BILLING),
    )
    assert (decision.agent_id, decision.team_id) == (6, 3)
    assert decision.reasons[:2] == ("previous assignee a5 is away", "routed to their team Billing")


def test_a_team_set_by_a_rule_holds_when_the_previous_assignee_is_of_another_team() -> None:
    previous = agent(5, 1, on_shift=False)
    decision = one(
        thread(previous_assignee_id=5, team_id=3),
        [previous, agent(1), agent(6, 3)],
        (CARE, BILLING),
    )
    assert (decision.agent_id, decision.team_id) == (6, 3)
    assert decision.reasons[:2] == (
        "previous assignee a5 is off shift",
        "team Billing was set by a rule",
    )


def test_the_owner_comes_before_the_previous_assignee() -> None:
    decision = one(thread(owner_agent_id=7, previous_assignee_id=5), [agent(5), agent(7)])
    assert decision.agent_id == 7


# Teams by skills


@pytest.mark.parametrize(
    ("facts", "teams", "expected"),
    [
        ({"language": "fr"}, (CARE, FR), 2),
        ({"language": "en"}, (CARE, FR), 1),  # FR declares its languages: no English
        ({"language": None}, (FR, CARE), 1),  # ties on fit: the lowest id
        ({"topics": frozenset({"refund"})}, (CARE, BILLING), 3),
        ({"topics": frozenset({"delivery"})}, (BILLING, CARE), 1),  # no contradicting topics
        ({"network": "x"}, (CARE, X_ONLY), 4),
        ({"network": "mastodon"}, (X_ONLY, CARE), 1),
        ({"vip": True}, (CARE, VIP), 5),
        ({"vip": False}, (CARE, VIP), 1),
    ],
)
def test_the_team_whose_skills_fit_best_is_chosen(
    facts: dict[str, Any], teams: tuple[TeamState, ...], expected: int
) -> None:
    decision = one(thread(**facts), [], teams)
    assert decision.team_id == expected
    assert decision.reasons[0].startswith(
        f"{next(t.label for t in teams if t.team_id == expected)} fits best"
    )


def test_a_non_vip_thread_goes_to_the_vip_team_only_when_no_other_fits() -> None:
    decision = one(thread(language="de"), [], (FR, VIP))
    assert decision.team_id == 5
    assert "no other team fits, so the VIP team takes it" in decision.reasons


def test_with_no_team_that_fits_the_thread_stays_unrouted_and_says_so() -> None:
    decision = one(thread(language="de", network="bluesky"), [agent(1, 2)], (FR, X_ONLY))
    assert (decision.agent_id, decision.team_id) == (None, None)
    assert decision.reasons == ("no team takes a thread in de on bluesky", "left unrouted")
    assert one(thread(), [agent(1)], ()).reasons[0] == "there is no team to route to"


def test_a_team_set_by_a_rule_is_kept() -> None:
    decision = one(thread(team_id=3, language="fr"), [agent(1, 2), agent(2, 3)], (FR, BILLING))
    assert (decision.agent_id, decision.team_id) == (2, 3)
    assert decision.reasons[0] == "team Billing was set by a rule"


def test_agents_must_speak_the_language_and_work_on_the_network() -> None:
    agents = [
        agent(1, languages=frozenset({"en"})),
        agent(2, networks=frozenset({"mastodon"})),
        agent(3, languages=frozenset({"fr", "en"}), networks=frozenset({"x"}), open_threads=7),
    ]
    decision = one(thread(language="fr", network="x"), agents)
    assert decision.agent_id == 3
    alone = one(thread(language="fr", network="x"), agents[:2])
    assert alone.agent_id is None
    assert "nobody in team Care can take it (1 not on x, 1 without fr)" in alone.reasons


# Within a team: availability, load, fairness


def test_offline_away_inactive_and_community_agents_are_skipped() -> None:
    agents = [
        agent(1, on_shift=False),
        agent(2, away=True),
        agent(3, active=False),
        AgentState(4, team_ids=frozenset({1}), community=True),
        agent(5, open_threads=7),
    ]
    decision = one(thread(), agents)
    assert decision.agent_id == 5
    assert decision.reasons[-1] == "a5 is the only one in team Care who can (7/8)"


def test_the_least_loaded_agent_by_share_of_capacity_wins() -> None:
    agents = [agent(1, open_threads=2, capacity=4), agent(2, open_threads=3, capacity=10)]
    assert one(thread(), agents).agent_id == 2


def test_equal_shares_go_to_the_agent_with_fewer_open_threads() -> None:
    agents = [agent(1, open_threads=4, capacity=8), agent(2, open_threads=2, capacity=4)]
    assert one(thread(), agents).agent_id == 2


def test_equal_loads_rotate_round_robin_through_a_batch() -> None:
    agents = [agent(i) for i in (3, 1, 2)]
    decisions = assign([thread(i) for i in range(9)], snap(agents), DEFAULTS)
    assert [d.agent_id for d in decisions] == [1, 2, 3, 1, 2, 3, 1, 2, 3]
    assert "equal loads: round robin to whoever waited longest for a thread" in decisions[0].reasons


def test_round_robin_starts_with_whoever_waited_longest() -> None:
    agents = [
        agent(1, last_assigned_at=NOW - timedelta(minutes=1)),
        agent(2, last_assigned_at=NOW - timedelta(minutes=9)),
        agent(3, last_assigned_at=None),
    ]
    decisions = assign([thread(i) for i in range(3)], snap(agents), DEFAULTS)
    assert [d.agent_id for d in decisions] == [3, 2, 1]


def test_an_agent_at_the_fair_limit_yields_to_one_who_is_not() -> None:
    agents = [agent(1, open_threads=0, assigned_recently=5), agent(2, open_threads=6)]
    decision = one(thread(), agents)
    assert decision.agent_id == 2
    assert "1 at the fair-distribution limit (5) let the others go first" in decision.reasons


def test_when_everyone_reached_the_fair_limit_the_least_loaded_wins() -> None:
    agents = [
        agent(1, open_threads=1, assigned_recently=6),
        agent(2, open_threads=6, assigned_recently=5),
    ]
    decision = one(thread(), agents)
    assert decision.agent_id == 1
    assert "everyone eligible reached the fair-distribution limit (5)" in decision.reasons


def test_a_batch_counts_its_own_assignments_against_capacity_and_the_fair_limit() -> None:
    agents = [agent(1, capacity=3, open_threads=1), agent(2, capacity=2, open_threads=1)]
    decisions = assign([thread(i) for i in range(5)], snap(agents), DEFAULTS)
    assert Counter(d.agent_id for d in decisions) == {1: 2, 2: 1, None: 2}
    routing = RoutingSettings(fair_window_max=2)
    fair = assign(
        [thread(i) for i in range(4)], snap([agent(1), agent(2, open_threads=3)]), routing
    )
    # Agent 1 is the less loaded throughout, but after two threads lets agent 2 go first.
    assert [d.agent_id for d in fair] == [1, 1, 2, 2]


def test_the_most_pressing_threads_of_a_batch_get_the_last_seats() -> None:
    threads = [thread(1, priority="low"), thread(2, priority="urgent"), thread(3, priority="high")]
    decisions = assign(threads, snap([agent(1, capacity=2)]), DEFAULTS)
    assert [(d.thread_id, d.agent_id) for d in decisions] == [(1, None), (2, 1), (3, 1)]


def test_the_enums_of_the_domain_are_accepted() -> None:
    t = thread(kind=ThreadKind.QUESTION, priority=Priority.URGENT)
    assert one(t, [agent(1)]).agent_id == 1
    with pytest.raises(ValueError, match="unknown priority"):
        thread(priority="asap")


# Community


def test_a_low_risk_question_goes_to_a_community_member() -> None:
    decision = one(
        question(), [agent(1), member(9, open_threads=1, capacity=3)], routing=COMMUNITY_ON
    )
    assert (decision.agent_id, decision.team_id, decision.community) == (9, 1, True)
    assert decision.reasons[1:] == (
        "a low-risk question on shipping",
        "c9 is the only one in the community who can (1/3)",
    )


@pytest.mark.parametrize(
    ("facts", "risk"),
    [
        ({"kind": "complaint"}, "a complaint, not a question"),
        ({"priority": "urgent"}, "urgent priority"),
        ({"priority": "high"}, "high priority"),
        ({"private": True}, "a private message"),
        ({"personal_data": True}, "personal data"),
        ({"vip": True}, "a VIP customer"),
    ],
)
def test_the_community_never_gets_risky_threads(facts: dict[str, Any], risk: str) -> None:
    decision = one(question(**facts), [agent(1), member(9)], (CARE, VIP), COMMUNITY_ON)
    assert decision.community is False
    assert decision.agent_id != 9
    assert f"kept from the community: {risk}" in decision.reasons


def test_the_community_needs_the_setting_a_community_topic_and_the_language() -> None:
    people = [agent(1), member(9, languages=frozenset({"en"}))]
    assert one(question(), people).agent_id == 1  # community answers are off by default
    assert one(question(topics=frozenset({"billing"})), people, routing=COMMUNITY_ON).agent_id == 1
    french = one(question(language="fr"), people, routing=COMMUNITY_ON)
    assert french.agent_id == 1
    assert "nobody in the community can take it (1 without fr)" in french.reasons
    assert community_risks(question(), COMMUNITY_ON) == ()


# Reasons


def test_every_decision_has_reasons() -> None:
    threads = [
        thread(1, owner_agent_id=1),
        thread(2, previous_assignee_id=99),
        thread(3, team_id=8),
        thread(4, language="de"),
        question(5),
        thread(6),
    ]
    decisions = assign(threads, snap([agent(1), member(9)], (CARE, FR)), COMMUNITY_ON)
    assert [d.thread_id for d in decisions] == [1, 2, 3, 4, 5, 6]
    assert all(d.reasons and all(d.reasons) for d in decisions)
    assert decisions[1].reasons[0] == "previous assignee agent 99 is not known to routing"
    assert decisions[2].reasons == (
        "team 8 was set by a rule",
        "team 8 has nobody to take it",
        "left in the queue of team 8",
    )


# Reassignment of stale threads


def held(agent_id: int, minutes_ago: int, answered: bool = False, **facts: Any) -> AssignedThread:
    return AssignedThread(
        thread(agent_id * 100 + minutes_ago, **facts),
        agent_id=agent_id,
        team_id=1,
        assigned_at=NOW - timedelta(minutes=minutes_ago),
        answered=answered,
    )


def test_a_thread_not_answered_in_time_goes_to_another_agent_of_the_team() -> None:
    agents = [agent(1, open_threads=1), agent(2, open_threads=4), agent(3, 1, 2, open_threads=5)]
    stale = held(1, 45)
    [decision] = reassign_stale([stale], snap(agents), timedelta(minutes=30))
    assert (decision.thread_id, decision.agent_id, decision.team_id) == (stale.thread_id, 2, 1)
    assert decision.reasons[0] == "not answered 45 min after going to a1 (timeout 30 min)"


def test_answered_or_recent_threads_are_left_alone() -> None:
    agents = [agent(1), agent(2)]
    threads = [held(1, 45, answered=True), held(1, 30), held(1, 10)]
    assert reassign_stale(threads, snap(agents), timedelta(minutes=30)) == []


def test_a_stale_thread_with_nobody_else_free_goes_back_to_the_team_queue() -> None:
    agents = [agent(1), agent(2, on_shift=False)]
    [decision] = reassign_stale([held(1, 45)], snap(agents), timedelta(minutes=30))
    assert (decision.agent_id, decision.team_id) == (None, 1)
    assert decision.reasons[1:] == (
        "nobody in team Care can take it (1 already holding it, 1 off shift)",
        "left in the queue of team Care",
    )


def test_stale_threads_of_a_batch_account_for_each_other() -> None:
    agents = [agent(1, capacity=1, open_threads=1), agent(2, capacity=1, open_threads=1)]
    decisions = reassign_stale([held(1, 40), held(2, 50)], snap(agents), timedelta(minutes=30))
    # Each holder's seat frees up as the thread leaves; each takes the other's thread.
    assert [d.agent_id for d in decisions] == [2, 1]


# The next-thread order, fairness and the simulated day


def test_the_next_thread_is_the_most_pressing_then_the_earliest_deadline() -> None:
    soon, later = NOW + timedelta(minutes=5), NOW + timedelta(hours=2)
    queue = [("low", soon), ("normal", None), ("normal", later), ("urgent", None), ("normal", soon)]
    ordered = sorted(queue, key=lambda q: next_thread_order_key(*q))
    assert ordered == [
        ("urgent", None),
        ("normal", soon),
        ("normal", later),
        ("normal", None),
        ("low", soon),
    ]
    with pytest.raises(ValueError, match="unknown priority"):
        next_thread_order_key("asap", None)


def test_fairness_is_most_over_fewest_among_agents_given_any() -> None:
    def given_to(*agent_ids: int | None) -> list[Assignment]:
        return [Assignment(i, a, 1, False, ("why",)) for i, a in enumerate(agent_ids)]

    assert fairness(given_to(1, 1, 1, 2, None, None)) == 3.0
    assert fairness(given_to(1, 2, 2, 1)) == 1.0
    assert fairness(given_to(None)) == 1.0


def test_the_simulated_day_is_deterministic_and_accounts_for_every_thread() -> None:
    day = simulate_day(seed=3, threads=300, hours=2, agents=6)
    assert day == simulate_day(seed=3, threads=300, hours=2, agents=6)
    assert sum(day.per_agent.values()) == day.assigned
    assert day.assigned + day.waiting_at_end == day.threads
    assert day.decisions >= day.threads
    assert day.fairness >= 1.0
    assert set(day.per_agent) == set(range(1, 7))


# Properties over random snapshots and batches

TOPICS = ("shipping", "billing", "account")
LANGS = st.frozensets(st.sampled_from(("en", "fr")), max_size=2)


@st.composite
def agents_st(draw: st.DrawFn) -> list[AgentState]:
    count = draw(st.integers(0, 8))
    agents = []
    for agent_id in range(1, count + 1):
        capacity = draw(st.integers(0, 4))
        agents.append(
            AgentState(
                agent_id=agent_id,
                team_ids=draw(st.frozensets(st.integers(1, 3), max_size=2)),
                languages=draw(LANGS),
                networks=draw(st.frozensets(st.sampled_from(("x", "mastodon")), max_size=1)),
                on_shift=draw(st.booleans()),
                away=draw(st.booleans()),
                capacity=capacity,
                open_threads=draw(st.integers(0, capacity + 1)),
                assigned_recently=draw(st.integers(0, 6)),
                last_assigned_at=draw(st.none() | st.just(NOW - timedelta(minutes=agent_id))),
                community=draw(st.booleans()),
                active=draw(st.integers(0, 5)) > 0,
            )
        )
    return agents


@st.composite
def threads_st(draw: st.DrawFn) -> list[ThreadToRoute]:
    count = draw(st.integers(0, 15))
    person = st.none() | st.integers(1, 9)
    return [
        ThreadToRoute(
            thread_id=thread_id,
            network=draw(st.sampled_from(("x", "mastodon"))),
            language=draw(st.sampled_from((None, "en", "fr"))),
            topics=draw(st.frozensets(st.sampled_from(TOPICS), max_size=2)),
            kind=draw(
                st.sampled_from(("complaint", "question", "praise", "other", "unclassified"))
            ),
            priority=draw(st.sampled_from(("low", "normal", "high", "urgent"))),
            vip=draw(st.booleans()),
            owner_agent_id=draw(person),
            owner_team_id=draw(st.none() | st.integers(1, 4)),
            previous_assignee_id=draw(person),
            personal_data=draw(st.booleans()),
            private=draw(st.booleans()),
            team_id=draw(st.none() | st.integers(1, 4)),
        )
        for thread_id in range(count)
    ]


TEAM_SETS = st.lists(
    st.sampled_from(
        (CARE, FR, BILLING, TeamState(2, "Mastodon", networks=frozenset({"mastodon"})), VIP)
    ),
    unique_by=lambda t: t.team_id,
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(agents_st(), TEAM_SETS, threads_st(), st.integers(1, 6))
def test_no_agent_goes_over_capacity_and_the_community_gets_only_low_risk_threads(
    agents: list[AgentState],
    teams: list[TeamState],
    threads: list[ThreadToRoute],
    fair_window_max: int,
) -> None:
    routing = RoutingSettings(
        fair_window_max=fair_window_max,
        community_enabled=True,
        community_topics=frozenset({"shipping", "account"}),
    )
    decisions = assign(threads, snap(agents, teams), routing)
    assert [d.thread_id for d in decisions] == [t.thread_id for t in threads]
    by_id = {a.agent_id: a for a in agents}
    given_to = Counter(d.agent_id for d in decisions if d.agent_id is not None)
    for agent_id, count in given_to.items():
        person = by_id[agent_id]
        assert person.open_threads + count <= person.capacity
        assert person.active
        assert person.on_shift
        assert not person.away
    for t, d in zip(threads, decisions, strict=True):
        assert d.reasons
        assert all(d.reasons)
        if d.agent_id is None:
            continue
        assert d.community == by_id[d.agent_id].community
        if d.community:
            assert t.kind == "question"
            assert t.priority not in ("urgent", "high")
            assert not t.private
            assert not t.personal_data
            assert not t.vip
            assert t.topics & routing.community_topics


@settings(max_examples=150, deadline=None)
@given(agents_st(), threads_st(), st.integers(1, 60))
def test_stale_threads_go_to_someone_else_with_room_or_to_the_queue(
    agents: list[AgentState], threads: list[ThreadToRoute], minutes_ago: int
) -> None:
    holders = [a for a in agents if not a.community] or [AgentState(99)]
    assigned = [
        AssignedThread(
            t,
            agent_id=holders[i % len(holders)].agent_id,
            team_id=t.team_id,
            assigned_at=NOW - timedelta(minutes=minutes_ago + i),
            answered=i % 3 == 0,
        )
        for i, t in enumerate(threads)
    ]
    decisions = reassign_stale(assigned, snap(agents, (CARE, FR, BILLING)), timedelta(minutes=30))
    stale = {a.thread_id: a for a in assigned if not a.answered and minutes_ago + a.thread_id > 30}
    assert [d.thread_id for d in decisions] == list(stale)
    by_id = {a.agent_id: a for a in agents}
    released = Counter(stale[d.thread_id].agent_id for d in decisions)
    given_to = Counter(d.agent_id for d in decisions if d.agent_id is not None)
    for d in decisions:
        assert d.reasons
        assert d.agent_id != stale[d.thread_id].agent_id
        assert not d.community
    for agent_id, count in given_to.items():
        person = by_id[agent_id]
        assert not person.community
        assert max(0, person.open_threads - released[agent_id]) + count <= person.capacity
