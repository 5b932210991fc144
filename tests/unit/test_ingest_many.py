"""IngestMentions.ingest_many: batches of one source written in order, the next classified
while one is written."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass

import pytest

from inbox.domain.ingestion import IngestBatch, IngestResult
from inbox.domain.mention import Mention
from inbox.domain.thread import Priority, ThreadKind
from inbox.ports.ingest import IngestUnitOfWork
from inbox.usecases.ingest import IngestMentions
from tests.factories import mention
from tests.fakes.ingest import FakeIngestStore, cursor

WORKSPACE = 1
# Generous: a wait that should end at once, bounded so that a broken pipeline fails the test.
DEADLINE = 30.0


@dataclass(frozen=True)
class Decided:
    kind: ThreadKind = ThreadKind.COMPLAINT
    language: str | None = "en"
    priority: Priority = Priority.NORMAL
    topics: tuple[str, ...] = ()
    suggest_private_message: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind.value}


class Classifier:
    """Notes, for each batch it is asked about (by its first message), how many units of work
    had committed then."""

    def __init__(self, store: FakeIngestStore) -> None:
        self._store = store
        self.calls: list[tuple[str, int]] = []
        self.asked: dict[str, asyncio.Event] = {}

    async def classify(self, workspace_id: int, mentions: Sequence[Mention]) -> list[Decided]:
        first = mentions[0].external_id
        self.calls.append((first, len(self._store.committed)))
        self.asked.setdefault(first, asyncio.Event()).set()
        return [Decided() for _ in mentions]

    def event(self, first: str) -> asyncio.Event:
        return self.asked.setdefault(first, asyncio.Event())


def batches(count: int) -> list[IngestBatch]:
    return [
        IngestBatch(
            [mention(f"{n}a", conversation=f"{n}a"), mention(f"{n}b")], cursor=cursor(str(n))
        )
        for n in range(count)
    ]


async def collect(ingest: IngestMentions, source: object, **options: int) -> list[IngestResult]:
    return [r async for r in ingest.ingest_many(WORKSPACE, source, **options)]  # type: ignore[arg-type]


async def test_batches_are_written_in_order_each_with_its_cursor_in_its_own_unit_of_work() -> None:
    store = FakeIngestStore()
    cursors: list[str | None] = []

    async def note_cursor(uow: IngestUnitOfWork, workspace_id: int, result: IngestResult) -> None:
        cursors.append(store.cursor("x:mentions:1"))  # what had committed before this batch

    ingest = IngestMentions(store, classifier=Classifier(store), hooks=[note_cursor])

    results = await collect(ingest, batches(4))

    assert [sorted(r.added_keys) for r in results] == [
        [("x", f"{n}a"), ("x", f"{n}b")] for n in range(4)
    ]
    assert [(u.committed, u.rolled_back) for u in store.units] == [(True, False)] * 4
    assert cursors == [None, "0", "1", "2"]
    assert store.cursor("x:mentions:1") == "3"


async def test_the_next_batch_is_classified_while_the_previous_one_is_written() -> None:
    store = FakeIngestStore()
    classifier = Classifier(store)

    async def wait_for_the_next_classification(
        uow: IngestUnitOfWork, workspace_id: int, result: IngestResult
    ) -> None:
        if ("x", "0a") in result.added_keys:  # batch 0 stays open until batch 1 is classified
            await asyncio.wait_for(classifier.event("1a").wait(), DEADLINE)

    ingest = IngestMentions(store, classifier=classifier, hooks=[wait_for_the_next_classification])

    await collect(ingest, batches(2))

    # batch 0 could only commit once batch 1 had been classified
    assert classifier.calls == [("0a", 0), ("1a", 0)]
    assert len(store.committed) == 2


async def test_classification_runs_at_most_the_given_number_of_batches_ahead() -> None:
    store = FakeIngestStore()
    classifier = Classifier(store)
    ingest = IngestMentions(store, classifier=classifier)

    await collect(ingest, batches(6), ahead=2)

    # batch n is asked about once at least n - 2 batches have committed
    assert all(committed >= int(first[:-1]) - 2 for first, committed in classifier.calls)
    assert [first for first, _ in classifier.calls] == [f"{n}a" for n in range(6)]


async def test_without_classifying_ahead_each_batch_waits_for_the_previous_commit() -> None:
    store = FakeIngestStore()
    classifier = Classifier(store)
    ingest = IngestMentions(store, classifier=classifier)

    await collect(ingest, batches(3), ahead=0)

    assert classifier.calls == [("0a", 0), ("1a", 1), ("2a", 2)]


async def test_a_batch_that_fails_stops_the_stream_before_the_batches_after_it() -> None:
    store = FakeIngestStore()

    async def fail_on_batch_one(
        uow: IngestUnitOfWork, workspace_id: int, result: IngestResult
    ) -> None:
        if ("x", "1a") in result.added_keys:
            raise RuntimeError("a hook crashed")

    ingest = IngestMentions(store, classifier=Classifier(store), hooks=[fail_on_batch_one])
    written: list[IngestResult] = []

    async def consume() -> None:
        async for result in ingest.ingest_many(WORKSPACE, batches(4)):
            written.append(result)

    with pytest.raises(RuntimeError, match="a hook crashed"):
        await consume()

    assert len(written) == 1
    assert [(u.committed, u.rolled_back) for u in store.units] == [(True, False), (False, True)]
    assert store.cursor("x:mentions:1") == "0"
    assert sorted(store.inbox.mentions) == [("x", "0a"), ("x", "0b")]


async def test_leaving_the_stream_early_writes_nothing_more() -> None:
    store = FakeIngestStore()
    ingest = IngestMentions(store, classifier=Classifier(store))

    async with aclosing(ingest.ingest_many(WORKSPACE, batches(5))) as stream:
        async for _ in stream:
            break

    assert len(store.units) == 1
    assert store.cursor("x:mentions:1") == "0"


async def test_batches_may_come_from_an_asynchronous_source() -> None:
    store = FakeIngestStore()
    ingest = IngestMentions(store, classifier=Classifier(store))

    async def pages() -> AsyncIterator[IngestBatch]:
        for batch in batches(3):
            await asyncio.sleep(0)
            yield batch

    results = await collect(ingest, pages())

    assert [r.mentions_added for r in results] == [2, 2, 2]
    assert store.cursor("x:mentions:1") == "2"
