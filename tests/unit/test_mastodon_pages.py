"""Where the next page of notifications starts is known from the page's ids alone."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from connectors.mastodon.normalise import newest_notification_id, normalise_notifications

IDS = st.one_of(
    st.from_regex(r"[0-9]{1,20}", fullmatch=True),
    st.sampled_from(["", "a b", "x" * 65, "../etc"]),
    st.integers(),
    st.none(),
)
NOTIFICATIONS = st.lists(
    st.one_of(
        st.fixed_dictionaries({"id": IDS, "type": st.sampled_from(["mention", "favourite"])}),
        st.just("not an object"),
        st.none(),
    ),
    max_size=12,
)


@given(NOTIFICATIONS)
def test_the_newest_id_of_a_page_is_the_one_its_reading_finds(page: list[Any]) -> None:
    assert newest_notification_id(page) == normalise_notifications(page, source="s").newest_id


def test_ids_are_compared_as_numbers() -> None:
    assert newest_notification_id([{"id": "99"}, {"id": "100"}, {"id": "7"}]) == "100"
