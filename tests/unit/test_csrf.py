"""The CSRF token in pages: masked afresh in each response, still recognised when posted."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from web.csrf import mask_in, masked, matches

TOKEN = "Zt3kq9v2LrWm8xYpA1cD4eF6gH0jK5nB7sT2uV9wXyQ"


def test_a_masked_token_differs_each_time_and_still_matches() -> None:
    first, second = masked(TOKEN), masked(TOKEN)
    assert first != second
    assert TOKEN not in first
    assert matches(first, TOKEN)
    assert matches(second, TOKEN)


def test_the_plain_token_matches_and_other_values_do_not() -> None:
    assert matches(TOKEN, TOKEN)
    assert not matches(masked(TOKEN + "x"), TOKEN)
    assert not matches("m.zz", TOKEN)
    assert not matches("m.abc", TOKEN)
    assert not matches("", TOKEN)


def test_a_page_never_carries_the_plain_token() -> None:
    page = f'<input name="csrf" value="{TOKEN}"><input name="csrf" value="{TOKEN}">'
    shown = mask_in(page, TOKEN)
    assert TOKEN not in shown
    assert shown.count('value="m.') == 2


@given(st.text(min_size=1, max_size=64))
def test_any_token_round_trips(token: str) -> None:
    assert matches(masked(token), token)
