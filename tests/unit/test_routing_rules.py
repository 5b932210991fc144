"""A workspace's routing rules: parsing with readable errors, conditions, actions, order."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox.domain.thread import Priority, ThreadKind
from routing.classification import Classification
from routing.personal_data import PersonalData
from routing.rules import RuleFacts, RuleOutcome, apply_rules, apply_rules_many, fired_counts
from routing.rules_document import WEEKDAYS, RuleBook, RuleError

MONDAY_NOON = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)
PRIORITIES = ("low", "normal", "high", "urgent")

EXAMPLE: dict[str, object] = {
    "rules": [
        {
            "name": "ignore spam",
            "when": {"kinds": ["other"], "text_contains_any": ["promo code", "crypto*"]},
            "then": {"no_reply_needed": True, "tags": ["spam"]},
            "stop": True,
        },
        {
            "name": "billing to finance",
            "when": {"topics_any": ["billing", "refund"]},
            "then": {"team": "Finance", "tags": ["billing"]},
        },
        {
            "name": "french complaints",
            "when": {"kinds": ["complaint"], "languages": ["fr"]},
            "then": {"team": "Support FR", "raise_priority_to": "high"},
        },
        {
            "name": "vip",
            "when": {"customer_vip": True},
            "then": {"priority": "urgent", "assign_to": "lea@acme.example", "tags": ["vip"]},
        },
        {
            "name": "big audience on X",
            "when": {"networks": ["x"], "followers_at_least": 10000, "urgency_at_least": "normal"},
            "then": {"raise_priority_to": "urgent"},
        },
        {
            "name": "personal data",
            "when": {"personal_data": True},
            "then": {"tags": ["personal-data"]},
        },
        {
            "name": "night acknowledgement",
            "when": {
                "time": {
                    "tz": "Europe/Paris",
                    "days": ["mon", "tue", "wed", "thu", "fri"],
                    "from": "19:00",
                    "to": "08:00",
                }
            },
            "then": {"auto_acknowledge": "after_hours_fr"},
        },
        {"name": "legacy", "enabled": False, "then": {"team": "Old"}},
    ]
}


def facts(**changes: Any) -> RuleFacts:
    plain = RuleFacts(
        kind="question",
        language="fr",
        topics=frozenset(),
        urgency="normal",
        network="x",
        customer_vip=False,
        followers=None,
        personal_data=False,
        text="Bonjour",
        at=MONDAY_NOON,
    )
    return dataclasses.replace(plain, **changes)


def book(*rules: dict[str, object]) -> RuleBook:
    return RuleBook.parse({"rules": list(rules)})


def fires(when: dict[str, object], message: RuleFacts) -> bool:
    return apply_rules(book({"name": "r", "when": when}), message).fired == ("r",)


def refused(document: object) -> str:
    with pytest.raises(RuleError) as caught:
        RuleBook.parse(document)
    return str(caught.value)


# --- The example document ----------------------------------------------------------------


def test_the_example_routes_a_french_billing_complaint_from_a_vip_at_night() -> None:
    message = facts(
        kind="complaint",
        topics=frozenset({"billing"}),
        customer_vip=True,
        followers=25_000,
        text="Toujours pas remboursé !",
        at=datetime(2024, 6, 3, 21, 30, tzinfo=UTC),  # Monday 23:30 in Paris
    )
    outcome = apply_rules(RuleBook.parse(EXAMPLE), message)
    assert outcome == RuleOutcome(
        team="Support FR",
        priority="urgent",
        tags=frozenset({"billing", "vip"}),
        assign_to="lea@acme.example",
        no_reply_needed=False,
        auto_acknowledge="after_hours_fr",
        fired=(
            "billing to finance",
            "french complaints",
            "vip",
            "big audience on X",
            "night acknowledgement",
        ),
        reasons=(
            "rule 'billing to finance': topic billing -> team Finance, tag billing",
            "rule 'french complaints': kind complaint, language fr"
            " -> team Support FR (instead of Finance), priority raised from normal to high",
            "rule 'vip': VIP customer"
            " -> priority urgent (instead of high), tag vip, assign to lea@acme.example",
            "rule 'big audience on X': network x, urgency normal (at least normal),"
            " 25000 followers (at least 10000) -> priority already urgent",
            "rule 'night acknowledgement': mon 23:30 Europe/Paris within mon,tue,wed,thu,fri"
            " 19:00-08:00 -> auto-acknowledge with after_hours_fr",
        ),
    )


def test_the_example_stops_at_spam() -> None:
    spam = facts(kind="other", topics=frozenset({"billing"}), text="Free CRYPTOS, promo code!")
    outcome = apply_rules(RuleBook.parse(EXAMPLE), spam)
    assert outcome.fired == ("ignore spam",)
    assert outcome.no_reply_needed
    assert outcome.tags == {"spam"}
    assert outcome.team is None
    assert outcome.reasons == (
        "rule 'ignore spam': kind other, text mentions 'promo code' -> tag spam, no reply needed"
        "; stop: later rules are not evaluated",
    )


def test_a_bare_list_is_a_rule_book_too() -> None:
    listed = EXAMPLE["rules"]
    assert RuleBook.parse(listed) == RuleBook.parse(EXAMPLE)


def test_a_rule_book_with_no_rules_decides_nothing() -> None:
    assert apply_rules(RuleBook.parse({}), facts()) == RuleOutcome()


def test_a_rule_with_no_when_fires_on_any_message() -> None:
    outcome = apply_rules(book({"name": "all", "then": {"tags": ["seen"]}}), facts())
    assert outcome.reasons == ("rule 'all': any message -> tag seen",)


def test_a_rule_with_no_then_only_counts() -> None:
    outcome = apply_rules(book({"name": "watch", "when": {"kinds": ["question"]}}), facts())
    assert outcome.reasons == ("rule 'watch': kind question -> no action",)


# --- Conditions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "changes", "expected"),
    [
        ({"kinds": ["complaint", "question"]}, {"kind": "question"}, True),
        ({"kinds": ["complaint"]}, {"kind": "question"}, False),
        ({"kinds": ["complaint"]}, {"kind": "unclassified"}, False),
        ({"languages": ["fr", "en"]}, {"language": "en"}, True),
        ({"languages": ["FR"]}, {"language": "fr"}, True),
        ({"languages": ["fr"]}, {"language": "de"}, False),
        ({"languages": ["unknown"]}, {"language": None}, True),
        ({"languages": ["fr"]}, {"language": None}, False),
        ({"languages": ["unknown"]}, {"language": "fr"}, False),
        ({"topics_any": ["billing", "refund"]}, {"topics": frozenset({"refund"})}, True),
        ({"topics_any": ["billing"]}, {"topics": frozenset({"delivery"})}, False),
        ({"topics_all": ["billing", "refund"]}, {"topics": frozenset({"refund"})}, False),
        (
            {"topics_all": ["billing", "refund"]},
            {"topics": frozenset({"billing", "refund", "app"})},
            True,
        ),
        ({"urgency_at_least": "high"}, {"urgency": "urgent"}, True),
        ({"urgency_at_least": "high"}, {"urgency": "high"}, True),
        ({"urgency_at_least": "high"}, {"urgency": "normal"}, False),
        ({"urgency_at_least": "low"}, {"urgency": "not a priority"}, False),
        ({"networks": ["mastodon", "bluesky"]}, {"network": "bluesky"}, True),
        ({"networks": ["x"]}, {"network": "webhook"}, False),
        ({"customer_vip": True}, {"customer_vip": True}, True),
        ({"customer_vip": True}, {"customer_vip": False}, False),
        ({"customer_vip": False}, {"customer_vip": False}, True),
        ({"followers_at_least": 10_000}, {"followers": 10_000}, True),
        ({"followers_at_least": 10_000}, {"followers": 9_999}, False),
        ({"followers_at_least": 0}, {"followers": None}, False),
        ({"personal_data": True}, {"personal_data": True}, True),
        ({"personal_data": False}, {"personal_data": True}, False),
    ],
)
def test_each_condition(when: dict[str, object], changes: dict[str, Any], expected: bool) -> None:
    assert fires(when, facts(**changes)) is expected


def test_every_condition_must_hold() -> None:
    when = {"kinds": ["complaint"], "networks": ["x"], "customer_vip": True}
    assert fires(when, facts(kind="complaint", network="x", customer_vip=True))
    assert not fires(when, facts(kind="complaint", network="x", customer_vip=False))


def test_topics_name_the_ones_present() -> None:
    rules = book({"name": "money", "when": {"topics_any": ["billing", "refund", "fraud"]}})
    outcome = apply_rules(rules, facts(topics=frozenset({"refund", "billing", "app"})))
    assert outcome.reasons == ("rule 'money': topics billing, refund -> no action",)


# --- Phrases -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "text", "expected"),
    [
        ("Remboursé", "Je veux être rembourse", True),
        ("rembourse", "TOUJOURS PAS REMBOURSÉ !!", True),
        ("remboursé", "Toujours pas remboursé.", True),
        ("rembourse", "mon remboursement", False),  # whole words only
        ("rembours*", "mon remboursement", True),  # unless the phrase asks for a prefix
        ("bill", "a billing question", False),
        ("carte bleue", "Ma CARTE   Bleue, bloquée", True),
        ("carte bleue", "une carte, bleue", False),  # a phrase is consecutive words
        ("carte bleue", "ma carte", False),
        ("délai", "le delai est dépassé", True),
        ("cœur", "coeur brisé", True),
        ("can't log in", "I cant log in", True),
        ("acme", "hello @acme", False),  # a handle says who is addressed, not what is said
    ],
)
def test_phrases_match_whole_words_in_any_case_and_accent(
    phrase: str, text: str, expected: bool
) -> None:
    assert fires({"text_contains_any": [phrase]}, facts(text=text)) is expected


def test_the_first_phrase_found_is_the_reason() -> None:
    rules = book({"name": "money", "when": {"text_contains_any": ["refund", "Remboursé"]}})
    outcome = apply_rules(rules, facts(text="remboursé ? refund ?"))
    assert outcome.reasons == ("rule 'money': text mentions 'refund' -> no action",)


# --- Time windows ------------------------------------------------------------------------

PARIS_MORNING = {"tz": "Europe/Paris", "from": "08:00", "to": "09:00"}
NIGHT_SHIFT = {"tz": "UTC", "days": ["fri"], "from": "22:00", "to": "06:00"}


def _utc(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (_utc(7, 6, 21, 59), False),  # Friday before the window
        (_utc(7, 6, 22, 0), True),  # Friday 22:00: it opens
        (_utc(8, 6, 3, 0), True),  # Saturday 03:00: the Friday night goes on
        (_utc(8, 6, 5, 59), True),
        (_utc(8, 6, 6, 0), False),  # Saturday 06:00: it closes
        (_utc(8, 6, 23, 0), False),  # Saturday night is not a Friday night
        (_utc(7, 6, 3, 0), False),  # Friday early: Thursday's night, not in the days
    ],
)
def test_a_window_crossing_midnight_belongs_to_the_day_it_starts(
    at: datetime, expected: bool
) -> None:
    assert fires({"time": NIGHT_SHIFT}, facts(at=at)) is expected


def test_a_window_ending_at_midnight_may_say_00_00_or_24_00() -> None:
    late = facts(at=_utc(3, 6, 23, 30))
    next_morning = facts(at=_utc(4, 6, 0, 30))
    for end in ("00:00", "24:00"):
        window = {"tz": "UTC", "days": ["mon"], "from": "18:00", "to": end}
        assert fires({"time": window}, late)
        assert not fires({"time": window}, next_morning)


def test_a_window_from_a_time_to_the_same_time_is_the_whole_day() -> None:
    window = {"tz": "UTC", "days": ["mon"], "from": "09:00", "to": "09:00"}
    assert fires({"time": window}, facts(at=_utc(3, 6, 9, 0)))
    assert fires({"time": window}, facts(at=_utc(4, 6, 8, 59)))
    assert not fires({"time": window}, facts(at=_utc(4, 6, 9, 0)))
    assert not fires({"time": window}, facts(at=_utc(3, 6, 8, 59)))


def test_the_time_is_read_in_the_rule_zone_not_the_message_one() -> None:
    eight_thirty_in_paris = datetime(2024, 6, 3, 2, 30, tzinfo=timezone(timedelta(hours=-4)))
    assert fires({"time": PARIS_MORNING}, facts(at=eight_thirty_in_paris))


def test_a_paris_window_follows_the_spring_dst_change() -> None:
    # Paris is UTC+1 on Saturday 30 March 2024 and UTC+2 from 02:00 on Sunday 31 March.
    assert fires({"time": PARIS_MORNING}, facts(at=_utc(30, 3, 7, 30)))
    assert not fires({"time": PARIS_MORNING}, facts(at=_utc(31, 3, 7, 30)))  # 09:30 local
    assert fires({"time": PARIS_MORNING}, facts(at=_utc(31, 3, 6, 30)))  # 08:30 local


def test_a_window_inside_the_skipped_hour_never_holds_that_night() -> None:
    skipped = {"tz": "Europe/Paris", "from": "02:00", "to": "03:00"}
    night = [_utc(30, 3, 23) + timedelta(minutes=m) for m in range(0, 4 * 60)]
    assert not any(fires({"time": skipped}, facts(at=at)) for at in night)


def test_a_window_inside_the_repeated_hour_holds_twice_in_the_autumn() -> None:
    repeated = {"tz": "Europe/Paris", "from": "02:00", "to": "03:00"}
    assert fires({"time": repeated}, facts(at=_utc(27, 10, 0, 30)))  # 02:30 summer time
    assert fires({"time": repeated}, facts(at=_utc(27, 10, 1, 30)))  # 02:30 winter time
    assert not fires({"time": repeated}, facts(at=_utc(27, 10, 2, 0)))  # 03:00 winter time


def test_a_window_says_the_local_time_in_its_reason() -> None:
    rules = book({"name": "mornings", "when": {"time": PARIS_MORNING}})
    outcome = apply_rules(rules, facts(at=_utc(31, 3, 6, 30)))
    assert outcome.reasons == (
        "rule 'mornings': sun 08:30 Europe/Paris within every day 08:00-09:00 -> no action",
    )


def test_a_single_digit_hour_is_a_time_too() -> None:
    window = {"tz": "UTC", "from": "8:00", "to": "9:30"}
    assert fires({"time": window}, facts(at=_utc(3, 6, 9, 15)))


# --- Actions, order, stop ----------------------------------------------------------------


def test_each_action() -> None:
    rules = book(
        {
            "name": "everything",
            "then": {
                "team": "Finance",
                "priority": "low",
                "tags": ["billing", "b2b"],
                "assign_to": "lea@acme.example",
                "no_reply_needed": True,
                "auto_acknowledge": "ack_fr",
            },
        }
    )
    outcome = apply_rules(rules, facts())
    assert dataclasses.replace(outcome, reasons=()) == RuleOutcome(
        team="Finance",
        priority="low",
        tags=frozenset({"billing", "b2b"}),
        assign_to="lea@acme.example",
        no_reply_needed=True,
        auto_acknowledge="ack_fr",
        fired=("everything",),
    )
    assert outcome.reasons == (
        "rule 'everything': any message -> team Finance, priority low, tags b2b, billing,"
        " assign to lea@acme.example, no reply needed, auto-acknowledge with ack_fr",
    )


def test_later_rules_override_earlier_values_and_add_tags() -> None:
    rules = book(
        {"name": "first", "then": {"team": "Support", "priority": "high", "tags": ["a"]}},
        {"name": "skipped", "when": {"kinds": ["praise"]}, "then": {"team": "Nobody"}},
        {
            "name": "second",
            "then": {"team": "Finance", "priority": "low", "tags": ["b"], "no_reply_needed": True},
        },
        {"name": "third", "then": {"no_reply_needed": False, "assign_to": "a@acme.example"}},
        {"name": "fourth", "then": {"assign_to": "b@acme.example"}},
    )
    outcome = apply_rules(rules, facts())
    assert (outcome.team, outcome.priority, outcome.tags) == (
        "Finance",
        "low",
        frozenset({"a", "b"}),
    )
    assert (outcome.no_reply_needed, outcome.assign_to) == (False, "b@acme.example")
    assert outcome.fired == ("first", "second", "third", "fourth")
    assert outcome.reasons[1] == (
        "rule 'second': any message -> team Finance (instead of Support),"
        " priority low (instead of high), tag b, no reply needed"
    )
    assert outcome.reasons[3] == (
        "rule 'fourth': any message -> assign to b@acme.example (instead of a@acme.example)"
    )


def test_a_rule_that_stops_ends_the_evaluation() -> None:
    rules = book(
        {"name": "first", "then": {"team": "Support"}},
        {"name": "vip stop", "when": {"customer_vip": True}, "then": {"team": "VIP"}, "stop": True},
        {"name": "last", "then": {"team": "Finance"}},
    )
    vip = apply_rules(rules, facts(customer_vip=True))
    assert (vip.team, vip.fired) == ("VIP", ("first", "vip stop"))
    assert vip.reasons[-1].endswith("; stop: later rules are not evaluated")
    # A stop rule that does not fire stops nothing.
    other = apply_rules(rules, facts(customer_vip=False))
    assert (other.team, other.fired) == ("Finance", ("first", "last"))


def test_a_disabled_rule_never_fires_nor_stops() -> None:
    rules = book(
        {"name": "off", "enabled": False, "then": {"team": "Old"}, "stop": True},
        {"name": "on", "then": {"tags": ["x"]}},
    )
    outcome = apply_rules(rules, facts())
    assert (outcome.team, outcome.fired) == (None, ("on",))


@pytest.mark.parametrize("urgency", PRIORITIES)
@pytest.mark.parametrize("target", PRIORITIES)
def test_raise_priority_to_never_lowers_the_urgency(urgency: str, target: str) -> None:
    rules = book({"name": "raise", "then": {"raise_priority_to": target}})
    outcome = apply_rules(rules, facts(urgency=urgency))
    raised = PRIORITIES.index(target) > PRIORITIES.index(urgency)
    assert outcome.priority == (target if raised else None)
    if raised:
        expected = f"priority raised from {urgency} to {target}"
    elif urgency == target:
        expected = f"priority already {urgency}"
    else:
        expected = f"priority stays {urgency} (not lowered to {target})"
    assert outcome.reasons == (f"rule 'raise': any message -> {expected}",)


@pytest.mark.parametrize("earlier", PRIORITIES)
@pytest.mark.parametrize("target", PRIORITIES)
def test_raise_priority_to_never_lowers_what_an_earlier_rule_set(earlier: str, target: str) -> None:
    rules = book(
        {"name": "set", "then": {"priority": earlier}},
        {"name": "raise", "then": {"raise_priority_to": target}},
    )
    outcome = apply_rules(rules, facts(urgency="urgent"))  # the earlier rule's word counts
    assert outcome.priority == max(earlier, target, key=PRIORITIES.index)


def test_priority_sets_it_even_lower() -> None:
    rules = book({"name": "calm", "then": {"priority": "low"}})
    assert apply_rules(rules, facts(urgency="urgent")).priority == "low"


def test_a_priority_no_one_knows_is_raised_from() -> None:
    rules = book({"name": "raise", "then": {"raise_priority_to": "low"}})
    outcome = apply_rules(rules, facts(urgency="?"))
    assert outcome.priority == "low"
    assert outcome.reasons == ("rule 'raise': any message -> priority raised to low",)


# --- Batches and counts ------------------------------------------------------------------


def test_a_batch_gives_what_one_by_one_gives_and_counts_per_rule() -> None:
    rules = RuleBook.parse(EXAMPLE)
    batch = [
        facts(kind="complaint", topics=frozenset({"billing"})),
        facts(kind="other", text="promo code"),
        facts(customer_vip=True, personal_data=True),
        facts(),
    ] * 250
    outcomes = apply_rules_many(rules, batch)
    assert outcomes == [apply_rules(rules, message) for message in batch]
    assert fired_counts(outcomes) == {
        "billing to finance": 250,
        "french complaints": 250,
        "ignore spam": 250,
        "vip": 250,
        "personal data": 250,
    }


def test_counts_with_the_book_list_the_rules_that_never_fired() -> None:
    rules = RuleBook.parse(EXAMPLE)
    outcomes = apply_rules_many(rules, [facts(customer_vip=True)])
    assert fired_counts(outcomes, book=rules) == {
        "ignore spam": 0,
        "billing to finance": 0,
        "french complaints": 0,
        "vip": 1,
        "big audience on X": 0,
        "personal data": 0,
        "night acknowledgement": 0,
        "legacy": 0,
    }


def test_facts_come_from_a_classification() -> None:
    classification = Classification(
        ThreadKind.COMPLAINT,
        "fr",
        Priority.HIGH,
        ("billing",),
        (PersonalData("iban", "FR76 **** 1234"),),
    )
    made = RuleFacts.from_classification(
        classification, network="x", text="IBAN FR76...", at=MONDAY_NOON, followers=12
    )
    assert made == facts(
        kind="complaint",
        urgency="high",
        topics=frozenset({"billing"}),
        personal_data=True,
        followers=12,
        text="IBAN FR76...",
    )


def test_facts_refuse_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        facts(at=datetime(2024, 6, 3, 12, 0))


def test_an_outcome_reads_as_json() -> None:
    outcome = apply_rules(RuleBook.parse(EXAMPLE), facts(customer_vip=True))
    assert outcome.as_dict() == {
        "team": None,
        "priority": "urgent",
        "tags": ["vip"],
        "assign_to": "lea@acme.example",
        "no_reply_needed": False,
        "auto_acknowledge": None,
        "fired": ["vip"],
        "reasons": [
            "rule 'vip': VIP customer -> priority urgent, tag vip, assign to lea@acme.example"
        ],
    }


# --- Refused documents -------------------------------------------------------------------


def _rule(**fields: object) -> dict[str, object]:
    return {"rules": [{"name": "ok"}, {"name": "vip", **fields}]}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            _rule(then={"priority": "hi"}),
            "rule 2 ('vip'): then.priority: must be one of low, normal, high, urgent",
        ),
        (
            _rule(when={"kind": ["complaint"]}),
            "rule 2 ('vip'): when.kind: unknown field, did you mean kinds?",
        ),
        (
            _rule(then={"teams": "Finance"}),
            "rule 2 ('vip'): then.teams: unknown field, did you mean team?",
        ),
        (
            _rule(then={"escalate": True}),
            "rule 2 ('vip'): then.escalate: unknown field (the fields are team, priority,"
            " raise_priority_to, tags, assign_to, no_reply_needed, auto_acknowledge)",
        ),
        (_rule(stopp=True), "rule 2 ('vip'): stopp: unknown field, did you mean stop?"),
        (
            _rule(when={"time": {"tz": "UTC", "from": "09:00", "to": "10:00", "day": ["mon"]}}),
            "rule 2 ('vip'): when.time.day: unknown field, did you mean days?",
        ),
        ({"rule": []}, "rule: unknown field, did you mean rules?"),
        (
            _rule(when={"kinds": ["complaint", "complain"]}),
            "rule 2 ('vip'): when.kinds: 'complain' must be one of complaint, question, praise,"
            " other",
        ),
        (
            _rule(when={"kinds": ["unclassified"]}),
            "rule 2 ('vip'): when.kinds: 'unclassified' must be one of complaint, question,"
            " praise, other",
        ),
        (
            _rule(when={"networks": ["twitter"]}),
            "rule 2 ('vip'): when.networks: 'twitter' must be one of x, mastodon, bluesky,"
            " facebook, instagram, webhook",
        ),
        (
            _rule(when={"languages": ["fr-CA"]}),
            "rule 2 ('vip'): when.languages: 'fr-ca' is not a language code: two or three"
            " letters (fr, en), or 'unknown'",
        ),
        (
            _rule(when={"languages": ["fr", False]}),
            "rule 2 ('vip'): when.languages: False must be text (YAML reads yes, no, on and off"
            " unquoted as true or false: quote it)",
        ),
        (
            _rule(when={"kinds": "complaint"}),
            "rule 2 ('vip'): when.kinds: must be a list",
        ),
        (
            _rule(when={"topics_any": []}),
            "rule 2 ('vip'): when.topics_any: must not be empty (leave it out instead)",
        ),
        (
            _rule(when={"followers_at_least": -5}),
            "rule 2 ('vip'): when.followers_at_least: must not be negative",
        ),
        (
            _rule(when={"customer_vip": "maybe"}),
            "rule 2 ('vip'): when.customer_vip: must be true or false",
        ),
        (
            _rule(when={"text_contains_any": ["@acme"]}),
            "rule 2 ('vip'): when.text_contains_any: '@acme' has no words to look for"
            " (handles and links are ignored)",
        ),
        (
            _rule(then={"assign_to": "Finance"}),
            "rule 2 ('vip'): then.assign_to: 'Finance' is not an e-mail address",
        ),
        (
            _rule(then={"priority": "high", "raise_priority_to": "urgent"}),
            "rule 2 ('vip'): then: give priority or raise_priority_to, not both",
        ),
        (_rule(then={"team": "  "}), "rule 2 ('vip'): then.team: must not be empty"),
        (
            {"rules": [{"name": "vip"}, {"name": "VIP "}]},
            "rule 2 ('VIP'): name: already used by rule 1",
        ),
        ({"rules": [{"when": {}}]}, "rule 1: name: is required"),
        ({"rules": [{"name": "ok"}, "vip"]}, "rule 2: must be an object"),
        ({"rules": {"name": "vip"}}, "rules: must be a list"),
        (
            "rules: []",
            "the rules document must be an object with a 'rules' list, or that list"
            " (got str; parse the JSON or YAML first)",
        ),
    ],
)
def test_a_refused_document_names_the_rule_and_the_field(document: object, message: str) -> None:
    assert refused(document) == message


@pytest.mark.parametrize(
    ("window", "message"),
    [
        (
            {"tz": "Europe/Pariss", "from": "09:00", "to": "18:00"},
            "when.time.tz: 'Europe/Pariss' is not an IANA time zone (Europe/Paris, UTC)",
        ),
        (
            {"tz": "../etc/passwd", "from": "09:00", "to": "18:00"},
            "when.time.tz: '../etc/passwd' is not an IANA time zone (Europe/Paris, UTC)",
        ),
        (
            {"tz": "UTC", "from": "9h", "to": "18:00"},
            "when.time.from: '9h' is not a time in HH:MM form",
        ),
        (
            {"tz": "UTC", "from": "09:00", "to": "25:00"},
            "when.time.to: '25:00' is not a time of day",
        ),
        (
            {"tz": "UTC", "from": "09:60", "to": "18:00"},
            "when.time.from: '09:60' is not a time of day",
        ),
        (
            {"tz": "UTC", "from": "24:00", "to": "06:00"},
            "when.time.from: '24:00' is not a time of day",
        ),
        (
            {"tz": "UTC", "from": "09:00", "to": 1110},  # YAML's reading of 18:30 unquoted
            'when.time.to: write the time in quotes ("18:30"): YAML reads 18:30 unquoted'
            " as a number",
        ),
        ({"tz": "UTC", "from": "09:00"}, "when.time.to: is required"),
        (
            {"tz": "UTC", "days": ["monday"], "from": "09:00", "to": "18:00"},
            "when.time.days: 'monday' must be one of mon, tue, wed, thu, fri, sat, sun",
        ),
        (
            {"tz": "UTC", "days": [], "from": "09:00", "to": "18:00"},
            "when.time.days: must not be empty (leave it out instead)",
        ),
    ],
)
def test_a_refused_time_window_says_why(window: dict[str, object], message: str) -> None:
    assert refused(_rule(when={"time": window})) == f"rule 2 ('vip'): {message}"


def test_every_problem_is_listed() -> None:
    with pytest.raises(RuleError) as caught:
        RuleBook.parse(
            {
                "rules": [
                    {"name": "a", "when": {"kinds": ["complain"]}},
                    {"name": "b", "then": {"priority": "hi"}},
                ]
            }
        )
    assert caught.value.problems == (
        "rule 1 ('a'): when.kinds: 'complain' must be one of complaint, question, praise, other",
        "rule 2 ('b'): then.priority: must be one of low, normal, high, urgent",
    )
    assert isinstance(caught.value, ValueError)


# --- Properties --------------------------------------------------------------------------

TOPICS = ("billing", "refund", "delivery", "app")
TIMES = st.builds("{:02d}:{:02d}".format, st.integers(0, 23), st.integers(0, 59))
CONDITIONS = st.fixed_dictionaries(
    {},
    optional={
        "kinds": st.lists(
            st.sampled_from(["complaint", "question", "praise", "other"]), min_size=1
        ),
        "languages": st.lists(st.sampled_from(["fr", "en", "de", "unknown"]), min_size=1),
        "topics_any": st.lists(st.sampled_from(TOPICS), min_size=1),
        "topics_all": st.lists(st.sampled_from(TOPICS), min_size=1),
        "urgency_at_least": st.sampled_from(PRIORITIES),
        "networks": st.lists(st.sampled_from(["x", "mastodon", "bluesky", "webhook"]), min_size=1),
        "customer_vip": st.booleans(),
        "followers_at_least": st.integers(0, 10**6),
        "personal_data": st.booleans(),
        "text_contains_any": st.lists(
            st.sampled_from(["remboursé", "carte bleue", "rembours*", "panne", "?"]), min_size=1
        ),
        "time": st.fixed_dictionaries(
            {
                "tz": st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"]),
                "from": TIMES,
                "to": TIMES | st.just("24:00"),
            },
            optional={"days": st.lists(st.sampled_from(WEEKDAYS), min_size=1)},
        ),
    },
)
_SHARED_ACTIONS = {
    "team": st.sampled_from(["Support", "Finance"]),
    "tags": st.lists(st.sampled_from(["a", "b"]), min_size=1),
    "assign_to": st.just("lea@acme.example"),
    "no_reply_needed": st.booleans(),
    "auto_acknowledge": st.just("ack"),
}
ACTIONS = st.fixed_dictionaries(
    {}, optional={**_SHARED_ACTIONS, "priority": st.sampled_from(PRIORITIES)}
) | st.fixed_dictionaries(
    {}, optional={**_SHARED_ACTIONS, "raise_priority_to": st.sampled_from(PRIORITIES)}
)
RULE_BODIES = st.fixed_dictionaries(
    {"when": CONDITIONS, "then": ACTIONS}, optional={"enabled": st.booleans()}
)
FACTS = st.builds(
    RuleFacts,
    kind=st.sampled_from(["complaint", "question", "praise", "other", "unclassified"]) | st.text(),
    language=st.none() | st.sampled_from(["fr", "en", "de"]) | st.text(max_size=6),
    topics=st.frozensets(st.sampled_from(TOPICS) | st.text(max_size=8)),
    urgency=st.sampled_from(PRIORITIES) | st.text(max_size=8),
    network=st.sampled_from(["x", "mastodon", "bluesky", "webhook"]) | st.text(max_size=8),
    customer_vip=st.booleans(),
    followers=st.none() | st.integers(),
    personal_data=st.booleans(),
    text=st.text() | st.sampled_from(["Toujours pas REMBOURSÉ", "ma carte bleue ?", "panne"]),
    at=st.datetimes(timezones=st.timezones()),
)


@settings(max_examples=150, deadline=None)
@given(bodies=st.lists(RULE_BODIES, max_size=6), position=st.integers(0, 6), message=FACTS)
def test_a_rule_with_an_empty_when_always_fires(
    bodies: list[dict[str, object]], position: int, message: RuleFacts
) -> None:
    rules = [{"name": f"rule {n}", **body} for n, body in enumerate(bodies)]  # none stops
    rules.insert(min(position, len(rules)), {"name": "always", "when": {}})
    outcome = apply_rules(book(*rules), message)
    assert "always" in outcome.fired
    assert len(outcome.reasons) == len(outcome.fired)


@settings(max_examples=150, deadline=None)
@given(
    bodies=st.lists(st.tuples(RULE_BODIES, st.booleans()), min_size=1, max_size=8),
    messages=st.lists(FACTS, max_size=5),
)
def test_evaluation_never_raises_and_keeps_the_book_order(
    bodies: list[tuple[dict[str, object], bool]], messages: list[RuleFacts]
) -> None:
    rules = book(
        *({"name": f"rule {n}", **body, "stop": stop} for n, (body, stop) in enumerate(bodies))
    )
    outcomes = apply_rules_many(rules, messages)
    assert outcomes == [apply_rules(rules, message) for message in messages]
    order = [rule.name for rule in rules.rules]
    enabled = {rule.name for rule in rules.rules if rule.enabled}
    stopping = {rule.name for rule in rules.rules if rule.stop}
    for outcome in outcomes:
        assert set(outcome.fired) <= enabled
        assert list(outcome.fired) == sorted(outcome.fired, key=order.index)
        assert not stopping.intersection(outcome.fired[:-1])  # only the last may have stopped
        if outcome.priority is not None:
            assert outcome.priority in PRIORITIES
