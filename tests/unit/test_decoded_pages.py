"""Every page a network answers is read as the standard library's JSON parser reads it."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from connectors.common.http_api import decoded

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=40,
)


def same(left: Any, right: Any) -> bool:
    """Equal, with the types JSON gives (1 and 1.0 and True are not the same value here)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, float) and math.isnan(left):
        return math.isnan(right)
    return bool(left == right)


@given(JSON_VALUES, st.booleans())
def test_a_page_decodes_to_what_the_standard_parser_reads(value: Any, ascii_only: bool) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert same(decoded(raw), json.loads(raw))


@given(st.binary(max_size=64))
def test_any_bytes_decode_as_the_standard_parser_reads_them_or_not_at_all(raw: bytes) -> None:
    try:
        expected = json.loads(raw)
    except (ValueError, RecursionError):
        assert decoded(raw) is None
        return
    assert same(decoded(raw), expected)


def test_a_lone_surrogate_a_network_sent_is_kept_for_the_normaliser_to_repair() -> None:
    assert decoded(b'{"text": "broken \\ud83d here"}') == {"text": "broken \ud83d here"}


def test_a_page_with_a_byte_order_mark_still_reads() -> None:
    assert decoded(b'\xef\xbb\xbf{"data": []}') == {"data": []}


def test_a_page_that_is_not_json_reads_as_nothing() -> None:
    assert decoded(b"<html>Bad gateway</html>") is None
    assert decoded(b"[" * 100_000) is None
