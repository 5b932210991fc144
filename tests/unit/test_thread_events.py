"""Which events an ingestion batch writes, in which order, thread by thread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inbox.domain.thread_events import ThreadEventKind, WrittenMessage, ingestion_events
from inbox.domain.webhooks import event_filters, subscribed

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def message(thread: int, external_id: str, minute: int, *, inbound: bool = True) -> WrittenMessage:
    return WrittenMessage(thread, "x", external_id, T0 + timedelta(minutes=minute), inbound)


def test_a_new_thread_is_created_then_receives_its_messages_oldest_first() -> None:
    events = ingestion_events({7: (True, False)}, [message(7, "b", 2), message(7, "a", 1)])
    assert [(e.kind, e.message) for e in events] == [
        (ThreadEventKind.THREAD_CREATED, None),
        (ThreadEventKind.MESSAGE_RECEIVED, ("x", "a")),
        (ThreadEventKind.MESSAGE_RECEIVED, ("x", "b")),
    ]
    assert events[0].occurred_at == T0 + timedelta(minutes=1)


def test_a_reopened_thread_says_so_before_the_message_that_reopened_it() -> None:
    events = ingestion_events({3: (False, True)}, [message(3, "c", 5)])
    assert [e.kind for e in events] == [
        ThreadEventKind.THREAD_REOPENED,
        ThreadEventKind.MESSAGE_RECEIVED,
    ]


def test_the_brands_own_posts_are_not_messages_received() -> None:
    assert ingestion_events({4: (False, False)}, [message(4, "d", 1, inbound=False)]) == []


def test_message_events_carry_ids_and_never_a_text() -> None:
    (event,) = ingestion_events({}, [message(5, "e", 1)])
    assert event.data == {"network": "x", "message": {"network": "x", "external_id": "e"}}


def test_thread_events_can_be_subscribed_by_kind_or_family() -> None:
    assert event_filters(["thread.*", "message.sent"]) == ("thread.*", "message.sent")
    assert subscribed(("thread.*",), "thread.assigned")
    assert not subscribed(("thread.*",), "message.received")
