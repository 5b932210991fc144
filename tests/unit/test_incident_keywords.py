"""An incident's keywords: the words its burst says more than complaints usually do."""

from __future__ import annotations

from routing.signals.keywords import keywords, words

BASELINE = [
    "@acme my internet connection drops every evening",
    "@acme my bill is wrong again this month",
    "@acme the app keeps logging me out",
    "@acme internet is slow again tonight",
    "@acme charged twice for internet this month",
] * 20
OUTAGE = [
    "@acme no signal at all in Lyon, is the network down?",
    "@acme panne réseau à Lyon depuis midi",
    "@acme network down in Lyon, nothing works",
    "@acme plus de réseau à Lyon, panne ?",
    "@acme Lyon: no network since noon",
]


def test_the_words_the_burst_shares_and_the_baseline_rarely_says_are_its_keywords() -> None:
    found = keywords(OUTAGE, BASELINE)
    assert found[0] == "lyon"
    assert {"network", "réseau", "panne"} <= set(found)


def test_a_word_of_one_message_is_no_keyword_however_unusual() -> None:
    restaurant = "@acme my restaurant has had no internet since noon. Booking system down."
    found = keywords([*OUTAGE, restaurant], BASELINE)
    assert "booking" not in found
    assert "restaurant" not in found


def test_a_word_as_common_in_the_baseline_as_in_the_burst_is_no_keyword() -> None:
    burst = [*OUTAGE, "@acme no internet in Lyon", "@acme internet down in Lyon too"]
    assert "internet" not in keywords(burst, BASELINE)


def test_stop_words_handles_links_and_counts_are_left_out() -> None:
    text = "@famous_chef I have 250000 followers and the 4G is down in the 7e https://t.co/x"
    assert words(text) == {"followers"}
    assert words("c'est l'appli qui plante aujourd'hui") == {"appli", "plante", "aujourd'hui"}


def test_without_a_baseline_the_words_most_shared_are_the_keywords() -> None:
    found = keywords(OUTAGE, [])
    assert found[0] == "lyon"
    assert "signal" not in found  # said once
