"""Health of a polled X channel: failures, staleness and unusual silences, reported once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.common.health import (
    ChannelHealth,
    GapPolicy,
    HealthEvent,
    describe_duration,
    evaluate,
    lag,
    on_error,
    on_success,
)

T0 = datetime(2024, 6, 10, 9, 0, tzinfo=UTC)
POLICY = GapPolicy()
MINUTE = timedelta(minutes=1)


def busy_account(posts: int = 25, every: timedelta = 4 * MINUTE) -> tuple[ChannelHealth, datetime]:
    """A channel that saw one post per poll, `every` apart; returns it and the last post time."""
    health = ChannelHealth()
    at = T0
    for _ in range(posts + 1):
        health = on_success(health, at, newest_item_at=at, items=1)
        at += every
    return health, at - every


def polled_quietly(health: ChannelHealth, start: datetime, end: datetime) -> ChannelHealth:
    """Successful polls every minute from `start` to `end` that return nothing."""
    at = start
    while at <= end:
        health = on_success(health, at, newest_item_at=None, items=0)
        at += MINUTE
    return health


def failed(
    health: ChannelHealth, times: int, at: datetime, error: str = "HTTP 503"
) -> ChannelHealth:
    for _ in range(times):
        health = on_error(health, at, error)
    return health


def test_a_success_records_the_time_and_clears_the_failure_streak() -> None:
    health = on_success(failed(ChannelHealth(), 3, T0), T0 + MINUTE, None, 0)
    assert health.last_success_at == T0 + MINUTE
    assert health.consecutive_failures == 0
    assert health.last_error == "HTTP 503"


def test_an_error_is_counted_and_kept_truncated() -> None:
    health = on_error(on_error(ChannelHealth(), T0, "timeout"), T0 + MINUTE, "x" * 1000)
    assert health.consecutive_failures == 2
    assert health.last_error_at == T0 + MINUTE
    assert health.last_error is not None
    assert len(health.last_error) == 300
    assert on_error(ChannelHealth(), T0, "  ").last_error == "unknown error"


def test_activity_is_the_mean_gap_between_posts() -> None:
    health, last_post = busy_account(posts=25, every=4 * MINUTE)
    assert health.activity == pytest.approx(240)
    assert health.activity_samples == 25
    assert health.last_item_at == last_post


def test_several_posts_in_one_poll_share_the_gap() -> None:
    health = on_success(ChannelHealth(), T0, T0, 1)
    health = on_success(health, T0 + 20 * MINUTE, T0 + 20 * MINUTE, items=4)
    assert health.activity == pytest.approx(300)
    assert health.activity_samples == 4


def test_the_first_posts_and_older_posts_do_not_measure_a_gap() -> None:
    health = on_success(ChannelHealth(), T0, T0, items=7)
    assert health.activity is None
    assert health.last_item_at == T0
    older = on_success(health, T0 + MINUTE, T0 - MINUTE, items=2)
    assert older.last_item_at == T0
    assert older.activity is None


def test_failures_in_a_row_degrade_once_and_recover_once() -> None:
    health = failed(ChannelHealth(), 4, T0)
    health, events = evaluate(health, T0, POLICY)
    assert events == []
    health, events = evaluate(on_error(health, T0, "HTTP 503"), T0, POLICY)
    reason = "5 polls failed in a row: HTTP 503"
    assert events == [HealthEvent(kind="channel_degraded", reason=reason, at=T0)]
    assert (health.degraded, health.degraded_reason) == (True, reason)
    health, events = evaluate(on_error(health, T0 + MINUTE, "HTTP 503"), T0 + MINUTE, POLICY)
    assert events == []
    assert health.degraded_reason == "6 polls failed in a row: HTTP 503"
    health, events = evaluate(on_success(health, T0 + 2 * MINUTE, None, 0), T0 + 2 * MINUTE, POLICY)
    assert [event.kind for event in events] == ["channel_recovered"]
    assert events[0].reason == "healthy again (was: 6 polls failed in a row: HTTP 503)"
    assert not health.degraded
    assert health.degraded_reason is None
    assert evaluate(health, T0 + 3 * MINUTE, POLICY)[1] == []


def test_no_success_for_too_long_degrades_with_the_last_error() -> None:
    health = on_error(on_success(ChannelHealth(), T0, None, 0), T0 + MINUTE, "DNS failure")
    assert not evaluate(health, T0 + 15 * MINUTE, POLICY)[0].degraded
    health, events = evaluate(health, T0 + 16 * MINUTE, POLICY)
    assert events[0].reason == "no successful poll for 16 min; last error: DNS failure"


def test_a_poller_that_stopped_without_errors_is_stale_too() -> None:
    health, _ = evaluate(on_success(ChannelHealth(), T0, None, 0), T0 + 2 * 60 * MINUTE, POLICY)
    assert health.degraded_reason == "no successful poll for 2 h"


def test_a_long_silence_on_a_busy_account_is_a_gap() -> None:
    health, last_post = busy_account(posts=25, every=4 * MINUTE)
    silence_end = last_post + timedelta(hours=2, minutes=10)
    health = polled_quietly(health, last_post, silence_end)
    health, events = evaluate(health, silence_end, POLICY)
    assert [event.reason for event in events] == [
        "no new mention for 2 h 10 min; this account usually gets one every 4 min"
    ]


def test_the_gap_is_at_least_min_gap_and_factor_mean_gaps() -> None:
    health, last_post = busy_account(posts=25, every=4 * MINUTE)
    health = polled_quietly(health, last_post, last_post + 31 * MINUTE)
    # 6 x 4 min = 24 min is under the 30 min floor: still fine at 29 min.
    assert not evaluate(health, last_post + 29 * MINUTE, POLICY)[0].degraded
    assert evaluate(health, last_post + 31 * MINUTE, POLICY)[0].degraded
    hourly, last_hourly = busy_account(posts=25, every=60 * MINUTE)
    hourly = polled_quietly(hourly, last_hourly, last_hourly + 5 * 60 * MINUTE)
    assert not evaluate(hourly, last_hourly + 5 * 60 * MINUTE, POLICY)[0].degraded


def test_a_new_post_ends_the_gap() -> None:
    health, last_post = busy_account(posts=25, every=4 * MINUTE)
    later = last_post + 3 * 60 * MINUTE
    health, _ = evaluate(polled_quietly(health, last_post, later), later, POLICY)
    assert health.degraded
    health, events = evaluate(on_success(health, later, later, 1), later, POLICY)
    assert [event.kind for event in events] == ["channel_recovered"]


def test_a_quiet_account_never_has_a_gap() -> None:
    health, last_post = busy_account(posts=POLICY.min_samples - 1, every=4 * MINUTE)
    later = last_post + timedelta(days=3)
    health = on_success(health, later, None, 0)
    assert evaluate(health, later, POLICY) == (health, [])


def test_lag_is_the_time_since_the_last_success() -> None:
    assert lag(ChannelHealth(), T0) is None
    health = on_success(ChannelHealth(), T0, None, 0)
    assert lag(health, T0 + 90 * timedelta(seconds=1)) == 90
    assert lag(health, T0 - MINUTE) == 0


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0, "0 s"), (45, "45 s"), (240, "4 min"), (7800, "2 h 10 min"), (7200, "2 h"),
     (3 * 86400 + 5 * 3600, "3 d 5 h"), (86400, "1 d")],
)  # fmt: skip
def test_durations_in_words(seconds: float, words: str) -> None:
    assert describe_duration(seconds) == words


def test_datetimes_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        on_success(ChannelHealth(), datetime(2024, 1, 1), None, 0)
    with pytest.raises(ValueError, match="aware"):
        on_success(ChannelHealth(), T0, datetime(2024, 1, 1), 1)


# One step of a poller's life: wait, then succeed with some posts, fail, or only evaluate.
steps = st.tuples(
    st.integers(min_value=0, max_value=3 * 3600),
    st.sampled_from(["success", "error", "evaluate"]),
    st.integers(min_value=0, max_value=5),
)


@given(st.lists(steps, max_size=80))
def test_events_alternate_and_fire_only_on_transitions(
    history: list[tuple[int, str, int]],
) -> None:
    health, now = ChannelHealth(), T0
    kinds: list[str] = []
    for wait, action, items in history:
        now += timedelta(seconds=wait)
        if action == "success":
            health = on_success(health, now, now if items else None, items)
        elif action == "error":
            health = on_error(health, now, "HTTP 500")
        was_degraded = health.degraded
        health, events = evaluate(health, now, POLICY)
        assert len(events) <= 1
        assert bool(events) == (health.degraded != was_degraded)
        assert health.degraded == (health.degraded_reason is not None)
        kinds += [event.kind for event in events]
    assert all(first != second for first, second in pairwise(kinds))
    assert kinds[:1] in ([], ["channel_degraded"])
