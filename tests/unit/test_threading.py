"""Placing the mentions of one batch into conversations, before the store is asked."""

from __future__ import annotations

from inbox.domain.network import Network
from inbox.domain.threading import ThreadPlacement, place_in_threads
from tests.factories import mention


def test_a_conversation_key_decides_at_once() -> None:
    placed = place_in_threads([mention("2", conversation="1", reply_to="1")])
    assert placed == [ThreadPlacement("1", None)]


def test_a_message_that_answers_nothing_starts_its_own_conversation() -> None:
    assert place_in_threads([mention("7")]) == [ThreadPlacement("7", None)]


def test_a_chain_inside_the_batch_ends_at_its_root_in_any_order() -> None:
    batch = [mention("c", reply_to="b"), mention("b", reply_to="a"), mention("a")]
    assert place_in_threads(batch) == [ThreadPlacement("a", None)] * 3


def test_a_chain_that_leaves_the_batch_names_the_parent_to_look_up() -> None:
    batch = [mention("c", reply_to="b"), mention("b", reply_to="a")]
    assert place_in_threads(batch) == [ThreadPlacement(None, "a")] * 2


def test_a_chain_takes_the_conversation_key_of_an_ancestor() -> None:
    batch = [mention("c", reply_to="b"), mention("b", conversation="root", reply_to="a")]
    assert place_in_threads(batch)[0] == ThreadPlacement("root", None)


def test_a_reply_cycle_does_not_loop_forever() -> None:
    batch = [mention("a", reply_to="b"), mention("b", reply_to="a")]
    placed = place_in_threads(batch)
    assert all(p.thread_key in {"a", "b"} for p in placed)


def test_ids_are_only_linked_within_one_network() -> None:
    batch = [mention("b", reply_to="a"), mention("a", network=Network.MASTODON)]
    assert place_in_threads(batch)[0] == ThreadPlacement(None, "a")
