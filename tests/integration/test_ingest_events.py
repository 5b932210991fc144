"""What an ingestion batch writes with its messages, in the same statement: the thread events,
numbered thread by thread, and what the classifier decided about each customer message."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Direction, Mention
from inbox.domain.thread import Priority, ThreadKind
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.usecases.ingest import IngestMentions
from tests.factories import mention

pytestmark = pytest.mark.integration


async def events_of(db: Database, workspace_id: int, key: str) -> list[tuple[int, str, str | None]]:
    rows = await db.fetch(
        """SELECT e.seq, e.kind, e.message_external_id FROM thread_event e
           JOIN thread t ON t.workspace_id = e.workspace_id AND t.id = e.thread_id
           WHERE e.workspace_id = $1 AND t.thread_key = $2 ORDER BY e.seq""",
        workspace_id,
        key,
    )
    return [(r["seq"], r["kind"], r["message_external_id"]) for r in rows]


async def test_a_batch_numbers_its_events_by_message_time_whatever_their_order_in_the_batch(
    db: Database, workspace_id: int
) -> None:
    ingest = IngestMentions(PgIngestStore(db))
    await ingest(
        workspace_id,
        IngestBatch(
            [
                mention("c3", conversation="c", minute=3),
                mention("d1", conversation="d", author="u2", minute=1),
                mention("c1", conversation="c", minute=1),
                # the brand's answer is no message received, and takes no number
                mention("c2", conversation="c", minute=2, author="brand",
                        direction=Direction.OUTBOUND),
                mention("c1b", conversation="c", minute=1),
            ]
        ),
    )  # fmt: skip
    await ingest(workspace_id, IngestBatch([mention("c4", conversation="c", minute=4)]))

    assert await events_of(db, workspace_id, "c") == [
        (1, "thread.created", None),
        (2, "message.received", "c1"),
        (3, "message.received", "c1b"),
        (4, "message.received", "c3"),
        (5, "message.received", "c4"),
    ]
    assert await events_of(db, workspace_id, "d") == [
        (1, "thread.created", None),
        (2, "message.received", "d1"),
    ]
    counters = await db.fetch(
        "SELECT thread_key, event_seq FROM thread WHERE workspace_id = $1 ORDER BY 1", workspace_id
    )
    assert [(r["thread_key"], r["event_seq"]) for r in counters] == [("c", 5), ("d", 2)]


async def test_a_batch_of_only_known_messages_writes_no_event(
    db: Database, workspace_id: int
) -> None:
    ingest = IngestMentions(PgIngestStore(db))
    batch = IngestBatch([mention("e1", conversation="e"), mention("e2", conversation="e")])
    await ingest(workspace_id, batch)
    await ingest(workspace_id, batch)

    assert [kind for _, kind, _ in await events_of(db, workspace_id, "e")] == [
        "thread.created",
        "message.received",
        "message.received",
    ]


@dataclass(frozen=True)
class Decided:
    kind: ThreadKind
    language: str | None
    priority: Priority = Priority.HIGH
    topics: tuple[str, ...] = ("billing",)
    suggest_private_message: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "personal_data": [{"kind": "email", "value": "a***@example.com"}],
            "reasons": [{"decision": "urgency", "effect": "outage words"}],
        }


class Classifier:
    """Complaint for every message; the language told only for some."""

    async def classify(self, workspace_id: int, mentions: Sequence[Mention]) -> list[Decided]:
        return [
            Decided(ThreadKind.COMPLAINT, "fr" if m.external_id == "f1" else None) for m in mentions
        ]


async def test_each_customer_message_written_keeps_its_classification_and_a_brand_post_none(
    db: Database, workspace_id: int
) -> None:
    ingest = IngestMentions(PgIngestStore(db), classifier=Classifier())
    batch = IngestBatch(
        [
            mention("f1", conversation="f", minute=1),
            mention("f2", conversation="f", minute=2),
            mention("f3", conversation="f", minute=3, author="brand",
                    direction=Direction.OUTBOUND),
        ]
    )  # fmt: skip
    await ingest(workspace_id, batch)
    await ingest(workspace_id, batch)  # known: nothing written twice

    rows = await db.fetch(
        """SELECT c.external_id, c.kind, c.language, c.urgency, c.topics, c.personal_data,
                  c.reasons, c.thread_id = t.id AS in_its_thread
           FROM mention_classification c
           JOIN thread t ON t.workspace_id = c.workspace_id AND t.thread_key = 'f'
           WHERE c.workspace_id = $1 ORDER BY c.external_id""",
        workspace_id,
    )
    assert [(r["external_id"], r["language"]) for r in rows] == [("f1", "fr"), ("f2", None)]
    first = rows[0]
    assert (first["kind"], first["urgency"], first["topics"]) == ("complaint", "high", ["billing"])
    assert json.loads(first["personal_data"]) == [{"kind": "email", "value": "a***@example.com"}]
    assert json.loads(first["reasons"]) == [{"decision": "urgency", "effect": "outage words"}]
    assert all(r["in_its_thread"] for r in rows)
