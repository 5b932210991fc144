"""X API v2 pages into mentions, over real recorded pages and over hostile input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.jsonl import JsonLine, iter_jsonl
from connectors.x.file_import import read_batches
from connectors.x.normalise import X_PSEUDO_LANGUAGES, normalise_page
from inbox.domain.ingestion import RejectedPayload
from inbox.domain.network import Network
from tests.shared_data import require_shared_data


def twarc(name: str) -> Path:
    return require_shared_data("x", "twarc", name)


def first_page(name: str) -> dict[str, Any]:
    line = next(iter_jsonl(twarc(name), source="test"))
    assert isinstance(line, JsonLine)
    return line.value


def test_every_tweet_of_a_search_page_becomes_a_mention_with_its_author() -> None:
    page = first_page("brexit.jsonl")
    result = normalise_page(page, source="test")
    assert len(result.mentions) == len(page["data"]) == 100
    assert result.rejected == []
    users = {u["id"]: u for u in page["includes"]["users"]}
    for tweet, mention in zip(page["data"], result.mentions, strict=True):
        assert mention.network is Network.X
        assert mention.external_id == tweet["id"]
        assert mention.author.external_id == tweet["author_id"]
        assert mention.author.handle == users[tweet["author_id"]]["username"]
        assert mention.conversation_key == tweet["conversation_id"]
        assert mention.created_at.isoformat().startswith(tweet["created_at"][:19])
        assert mention.raw["data"] == tweet
        assert mention.url == f"https://x.com/{mention.author.handle}/status/{tweet['id']}"


def test_a_reply_points_at_the_tweet_it_answers() -> None:
    (mention,) = normalise_page(first_page("quoted_edit.jsonl"), source="test").mentions
    assert mention.in_reply_to == "1576994789110992896"  # replied_to, not the quoted tweet
    assert mention.conversation_key == "1576994789110992896"


def test_an_edited_tweet_names_the_original_and_a_pseudo_language_is_dropped() -> None:
    (mention,) = normalise_page(first_page("edited.jsonl"), source="test").mentions
    assert mention.edit_of == "1576994746135764992"
    assert mention.language is None  # X says "qst": too short to tell
    assert "qst" in X_PSEUDO_LANGUAGES


def test_a_stream_capture_keeps_every_whole_line_and_quarantines_the_truncated_one() -> None:
    path = twarc("streaming_output_with_error.jsonl")
    whole_lines = path.read_bytes().splitlines()[:-1]
    batches = list(read_batches(path, batch_size=1000))
    mentions = [m for b in batches for m in b.mentions]
    rejected = [r for b in batches for r in b.rejected]
    assert [m.external_id for m in mentions] == [json.loads(x)["data"]["id"] for x in whole_lines]
    (truncated,) = rejected
    assert truncated.raw == path.read_bytes().splitlines()[-1]
    assert truncated.error.startswith(f"line {len(whole_lines) + 1}: not valid JSON")


def test_counts_and_users_pages_are_quarantined_whole_with_the_reason() -> None:
    counts = normalise_page(first_page("counts.jsonl"), source="test")
    users = normalise_page(first_page("users.jsonl"), source="test")
    assert counts.mentions == []
    assert counts.rejected[0].error == "a tweet counts page, not tweets"
    assert users.mentions == []
    assert users.rejected[0].error == "a users page, not tweets"
    assert users.skipped_errors == len(first_page("users.jsonl")["errors"])


def test_every_recorded_tweet_is_either_a_mention_or_a_named_reject() -> None:
    base = twarc("brexit.jsonl").parent
    for path in sorted(base.glob("*.jsonl")):
        for batch in read_batches(path, batch_size=50):
            assert all(r.error for r in batch.rejected), path.name
            assert all(m.text and m.created_at.tzinfo for m in batch.mentions), path.name


def tweet(**overrides: Any) -> dict[str, Any]:
    base = {
        "id": "1001",
        "text": "@brand my internet is down again",
        "author_id": "42",
        "created_at": "2026-03-02T09:15:00.000Z",
        "conversation_id": "1000",
        "lang": "en",
        "referenced_tweets": [{"type": "replied_to", "id": "1000"}],
    }
    base.update(overrides)
    return base


def test_a_malformed_tweet_is_rejected_alone_and_names_its_field() -> None:
    page = {"data": [tweet(), tweet(id="1002", created_at="yesterday")]}
    result = normalise_page(page, source="x:test")
    assert [m.external_id for m in result.mentions] == ["1001"]
    (reject,) = result.rejected
    assert reject.source == "x:test"
    assert reject.error.startswith("tweet 1002: created_at:")
    assert json.loads(reject.raw)["id"] == "1002"


def test_a_long_post_takes_its_whole_text_from_note_tweet() -> None:
    full = "word " * 200
    page = {"data": [tweet(text=full[:270] + "…", note_tweet={"text": full})]}
    assert normalise_page(page, source="t").mentions[0].text == full


def test_text_postgresql_cannot_store_is_made_storable() -> None:
    page = {"data": [tweet(text="nul\x00 and lone \ud83d surrogate")]}
    (mention,) = normalise_page(page, source="t").mentions
    assert mention.text == "nul and lone \ufffd surrogate"


def test_a_page_of_errors_only_is_counted_not_quarantined() -> None:
    page = {"errors": [{"title": "Not Found Error", "resource_id": "5"}]}
    result = normalise_page(page, source="t")
    assert (result.mentions, result.rejected, result.skipped_errors) == ([], [], 1)


def test_a_page_without_data_is_quarantined() -> None:
    result = normalise_page({"meta": {"result_count": "many"}}, source="t")
    assert result.rejected[0].error == "no 'data' in the page"


def test_the_nothing_new_page_is_neither_stored_nor_quarantined() -> None:
    result = normalise_page({"meta": {"result_count": 0}}, source="t")
    assert (result.mentions, result.rejected, result.skipped_errors) == ([], [], 0)
    assert normalise_page({"meta": {"result_count": False}}, source="t").rejected


def test_a_tweet_dated_beyond_utc_is_rejected_naming_the_field() -> None:
    page = {"data": [tweet(created_at="0001-01-01T00:00:00+05:00"), tweet(id="7")]}
    result = normalise_page(page, source="t")
    assert [m.external_id for m in result.mentions] == ["7"]
    assert "created_at" in result.rejected[0].error


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
tweet_fields = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=5), st.integers(), st.just("77")),
        "text": json_values,
        "author_id": st.one_of(st.text(max_size=3), st.just("42")),
        "created_at": st.one_of(st.text(max_size=5), st.just("2026-01-01T00:00:00Z")),
        "conversation_id": json_values,
        "referenced_tweets": json_values,
        "edit_history_tweet_ids": json_values,
        "note_tweet": json_values,
        "lang": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(json_values, st.lists(st.one_of(tweet_fields, json_values), max_size=5)),
    includes=json_values,
)
def test_any_page_gives_mentions_or_rejects_and_never_raises(data: Any, includes: Any) -> None:
    page = {"data": data, "includes": includes}
    result = normalise_page(page, source="fuzz")
    assert all(isinstance(r, RejectedPayload) and r.error for r in result.rejected)
    accounted = len(result.mentions) + len(result.rejected)
    if isinstance(data, list):
        # Each tweet is a mention or a reject, or the page is refused whole with one reason.
        assert accounted == len(data) or (accounted == 1 and not result.mentions)
    else:
        assert accounted == 1


def test_the_authors_audience_comes_from_public_metrics_when_it_is_a_count() -> None:
    def page(metrics: object) -> dict[str, Any]:
        return {
            "data": [{"id": "1", "text": "hi", "author_id": "7",
                      "created_at": "2026-03-02T09:00:00.000Z"}],
            "includes": {"users": [{"id": "7", "username": "ana", "name": "Ana",
                                    "public_metrics": metrics}]},
        }  # fmt: skip

    counted = normalise_page(page({"followers_count": 12345}), source="test").mentions[0]
    assert counted.author.followers == 12345
    for odd in (
        {"followers_count": -1},
        {"followers_count": "many"},
        None,
        {"followers_count": True},
    ):
        assert normalise_page(page(odd), source="test").mentions[0].author.followers is None
