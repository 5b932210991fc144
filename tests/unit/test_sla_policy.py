"""Choosing a thread's SLA policy and planning its clocks."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from inbox.domain.network import Network
from inbox.domain.thread import Priority, ThreadKind
from sla.calendar_config import calendar_from_config
from sla.policy import (
    ClockKind,
    Condition,
    PolicyBook,
    PolicyRule,
    SlaPolicy,
    Targets,
    ThreadFacts,
    plan_clock,
)
from tests.factories import paris_office

PARIS = ZoneInfo("Europe/Paris")
OFFICE = calendar_from_config(paris_office())

BOOK = PolicyBook(
    policies={
        "standard": SlaPolicy(name="standard", calendar="office"),
        "vip": SlaPolicy(name="vip", calendar="always", targets=Targets(first_response=15)),
        "complaints on X": SlaPolicy(
            name="complaints on X",
            calendar="office",
            targets=Targets(first_response=60, resolution=8 * 60),
            by_priority={Priority.URGENT: Targets(first_response=20, next_response=30)},
        ),
    },
    rules=(
        PolicyRule(when=Condition(vip=True), policy="vip"),
        PolicyRule(
            when=Condition(
                kinds=frozenset({ThreadKind.COMPLAINT}), networks=frozenset({Network.X})
            ),
            policy="complaints on X",
        ),
    ),
    default="standard",
)


def test_the_first_matching_rule_wins_and_says_so() -> None:
    vip_complaint = ThreadFacts(kind=ThreadKind.COMPLAINT, network=Network.X, vip=True)
    policy, why = BOOK.select(vip_complaint)
    assert (policy.name, why) == ("vip", "rule 1 matched")
    policy, why = BOOK.select(ThreadFacts(kind=ThreadKind.COMPLAINT, network=Network.X))
    assert policy.name == "complaints on X"
    policy, why = BOOK.select(ThreadFacts(kind=ThreadKind.COMPLAINT, network=Network.MASTODON))
    assert (policy.name, why) == ("standard", "no rule matched: the default policy")


def test_priority_overrides_the_targets() -> None:
    policy = BOOK.policies["complaints on X"]
    assert policy.budget(ClockKind.FIRST_RESPONSE, Priority.URGENT) == timedelta(minutes=20)
    assert policy.budget(ClockKind.FIRST_RESPONSE, Priority.NORMAL) == timedelta(minutes=60)
    assert policy.budget(ClockKind.RESOLUTION, Priority.URGENT) is None


def test_a_clock_warns_at_three_quarters_of_its_budget() -> None:
    start = datetime(2026, 3, 4, 18, 30, tzinfo=PARIS)  # Wednesday, 30 min before closing
    plan = plan_clock(
        BOOK.policies["standard"], OFFICE, ClockKind.FIRST_RESPONSE, Priority.NORMAL, start
    )
    assert plan is not None
    assert plan.warn_at == datetime(2026, 3, 5, 9, 15, tzinfo=PARIS)
    assert plan.deadline == datetime(2026, 3, 5, 9, 30, tzinfo=PARIS)


def test_no_target_no_clock() -> None:
    start = datetime(2026, 3, 4, 10, 0, tzinfo=PARIS)
    assert (
        plan_clock(BOOK.policies["standard"], OFFICE, ClockKind.RESOLUTION, Priority.NORMAL, start)
        is None
    )


def test_rules_must_name_existing_policies() -> None:
    with pytest.raises(ValidationError, match="do not exist: gold"):
        PolicyBook(
            policies={"standard": SlaPolicy(name="standard", calendar="office")},
            rules=(PolicyRule(when=Condition(vip=True), policy="gold"),),
            default="standard",
        )
