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
