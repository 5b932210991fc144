"""The one detector on fakes: what ingestion adds to the shared complaint counts, how the
detector reads them (each count once), and how a new leader carries on a burst."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from inbox.domain.incidents import ComplaintCount
from inbox.domain.ingestion import IngestBatch, IngestResult
from inbox.ports.incidents import SeriesCount
from inbox.ports.ingest import IngestUnitOfWork
from inbox.usecases.incident_detector import IncidentTimer
from inbox.usecases.incidents import WatchComplaints
from inbox.usecases.incidents_watch import ComplaintWatcher, series_counts
from routing.signals import SeriesKey
from tests.factories import mention
from tests.fakes.incidents import FakeIncidentStore, SharedCounts
from tests.fakes.ingest import FakeIngestStore
from tests.unit.test_ingest_usecase import WORKSPACE, Classifier, ingestion

T = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
WHOLE = SeriesKey(WORKSPACE)
LYON = SeriesKey(WORKSPACE, "region", "Lyon")
DEADLINE_S = 30.0


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def whole_counts(store: FakeIngestStore) -> int:
    return sum(c.count for c in store.inbox.complaint_counts if c.key == WHOLE)


def test_complaints_are_counted_in_each_of_their_series_per_minute() -> None:
    complaints = [
        ComplaintCount(workspace_id=1, at=T + timedelta(seconds=5), topics=("network",),
                       keyword_groups=("outage",), regions=("Lyon",)),
        ComplaintCount(workspace_id=1, at=T + timedelta(seconds=50), topics=("network",),
                       keyword_groups=()),
        ComplaintCount(workspace_id=1, at=T + MINUTE, topics=(), keyword_groups=(), count=3),
    ]  # fmt: skip

    counted = {(c.key.kind, c.key.value, c.bucket): c.count for c in series_counts(complaints)}

    assert counted == {
        ("all", "", T): 2,
        ("topic", "network", T): 2,
        ("keywords", "outage", T): 1,
        ("region", "Lyon", T): 1,
        ("all", "", T + MINUTE): 3,
    }


async def test_a_batch_adds_its_complaint_counts_in_its_own_transaction_and_nothing_after() -> None:
    store = FakeIngestStore()
    hook = WatchComplaints()
    seen: list[object] = []

    async def watched(uow: IngestUnitOfWork, workspace_id: int, result: IngestResult) -> None:
        seen.append(await hook(uow, workspace_id, result))

    ingest = ingestion(store, watched, classifier=Classifier(store))
    await ingest(WORKSPACE, IngestBatch([mention("1"), mention("2", author="u2")]))

    assert whole_counts(store) == 2
    assert seen == [None], "no counting is left for after the commit"


async def test_a_batch_rolled_back_counts_nothing_and_sent_again_counts_once() -> None:
    store = FakeIngestStore()
    failed: list[bool] = []

    async def failing_once(uow: IngestUnitOfWork, workspace_id: int, result: IngestResult) -> None:
        if not failed:
            failed.append(True)
            raise RuntimeError("the database went away")

    ingest = ingestion(store, WatchComplaints(), failing_once, classifier=Classifier(store))
    batch = IngestBatch([mention(str(n), author=f"u{n}") for n in range(5)])

    with pytest.raises(RuntimeError):
        await ingest(WORKSPACE, batch)
    assert whole_counts(store) == 0
    await ingest(WORKSPACE, batch)
    await ingest(WORKSPACE, batch)  # a duplicate delivery adds no mention, no count
    assert whole_counts(store) == 5


def detector(
    store: FakeIncidentStore,
    clock: Clock,
    watcher: ComplaintWatcher | None = None,
    **options: float,
) -> IncidentTimer:
    return IncidentTimer(
        store,
        watcher or ComplaintWatcher(),
        clock=clock,
        relearn=timedelta(days=3),
        tick_seconds=options.get("tick_seconds", 60.0),
        leadership_retry_seconds=0.01,
    )


def quiet_history(shared: SharedCounts, until: datetime) -> None:
    """A complaint every twenty minutes for two days."""
    at = until - timedelta(days=2)
    while at < until:
        shared.add([SeriesCount(WHOLE, at, 1)])
        at += timedelta(minutes=20)


async def test_the_detector_feeds_each_stored_count_once_however_often_it_reads() -> None:
    shared = SharedCounts()
    store = FakeIncidentStore(shared)
    clock = Clock(T)
    watcher = ComplaintWatcher()
    timer = detector(store, clock, watcher)
    await timer.start()

    shared.add([SeriesCount(WHOLE, T, 3)])
    clock.now = T + timedelta(seconds=10)
    await timer.tick()
    shared.add([SeriesCount(WHOLE, T, 2)])  # a batch committed later in the same minute
    clock.now = T + timedelta(seconds=20)
    await timer.tick()
    await timer.tick()
    clock.now = T + MINUTE
    await timer.tick()

    assert [s.observed for s in watcher.recent(WHOLE, MINUTE)] == [5.0]
    since, _ = store.reads[-1]
    assert since >= T, "only the minutes a bucket still open may hold are read"


async def test_a_burst_whose_minute_closed_before_a_takeover_is_opened_by_the_new_leader_once() -> (
    None
):
    shared = SharedCounts()
    store = FakeIncidentStore(shared)
    quiet_history(shared, T - 5 * MINUTE)
    shared.add([SeriesCount(WHOLE, T - 2 * MINUTE, 12), SeriesCount(LYON, T - 2 * MINUTE, 12)])
    clock = Clock(T)

    taking_over = detector(store, clock)
    await taking_over.start()  # the burst's minute is in what it relearns
    opened = await taking_over.tick()

    assert [i.series for i in opened] == [("region:Lyon", "all:")]
    another = detector(store, clock)  # and yet another change of leader
    await another.start()
    assert await another.tick() == []
    assert len(store.incidents) == 1


async def test_one_detector_leads_and_another_takes_over_when_its_connection_drops() -> None:
    shared = SharedCounts()
    clock = Clock(T)
    stores = [FakeIncidentStore(shared), FakeIncidentStore(shared)]
    timers = [detector(s, clock, tick_seconds=0.01) for s in stores]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(t.run(stop)) for t in timers]
    try:
        await until(lambda: shared.holder is not None)
        first = shared.holder
        leading = next(s for s in stores if first in s.held)
        assert len([s for s in stores if any(h.leader for h in s.held)]) == 1

        assert first is not None
        first.drop()
        await until(lambda: shared.holder is not None and shared.holder is not first)
        assert shared.holder in [h for s in stores for h in s.held]
        assert leading.reads, "the first leader read the counts while it led"
    finally:
        stop.set()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, DEADLINE_S)


async def until(condition: object) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_S
    while not condition():
        assert loop.time() < deadline, "not within the deadline"
        await asyncio.sleep(0.005)
