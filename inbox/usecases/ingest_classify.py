"""Classification of ingested batches in worker processes, out of the interpreter lock the
batch writes need.

The classifier is pure Python: in one process, classifying the next batch while one is
written (`IngestMentions.ingest_many`) takes turns at the interpreter lock with the writer's
own Python. Here the next batch's texts go to a worker process in one message, as plain
tuples (what the classifier reads of each mention, nothing more), and come back as tuples
too: sending them costs under ten microseconds a mention, classifying them about a hundred.
Whether that pays depends on the cores left beside PostgreSQL (the composition root decides,
`Settings.classifier_process_count`). A worker process that dies loses no batch: that batch
is classified again in this process, and the pool is started again for the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from inbox.domain.errors import WorkerLostError
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network
from inbox.domain.routing import RoutingConfig
from inbox.domain.thread import Priority, ThreadKind
from inbox.ports.ingest import MentionClassification, MentionClassifier
from inbox.ports.routing import RoutingStore
from inbox.ports.workers import WorkerProcesses
from inbox.usecases.routing_config import RoutingConfigs
from routing import language
from routing.classification import Classification, Reason
from routing.classify import READ_AT_MOST
from routing.personal_data import PersonalData

log = logging.getLogger(__name__)

# What the classifier reads of a mention: network, external id, conversation key, author's
# id and followers, direction, text (cut where the classifier stops reading), language hint,
# and the network's timestamp (the batch's earlier messages of a conversation count).
ClassifierInput = tuple[str, str, str | None, str, int | None, str, str, str | None, datetime]
# One answer: kind, language, urgency, topics, personal data (kind, masked), reasons
# (decision, cue, effect), as `Classification` holds them.
ClassifierAnswer = tuple[
    str,
    str | None,
    str,
    tuple[str, ...],
    tuple[tuple[str, str], ...],
    tuple[tuple[str, str, str], ...],
]

# The worker process's own: each workspace's configuration parsed once per version there.
_configs_here: RoutingConfigs | None = None


class ClassifyInProcesses:
    """The ingestion port `MentionClassifier`, answered by worker processes.

    `fallback` classifies in this process a batch whose worker died (the pool restarts for
    the next), so that no batch is lost and none waits for a process that will not answer."""

    def __init__(
        self,
        store: RoutingStore,
        workers: WorkerProcesses,
        *,
        fallback: MentionClassifier,
    ) -> None:
        self._store = store
        self._workers = workers
        self._fallback = fallback

    async def classify(
        self, workspace_id: int, mentions: Sequence[Mention]
    ) -> Sequence[MentionClassification]:
        config = await self._store.load_config(workspace_id)
        try:
            answers = await self._workers.run(
                classify_inputs, workspace_id, config, classifier_inputs(mentions)
            )
        except WorkerLostError:
            log.warning(
                "classifier process lost: the batch is classified in this process",
                extra={
                    "action": "classifier_process_lost",
                    "workspace_id": workspace_id,
                    "mentions": len(mentions),
                },
            )
            return await self._fallback.classify(workspace_id, mentions)
        return [classification_of(answer) for answer in answers]


def classifier_inputs(mentions: Sequence[Mention]) -> list[ClassifierInput]:
    """The batch as the worker process reads it; an own account's post is sent without its
    text (the classifier leaves it unclassified)."""
    return [
        (
            m.network.value,
            m.external_id,
            m.conversation_key,
            m.author.external_id,
            m.author.followers,
            m.direction.value,
            m.text[:READ_AT_MOST] if m.direction is Direction.INBOUND else "",
            m.language,
            m.created_at,
        )
        for m in mentions
    ]


def classify_inputs(
    workspace_id: int, config: RoutingConfig | None, inputs: Sequence[ClassifierInput]
) -> list[ClassifierAnswer]:
    """In the worker process: the workspace's classifier (parsed once per version) on the
    batch, the answers as tuples."""
    global _configs_here
    if _configs_here is None:
        _configs_here = RoutingConfigs()
    classifier = _configs_here.parsed(workspace_id, config).classifier
    return [_answer(c) for c in classifier.classify_many(_mentions_of(inputs))]


def warm_classifier() -> None:
    """In a worker process as it starts: the language models and the shipped model loaded, so
    the first batch does not pay for them."""
    language.warm_up()
    classify_inputs(0, None, [_WARM_UP])


def classification_of(answer: ClassifierAnswer) -> Classification:
    kind, language, urgency, topics, personal_data, reasons = answer
    return Classification(
        ThreadKind(kind),
        language,
        Priority(urgency),
        topics,
        tuple(PersonalData(*found) for found in personal_data),
        tuple(Reason(*reason) for reason in reasons),
    )


def _answer(decided: Classification) -> ClassifierAnswer:
    return (
        decided.kind.value,
        decided.language,
        decided.priority.value,
        decided.topics,
        tuple((p.kind, p.masked) for p in decided.personal_data),
        tuple((r.decision, r.cue, r.effect) for r in decided.reasons),
    )


def _mentions_of(inputs: Sequence[ClassifierInput]) -> list[Mention]:
    # Values that were a valid Mention's in the parent: built without checking them again.
    return [
        Mention.model_construct(
            network=Network(network),
            external_id=external_id,
            conversation_key=conversation_key,
            author=Author.model_construct(external_id=author_id, followers=followers),
            direction=Direction(direction),
            text=text,
            language=language,
            created_at=created_at,
        )
        for (
            network,
            external_id,
            conversation_key,
            author_id,
            followers,
            direction,
            text,
            language,
            created_at,
        ) in inputs
    ]


_WARM_UP: ClassifierInput = (
    Network.X.value,
    "warm-up",
    None,
    "warm-up",
    None,
    Direction.INBOUND.value,
    "my internet has been down since this morning, any news?",
    None,
    datetime(2026, 1, 1, tzinfo=UTC),
)
