"""The X read budget: poll delays that slow down as reads run out, favouring mentions."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from connectors.x.budget import (
    PollDecision,
    PollingPlan,
    ReadBudget,
    ReadUsage,
    Stream,
    cost_estimate,
    next_poll_delay,
    projected_month_end,
    reads_per_day_for_plan,
    remaining,
)

PLAN = PollingPlan()
# Noon UTC: half of the day is left, so the day's headroom is (share of cap left) / 0.5.
NOON = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
DAY_CAP = ReadBudget(reads_per_day=1000)


def used(today: int, month: int | None = None, at: datetime = NOON) -> ReadUsage:
    return ReadUsage(
        reads_today=today, reads_this_month=today if month is None else month, measured_at=at
    )


def decide(
    stream: Stream,
    usage: ReadUsage,
    budget: ReadBudget = DAY_CAP,
    now: datetime = NOON,
    recent_yield: float | None = None,
) -> PollDecision:
    return next_poll_delay(PLAN, budget, usage, stream, now, recent_yield=recent_yield)


@pytest.mark.parametrize("stream", list(Stream))
def test_without_a_cap_streams_poll_at_their_base_interval(stream: Stream) -> None:
    decision = decide(stream, used(10**9), budget=ReadBudget())
    assert decision == PollDecision(
        delay_seconds=PLAN.base_seconds(stream),
        skip=False,
        reason=f"no read cap: {stream} every {PLAN.base_seconds(stream):.0f} s",
    )


def test_within_pace_both_streams_poll_at_their_base_interval() -> None:
    assert decide(Stream.MENTIONS, used(500)).delay_seconds == 60
    search = decide(Stream.SEARCH, used(500))
    assert search.delay_seconds == 300
    assert search.reason == "day budget 50% used, within pace: search every 300 s"


def test_search_slows_down_before_mentions() -> None:
    # 750 of 1000 used at noon: headroom 0.5, search (threshold 1.0) runs at half speed.
    assert decide(Stream.SEARCH, used(750)).delay_seconds == pytest.approx(600)
    assert decide(Stream.MENTIONS, used(750)).delay_seconds == pytest.approx(60)
    # 800 used: headroom 0.4, under mentions' threshold too.
    assert decide(Stream.SEARCH, used(800)).delay_seconds == pytest.approx(750)
    mentions = decide(Stream.MENTIONS, used(800))
    assert mentions.delay_seconds == pytest.approx(75)
    assert mentions.reason == "day budget 80% used, ahead of pace: mentions every 75 s"


def test_search_pauses_under_the_reserve_while_mentions_keep_polling() -> None:
    # 950 used at noon: headroom 0.1, under the 0.2 reserve.
    search = decide(Stream.SEARCH, used(950))
    assert search.skip
    assert search.delay_seconds == PLAN.max_seconds
    assert "search paused" in search.reason
    assert "95% used" in search.reason
    mentions = decide(Stream.MENTIONS, used(950))
    assert not mentions.skip
    assert mentions.delay_seconds == pytest.approx(300)


def test_a_paused_search_looks_again_at_the_period_end_when_it_comes_first() -> None:
    ten_to_midnight = datetime(2024, 6, 10, 23, 50, tzinfo=UTC)
    search = decide(Stream.SEARCH, used(999, at=ten_to_midnight), now=ten_to_midnight)
    assert search.skip
    assert search.delay_seconds == pytest.approx(600)


def test_mentions_slow_down_to_the_max_interval_as_the_cap_nears() -> None:
    mentions = decide(Stream.MENTIONS, used(999))
    assert not mentions.skip
    assert mentions.delay_seconds == PLAN.max_seconds


def test_a_spent_day_budget_pauses_both_streams_until_midnight_in_its_zone() -> None:
    budget = ReadBudget(reads_per_day=1000, time_zone="Europe/Paris")
    # 12:00 UTC is 14:00 in Paris (summer time): 10 h to the Paris midnight.
    for stream in Stream:
        decision = decide(stream, used(1000), budget=budget)
        assert decision.skip
        assert decision.delay_seconds == 10 * 3600
        assert decision.reason == (
            f"day budget spent (1000 of 1000 reads): {stream} paused until"
            " 2024-06-11 00:00 Europe/Paris"
        )


def test_a_spent_month_budget_pauses_until_the_first_of_next_month() -> None:
    budget = ReadBudget(reads_per_day=1000, reads_per_month=20_000, time_zone="America/New_York")
    decision = decide(Stream.MENTIONS, used(1000, month=20_000), budget=budget)
    assert decision.skip
    july_first = datetime(2024, 7, 1, tzinfo=ZoneInfo("America/New_York"))
    assert decision.delay_seconds == (july_first - NOON).total_seconds()
    assert "until 2024-07-01 00:00 America/New_York" in decision.reason


def test_day_lengths_follow_daylight_saving_changes() -> None:
    # Paris moved to summer time on 2024-03-31: that day lasted 23 hours.
    budget = ReadBudget(reads_per_day=100, time_zone="Europe/Paris")
    just_after_midnight = datetime(2024, 3, 30, 23, 0, tzinfo=UTC)
    usage = used(100, at=just_after_midnight)
    decision = decide(Stream.MENTIONS, usage, budget=budget, now=just_after_midnight)
    assert decision.delay_seconds == 23 * 3600


def test_the_tighter_period_decides() -> None:
    # The day is within pace (200 of 1000 at noon), the month is not (9200 of 10000 on the 10th).
    budget = ReadBudget(reads_per_day=1000, reads_per_month=10_000)
    search = decide(Stream.SEARCH, used(200, month=9200), budget=budget)
    assert search.skip
    assert search.reason.startswith("month budget 92% used")


def test_counts_measured_in_an_earlier_day_do_not_count_today() -> None:
    yesterday = NOON - timedelta(days=1)
    assert not decide(Stream.MENTIONS, used(1000, at=yesterday)).skip
    assert decide(Stream.SEARCH, used(1000, at=yesterday)).delay_seconds == 300


@pytest.mark.parametrize(
    ("recent_yield", "stretch"),
    [(None, 1.0), (0.0, 2.0), (0.5, 1.5), (1.0, 1.0), (40.0, 1.0), (-3.0, 2.0), (math.nan, 1.0)],
)
def test_quiet_polls_stretch_the_interval_a_little(
    recent_yield: float | None, stretch: float
) -> None:
    decision = decide(Stream.MENTIONS, used(0), recent_yield=recent_yield)
    assert decision.delay_seconds == pytest.approx(60 * stretch)
    assert ("stretched" in decision.reason) == (stretch > 1)


def test_delays_never_go_below_the_min_interval() -> None:
    plan = PollingPlan(mentions_base_seconds=15, min_seconds=15)
    decision = next_poll_delay(plan, DAY_CAP, used(0), Stream.MENTIONS, NOON, recent_yield=5)
    assert decision.delay_seconds == 15


def test_a_spent_budget_just_before_its_boundary_still_waits_the_min_interval() -> None:
    almost_midnight = datetime(2024, 6, 10, 23, 59, 58, tzinfo=UTC)
    decision = decide(Stream.MENTIONS, used(1000, at=almost_midnight), now=almost_midnight)
    assert decision.skip
    assert decision.delay_seconds == PLAN.min_seconds


def test_a_zero_cap_allows_no_read() -> None:
    assert decide(Stream.MENTIONS, used(0), budget=ReadBudget(reads_per_month=0)).skip


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        decide(Stream.MENTIONS, used(0), now=datetime(2024, 6, 10, 12, 0))


@pytest.mark.parametrize(
    "fields",
    [
        {"mentions_base_seconds": 10},
        {"search_base_seconds": 7200},
        {"search_slow_below": 0.4},
        {"search_reserve": 1.0},
        {"max_quiet_stretch": 0.5},
        {"min_seconds": math.inf},
    ],
)
def test_inconsistent_plans_are_refused(fields: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        PollingPlan.model_validate(fields)


def test_unknown_time_zones_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        ReadBudget(time_zone="Mars/Olympus_Mons")


def test_the_month_end_is_projected_at_the_month_pace_so_far() -> None:
    # June has 30 days: on the 16th at midnight UTC, half of it is gone.
    mid_june = datetime(2024, 6, 16, tzinfo=UTC)
    usage = used(10, month=1000, at=mid_june)
    assert projected_month_end(ReadBudget(), usage, mid_june) == 2000
    # In Tokyo (UTC+9) the month is 9 hours further along at the same instant.
    tokyo = ReadBudget(time_zone="Asia/Tokyo")
    assert projected_month_end(tokyo, usage, mid_june) == math.ceil(1000 / ((15 * 24 + 9) / 720))


def test_no_projection_from_last_months_counts() -> None:
    usage = used(10, month=1000, at=datetime(2024, 5, 31, tzinfo=UTC))
    assert projected_month_end(ReadBudget(), usage, NOON) == 0


def test_remaining_reads_are_never_negative_and_none_without_a_cap() -> None:
    budget = ReadBudget(reads_per_day=100, reads_per_month=None)
    assert remaining(budget, used(150, month=900)) == (0, None)
    assert remaining(ReadBudget(reads_per_month=1000), used(5, month=900)) == (None, 100)


def test_cost_of_reads() -> None:
    assert cost_estimate(1_000_000) == Decimal("5000")
    assert cost_estimate(3, Decimal("0.01")) == Decimal("0.03")
    with pytest.raises(ValueError, match="negative"):
        cost_estimate(-1)


def test_what_a_plan_costs_a_day() -> None:
    # 1440 mentions polls and 288 search polls a day at the base intervals.
    assert reads_per_day_for_plan(PLAN, 1) == 1728
    assert reads_per_day_for_plan(PLAN, 0.5, search_queries=3) == 720 + 432
    assert reads_per_day_for_plan(PLAN, 0) == 0


# Zones with half-hour offsets, DST changes at midnight (Havana) and a 30-minute DST (Lord Howe).
ZONES = ["UTC", "Europe/Paris", "America/Havana", "Australia/Lord_Howe", "Asia/Kathmandu"]
caps = st.none() | st.integers(min_value=0, max_value=2_000_000)
instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


def rank(decision: PollDecision) -> float:
    """Orders decisions from the most to the least polling: a skip polls least of all."""
    return math.inf if decision.skip else decision.delay_seconds


@given(
    day_cap=caps,
    month_cap=caps,
    zone=st.sampled_from(ZONES),
    now=instants,
    usage=st.tuples(*[st.integers(min_value=0, max_value=3_000_000)] * 4).map(sorted),
    recent_yield=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    stream=st.sampled_from(Stream),
)
def test_delays_are_bounded_and_monotone_in_usage(
    day_cap: int | None,
    month_cap: int | None,
    zone: str,
    now: datetime,
    usage: list[int],
    recent_yield: float | None,
    stream: Stream,
) -> None:
    budget = ReadBudget(reads_per_day=day_cap, reads_per_month=month_cap, time_zone=zone)
    # usage is sorted: (day, month) of the lighter usage are each under those of the heavier one.
    light = ReadUsage(reads_today=usage[0], reads_this_month=usage[2], measured_at=now)
    heavy = ReadUsage(reads_today=usage[1], reads_this_month=usage[3], measured_at=now)
    before, after = (
        next_poll_delay(PLAN, budget, u, stream, now, recent_yield=recent_yield)
        for u in (light, heavy)
    )
    for decision in (before, after):
        assert math.isfinite(decision.delay_seconds)
        assert decision.delay_seconds >= PLAN.min_seconds
        assert decision.skip or decision.delay_seconds <= PLAN.max_seconds
    assert rank(after) >= rank(before)


@given(
    cap=st.integers(min_value=1, max_value=2_000_000),
    reads=st.integers(min_value=0, max_value=2_000_000),
    now=instants,
)
def test_mentions_are_always_favoured_over_search(cap: int, reads: int, now: datetime) -> None:
    budget = ReadBudget(reads_per_month=cap)
    usage = ReadUsage(reads_today=0, reads_this_month=reads, measured_at=now)
    mentions = next_poll_delay(PLAN, budget, usage, Stream.MENTIONS, now)
    search = next_poll_delay(PLAN, budget, usage, Stream.SEARCH, now)
    assert search.skip or not mentions.skip
    if not search.skip:
        search_slowdown = search.delay_seconds / PLAN.search_base_seconds
        mentions_slowdown = mentions.delay_seconds / PLAN.mentions_base_seconds
        assert search_slowdown >= mentions_slowdown * (1 - 1e-9)
