"""Counting complaints into series of buckets, and the alerts that open and close on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.signals import (
    AlertWatch,
    BucketCounter,
    CrossingKind,
    SeriesKey,
    SeriesSignal,
    Signal,
    bucket_start,
    complaint_keys,
    crossings,
)

MINUTE = timedelta(minutes=1)
FIVE = timedelta(minutes=5)
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WORKSPACE = SeriesKey(7)


def test_a_complaint_counts_in_its_workspace_and_in_each_slice_it_falls_in() -> None:
    keys = complaint_keys(7, topics=["network", "network"], keyword_groups=["down"], regions=["N"])
    assert keys == [
        SeriesKey(7),
        SeriesKey(7, "topic", "network"),
        SeriesKey(7, "keywords", "down"),
        SeriesKey(7, "region", "N"),
    ]


def test_buckets_align_on_the_clock() -> None:
    assert bucket_start(NOON + timedelta(minutes=7, seconds=30), FIVE) == NOON + FIVE
    assert bucket_start(NOON, FIVE) == NOON


def test_buckets_close_when_the_callers_clock_passes_their_end_empty_ones_with_zero() -> None:
    counter = BucketCounter(widths=(MINUTE, FIVE))
    for second in (5, 20, 50):
        assert counter.add([WORKSPACE], NOON + timedelta(seconds=second)) == []
    assert counter.close_until(NOON + timedelta(seconds=59)) == []
    closed = counter.close_until(NOON + timedelta(minutes=3, seconds=10))
    by_width = {(s.width, s.signal.at): s.signal.observed for s in closed}
    assert by_width == {
        (MINUTE, NOON): 3,
        (MINUTE, NOON + MINUTE): 0,
        (MINUTE, NOON + 2 * MINUTE): 0,
    }
    five = counter.close_until(NOON + FIVE)
    assert [(s.width, s.signal.observed) for s in five] == [(MINUTE, 0), (MINUTE, 0), (FIVE, 3)]


def test_an_event_in_a_later_bucket_closes_the_earlier_ones_of_its_series() -> None:
    counter = BucketCounter(widths=(MINUTE,))
    counter.add([WORKSPACE], NOON)
    closed = counter.add([WORKSPACE], NOON + 2 * MINUTE + timedelta(seconds=1))
    assert [(s.signal.at, s.signal.observed) for s in closed] == [(NOON, 1), (NOON + MINUTE, 0)]


def test_an_event_for_a_closed_bucket_is_tallied_as_late_not_counted() -> None:
    counter = BucketCounter(widths=(MINUTE,))
    counter.add([WORKSPACE], NOON)
    counter.close_until(NOON + 2 * MINUTE)
    counter.add([WORKSPACE], NOON + timedelta(seconds=30))
    assert counter.late_events == 1
    closed = counter.close_until(NOON + 3 * MINUTE)
    assert [s.signal.observed for s in closed] == [0]


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        BucketCounter().add([WORKSPACE], datetime(2026, 3, 2, 12))


@settings(max_examples=30, deadline=None)
@given(
    events=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 600)), max_size=200),
    capacity=st.integers(1, 12),
)
def test_the_number_of_series_never_exceeds_the_bound_and_the_least_recent_goes_first(
    events: list[tuple[int, int]], capacity: int
) -> None:
    counter = BucketCounter(widths=(MINUTE,), max_series=capacity)
    seen: list[SeriesKey] = []
    for region, seconds in sorted(events, key=lambda e: e[1]):
        key = SeriesKey(1, "region", str(region))
        counter.add([key], NOON + timedelta(seconds=seconds))
        seen = [k for k in seen if k != key] + [key]
        assert len(counter) <= capacity
    kept = {s.key for s in counter.close_until(NOON + timedelta(hours=1))}
    assert kept == set(seen[-capacity:])
    assert counter.evicted == _least_recently_seen_evictions(events, capacity)


def _least_recently_seen_evictions(events: list[tuple[int, int]], capacity: int) -> int:
    """A reference: how many times a bounded least-recently-seen list drops a region."""
    order: list[int] = []
    evicted = 0
    for region, _ in sorted(events, key=lambda e: e[1]):
        if region in order:
            order.remove(region)
        elif len(order) == capacity:
            order.pop(0)
            evicted += 1
        order.append(region)
    return evicted


def signal(minute: int, score: float, since: int | None) -> Signal:
    at = NOON + minute * MINUTE
    return Signal(
        at, 1, 1, 0, None, 1, 1, score, score, None if since is None else NOON + since * MINUTE
    )


def test_an_alert_opens_at_the_crossing_and_closes_when_the_series_is_normal_again() -> None:
    signals = [
        signal(0, 0.1, None),
        signal(1, 0.95, 1),
        signal(2, 0.3, 1),  # the score fades, the series is still abnormal
        signal(3, 0.2, 1),
        signal(4, 0.1, None),
        signal(5, 0.7, 5),
    ]
    found = [(c.kind, c.at.minute, c.since.minute) for c in crossings(signals)]
    assert found == [
        (CrossingKind.OPENED, 1, 1),
        (CrossingKind.CLOSED, 4, 1),
        (CrossingKind.OPENED, 5, 5),
    ]


def test_alerts_are_kept_per_series() -> None:
    watch = AlertWatch(threshold=0.5)
    assert watch.observe("a", signal(0, 0.9, 0)) is not None
    assert watch.observe("b", signal(0, 0.1, None)) is None
    assert watch.is_open("a")
    assert not watch.is_open("b")
    assert watch.observe("a", signal(1, 0.9, 0)) is None


# Bounded by the time that really passed -------------------------------------------------

FAR_FUTURE = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)


def test_an_event_dated_far_ahead_of_the_present_is_tallied_not_counted_into_the_future() -> None:
    counter = BucketCounter(widths=(MINUTE, FIVE))
    counter.close_until(NOON)
    assert counter.add([WORKSPACE], FAR_FUTURE) == []
    assert counter.add([WORKSPACE], NOON + timedelta(days=365)) == []
    assert counter.early_events == 2
    counter.add([WORKSPACE], NOON + timedelta(seconds=30))
    closed = counter.close_until(NOON + MINUTE)
    assert [(s.width, s.signal.at, s.signal.observed) for s in closed] == [(MINUTE, NOON, 1)]


def test_a_few_minutes_ahead_of_the_present_still_counts() -> None:
    counter = BucketCounter(widths=(MINUTE,))
    counter.close_until(NOON)
    counter.add([WORKSPACE], NOON + timedelta(minutes=6))
    assert counter.early_events == 0
    closed = counter.close_until(NOON + 7 * MINUTE)
    assert [s.signal.observed for s in closed][-1] == 1


def test_the_present_may_come_with_the_event() -> None:
    counter = BucketCounter(widths=(MINUTE,))
    assert counter.add([WORKSPACE], FAR_FUTURE, now=NOON) == []
    assert (counter.early_events, counter.present) == (1, NOON)


def test_a_far_future_event_before_any_present_is_known_returns_at_once_and_heals() -> None:
    counter = BucketCounter(widths=(MINUTE,))
    counter.add([WORKSPACE], NOON)
    scored = counter.add([WORKSPACE], FAR_FUTURE)
    assert len(scored) <= 1 + 15, "the open bucket, then at most the catch-up"
    assert counter.skipped_buckets > 1_000_000
    counter.close_until(NOON + MINUTE)  # the series is back in the present
    assert counter.restarted_series == 1
    counter.add([WORKSPACE], NOON + timedelta(minutes=1, seconds=10))
    closed = counter.close_until(NOON + 2 * MINUTE)
    assert [(s.signal.at, s.signal.observed) for s in closed] == [(NOON + MINUTE, 1)]


def test_a_long_real_gap_scores_the_open_bucket_and_a_bounded_catch_up_per_series() -> None:
    counter = BucketCounter(widths=(MINUTE, FIVE))
    keys = [SeriesKey(1, "region", str(n)) for n in range(20)]
    counter.add(keys, NOON)
    closed = counter.close_until(NOON + timedelta(days=1))  # the process slept a day
    per_series: dict[tuple[SeriesKey, timedelta], list[Signal]] = {}
    for s in closed:
        per_series.setdefault((s.key, s.width), []).append(s.signal)
    assert len(per_series) == 40
    for (_, width), signals in per_series.items():
        assert len(signals) == 1 + 15 * MINUTE // width
        assert signals[0].at == NOON
        assert signals[0].observed == 1
        assert signals[-1].at == NOON + timedelta(days=1) - width
    # The skipped stretch is a gap to the detector, which goes on from there.
    counter.add([keys[0]], NOON + timedelta(days=1, seconds=5))
    after = counter.close_until(NOON + timedelta(days=1) + MINUTE)
    assert [s.signal.observed for s in after if s.key == keys[0] and s.width == MINUTE] == [1]


def test_without_a_catch_up_bound_every_bucket_is_scored() -> None:
    counter = BucketCounter(widths=(MINUTE,), catch_up=None)
    counter.add([WORKSPACE], NOON)
    assert len(counter.close_until(NOON + timedelta(hours=3))) == 180


Operation = tuple[str, int]


operations = st.lists(
    st.one_of(
        st.tuples(st.just("tick"), st.integers(1, 3)),  # minutes forward, then close
        st.tuples(st.just("sleep"), st.integers(20, 3000)),  # minutes forward, no close
        st.tuples(st.just("event"), st.integers(-3, 4)),  # minutes from the present
        st.tuples(st.just("forged"), st.integers(1, 3)),  # a date far ahead
    ),
    max_size=60,
)


def _run(ops: list[Operation]) -> list[tuple[str, timedelta, datetime, float, float]]:
    counter = BucketCounter(widths=(MINUTE, FIVE))
    present = NOON
    counter.close_until(present)
    emitted: list[SeriesSignal] = []
    for kind, amount in ops:
        if kind in ("tick", "sleep"):
            present += amount * MINUTE
            if kind == "tick":
                emitted.extend(counter.close_until(present))
        elif kind == "event":
            emitted.extend(counter.add([WORKSPACE], present + amount * MINUTE))
        else:
            emitted.extend(counter.add([WORKSPACE], FAR_FUTURE - amount * MINUTE))
    return [(s.key.kind, s.width, s.signal.at, s.signal.observed, s.signal.score) for s in emitted]


@settings(max_examples=60, deadline=None)
@given(ops=operations, cut=st.integers(0, 60))
def test_the_counter_is_online_what_comes_later_never_changes_what_was_scored(
    ops: list[Operation], cut: int
) -> None:
    whole = _run(ops)
    prefix = _run(ops[:cut])
    assert whole[: len(prefix)] == prefix
    assert all(at.year < 9999 for _, _, at, _, _ in whole), "nothing scored in a forged future"


def test_a_slice_first_seen_in_a_watched_workspace_can_burst_at_once() -> None:
    counter = BucketCounter(widths=(MINUTE,))
    start = NOON - timedelta(days=2)
    for n in range(2 * 24 * 3):  # the workspace, watched for two days: a complaint in 20 min
        counter.add([WORKSPACE], start + n * timedelta(minutes=20))
    lyon = SeriesKey(7, "region", "Lyon")
    lone = SeriesKey(7, "region", "Grenoble")
    for second in range(0, 60, 10):
        counter.add([WORKSPACE, lyon], NOON + timedelta(seconds=second))
    counter.add([WORKSPACE, lone], NOON + timedelta(seconds=30))
    closed = {s.key: s.signal for s in counter.close_until(NOON + MINUTE) if s.signal.at == NOON}
    assert closed[lyon].score > 0.5, "six complaints naming a place nobody named before"
    assert closed[lone].score < 0.25, "one complaint naming a new place is no burst"
