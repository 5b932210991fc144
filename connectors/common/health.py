"""Health of one polled channel (an account's mentions or notifications, an X search query).

Everything here is pure: the poller records each outcome with `on_success` / `on_error`, then
asks `evaluate` whether the channel is degraded; "now" is always a parameter.

When a channel is degraded
--------------------------
The first rule that holds gives the reason:

1. Failures: `failure_threshold` (5) polls failed in a row.
2. Staleness: no successful poll for `stale_after` (15 min) since the last one. A channel that
   never succeeded is covered by rule 1 only. Callers that slow polling down (read budget)
   should raise `stale_after` to a few of their poll delays.
3. Gap: no new post for far longer than usual. `activity` is an exponentially weighted mean of
   the gap between posts, each post weighing `ACTIVITY_SMOOTHING`; it applies once it rests on
   `min_samples` (20) posts, so a quiet account never triggers a gap. The silence since the
   newest post must exceed both `factor` (6) mean gaps and `min_gap` (30 min): an account
   that usually gets a mention every 4 min is flagged after 30 min of silence, one that gets a
   mention every hour after 6 h.

Events fire on transitions only: "channel_degraded" once when a rule starts to hold,
"channel_recovered" once when none holds any more. While degraded, the reason follows the
current rule without a new event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# The weight of each new post in the mean gap: recent traffic counts most, yet one burst or
# one lull moves the estimate only a little.
ACTIVITY_SMOOTHING = 0.1
ERROR_MAX_CHARS = 300


class ChannelHealth(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    last_success_at: AwareDatetime | None = None
    last_error_at: AwareDatetime | None = None
    last_error: str | None = None
    # The newest post seen (its creation time).
    last_item_at: AwareDatetime | None = None
    consecutive_failures: int = Field(default=0, ge=0)
    # Mean gap between posts in seconds, exponentially weighted; None until a gap was measured.
    activity: float | None = Field(default=None, ge=0)
    # How many posts the activity estimate rests on.
    activity_samples: int = Field(default=0, ge=0)
    degraded: bool = False
    degraded_reason: str | None = None


class GapPolicy(BaseModel):
    """Thresholds of `evaluate` (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    min_samples: int = Field(default=20, ge=1)
    factor: float = Field(default=6.0, ge=1)
    min_gap: timedelta = timedelta(minutes=30)
    failure_threshold: int = Field(default=5, ge=1)
    stale_after: timedelta = timedelta(minutes=15)
    # What the channel carries, for the reasons: "no new mention for 2 h".
    item_name: str = "mention"


class HealthEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["channel_degraded", "channel_recovered"]
    reason: str
    at: AwareDatetime


def on_success(
    health: ChannelHealth, now: datetime, newest_item_at: datetime | None, items: int
) -> ChannelHealth:
    """Record a successful poll that returned `items` new posts, the newest at `newest_item_at`."""
    _require_aware(now)
    if items < 0:
        raise ValueError("items cannot be negative")
    update: dict[str, object] = {"last_success_at": now, "consecutive_failures": 0}
    if items > 0 and newest_item_at is not None:
        _require_aware(newest_item_at)
        update |= _with_new_items(health, newest_item_at, items)
    return health.model_copy(update=update)


def _with_new_items(
    health: ChannelHealth, newest_item_at: datetime, items: int
) -> dict[str, object]:
    previous = health.last_item_at
    if previous is None:
        # The first posts seen: nothing to measure a gap from yet.
        return {"last_item_at": newest_item_at}
    if newest_item_at <= previous:
        # Late or replayed posts say nothing about the current pace.
        return {}
    # The `items` posts arrived since the previous newest one: that many gaps of equal length.
    gap = (newest_item_at - previous).total_seconds() / items
    return {
        "last_item_at": newest_item_at,
        "activity": _smoothed(health.activity, gap, items),
        "activity_samples": health.activity_samples + items,
    }


def _smoothed(mean: float | None, gap: float, samples: int) -> float:
    """The mean after `samples` observations of `gap`, each weighing ACTIVITY_SMOOTHING."""
    if mean is None:
        return gap
    return gap + (1 - ACTIVITY_SMOOTHING) ** samples * (mean - gap)


def on_error(health: ChannelHealth, now: datetime, error: str) -> ChannelHealth:
    """Record a failed poll. `error` must already be free of secrets; it is kept truncated."""
    _require_aware(now)
    return health.model_copy(
        update={
            "last_error_at": now,
            "last_error": _truncated(error.strip() or "unknown error"),
            "consecutive_failures": health.consecutive_failures + 1,
        }
    )


def _truncated(text: str) -> str:
    if len(text) <= ERROR_MAX_CHARS:
        return text
    return text[: ERROR_MAX_CHARS - 1] + "…"


def evaluate(
    health: ChannelHealth, now: datetime, policy: GapPolicy
) -> tuple[ChannelHealth, list[HealthEvent]]:
    """The health with `degraded` brought up to date, and the event of the change if any."""
    _require_aware(now)
    problem = _current_problem(health, now, policy)
    if problem is None:
        if not health.degraded:
            return health, []
        recovered = health.model_copy(update={"degraded": False, "degraded_reason": None})
        reason = f"healthy again (was: {health.degraded_reason})"
        return recovered, [HealthEvent(kind="channel_recovered", reason=reason, at=now)]
    degraded = health.model_copy(update={"degraded": True, "degraded_reason": problem})
    if health.degraded:
        return degraded, []
    return degraded, [HealthEvent(kind="channel_degraded", reason=problem, at=now)]


def lag(health: ChannelHealth, now: datetime) -> float | None:
    """Seconds since the last successful poll; None if there was none."""
    _require_aware(now)
    if health.last_success_at is None:
        return None
    return max((now - health.last_success_at).total_seconds(), 0.0)


def _current_problem(health: ChannelHealth, now: datetime, policy: GapPolicy) -> str | None:
    return (
        _failures_problem(health, policy)
        or _staleness_problem(health, now, policy)
        or _gap_problem(health, now, policy)
    )


def _failures_problem(health: ChannelHealth, policy: GapPolicy) -> str | None:
    if health.consecutive_failures < policy.failure_threshold:
        return None
    return f"{health.consecutive_failures} polls failed in a row: {health.last_error}"


def _staleness_problem(health: ChannelHealth, now: datetime, policy: GapPolicy) -> str | None:
    if health.last_success_at is None:
        return None
    since_success = now - health.last_success_at
    if since_success <= policy.stale_after:
        return None
    problem = f"no successful poll for {describe_duration(since_success.total_seconds())}"
    failed_since = (
        health.last_error_at is not None and health.last_error_at > health.last_success_at
    )
    return f"{problem}; last error: {health.last_error}" if failed_since else problem


def _gap_problem(health: ChannelHealth, now: datetime, policy: GapPolicy) -> str | None:
    usual_gap = health.activity
    if usual_gap is None or health.last_item_at is None:
        return None
    if health.activity_samples < policy.min_samples:
        return None
    silence = (now - health.last_item_at).total_seconds()
    allowed = max(policy.factor * usual_gap, policy.min_gap.total_seconds())
    if silence <= allowed:
        return None
    return (
        f"no new {policy.item_name} for {describe_duration(silence)};"
        f" this account usually gets one every {describe_duration(usual_gap)}"
    )


def describe_duration(seconds: float) -> str:
    """A duration in words for people: "45 s", "4 min", "2 h 10 min", "3 d 5 h"."""
    if seconds < 59.5:
        return f"{max(round(seconds), 0)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("datetimes must be aware")
