"""IngestMentions on the in-memory unit of work: screening, hooks, commits and isolation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pytest

from inbox.domain.ingestion import IngestBatch, IngestResult, RejectedPayload
from inbox.domain.mention import Mention
from inbox.domain.network import Network
from inbox.domain.thread import Priority, ThreadKind
from inbox.ports.ingest import (
    AfterCommit,
    AfterIngestHook,
    IngestStore,
    IngestUnitOfWork,
    MentionClassifier,
)
from inbox.usecases.ingest import IngestMentions
from tests.factories import T0, mention
from tests.fakes.ingest import FakeIngestStore, cursor

WORKSPACE = 1


ARRIVED = T0 + timedelta(minutes=5)


def ingestion(
    store: IngestStore, *hooks: AfterIngestHook, classifier: MentionClassifier | None = None
) -> IngestMentions:
    return IngestMentions(store, classifier=classifier, hooks=hooks, clock=lambda: ARRIVED)


def nested(depth: int) -> dict[str, object]:
    raw: dict[str, object] = {"id": "deep"}
    for _ in range(depth):
        raw = {"nested": raw}
    return raw


@dataclass(frozen=True)
class Decided:
    kind: ThreadKind
    language: str | None = "en"
    priority: Priority = Priority.NORMAL
    topics: tuple[str, ...] = ()
    suggest_private_message: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind.value}


class Classifier:
    """Answers complaint for every mention, noting how many units of work were open then."""

    def __init__(self, store: FakeIngestStore) -> None:
        self._store = store
        self.units_open_when_called: list[int] = []

    async def classify(self, workspace_id: int, mentions: Sequence[Mention]) -> list[Decided]:
        self.units_open_when_called.append(len(self._store.units))
        return [Decided(ThreadKind.COMPLAINT) for _ in mentions]


class Recorder:
    """A hook noting what it saw, and leaving a step for after the commit."""

    def __init__(self, store: FakeIngestStore) -> None:
        self._store = store
        self.seen: list[tuple[IngestUnitOfWork, bool, IngestResult]] = []
        self.after_commit: list[tuple[frozenset[tuple[str, str]], bool]] = []

    async def __call__(
        self, uow: IngestUnitOfWork, workspace_id: int, result: IngestResult
    ) -> AfterCommit:
        unit = self._store.units[-1]
        self.seen.append((uow, unit.committed, result))

        def then() -> None:
            self.after_commit.append((result.added_keys, unit.committed))

        return then


async def failing(uow: IngestUnitOfWork, workspace_id: int, result: IngestResult) -> None:
    raise RuntimeError("a hook crashed")


async def test_a_batch_commits_its_messages_cursor_and_one_notification_in_one_unit_of_work() -> (
    None
):
    store = FakeIngestStore()
    batch = IngestBatch([mention("1"), mention("2", reply_to="1")], cursor=cursor("42"))

    result = await ingestion(store)(WORKSPACE, batch)

    assert (result.mentions_added, result.threads_created, result.duplicates) == (2, 1, 0)
    assert [(u.committed, u.rolled_back) for u in store.units] == [(True, False)]
    assert store.cursor("x:mentions:1") == "42"
    assert store.inbox.notified == [result.changed_thread_ids]


async def test_messages_already_stored_count_as_duplicates() -> None:
    store = FakeIngestStore()
    await ingestion(store)(WORKSPACE, IngestBatch([mention("1")]))

    result = await ingestion(store)(WORKSPACE, IngestBatch([mention("1"), mention("2")]))

    assert (result.mentions_added, result.duplicates) == (1, 1)


async def test_a_payload_nested_too_deeply_is_quarantined_at_the_edge_and_the_rest_stored() -> None:
    store = FakeIngestStore()
    deep = mention("deep").model_copy(update={"raw": nested(80)})

    result = await ingestion(store)(WORKSPACE, IngestBatch([mention("1"), deep]))

    assert (result.mentions_added, result.quarantined) == (1, 1)
    assert result.quarantined_keys == {(Network.X.value, "deep")}
    (quarantined,) = store.inbox.quarantine
    assert quarantined.error.startswith("x deep: raw.")
    assert "nested deeper than 64 levels" in quarantined.error
    assert (Network.X.value, "deep") not in store.inbox.mentions


async def test_a_date_too_far_ahead_is_repaired_to_the_arrival_and_stored() -> None:
    store = FakeIngestStore()
    claimed = T0 + timedelta(days=400)
    ahead = mention("ahead").model_copy(update={"created_at": claimed})

    result = await ingestion(store)(WORKSPACE, IngestBatch([ahead]))

    assert (result.mentions_added, result.quarantined) == (1, 0)
    (written,) = store.units[0].threads.batches[0].mentions
    assert (written.created_at, written.claimed_at) == (ARRIVED, claimed)


async def test_the_classifier_runs_before_the_unit_of_work_opens_and_its_answers_are_written() -> (
    None
):
    store = FakeIngestStore()
    classifier = Classifier(store)

    await ingestion(store, classifier=classifier)(WORKSPACE, IngestBatch([mention("1")]))

    assert classifier.units_open_when_called == [0]
    assert store.inbox.thread_of("x", "1").kind == "complaint"


async def test_hooks_run_inside_the_unit_of_work_on_the_written_batch_before_it_commits() -> None:
    store = FakeIngestStore()
    first, second = Recorder(store), Recorder(store)

    result = await ingestion(store, first, second)(WORKSPACE, IngestBatch([mention("1")]))

    assert [(uow, committed) for uow, committed, _ in first.seen + second.seen] == [
        (store.units[0], False),
        (store.units[0], False),
    ]
    assert first.seen[0][2] == result


async def test_a_failing_hook_rolls_back_the_messages_and_the_cursor() -> None:
    store = FakeIngestStore()
    batch = IngestBatch([mention("1")], cursor=cursor("9"))

    with pytest.raises(RuntimeError, match="a hook crashed"):
        await ingestion(store, failing)(WORKSPACE, batch)

    assert [(u.committed, u.rolled_back) for u in store.units] == [(False, True)]
    assert (store.inbox.mentions, store.cursor("x:mentions:1")) == ({}, None)


async def test_after_commit_steps_run_only_once_their_unit_of_work_has_committed() -> None:
    store = FakeIngestStore()
    recorder = Recorder(store)

    await ingestion(store, recorder)(WORKSPACE, IngestBatch([mention("1"), mention("2")]))

    assert recorder.after_commit == [(frozenset({("x", "1"), ("x", "2")}), True)]


async def test_after_commit_steps_never_run_for_a_unit_of_work_rolled_back() -> None:
    store = FakeIngestStore()
    recorder = Recorder(store)

    with pytest.raises(RuntimeError):
        await ingestion(store, recorder, failing)(WORKSPACE, IngestBatch([mention("1")]))

    assert recorder.seen
    assert recorder.after_commit == []


async def test_an_after_commit_step_that_fails_leaves_the_batch_stored_and_answered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FakeIngestStore()

    def broken() -> None:
        raise RuntimeError("a follower's bug")

    async def hook(uow: IngestUnitOfWork, workspace_id: int, result: IngestResult) -> AfterCommit:
        return broken

    result = await ingestion(store, hook)(WORKSPACE, IngestBatch([mention("1")]))

    assert result.mentions_added == 1
    assert store.units[0].committed
    assert any(getattr(r, "action", None) == "ingest_after_commit_failed" for r in caplog.records)


async def test_an_unstorable_message_is_isolated_by_halving_and_quarantined_with_the_reason() -> (
    None
):
    store = FakeIngestStore(refuses={"5"})
    batch = IngestBatch([mention(str(n), conversation=str(n)) for n in range(8)])

    result = await ingestion(store)(WORKSPACE, batch)

    stored = sorted(external_id for _, external_id in store.inbox.mentions)
    assert stored == ["0", "1", "2", "3", "4", "6", "7"]
    assert result.quarantined_keys == {(Network.X.value, "5")}
    (quarantined,) = store.inbox.quarantine
    assert quarantined.error == "x 5: not storable: invalid input syntax in message 5"
    # The whole batch, then each half that fails halved again until "5" stands alone; the
    # last unit of work writes the quarantine (and the cursor, if any).
    tried = [(len(u.threads.batches[0].mentions), u.committed) for u in store.units]
    assert tried == [
        (8, False), (4, True), (4, False), (2, False), (1, True), (1, False), (2, True), (0, True)
    ]  # fmt: skip


async def test_after_an_isolation_the_cursor_is_written_last_with_the_rejects() -> None:
    store = FakeIngestStore(refuses={"1"})
    rejected = RejectedPayload("file.jsonl:3", b"{", "line 3: invalid JSON")
    batch = IngestBatch([mention("0"), mention("1")], [rejected], cursor("77"))

    await ingestion(store)(WORKSPACE, batch)

    written = [u.threads.batches[0] for u in store.units if u.committed]
    assert [b.cursor for b in written[:-1]] == [None] * (len(written) - 1)
    last = written[-1]
    assert (last.mentions, last.cursor) == ([], cursor("77"))
    assert [r.source for r in last.rejected] == ["file.jsonl:3", "x"]
    assert store.cursor("x:mentions:1") == "77"


async def test_the_counts_of_an_isolated_batch_are_combined_as_if_written_at_once() -> None:
    store = FakeIngestStore(refuses={"3"})
    await ingestion(store)(WORKSPACE, IngestBatch([mention("0", conversation="a")]))
    batch = IngestBatch(
        [mention(str(n), conversation="a" if n < 2 else str(n)) for n in range(6)],
        [RejectedPayload("file.jsonl:9", b"[", "line 9: invalid JSON")],
    )

    result = await ingestion(store)(WORKSPACE, batch)

    assert result == IngestResult(
        mentions_added=4,  # 1, 2, 4, 5
        duplicates=1,  # 0, known before
        quarantined=2,  # the reject, and 3
        threads_created=3,  # 2, 4, 5
        threads_reopened=0,
        customers_created=0,
        changed_thread_ids=result.changed_thread_ids,
        created_thread_ids=result.created_thread_ids,
        added_keys=frozenset({("x", "1"), ("x", "2"), ("x", "4"), ("x", "5")}),
        quarantined_keys=frozenset({("x", "3")}),
        newest_added_at=T0,
    )
    assert len(result.changed_thread_ids) == 4
    assert len(result.created_thread_ids) == 3


async def test_each_stored_part_of_an_isolated_batch_runs_its_after_commit_step_once() -> None:
    store = FakeIngestStore(refuses={"2"})
    recorder = Recorder(store)
    batch = IngestBatch([mention(str(n), conversation=str(n)) for n in range(4)])

    await ingestion(store, recorder)(WORKSPACE, batch)

    counted = [key for keys, committed in recorder.after_commit if committed for key in keys]
    assert sorted(counted) == [("x", "0"), ("x", "1"), ("x", "3")]
    assert all(committed for _, committed in recorder.after_commit)
