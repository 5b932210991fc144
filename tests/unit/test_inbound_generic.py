"""The generic inbound format: messages into mentions scoped to their source; rejects named."""

from __future__ import annotations

import json
from typing import Any

from connectors.webhooks.inbound_generic import MAX_MESSAGES, normalise_delivery
from inbox.domain.network import Network


def message(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "m-2",
        "author": {"id": "u-7", "handle": "jane", "name": "Jane Doe"},
        "text": "My order never arrived",
        "created_at": "2026-03-02T09:30:00Z",
        "in_reply_to": "m-1",
        "conversation": "ticket-88",
        "url": "https://shop.example/m/2",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_a_message_becomes_a_mention_whose_ids_are_scoped_to_the_source() -> None:
    found = normalise_delivery(json.dumps(message()).encode(), "shop")
    (mention,) = found.mentions
    assert mention.network is Network.WEBHOOK
    assert mention.external_id == "shop:m-2"
    assert mention.author.external_id == "shop:u-7"
    assert mention.author.handle == "jane"
    assert (mention.conversation_key, mention.in_reply_to) == ("shop:ticket-88", "shop:m-1")
    assert mention.url == "https://shop.example/m/2"
    assert mention.raw["message"]["text"] == "My order never arrived"


def test_an_array_delivers_several_and_keeps_the_good_ones() -> None:
    items = [message(id="a"), message(id="b", author={"handle": "x"}), "text", message(id="c")]
    found = normalise_delivery(json.dumps(items).encode(), "shop")
    assert [m.external_id for m in found.mentions] == ["shop:a", "shop:c"]
    first, second = found.rejected
    assert first.error == "message b: author.id: Field required"
    assert first.source == "webhook:shop"
    assert second.error == "message 2: a JSON str, not an object"


def test_each_field_is_checked_and_named() -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"created_at": "2026-03-02T09:30:00"}, "created_at"),
        ({"created_at": None}, "created_at: Field required"),
        ({"text": None}, "text: Field required"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"id": ""}, "id"),
        ({"conversation": "x" * 200}, "conversation"),
    ]
    for changes, named in cases:
        (rejected,) = normalise_delivery(json.dumps(message(**changes)).encode(), "s").rejected
        assert named in rejected.error, rejected.error


def test_a_body_that_is_not_json_or_too_long_is_rejected_whole() -> None:
    (bad,) = normalise_delivery(b"\xff{", "s").rejected
    assert bad.error.startswith("body: not UTF-8 text")
    assert bad.raw == b"\xff{"
    many = json.dumps([message(id=str(n)) for n in range(MAX_MESSAGES + 1)]).encode()
    (too_many,) = normalise_delivery(many, "s").rejected
    assert "at most 100" in too_many.error


def test_a_body_nested_too_deeply_is_quarantined_not_an_error() -> None:
    (rejected,) = normalise_delivery(b"[" * 200_000, "shop").rejected
    assert rejected.error == "body: JSON nested too deeply"


def test_a_number_too_long_to_read_is_named_with_its_column() -> None:
    raw = b'{"id": "m-1", "n": ' + b"1" * 5000 + b"}"
    (rejected,) = normalise_delivery(raw, "shop").rejected
    assert rejected.error.startswith("body: a number of 5,000 digits at column 20")


def test_a_date_beyond_utc_names_the_field_and_the_others_are_kept() -> None:
    items = [message(id="a", created_at="0001-01-01T00:00:00+05:00"), message(id="b")]
    found = normalise_delivery(json.dumps(items).encode(), "shop")
    assert [m.external_id for m in found.mentions] == ["shop:b"]
    (rejected,) = found.rejected
    assert rejected.error.startswith("message a: created_at: ")
