"""The SLA hooks on in-memory fakes: KeepClocks as ingestion runs it, and closing threads
without a reply (CloseWithoutReply)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from inbox.domain.errors import ConfigurationError, ConflictError, NotFoundError
from inbox.domain.ingestion import IngestBatch, IngestResult
from inbox.domain.mention import Direction, Mention
from inbox.domain.sla import StoredClock
from inbox.ports.ingest import AfterIngestHook, IngestUnitOfWork
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.sla import KeepClocks
from inbox.usecases.sla_close import CloseWithoutReply
from tests.factories import T0, mention
from tests.fakes.clocks import FakeSlaSettingsStore
from tests.fakes.ingest import FakeIngestStore, InMemoryInbox

WORKSPACE = 1
NOW = T0 + timedelta(hours=2)
HOUR = timedelta(hours=1)
FIRST_RESPONSE = "first_response"


def minute(n: int) -> timedelta:
    return timedelta(minutes=n)


def kept(store: FakeIngestStore, *after: AfterIngestHook) -> IngestMentions:
    return IngestMentions(store, hooks=[KeepClocks(clock=lambda: NOW), *after], clock=lambda: NOW)


def answer(external_id: str, to: str, at: int) -> Mention:
    return mention(
        external_id, author="brand", minute=at, conversation=to, direction=Direction.OUTBOUND
    )


def first_responses(inbox: InMemoryInbox) -> list[StoredClock]:
    return sorted(
        (c for c in inbox.clocks.values() if c.kind == FIRST_RESPONSE), key=lambda c: c.thread_id
    )


async def test_a_new_thread_starts_its_clock_from_the_messages_its_batch_wrote() -> None:
    store = FakeIngestStore()

    result = await kept(store)(WORKSPACE, IngestBatch([mention("1", conversation="c")]))

    (clock,) = first_responses(store.inbox)
    assert (clock.started_at, clock.stopped_at, clock.deadline) == (T0, None, T0 + HOUR)
    unit = store.units[0]
    assert unit.clocks.read_back == [], "its timeline came with the batch's result"
    assert unit.clocks.saved_fresh == [result.created_thread_ids]


async def test_an_answer_in_a_later_batch_stops_the_running_clock() -> None:
    store = FakeIngestStore()
    await kept(store)(WORKSPACE, IngestBatch([mention("1", conversation="c")]))

    await kept(store)(WORKSPACE, IngestBatch([answer("2", "c", at=20)]))

    (clock,) = first_responses(store.inbox)
    assert (clock.started_at, clock.stopped_at) == (T0, T0 + minute(20))
    thread_id = store.inbox.mentions[("x", "1")]
    assert store.units[1].clocks.read_back == [thread_id], "a thread with history is read back"
    assert store.units[1].clocks.saved_fresh == [frozenset()]


async def test_a_thread_closed_earlier_in_its_unit_of_work_is_read_back_not_taken_as_written() -> (
    None
):
    store = FakeIngestStore()

    async def close_first(uow: IngestUnitOfWork, workspace_id: int, result: IngestResult) -> None:
        await uow.clocks.record_closures(
            workspace_id, sorted(result.created_thread_ids), T0 + minute(3), "deleted", "rule"
        )

    hooks: list[AfterIngestHook] = [close_first, KeepClocks(clock=lambda: NOW)]
    await IngestMentions(store, hooks=hooks, clock=lambda: NOW)(
        WORKSPACE, IngestBatch([mention("1", conversation="c")])
    )

    thread_id = store.inbox.mentions[("x", "1")]
    assert store.units[0].clocks.read_back == [thread_id]
    (clock,) = first_responses(store.inbox)
    assert clock.stopped_at == T0 + minute(3)


async def test_clocks_of_a_batch_rolled_back_are_not_kept() -> None:
    store = FakeIngestStore()

    async def crash(uow: IngestUnitOfWork, workspace_id: int, result: IngestResult) -> None:
        raise RuntimeError("crash after the clocks")

    with pytest.raises(RuntimeError):
        await kept(store, crash)(WORKSPACE, IngestBatch([mention("1")]))

    assert store.units[0].inbox.clocks  # planned in the unit of work, then rolled back
    assert store.inbox.clocks == {}


async def test_keeping_the_same_batch_twice_in_one_unit_of_work_changes_nothing_more() -> None:
    store = FakeIngestStore()
    keep = KeepClocks(clock=lambda: NOW)
    async with store.batch_transaction(WORKSPACE) as uow:
        result = await uow.threads.write_batch(WORKSPACE, IngestBatch([mention("1")]))
        await keep(uow, WORKSPACE, result)
        planned = dict(uow.inbox.clocks)
        await keep(uow, WORKSPACE, result)

    assert store.inbox.clocks == planned


async def test_a_batch_that_changed_no_thread_keeps_no_clock() -> None:
    store = FakeIngestStore()
    await kept(store)(WORKSPACE, IngestBatch([mention("1")]))

    await kept(store)(WORKSPACE, IngestBatch([mention("1")]))

    assert store.units[1].clocks.saved_fresh == []
    assert store.units[1].clocks.read_back == []


async def stored_thread(*messages: Mention) -> tuple[InMemoryInbox, int]:
    """An inbox holding one thread of these messages and its clocks, as ingestion left it."""
    store = FakeIngestStore()
    await kept(store)(WORKSPACE, IngestBatch(messages))
    return store.inbox, store.inbox.mentions[("x", "1")]


class Seats:
    def __init__(self, store: FakeSlaSettingsStore) -> None:
        self._store = store
        self.freed: list[tuple[Sequence[int], int]] = []  # with the commits done by then

    async def seats_freed(self, workspace_id: int, thread_ids: Sequence[int]) -> None:
        self.freed.append((list(thread_ids), self._store.committed))


def closing(store: FakeSlaSettingsStore, seats: Seats | None = None) -> CloseWithoutReply:
    return CloseWithoutReply(store, KeepClocks(clock=lambda: NOW), clock=lambda: NOW, waiting=seats)


async def test_closing_without_reply_resolves_the_thread_and_ends_its_clock_excluded() -> None:
    inbox, thread_id = await stored_thread(mention("1", conversation="c"))
    store = FakeSlaSettingsStore(inbox)
    seats = Seats(store)

    await closing(store, seats)(WORKSPACE, thread_id, "no_reply_needed", "agent:7")

    assert store.inbox.closures == [(thread_id, "no_reply_needed", "agent:7")]
    assert store.inbox.threads[thread_id].status == "resolved"
    (clock,) = first_responses(store.inbox)
    assert (clock.stopped_at, clock.outcome) == (NOW, "excluded")
    assert seats.freed == [([thread_id], 1)], "seats are freed once the closure committed"


async def test_closing_as_resolved_while_the_customer_waits_is_refused_and_changes_nothing() -> (
    None
):
    inbox, thread_id = await stored_thread(mention("1", conversation="c"))
    store = FakeSlaSettingsStore(inbox)
    seats = Seats(store)

    with pytest.raises(ConflictError, match="still waiting for an answer"):
        await closing(store, seats)(WORKSPACE, thread_id, "resolved", "agent:7")

    assert (store.committed, store.rolled_back, seats.freed) == (0, 1, [])
    assert store.inbox.closures == []


async def test_an_answered_thread_closes_as_resolved_with_its_clock_met() -> None:
    inbox, thread_id = await stored_thread(
        mention("1", conversation="c"),
        answer("2", "c", at=10),
    )
    store = FakeSlaSettingsStore(inbox)

    await closing(store)(WORKSPACE, thread_id, "resolved", "agent:7")

    assert store.inbox.threads[thread_id].status == "resolved"
    (clock,) = first_responses(store.inbox)
    assert clock.stopped_at == T0 + minute(10)


async def test_closing_a_thread_that_is_not_there_is_not_found() -> None:
    store = FakeSlaSettingsStore(InMemoryInbox())

    with pytest.raises(NotFoundError):
        await closing(store)(WORKSPACE, 404, "deleted", "agent:7")


async def test_closing_many_closes_those_there_in_one_transaction_then_frees_their_seats() -> None:
    inbox, thread_id = await stored_thread(mention("1", conversation="c"))
    store = FakeSlaSettingsStore(inbox)
    seats = Seats(store)

    closed = await closing(store, seats).many(WORKSPACE, [thread_id, 404], "hidden", "agent:7")

    assert closed == [thread_id]
    assert store.committed == 1
    assert seats.freed == [([thread_id], 1)]


async def test_an_unknown_closure_reason_is_refused_naming_the_field() -> None:
    store = FakeSlaSettingsStore(InMemoryInbox())

    with pytest.raises(ConfigurationError, match="one of no_reply_needed"):
        await closing(store)(WORKSPACE, 1, "bored", "agent:7")
    assert store.committed + store.rolled_back == 0
