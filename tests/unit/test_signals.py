"""The outage-signal detector: bounded scores, no look-ahead, bounded memory, what it flags."""

from __future__ import annotations

import math
import pickle
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.signals import BaselineSettings, DetectorSettings, Signal, SignalDetector, crossings

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
FIVE_MINUTES = timedelta(minutes=5)
PER_DAY = 288


def poisson(rng: random.Random, mean: float) -> int:
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


def daily_series(days: int, rate: Callable[[datetime], float], seed: int = 1) -> list[int]:
    rng = random.Random(seed)
    return [poisson(rng, rate(START + i * FIVE_MINUTES)) for i in range(days * PER_DAY)]


def office_hours(at: datetime) -> float:
    """Complaints mostly in the day, few at night: 0.2 to 6 a bucket."""
    return 0.2 + 5.8 * max(0.0, math.sin(math.pi * (at.hour + at.minute / 60 - 6) / 14))


def run(values: Sequence[float], stamps: Sequence[datetime] | None = None) -> list[Signal]:
    detector = SignalDetector()
    stamps = stamps or [START + i * FIVE_MINUTES for i in range(len(values))]
    return [detector.update(at, value) for at, value in zip(stamps, values, strict=True)]


counts = st.lists(
    st.one_of(st.integers(0, 3), st.integers(0, 5000), st.floats(0, 1e6)), min_size=1, max_size=400
)
gaps = st.lists(st.integers(1, 500), min_size=400, max_size=400)


def stamps_from(gap_minutes: Sequence[int], length: int) -> list[datetime]:
    stamps, at = [], START
    for minutes in gap_minutes[:length]:
        at += timedelta(minutes=minutes)
        stamps.append(at)
    return stamps


@settings(max_examples=60, deadline=None)
@given(values=counts, gap_minutes=gaps)
def test_every_score_and_strength_is_within_zero_and_one(
    values: list[float], gap_minutes: list[int]
) -> None:
    for signal in run(values, stamps_from(gap_minutes, len(values))):
        assert 0.0 <= signal.score <= 1.0
        assert 0.0 <= signal.strength <= 1.0
        assert signal.expected > 0
        assert signal.evidence >= 0


@settings(max_examples=40, deadline=None)
@given(values=counts, gap_minutes=gaps, cut=st.integers(0, 400))
def test_appending_future_buckets_never_changes_a_past_score(
    values: list[float], gap_minutes: list[int], cut: int
) -> None:
    stamps = stamps_from(gap_minutes, len(values))
    cut = min(cut, len(values))
    assert run(values[:cut], stamps[:cut]) == run(values, stamps)[:cut]


@settings(max_examples=10, deadline=None)
@given(weeks=st.integers(1, 8), seed=st.integers(0, 1000))
def test_memory_stays_the_same_however_long_the_series(weeks: int, seed: int) -> None:
    rng = random.Random(seed)
    detector = SignalDetector()
    week = 7 * PER_DAY
    for i in range(0, week, 5):  # every hour of the week seen once
        detector.update(START + i * FIVE_MINUTES, poisson(rng, 3))
    size_after_a_week = len(pickle.dumps(detector))
    for i in range(week, (1 + weeks) * week, 5):
        detector.update(START + i * FIVE_MINUTES, poisson(rng, 3 if i % 500 else 300))
    assert len(pickle.dumps(detector)) <= size_after_a_week + 64


def test_a_step_burst_after_a_week_of_normal_days_scores_high_from_its_first_bucket() -> None:
    values = daily_series(8, office_hours)
    burst_start = 7 * PER_DAY + 11 * 12  # 11:00 on the eighth day
    for i in range(burst_start, burst_start + 12):
        values[i] += 40
    signals = run(values)
    first = signals[burst_start]
    assert first.score > 0.9
    assert first.abnormal_since == first.at
    assert first.observed > 5 * first.expected
    during = signals[burst_start : burst_start + 12]
    assert all(s.abnormal_since == first.at for s in during)
    explanation = first.explain()
    assert f"{first.observed:g} observed" in explanation
    assert f"abnormal since {first.at.isoformat()}" in explanation


def test_one_outage_is_one_alert_not_one_per_bucket() -> None:
    values = daily_series(8, office_hours)
    burst_start = 7 * PER_DAY + 11 * 12
    for i in range(burst_start, burst_start + 24):
        values[i] += 40
    signals = run(values)[burst_start : burst_start + 24]
    assert sum(s.score >= 0.5 for s in signals) <= 2
    assert all(s.strength > 0.5 for s in signals[:6])


def test_a_daily_peak_learned_over_previous_days_scores_low() -> None:
    def lunch_peak(at: datetime) -> float:
        return 8.0 if at.hour == 12 else 1.0

    signals = run(daily_series(15, lunch_peak, seed=3))
    last_peak = signals[14 * PER_DAY + 12 * 12 : 14 * PER_DAY + 13 * 12]
    assert all(s.score < 0.5 for s in last_peak)
    assert all(s.expected > 4.0 for s in last_peak)


def test_the_same_peak_at_an_hour_it_never_came_scores_high() -> None:
    def lunch_peak(at: datetime) -> float:
        return 8.0 if at.hour == 12 else 1.0

    values = daily_series(15, lunch_peak, seed=3)
    three_am = 14 * PER_DAY + 3 * 12
    rng = random.Random(9)
    for i in range(three_am, three_am + 12):
        values[i] = poisson(rng, 8.0)
    assert max(s.score for s in run(values)[three_am : three_am + 12]) > 0.5


def test_in_a_series_that_is_zero_most_of_the_time_single_complaints_stay_quiet() -> None:
    values = daily_series(10, lambda at: 0.02, seed=5)
    signals = run(values)
    assert sum(values) > 20
    assert all(s.score < 0.5 for s in signals[PER_DAY:])
    values[9 * PER_DAY + 100] = 12
    assert run(values)[9 * PER_DAY + 100].score > 0.5


def test_gaps_in_the_timestamps_are_not_taken_for_silence() -> None:
    values = daily_series(10, office_hours)
    stamps = [START + i * FIVE_MINUTES for i in range(len(values))]
    kept = [i for i in range(len(values)) if (i // 36) % 3]  # a third of the buckets missing
    signals = run([values[i] for i in kept], [stamps[i] for i in kept])
    assert all(s.score < 0.5 for s in signals[PER_DAY:])


def test_a_day_that_is_busier_all_day_raises_the_expected_level() -> None:
    values = daily_series(9, office_hours) + daily_series(1, lambda at: 2 * office_hours(at), 4)
    signals = run(values)
    assert signals[-12].expected > 1.5 * signals[-12 - PER_DAY].expected


def test_the_first_day_is_learned_silently() -> None:
    signals = run([0] * 100 + [500] + [0] * 100)
    assert all(s.score == 0.0 and s.abnormal_since is None for s in signals)


@pytest.mark.parametrize("value", [-1.0, math.inf, math.nan])
def test_a_value_that_is_not_a_count_is_refused(value: float) -> None:
    with pytest.raises(ValueError, match="finite and not negative"):
        SignalDetector().update(START, value)


def test_buckets_out_of_order_are_refused() -> None:
    detector = SignalDetector()
    detector.update(START, 1)
    with pytest.raises(ValueError, match="is not after"):
        detector.update(START, 1)
    with pytest.raises(ValueError, match="time zone"):
        detector.update(datetime(2027, 1, 1), 1)


def test_a_run_reports_its_strength_on_the_bucket_where_it_first_reaches_each_quarter() -> None:
    detector = SignalDetector()
    stamps = [START + i * FIVE_MINUTES for i in range(10)]
    strengths = [0.1, 0.3, 0.4, 0.6, 0.7, 0.8, 0.99, 0.2, 0.6, 0.55]
    scores = [detector.report(at, s) for at, s in zip(stamps, strengths, strict=True)]
    # Below the run level a bucket reports its strength; in a run, only a new quarter does.
    assert scores == [0.1, 0.3, 0.0, 0.6, 0.0, 0.8, 0.0, 0.2, 0.6, 0.0]
    assert detector.abnormal_since == stamps[8]


def test_a_burst_that_swells_alerts_whatever_the_threshold_from_a_third_to_three_quarters() -> None:
    values = daily_series(8, office_hours)
    start = 7 * PER_DAY + 11 * 12
    for step in range(36):
        values[start + step] += round(step / 2)  # a swelling over three hours, not a step
    signals = run(values)
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.75):
        opened = [c for c in crossings(signals[PER_DAY:], threshold) if c.kind == "opened"]
        assert [c.at for c in opened if c.at >= signals[start].at][:1], threshold
        assert all(c.at >= signals[start].at for c in opened), "no false alarm before it"


def test_a_series_watched_empty_needs_no_warm_up_and_one_event_stays_quiet() -> None:
    minute = timedelta(minutes=1)
    settings = DetectorSettings(baseline=BaselineSettings(bucket=minute))
    lone = SignalDetector(settings)
    lone.assume_empty_since(START - timedelta(days=7))
    assert lone.update(START, 1).score < 0.25
    assert lone.update(START + minute, 0).score < 0.25

    burst = SignalDetector(settings)
    burst.assume_empty_since(START - timedelta(days=7))
    first = burst.update(START, 5)
    assert first.score > 0.75
    assert first.abnormal_since == START
    assert first.expected < 0.01, "the week of silence is its baseline, not its first count"
