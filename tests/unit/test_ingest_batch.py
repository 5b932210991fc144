"""The pure parts of the batch writer: in-batch dedupe and the notification payload."""

from __future__ import annotations

import json

from inbox.domain.network import Network
from inbox.store.ingest import first_of_each
from inbox.store.live_sql import NOTIFY_PAYLOAD_LIMIT, notify_payload
from tests.factories import mention


def test_the_first_of_each_repeated_id_is_kept() -> None:
    batch = [mention("1"), mention("2"), mention("1"), mention("1", network=Network.MASTODON)]
    assert first_of_each(batch) == [0, 1, 3]


def test_the_notification_names_the_changed_threads() -> None:
    assert json.loads(notify_payload(3, frozenset({5, 2}))) == {
        "workspace_id": 3,
        "thread_ids": [2, 5],
    }


def test_too_many_threads_for_one_notification_ask_listeners_to_reload() -> None:
    payload = notify_payload(3, frozenset(range(10_000_000, 10_002_000)))
    assert len(payload) <= NOTIFY_PAYLOAD_LIMIT
    assert json.loads(payload) == {"workspace_id": 3, "thread_ids": None, "count": 2000}
