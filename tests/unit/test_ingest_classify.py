"""Classification in worker processes: what crosses to the process and back, and a batch whose
process is lost classified here instead (the processes themselves: the integration tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from inbox.domain.errors import WorkerLostError
from inbox.domain.mention import Author, Direction, Mention
from inbox.usecases.ingest_classify import (
    ClassifyInProcesses,
    classification_of,
    classifier_inputs,
    classify_inputs,
)
from inbox.usecases.routing import ClassifyMentions
from inbox.usecases.routing_config import DEFAULT_CONFIG, RoutingConfigs
from routing.classify import READ_AT_MOST
from tests.factories import mention
from tests.fakes.assignment import RoutingStore

WORKSPACE = 1


def varied_batch() -> list[Mention]:
    """Whatever the classifier reads: languages given or guessed, personal data, followers,
    a customer writing again in a conversation, the brand's own answer, a text past what the
    classifier reads."""
    return [
        mention("1", conversation="c1", text="@acme my fibre has been down since 8am, again!"),
        mention("2", conversation="c1", minute=1, text="@acme still down, 3 hours now"),
        mention(
            "3",
            author="brand",
            conversation="c1",
            minute=2,
            direction=Direction.OUTBOUND,
            text="Sorry about that, we are on it",
        ),
        mention("4", minute=3, text="bonjour, plus d'internet depuis hier soir à Nantes ?"),
        mention("5", minute=4, text="billed twice, write me at jane.doe@example.com please"),
        mention("6", minute=5, text="thanks for fixing it so fast! " * 2000),
        mention("7", minute=6, text="my delivery never came").model_copy(
            update={
                "language": "en",
                "author": Author(external_id="famous", followers=250_000),
            }
        ),
    ]


def test_a_batch_classified_from_what_crosses_to_the_process_is_classified_alike() -> None:
    batch = varied_batch()
    assert len(batch[5].text) > READ_AT_MOST

    answers = classify_inputs(WORKSPACE, None, classifier_inputs(batch))

    expected = DEFAULT_CONFIG.classifier.classify_many(batch)
    assert [classification_of(a) for a in answers] == expected
    assert any(c.personal_data for c in expected)
    assert any(c.reasons for c in expected)


class InThisProcess:
    """Runs the function here, as a worker process would (its arguments pickled alike)."""

    size = 1

    def __init__(self) -> None:
        self.calls = 0

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        self.calls += 1
        return function(*args)


class LostEachTime:
    size = 1

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        raise WorkerLostError("worker process lost: killed")


def classifier(workers: InThisProcess | LostEachTime) -> ClassifyInProcesses:
    store = RoutingStore(writers={})
    fallback = ClassifyMentions(store, RoutingConfigs())
    return ClassifyInProcesses(store, workers, fallback=fallback)


def test_the_processes_answer_each_mention_in_order() -> None:
    batch = varied_batch()
    workers = InThisProcess()

    answers = asyncio.run(classifier(workers).classify(WORKSPACE, batch))

    assert workers.calls == 1
    assert list(answers) == DEFAULT_CONFIG.classifier.classify_many(batch)


def test_a_batch_whose_process_is_lost_is_classified_in_this_process() -> None:
    batch = varied_batch()

    answers = asyncio.run(classifier(LostEachTime()).classify(WORKSPACE, batch))

    assert list(answers) == DEFAULT_CONFIG.classifier.classify_many(batch)
