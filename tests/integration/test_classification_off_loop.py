"""Ingestion classifies every batch in a worker thread, a few batches at a time, so that the
event loop keeps serving while long texts are read."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace

import pytest

from inbox.domain.mention import Mention
from inbox.domain.routing import RoutingConfig
from inbox.store.database import Database
from inbox.store.routing import PgRoutingStore
from inbox.usecases.routing import ClassifyMentions
from inbox.usecases.routing_config import DEFAULT_CONFIG, ParsedConfig, RoutingConfigs
from routing.classification import Classification
from routing.classify import Classifier
from tests.factories import mention

pytestmark = pytest.mark.integration


class RecordingClassifier(Classifier):
    """The shipped classifier, noting the thread of each batch and how many run at once; with
    `hold`, each batch waits for it to be set before it is classified, and `entered` is
    called (from the worker thread) with the number running."""

    def __init__(
        self,
        hold: threading.Event | None = None,
        entered: Callable[[int], object] = lambda running: None,
    ) -> None:
        super().__init__()
        self.threads: list[int] = []
        self.running = 0
        self.most_at_once = 0
        self._hold = hold
        self._entered = entered
        self._lock = threading.Lock()

    def classify_many(self, mentions: Sequence[Mention]) -> list[Classification]:
        with self._lock:
            self.threads.append(threading.get_ident())
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self._entered(self.running)
        try:
            if self._hold is not None:
                assert self._hold.wait(timeout=30)
            return super().classify_many(mentions)
        finally:
            with self._lock:
                self.running -= 1


class OneConfig(RoutingConfigs):
    def __init__(self, classifier: Classifier) -> None:
        super().__init__()
        self._config = replace(DEFAULT_CONFIG, classifier=classifier)

    def parsed(self, workspace_id: int, config: RoutingConfig | None) -> ParsedConfig:
        return self._config


def batch(size: int, prefix: str) -> list[Mention]:
    return [mention(f"{prefix}{n}", text="@acme toujours pas de fibre") for n in range(size)]


@pytest.mark.parametrize("size", [1, 63, 200])
async def test_a_batch_of_any_size_is_classified_in_a_worker_thread(
    db: Database, workspace_id: int, size: int
) -> None:
    classifier = RecordingClassifier()
    classify = ClassifyMentions(PgRoutingStore(db), OneConfig(classifier))
    mentions = batch(size, "m")
    classifications = await classify.classify(workspace_id, mentions)
    assert classifier.threads
    assert threading.get_ident() not in classifier.threads
    assert list(classifications) == Classifier().classify_many(mentions)


async def test_a_burst_of_batches_is_classified_a_few_at_a_time(
    db: Database, workspace_id: int
) -> None:
    loop = asyncio.get_running_loop()
    hold = threading.Event()
    two_running = asyncio.Event()
    classifier = RecordingClassifier(
        hold, lambda running: running == 2 and loop.call_soon_threadsafe(two_running.set)
    )
    classify = ClassifyMentions(PgRoutingStore(db), OneConfig(classifier), at_once=2)
    burst = [
        asyncio.create_task(classify.classify(workspace_id, batch(3, f"b{n}-"))) for n in range(6)
    ]
    await asyncio.wait_for(two_running.wait(), timeout=30)
    assert classifier.running == 2  # the other four wait their turn
    hold.set()
    assert all(len(found) == 3 for found in await asyncio.gather(*burst))
    assert classifier.most_at_once == 2
    assert len(classifier.threads) == 6
