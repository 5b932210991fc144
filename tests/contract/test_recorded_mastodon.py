"""Every notification and status Mastodon was recorded sending normalises, field by field.

The recordings are Mastodon.py's cassettes: a local Mastodon 4.6 server and, for the
`cassettes_entity_tests__*` files, the real public instance mastodon.social. The fake instance
is held to the same shapes: its notification, status and account objects have the keys the
real server sends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.mastodon.fake import FakeMastodon
from connectors.mastodon.html_text import html_to_text
from connectors.mastodon.normalise import (
    normalise_notification,
    normalise_notifications,
    normalise_status,
)
from connectors.mastodon.sse import EventParser
from inbox.domain.network import Network


def recordings() -> Iterator[tuple[str, dict[str, Any]]]:
    folder: Path = require_folder()
    for path in sorted(folder.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            yield path.name, entry


def require_folder() -> Path:
    from tests.shared_data import require_shared_data

    return require_shared_data("mastodon")


def walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def stream_values(body: str) -> Iterator[tuple[str, Any]]:
    parser = EventParser()
    for line in body.encode().splitlines(keepends=True):
        event = parser.feed(line)
        if event is not None and event.name in ("notification", "update", "status.update"):
            yield event.name, json.loads(event.data)


def bodies() -> Iterator[tuple[str, Any]]:
    for name, entry in recordings():
        body = entry.get("body")
        if isinstance(body, str):
            for event, value in stream_values(body):
                yield f"{name} stream {event}", value
        else:
            yield f"{name} {entry['method']} {entry['uri']}", body


def is_notification(item: dict[str, Any]) -> bool:
    return {"id", "type", "account", "created_at"} <= item.keys() and "status" in item


def is_status(item: dict[str, Any]) -> bool:
    return {"id", "content", "visibility", "account", "created_at"} <= item.keys()


def test_every_recorded_mention_notification_becomes_a_mention_with_its_fields() -> None:
    mentions = 0
    for where, body in bodies():
        for item in walk(body):
            if not is_notification(item) or item["type"] != "mention" or not item["status"]:
                continue
            result = normalise_notification(item, source="recorded")
            assert result.rejected is None, (where, result.rejected)
            mention = result.mention
            assert mention is not None
            status = item["status"]
            assert mention.network is Network.MASTODON
            assert mention.external_id == status["id"]
            assert mention.author.external_id == status["account"]["id"]
            assert mention.author.handle == status["account"]["acct"]
            assert mention.in_reply_to == status["in_reply_to_id"]
            assert mention.created_at.tzinfo is not None
            assert mention.url == (status["url"] or status["uri"])
            assert mention.raw["private"] == (status["visibility"] == "direct")
            assert "<" not in mention.text or "<" in html_to_text(status["content"])
            assert result.notification_id == item["id"]
            mentions += 1
    assert mentions >= 8


def test_every_recorded_status_normalises_to_plain_text() -> None:
    statuses = 0
    for where, body in bodies():
        for item in walk(body):
            if not is_status(item):
                continue
            mention = normalise_status(item)
            assert mention.external_id == item["id"], where
            for markup in ("<p>", "<span", "<br", "&amp;", "&#39;", "&quot;"):
                assert markup not in mention.text, where
            statuses += 1
    assert statuses >= 50


def test_the_real_instances_page_skips_deleted_statuses_and_keeps_the_direct_mention() -> None:
    path = require_folder() / "cassettes_entity_tests__test_entity_notification.json"
    page = json.loads(path.read_text(encoding="utf-8"))[0]["body"]
    normalised = normalise_notifications(page, source="mastodon.social")
    assert (len(normalised.mentions), normalised.skipped, normalised.rejected) == (1, 39, [])
    (direct,) = normalised.mentions
    assert direct.raw["private"] is True
    assert direct.author.handle == "latencyobs@icosahedron.website"
    assert direct.text.startswith("@halcy@mastodon.social @halcy@glitch.social")
    assert normalised.newest_id == max((n["id"] for n in page), key=lambda i: (len(i), i))


def test_a_recorded_status_reads_as_its_content_warning_then_its_words() -> None:
    path = require_folder() / "cassettes_entity_tests__test_entity_status.json"
    status = json.loads(path.read_text(encoding="utf-8"))[0]["body"]
    text = normalise_status(status).text
    assert text.startswith(
        "CW: test post for mastodon.py stuff\n\n@halcy you're a doo-doo head\n\nedit: editing"
    )
    assert "#ThisIsAHashtag" in text


def test_the_recorded_user_stream_reads_as_its_events() -> None:
    for _name, entry in recordings():
        if entry["uri"].endswith("/streaming/user"):
            parser = EventParser()
            events = [
                event.name
                for line in entry["body"].encode().splitlines(keepends=True)
                if (event := parser.feed(line)) is not None
            ]
            assert events == [
                "update", "notification", "update", "notification", "status.update", "delete"
            ]  # fmt: skip
            assert parser.heartbeats == 2
            return
    pytest.skip("no recorded user stream")


def recorded_shapes() -> tuple[set[str], set[str], set[str]]:
    path = require_folder() / "cassettes_entity_tests__test_entity_notification.json"
    page = json.loads(path.read_text(encoding="utf-8"))[0]["body"]
    with_status = next(n for n in page if n["status"])
    return set(with_status), set(with_status["status"]), set(with_status["account"])


def test_the_fake_instance_sends_the_shapes_the_real_one_sends() -> None:
    notification_keys, status_keys, account_keys = recorded_shapes()
    world = FakeMastodon()
    brand = world.add_account("acme", token="t")
    ann = world.add_account("ann", domain="other.example")
    world.post(ann, "@acme hello", visibility="direct")
    (notification,) = world.notifications
    rendered = world.notification_json(notification)
    assert set(rendered) == notification_keys
    assert set(rendered["status"]) == status_keys
    assert set(rendered["account"]) == account_keys
    assert normalise_notification(rendered, source="fake").mention is not None
    assert brand in world.accounts
