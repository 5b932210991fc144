"""Each mention is screened alone at the edge: repaired where an honest repair exists,
rejected with the field named where none does, never raising on what a network can send."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.domain.payload_limits import (
    FUTURE_TOLERANCE,
    MAX_RAW_DEPTH,
    MAX_TEXT_CHARS,
    believable,
    screen_mention,
)

ARRIVED = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def mention(
    *,
    created_at: datetime = ARRIVED - timedelta(minutes=1),
    raw: dict[str, Any] | None = None,
    text: str = "my order never came",
    network: Network = Network.X,
) -> Mention:
    return Mention(
        network=network,
        external_id="42",
        author=Author(external_id="u1"),
        text=text,
        created_at=created_at,
        raw=raw if raw is not None else {"id": "42"},
    )


def test_a_believable_mention_passes_unchanged() -> None:
    original = mention()
    screened = screen_mention(original, ARRIVED)
    assert screened.mention is original
    assert (screened.rejected, screened.changes) == (None, ())


@pytest.mark.parametrize(
    "claimed",
    [
        ARRIVED + timedelta(days=365),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(2005, 12, 31, tzinfo=UTC),  # before X existed
    ],
)
def test_an_unbelievable_creation_time_gives_way_to_the_arrival_and_is_kept_as_the_claim(
    claimed: datetime,
) -> None:
    screened = screen_mention(mention(created_at=claimed), ARRIVED)
    assert screened.mention is not None
    assert screened.mention.created_at == ARRIVED
    assert screened.mention.claimed_at == claimed
    assert screened.changes[0].startswith("created_at: ")


def test_a_few_minutes_ahead_is_ordinary_clock_drift_and_is_believed() -> None:
    assert believable(Network.X, ARRIVED + FUTURE_TOLERANCE, ARRIVED)
    assert not believable(Network.X, ARRIVED + FUTURE_TOLERANCE + timedelta(seconds=1), ARRIVED)


def test_each_network_is_judged_against_its_own_birth() -> None:
    april_2020 = datetime(2020, 4, 1, tzinfo=UTC)
    assert believable(Network.MASTODON, april_2020, ARRIVED)
    assert not believable(Network.BLUESKY, april_2020, ARRIVED)
    assert believable(Network.WEBHOOK, datetime(2001, 1, 1, tzinfo=UTC), ARRIVED)
    assert not believable(Network.INSTAGRAM, datetime(2009, 1, 1, tzinfo=UTC), ARRIVED)


def test_a_date_that_has_no_utc_instant_cannot_make_a_mention() -> None:
    before_year_one = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    with pytest.raises(ValidationError, match="created_at"):
        mention(created_at=before_year_one)


def test_non_finite_numbers_and_huge_integers_are_kept_as_text_and_named() -> None:
    raw = {
        "data": {"metrics": {"score": float("nan"), "ratio": float("inf")}},
        "list": [1, -float("inf"), 2**64, -(2**63)],
    }
    screened = screen_mention(mention(raw=raw), ARRIVED)
    assert screened.mention is not None
    assert screened.mention.raw == {
        "data": {"metrics": {"score": "NaN", "ratio": "Infinity"}},
        "list": [1, "-Infinity", str(2**64), -(2**63)],
    }
    json.dumps(screened.mention.raw, allow_nan=False)  # what jsonb accepts
    described = "; ".join(screened.changes)
    assert "raw.data.metrics.score, raw.data.metrics.ratio, raw.list[1]" in described
    assert "raw.list[2]: an integer beyond 64 bits" in described


def test_a_payload_nested_beyond_the_bound_is_rejected_naming_where() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(MAX_RAW_DEPTH + 10):
        node["a"] = {}
        node = node["a"]
    screened = screen_mention(mention(raw={"data": deep}), ARRIVED)
    assert screened.mention is None
    assert screened.rejected is not None
    assert screened.rejected.error.startswith("x 42: raw.data.a.a.")
    assert f"nested deeper than {MAX_RAW_DEPTH} levels" in screened.rejected.error
    assert screened.rejected.raw.startswith(b'{"data":{"a":')


def test_a_payload_nested_just_within_the_bound_is_stored() -> None:
    raw: dict[str, Any] = {}
    node = raw
    for _ in range(MAX_RAW_DEPTH - 1):
        node["a"] = {}
        node = node["a"]
    assert screen_mention(mention(raw=raw), ARRIVED).mention is not None


def test_an_over_long_text_is_cut_with_a_marker_and_stays_whole_in_the_payload() -> None:
    text = "panne " * 10_000
    screened = screen_mention(mention(text=text, raw={"text": text}), ARRIVED)
    assert screened.mention is not None
    assert screened.mention.text.startswith(text[:MAX_TEXT_CHARS])
    assert screened.mention.text.endswith("[… cut here: the message has 60,000 characters]")
    assert screened.mention.raw["text"] == text


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(
    raw=st.dictionaries(st.text(max_size=3), json_values, max_size=4),
    offset_days=st.integers(min_value=-800_000, max_value=2_900_000),
)
def test_whatever_a_payload_holds_the_screen_answers_a_storable_mention_or_a_reject(
    raw: dict[str, Any], offset_days: int
) -> None:
    try:
        claimed = ARRIVED + timedelta(days=offset_days)
    except OverflowError:
        return
    screened = screen_mention(mention(created_at=claimed, raw=raw), ARRIVED)
    assert (screened.mention is None) != (screened.rejected is None)
    if screened.mention is not None:
        json.dumps(screened.mention.raw, allow_nan=False)
        assert believable(Network.X, screened.mention.created_at, ARRIVED)
