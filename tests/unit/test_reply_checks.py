"""The checks a reply's text meets before it leaves: the network's limit (refused), personal
data in public (warned about, the more so when it repeats the customer's)."""

from __future__ import annotations

import pytest

from routing.reply_checks import LONGEST_POST, check_reply, post_length


@pytest.mark.parametrize(
    ("network", "limit"),
    [("x", 280), ("mastodon", 500), ("bluesky", 300), ("instagram", 2200), ("webhook", 5000)],
)
def test_a_text_at_its_networks_limit_passes_and_one_more_character_is_refused(
    network: str, limit: int
) -> None:
    assert not check_reply("a" * limit, network).refused
    over = check_reply("a" * (limit + 1), network)
    assert over.refused
    assert over.left == -1
    assert f"takes {limit}: shorten it by 1" in over.refusals[0]


def test_the_refusal_names_the_network_and_the_figures() -> None:
    check = check_reply("x" * 300, "x")
    assert check.refusals == ("the answer is 300 characters; X takes 280: shorten it by 20",)


def test_bluesky_counts_what_a_reader_sees_as_one_character() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji, five code points
    assert post_length(family * 300, "bluesky") == 300
    assert not check_reply(family * 300, "bluesky").refused
    assert check_reply(family * 57, "x").refused  # 285 characters elsewhere


def test_spaces_around_the_text_are_not_counted_and_an_empty_text_is_refused() -> None:
    assert check_reply("  hello \n", "x").length == 5
    assert check_reply(" \n ", "x").refusals == ("the answer is empty",)
    assert check_reply("", "unknown").limit == LONGEST_POST


def test_personal_data_in_a_public_answer_is_a_warning_not_a_refusal() -> None:
    check = check_reply("Write to max.dupont@gmail.com and I will show you.", "x")
    assert not check.refused
    assert check.warnings == (
        "the answer holds an e-mail address (m***@gmail.com): a public answer should not",
    )


def test_repeating_the_customers_own_personal_data_is_said_as_such() -> None:
    customer = ("@acme my number is 06 12 34 56 78, call me",)
    check = check_reply("We will call you on 06 12 34 56 78 today.", "x", customer)
    assert check.warnings == (
        "the answer repeats the customer's phone number (********78) in public: leave it out",
    )


def test_a_plain_answer_meets_no_check() -> None:
    check = check_reply("Settings > About > Update.", "mastodon", ("how do I update?",))
    assert (check.refusals, check.warnings, check.left) == ((), (), 474)
