"""Setting threads aside, handing them over and closing them, on the fakes of their ports (no
database): one thread snoozed from its page, a selection snoozed, tagged, given to someone or
closed as needing no reply, a thread closed by hand; who may, for how long, and what is
skipped and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from inbox.domain.bulk import MOST_THREADS, AssignTarget, BulkAction, Skipped
from inbox.domain.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from inbox.domain.people import Role
from inbox.domain.tags import MOST_TAGS
from inbox.domain.thread import ThreadStatus
from inbox.domain.web import WebSession
from inbox.usecases.assignment import AssignWaiting
from inbox.usecases.bulk import BulkActions
from inbox.usecases.routing_config import RoutingConfigs
from inbox.usecases.sla import KeepClocks
from inbox.usecases.sla_close import CloseWithoutReply
from inbox.usecases.web_pages import InboxPages
from routing.snapshot import AgentState, Snapshot, TeamState
from tests.fakes.assignment import RoutingStore, Seats
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.threads_actions import (
    Closure,
    DeskThread,
    FakeBulkStore,
    FakeClosingStore,
    FakeSnoozeQuery,
    ThreadBoard,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
WORKSPACE, OTHER_WORKSPACE = 1, 2
OPEN, PENDING, RESOLVED, ELSEWHERE, UNKNOWN = 1, 2, 3, 4, 99
ME, LEA, SUPPORT = 7, 8, 3
# Léa has room for one thread; the person acting takes no new ones (routing's view).
ROOM_FOR_ONE = Snapshot(
    agents=(
        AgentState(ME, team_ids=frozenset({SUPPORT}), busy=True),
        AgentState(LEA, team_ids=frozenset({SUPPORT}), capacity=1),
    ),
    teams=(TeamState(SUPPORT, name="Support FR"),),
    now=NOW,
)
NO_ROOM = Snapshot(
    agents=tuple(AgentState(a, team_ids=frozenset({SUPPORT}), busy=True) for a in (ME, LEA)),
    teams=(TeamState(SUPPORT, name="Support FR"),),
    now=NOW,
)


def session(*roles: Role) -> WebSession:
    return WebSession(WORKSPACE, ME, "Max", frozenset(roles), "csrf")


AGENT = session(Role.AGENT)


@dataclass
class Desk:
    """The use cases on one board of threads, and the fakes they wrote to."""

    board: ThreadBoard
    bulk_store: FakeBulkStore
    closing: FakeClosingStore
    seats: Seats
    close: CloseWithoutReply
    bulk: BulkActions
    pages: InboxPages
    audit: FakeAuditTrail


def desk(people: Snapshot = NO_ROOM) -> Desk:
    """Threads 1 (open) and 2 (pending on the customer) of the workspace, 3 resolved, 4 of
    another workspace; 99 is nowhere. Max (7, acting) and Léa (8) are in team Support FR."""
    board = ThreadBoard(
        {
            OPEN: DeskThread(WORKSPACE),
            PENDING: DeskThread(WORKSPACE, ThreadStatus.PENDING),
            RESOLVED: DeskThread(WORKSPACE, ThreadStatus.RESOLVED),
            ELSEWHERE: DeskThread(OTHER_WORKSPACE),
        }
    )
    closing, seats = FakeClosingStore(board), Seats()

    def clock() -> datetime:
        return NOW

    close = CloseWithoutReply(closing, KeepClocks(clock=clock), clock=clock, waiting=seats)
    waiting = AssignWaiting(RoutingStore(writers={}), RoutingConfigs(), clock=clock)
    bulk_store = FakeBulkStore(
        board, people, colleagues=((ME, "Max"), (LEA, "Léa")), teams=((SUPPORT, "Support FR"),)
    )
    audit = FakeAuditTrail()
    bulk = BulkActions(bulk_store, close, waiting, audit, clock=clock)
    pages = InboxPages(FakeSnoozeQuery(board), audit=audit, clock=clock)
    return Desk(board, bulk_store, closing, seats, close, bulk, pages, audit)


# -- one thread, from its page ------------------------------------------------------------


async def test_a_thread_is_snoozed_for_some_hours_and_woken_by_asking_for_no_hours() -> None:
    d = desk()

    await d.pages.snooze(AGENT, OPEN, 4)
    assert d.board.threads[OPEN].snoozed_until == NOW + timedelta(hours=4)

    await d.pages.snooze(AGENT, OPEN, None)
    assert d.board.threads[OPEN].snoozed_until is None


async def test_snoozed_threads_come_back_once_their_time_has_come_and_not_before() -> None:
    d = desk()
    d.board.threads[OPEN].snoozed_until = NOW
    d.board.threads[PENDING].snoozed_until = NOW + timedelta(seconds=1)

    assert await d.pages.wake_snoozed(WORKSPACE) == [OPEN]
    assert d.board.threads[PENDING].snoozed_until is not None


@pytest.mark.parametrize("thread_id", [RESOLVED, ELSEWHERE, UNKNOWN])
async def test_only_an_open_thread_of_the_workspace_is_snoozed(thread_id: int) -> None:
    d = desk()

    with pytest.raises(NotFoundError):
        await d.pages.snooze(AGENT, thread_id, 4)

    assert all(t.snoozed_until is None for t in d.board.threads.values())


@pytest.mark.parametrize("hours", [0, -1, 31 * 24 + 1])
async def test_a_snooze_lasts_some_minutes_at_least_and_31_days_at_most(hours: float) -> None:
    d = desk()

    with pytest.raises(ConfigurationError) as refused:
        await d.pages.snooze(AGENT, OPEN, hours)
    with pytest.raises(ConfigurationError):
        await d.bulk.snooze(AGENT, [OPEN], hours)

    assert refused.value.setting == "snooze"
    assert d.board.threads[OPEN].snoozed_until is None
    for longest_or_shortest in (31 * 24, 0.25):
        await d.pages.snooze(AGENT, OPEN, longest_or_shortest)
        assert d.board.threads[OPEN].snoozed_until == NOW + timedelta(hours=longest_or_shortest)


async def test_a_community_member_snoozes_nothing() -> None:
    d = desk()

    with pytest.raises(PermissionDeniedError):
        await d.pages.snooze(session(Role.COMMUNITY), OPEN, 4)

    assert d.board.threads[OPEN].snoozed_until is None


# -- a selection --------------------------------------------------------------------------


async def test_a_selection_is_snoozed_skipping_resolved_threads_and_those_not_found() -> None:
    d = desk()

    outcome = await d.bulk.snooze(AGENT, [UNKNOWN, RESOLVED, PENDING, OPEN, ELSEWHERE], 24)

    assert (outcome.action, outcome.done, outcome.target) == (
        BulkAction.SNOOZE,
        (OPEN, PENDING),
        "1 day",
    )
    assert outcome.skipped == Counter({Skipped.NOT_FOUND: 2, Skipped.CLOSED: 1})
    assert outcome.sentence() == "2 snoozed for 1 day; 3 skipped: 1 already resolved, 2 not found"
    until = NOW + timedelta(days=1)
    assert [t.snoozed_until for t in d.board.threads.values()] == [until, until, None, None]
    assert d.board.transactions == ["bulk"]


async def test_a_selection_holds_one_to_a_hundred_threads_each_counted_once() -> None:
    d = desk()

    for ids in ([], list(range(1, MOST_THREADS + 2))):
        with pytest.raises(ConfigurationError) as refused:
            await d.bulk.snooze(AGENT, ids, 4)
        assert refused.value.setting == "threads"
    assert d.board.transactions == []

    outcome = await d.bulk.snooze(AGENT, [OPEN, OPEN, OPEN], 4)
    assert outcome.done == (OPEN,)


@pytest.mark.parametrize("role", [Role.OPS, Role.COMMUNITY])
async def test_only_agents_leads_and_admins_act_on_a_selection(role: Role) -> None:
    d = desk()
    outsider = session(role)

    with pytest.raises(PermissionDeniedError):
        await d.bulk.snooze(outsider, [OPEN], 4)
    with pytest.raises(PermissionDeniedError):
        await d.bulk.close(outsider, [OPEN])
    with pytest.raises(PermissionDeniedError):
        await d.bulk.tag(outsider, [OPEN], "billing")
    with pytest.raises(PermissionDeniedError):
        await d.bulk.assignees(outsider)

    assert d.board.transactions == []
    assert d.board.threads[OPEN].status is ThreadStatus.OPEN


async def test_closing_a_selection_resolves_its_open_threads_as_needing_no_reply() -> None:
    d = desk()
    d.board.threads[OPEN].snoozed_until = NOW + timedelta(hours=4)

    outcome = await d.bulk.close(AGENT, [OPEN, PENDING, RESOLVED, ELSEWHERE])

    assert (outcome.done, outcome.sentence()) == (
        (OPEN, PENDING),
        "2 closed: no reply needed; 2 skipped: 1 already resolved, 1 not found",
    )
    assert d.board.closures == [
        Closure(OPEN, NOW, "no_reply_needed", "agent:7"),
        Closure(PENDING, NOW, "no_reply_needed", "agent:7"),
    ]
    assert d.board.threads[OPEN].snoozed_until is None
    assert d.board.threads[ELSEWHERE].status is ThreadStatus.OPEN


async def test_each_action_on_a_selection_leaves_one_audit_row_with_the_threads_done() -> None:
    d = desk()

    await d.bulk.close(AGENT, [OPEN, PENDING, RESOLVED])
    await d.bulk.tag(AGENT, [OPEN], "Billing")

    assert d.audit.actions() == [("threads_close", None), ("threads_tag", None)]
    closed, tagged = (e.summary for e in d.audit.entries)
    assert closed == {"thread_ids": [OPEN, PENDING], "done": 2, "skipped": 1, "target": ""}
    assert tagged["target"] == "billing"
    assert {e.actor.actor_id for e in d.audit.entries} == {AGENT.agent_id}


async def test_closing_a_selection_keeps_its_clocks_then_frees_the_holders_seats() -> None:
    d = desk()

    await d.bulk.close(AGENT, [OPEN, PENDING, RESOLVED])

    [writer] = d.closing.writers  # one transaction for every thread closed
    assert writer.clocks_kept_for == [[OPEN, PENDING]]
    assert d.seats.freed == [[OPEN, PENDING]]


async def test_a_selection_is_tagged_in_the_tags_stored_spelling_once_per_thread() -> None:
    d = desk()
    d.board.threads[PENDING].tags = ("billing",)
    d.board.threads[RESOLVED].tags = tuple(f"tag {n}" for n in range(MOST_TAGS))

    outcome = await d.bulk.tag(AGENT, [OPEN, PENDING, RESOLVED, ELSEWHERE], "  Billing ")

    assert (outcome.done, outcome.target) == ((OPEN, PENDING), "billing")
    assert outcome.skipped == Counter({Skipped.TOO_MANY_TAGS: 1, Skipped.NOT_FOUND: 1})
    assert [d.board.threads[i].tags for i in (OPEN, PENDING)] == [("billing",), ("billing",)]
    assert d.board.threads[ELSEWHERE].tags == ()


async def test_a_tag_is_taken_off_a_selection_whether_or_not_each_thread_had_it() -> None:
    d = desk()
    d.board.threads[OPEN].tags = ("billing", "vip")

    outcome = await d.bulk.untag(AGENT, [OPEN, PENDING, ELSEWHERE], "Billing")

    assert (outcome.done, outcome.skipped) == ((OPEN, PENDING), Counter({Skipped.NOT_FOUND: 1}))
    assert d.board.threads[OPEN].tags == ("vip",)


async def test_a_selection_given_to_a_colleague_skips_theirs_closed_and_unknown() -> None:
    d = desk()
    d.board.threads[PENDING].agent_id = LEA

    outcome = await d.bulk.assign(AGENT, [OPEN, PENDING, RESOLVED, UNKNOWN], AssignTarget(LEA))

    assert outcome.sentence() == (
        "1 assigned to Léa; 3 skipped: 1 already resolved, 1 already theirs, 1 not found"
    )
    assert d.board.threads[OPEN].agent_id == LEA
    assert d.board.threads[RESOLVED].agent_id is None


async def test_a_selection_given_to_oneself_says_you() -> None:
    outcome = await desk().bulk.assign(AGENT, [OPEN], AssignTarget(agent_id=ME))

    assert outcome.sentence() == "1 assigned to you"


async def test_a_selection_given_to_a_team_waits_in_its_queue_when_nobody_has_room() -> None:
    d = desk(NO_ROOM)
    d.board.threads[OPEN].agent_id = LEA

    outcome = await d.bulk.assign(AGENT, [OPEN, PENDING], AssignTarget(team_id=SUPPORT))

    assert outcome.sentence() == "2 assigned to team Support FR"
    held = [(d.board.threads[i].agent_id, d.board.threads[i].team_id) for i in (OPEN, PENDING)]
    assert held == [(None, SUPPORT), (None, SUPPORT)]


async def test_the_seat_a_handover_frees_goes_to_a_thread_waiting_in_the_team_at_once() -> None:
    d = desk(ROOM_FOR_ONE)
    d.board.threads[OPEN].agent_id, d.board.threads[OPEN].team_id = LEA, SUPPORT
    d.board.threads[PENDING].team_id = SUPPORT  # in the queue, nobody holds it

    await d.bulk.assign(AGENT, [OPEN], AssignTarget(agent_id=ME))

    assert (d.board.threads[OPEN].agent_id, d.board.threads[PENDING].agent_id) == (ME, LEA)
    [routing] = d.bulk_store.routing  # in the selection's own transaction
    [(source, [decision], _)] = routing.written
    assert (source, decision.thread_id, decision.agent_id) == ("queue", PENDING, LEA)


@pytest.mark.parametrize("target", [AssignTarget(agent_id=42), AssignTarget(team_id=42)])
async def test_a_selection_given_to_nobody_known_is_refused_and_nothing_moves(
    target: AssignTarget,
) -> None:
    d = desk()

    with pytest.raises(NotFoundError):
        await d.bulk.assign(AGENT, [OPEN], target)

    assert d.board.threads[OPEN].agent_id is None


async def test_the_people_a_selection_may_be_given_to_are_the_workspaces() -> None:
    assert await desk().bulk.assignees(AGENT) == (
        ((ME, "Max"), (LEA, "Léa")),
        ((SUPPORT, "Support FR"),),
    )


# -- one thread closed by hand -------------------------------------------------------------


async def test_a_thread_closed_as_needing_no_reply_is_resolved_and_frees_its_seat() -> None:
    d = desk()

    await d.close(WORKSPACE, OPEN, "no_reply_needed", "agent:7")

    assert d.board.closures == [Closure(OPEN, NOW, "no_reply_needed", "agent:7")]
    assert d.board.threads[OPEN].status is ThreadStatus.RESOLVED
    assert d.closing.writers[0].clocks_kept_for == [[OPEN]]
    assert d.seats.freed == [[OPEN]]


async def test_a_thread_is_resolved_by_hand_only_once_the_customer_has_an_answer() -> None:
    d = desk()

    with pytest.raises(ConflictError, match="still waiting for an answer"):
        await d.close(WORKSPACE, OPEN, "resolved", "agent:7")
    assert (d.board.closures, d.seats.freed) == ([], [])

    d.board.threads[OPEN].answered = True
    await d.close(WORKSPACE, OPEN, "resolved", "agent:7")
    assert d.board.threads[OPEN].status is ThreadStatus.RESOLVED


@pytest.mark.parametrize("reason", ["no_reply_needed", "resolved"])
async def test_closing_a_thread_of_another_workspace_or_none_is_not_found(reason: str) -> None:
    d = desk()

    for thread_id in (ELSEWHERE, UNKNOWN):
        with pytest.raises(NotFoundError):
            await d.close(WORKSPACE, thread_id, reason, "agent:7")

    assert (d.board.closures, d.seats.freed) == ([], [])


async def test_a_closure_gives_one_of_the_known_reasons() -> None:
    d = desk()

    with pytest.raises(ConfigurationError) as refused:
        await d.close(WORKSPACE, OPEN, "spam", "agent:7")
    with pytest.raises(ConfigurationError):
        await d.close.many(WORKSPACE, [OPEN], "", "agent:7")

    assert refused.value.setting == "reason"

    assert d.board.transactions == []
