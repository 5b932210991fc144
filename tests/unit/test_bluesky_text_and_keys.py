"""Pure parts of the Bluesky connector: record keys, grapheme limits, facets, normalisation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from connectors.bluesky.normalise import notification_mention, posted_at, thread_ancestors
from connectors.bluesky.record_key import decode_tid, encode_tid, is_tid, outbox_record_key
from connectors.bluesky.richtext import facets, grapheme_count, too_long
from connectors.bluesky.xrpc import check_service_url, jwt_expiry, rate_limit_from
from inbox.domain.errors import ConfigurationError

INSTANT = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


# -- record keys -------------------------------------------------------------------------


@given(st.integers(0, (1 << 53) - 1), st.integers(0, 1023))
def test_a_tid_round_trips_and_has_the_tid_syntax(microseconds: int, clock_id: int) -> None:
    tid = encode_tid(microseconds, clock_id)
    assert is_tid(tid)
    assert decode_tid(tid) == (microseconds, clock_id)


def test_tids_sort_as_their_times() -> None:
    earlier = encode_tid(1_700_000_000_000_000, 1023)
    later = encode_tid(1_700_000_000_000_001, 0)
    assert earlier < later


def test_an_outbox_item_always_gets_the_same_key_near_its_creation_time() -> None:
    key = outbox_record_key(4321, INSTANT)
    assert key == outbox_record_key(4321, INSTANT)
    microseconds, _ = decode_tid(key)
    decoded = datetime.fromtimestamp(microseconds / 1_000_000, UTC)
    assert abs(decoded - INSTANT) < timedelta(milliseconds=1)


def test_items_created_in_one_transaction_get_distinct_keys() -> None:
    """Acknowledgements to a whole outage are queued in one transaction: one created_at."""
    keys = {outbox_record_key(item_id, INSTANT) for item_id in range(1, 5001)}
    assert len(keys) == 5000


def test_a_naive_creation_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        outbox_record_key(1, datetime(2025, 3, 1))


# -- text --------------------------------------------------------------------------------


def test_graphemes_count_what_a_reader_sees() -> None:
    assert grapheme_count("e\u0301") == 1  # e + combining accent
    assert grapheme_count("👨‍👩‍👧") == 1  # a family: five code points
    assert grapheme_count("🇫🇷!") == 2


def test_too_long_counts_graphemes_and_bytes() -> None:
    assert too_long("e\u0301" * 300) is None
    assert "301 characters" in (too_long("e\u0301" * 301) or "")
    # 300 graphemes, but each is eleven bytes of UTF-8: over the 3,000-byte limit.
    assert "bytes" in (too_long("👨‍👩‍👧" * 300) or "")


def test_a_mention_facet_addresses_the_handle_in_utf8_bytes() -> None:
    text = "Désolé 😔 @jo.bsky.social, see https://acme.example/status."
    found = facets(text, {"jo.bsky.social": "did:plc:jo"})
    encoded = text.encode()
    slices = [encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in found]
    assert slices == ["@jo.bsky.social", "https://acme.example/status"]
    assert found[0]["features"] == [
        {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:jo"}
    ]
    assert found[1]["features"][0]["uri"] == "https://acme.example/status"


def test_a_longer_handle_is_not_taken_for_a_shorter_one() -> None:
    assert facets("@jo.bsky.social.evil.com hi", {"jo.bsky.social": "did:plc:jo"}) == []
    assert facets("mail jo@jo.bsky.social", {"jo.bsky.social": "did:plc:jo"}) == []


@given(st.text(max_size=80), st.sampled_from(["a.bsky.social", "émile.example"]))
def test_facets_always_fall_on_character_boundaries(prefix: str, handle: str) -> None:
    text = f"{prefix} @{handle} {prefix} https://x.example/{prefix.strip()}"
    encoded = text.encode("utf-8", "surrogatepass")
    for facet in facets(text, {handle: "did:plc:x"}):
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        assert 0 <= start < end <= len(encoded)
        encoded[start:end].decode("utf-8", "surrogatepass")  # never cuts a character


# -- the wire ----------------------------------------------------------------------------


def test_rate_limit_headers_are_read_and_partial_ones_ignored() -> None:
    rate = rate_limit_from(
        {"ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": "1740821415"}
    )
    assert rate is not None
    assert (rate.limit, rate.remaining) == (3000, 0)
    assert rate.reset_at == datetime(2025, 3, 1, 9, 30, 15, tzinfo=UTC)
    assert rate_limit_from({"ratelimit-limit": "3000"}) is None


def test_a_jwt_expiry_is_read_and_anything_else_is_none() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3NDA4MjE0MTV9.c2ln"  # {"exp": 1740821415}
    assert jwt_expiry(token) == datetime(2025, 3, 1, 9, 30, 15, tzinfo=UTC)
    assert jwt_expiry("opaque-token") is None
    assert jwt_expiry("a.!!!.c") is None


def test_an_app_password_never_travels_in_clear_beyond_this_machine() -> None:
    assert check_service_url("https://bsky.social/") == "https://bsky.social"
    assert check_service_url("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    with pytest.raises(ConfigurationError, match="only https"):
        check_service_url("http://pds.example.com")
    with pytest.raises(ConfigurationError, match="not an http"):
        check_service_url("bsky.social")


# -- normalisation -----------------------------------------------------------------------


def _notification(**changes: Any) -> dict[str, Any]:
    record = {
        "$type": "app.bsky.feed.post",
        "text": "@acme.bsky.social still no signal",
        "createdAt": "2025-03-01T09:29:00.000Z",
        "langs": ["fr"],
        "reply": {
            "root": {"uri": "at://did:plc:jo/app.bsky.feed.post/3kroot", "cid": "bafyroot"},
            "parent": {"uri": "at://did:plc:sam/app.bsky.feed.post/3kparent", "cid": "bafyp"},
        },
    }
    item: dict[str, Any] = {
        "uri": "at://did:plc:jo/app.bsky.feed.post/3kreply",
        "cid": "bafyreply",
        "author": {"did": "did:plc:jo", "handle": "jo.bsky.social", "displayName": "Jo"},
        "reason": "reply",
        "record": record,
        "isRead": False,
        "indexedAt": "2025-03-01T09:29:01.000Z",
    }
    item.update(changes)
    return item


def test_a_reply_is_threaded_by_its_root_and_answers_its_parent() -> None:
    mention = notification_mention(_notification())
    assert mention.conversation_key == "at://did:plc:jo/app.bsky.feed.post/3kroot"
    assert mention.in_reply_to == "at://did:plc:sam/app.bsky.feed.post/3kparent"
    assert mention.language == "fr"
    assert mention.url == "https://bsky.app/profile/jo.bsky.social/post/3kreply"
    assert mention.created_at == datetime(2025, 3, 1, 9, 29, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"indexedAt": "yesterday"}, "indexedAt"),
        ({"author": {"handle": "jo.bsky.social"}}, "author.did"),
        ({"uri": "at://did:plc:jo/app.bsky.feed.like/3k"}, "uri"),
        ({"record": {"$type": "app.bsky.feed.post", "createdAt": "2025-03-01T09:29:00Z"}}, "text"),
        ({"record": {"$type": "app.bsky.feed.like", "createdAt": "2025"}}, "type"),
    ],
)
def test_a_malformed_notification_is_refused_naming_the_field(
    changes: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        notification_mention(_notification(**changes))
    assert named in str(refused.value)


def test_a_client_claimed_time_is_trusted_only_when_consistent_with_indexing() -> None:
    indexed = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert posted_at(indexed - timedelta(minutes=2), indexed) == indexed - timedelta(minutes=2)
    assert posted_at(indexed - timedelta(days=400), indexed) == indexed  # backdated
    assert posted_at(indexed + timedelta(hours=3), indexed) == indexed  # from the future


def test_a_thread_walk_stops_at_a_deleted_ancestor() -> None:
    body = {
        "thread": {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": {"uri": "at://a/app.bsky.feed.post/1"},
            "parent": {
                "$type": "app.bsky.feed.defs#notFoundPost",
                "uri": "at://b/app.bsky.feed.post/2",
                "notFound": True,
            },
        }
    }
    views, stopped = thread_ancestors(body)
    assert [v["uri"] for v in views] == ["at://a/app.bsky.feed.post/1"]
    assert stopped == "at://b/app.bsky.feed.post/2 was deleted or is not visible"


def test_an_indexing_time_at_the_start_of_year_one_is_judged_without_overflowing() -> None:
    mention = notification_mention(
        _notification(indexedAt="0001-01-01T00:01:00Z", record=_notification()["record"])
    )
    assert mention.created_at == datetime(1, 1, 1, 0, 1, tzinfo=UTC)
