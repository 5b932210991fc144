"""Which thread events a webhook subscription takes (what ingestion writes, and in which order,
is in tests/integration/test_ingest_events.py)."""

from __future__ import annotations

from inbox.domain.webhooks import event_filters, subscribed


def test_thread_events_can_be_subscribed_by_kind_or_family() -> None:
    assert event_filters(["thread.*", "message.sent"]) == ("thread.*", "message.sent")
    assert subscribed(("thread.*",), "thread.assigned")
    assert not subscribed(("thread.*",), "message.received")
