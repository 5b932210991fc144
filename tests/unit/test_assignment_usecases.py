"""Who holds each thread, the use cases on the fakes of their ports (no database):
by hand, claimed, assigned with a batch, reassigned when nobody answered."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from inbox.domain.errors import ConfigurationError, NotFoundError
from inbox.usecases.assignment import AssignByHand, ClaimNext, ReassignStale, assign_changed
from inbox.usecases.routing_config import RoutingConfigs
from routing.settings import WorkspaceRouting
from routing.snapshot import AgentState, AssignedThread, Snapshot, TeamState, ThreadToRoute
from tests.fakes.assignment import HandStore, RoutingStore, Seats, Writer

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
WORKSPACE = 1


def team_of_two() -> Snapshot:
    return Snapshot(
        agents=(AgentState(7, team_ids=frozenset({3})), AgentState(8, team_ids=frozenset({3}))),
        teams=(TeamState(3, name="Support"),),
        now=NOW,
    )


async def test_a_thread_is_given_to_one_colleague_or_one_team_never_both_nor_neither() -> None:
    store = HandStore(open_threads={5})
    by_hand = AssignByHand(store, clock=lambda: NOW)

    for agent_id, team_id in ((None, None), (7, 3)):
        with pytest.raises(ConfigurationError) as refused:
            await by_hand.give(WORKSPACE, 5, agent_id, team_id, by_agent_id=2)
        assert refused.value.setting == "assignee"

    assert store.done == []


async def test_a_thread_handed_over_frees_its_holders_seat_for_the_waiting_threads() -> None:
    store, seats = HandStore(open_threads={5}), Seats()

    await AssignByHand(store, clock=lambda: NOW, waiting=seats).give(WORKSPACE, 5, None, 3, 2)

    assert store.done == [(5, None, 3)]
    assert seats.freed == [[5]]


async def test_a_thread_that_is_not_open_can_be_neither_taken_nor_given() -> None:
    seats = Seats()
    by_hand = AssignByHand(HandStore(open_threads=set()), clock=lambda: NOW, waiting=seats)

    with pytest.raises(NotFoundError):
        await by_hand.take(WORKSPACE, 5, agent_id=7)
    with pytest.raises(NotFoundError):
        await by_hand.give(WORKSPACE, 5, 7, None, by_agent_id=2)

    assert seats.freed == []


async def test_an_agent_claims_between_one_and_fifty_threads_at_once() -> None:
    store = RoutingStore(writers={})
    claim = ClaimNext(store, clock=lambda: NOW)

    for count in (0, 51):
        with pytest.raises(ConfigurationError):
            await claim(WORKSPACE, 7, count)
    await claim(WORKSPACE, 7, 3)

    assert store.claims == [(WORKSPACE, 7, 3, NOW)]


async def test_a_batch_thread_nobody_can_take_is_not_rewritten() -> None:
    writer = Writer(
        snapshot_of=Snapshot(agents=(), teams=(), now=NOW),
        routed=[(ThreadToRoute(5, "x"), None)],
    )

    await assign_changed(writer, WORKSPACE, [5], WorkspaceRouting(), NOW)

    assert writer.written == [("routing", [], [])]


async def test_a_batch_thread_goes_to_an_agent_of_the_team_a_rule_set() -> None:
    writer = Writer(snapshot_of=team_of_two(), routed=[(ThreadToRoute(5, "x", team_id=3), None)])

    await assign_changed(writer, WORKSPACE, [5], WorkspaceRouting(), NOW)

    [(source, [decision], holders)] = writer.written
    assert (source, decision.thread_id, decision.team_id, holders) == ("routing", 5, 3, [None])
    assert decision.agent_id in (7, 8)


async def test_the_reassignment_pass_moves_every_workspaces_unanswered_threads(
    caplog: pytest.LogCaptureFixture,
) -> None:
    since = NOW - timedelta(minutes=45)
    unanswered = AssignedThread(
        ThreadToRoute(5, "x"), 7, team_id=3, assigned_at=since, answered=False
    )
    busy = Writer(snapshot_of=team_of_two(), held=[unanswered])
    quiet = Writer(snapshot_of=team_of_two())
    store = RoutingStore(writers={1: busy, 2: quiet})

    with caplog.at_level(logging.INFO, logger="inbox.usecases.assignment"):
        moved = await ReassignStale(store, RoutingConfigs(), clock=lambda: NOW).everywhere([1, 2])

    assert moved == 1
    [(source, [decision], holders)] = busy.written
    assert (source, decision.thread_id, decision.agent_id, holders) == ("reassign", 5, 8, [7])
    assert quiet.written == []
    logged = [r for r in caplog.records if getattr(r, "action", None) == "reassign"]
    assert [(r.__dict__["workspace_id"], r.__dict__["moved"]) for r in logged] == [(1, 1)]
