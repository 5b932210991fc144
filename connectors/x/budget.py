"""How long the X connector waits before its next poll, so that reads stay within budget.

X bills reads (about $0.005 a post) and API plans cap the posts read per month. Each brand
account is polled on two streams: its mentions timeline and recent-search queries for terms
that do not @mention it. A read is a post returned: a page of 100 posts is 100 reads, an empty
page is no read but still one request against the rate limits.

Everything here is pure: no clock, no I/O; "now" is always a parameter (an aware datetime).

The policy
----------
Headroom. For each capped period (the day and the month, bounded by midnights in the
budget's time zone) the headroom compares what is left with the time left:

    headroom = (remaining reads / cap) / (time left / period length)

1 means the rest of the period may spend reads exactly at the allowance rate (cap / period
length), 2 means at twice that rate, 0.5 at half of it. The tighter period (the lower
headroom) decides; without any cap every stream polls at its base interval.

Slowing down. A stream polls at its base interval while the headroom is at least its
`slow_below` threshold. Under it the interval is multiplied by slow_below / headroom, so the
polling rate falls in proportion to the allowance left: continuous, and never shorter when
usage grows (the delay is non-decreasing in usage). Search's threshold (1.0) is higher than
mentions' (0.5), so search slows down first.

Reserve. Search pauses (skip) when the headroom is under `search_reserve` (0.2): the last part
of the allowance is kept for mentions, the customers who address the brand. The pause is
checked again after the max interval, or at the period's end when that comes sooner. Mentions
keep polling, ever more slowly, until a cap is reached.

Spent. When a cap is reached both streams skip, and the delay is the time left until the
boundary that lifts it (the latest one when the day and the month are both spent).

Quiet accounts. `recent_yield`, the mean posts per request lately, stretches intervals
linearly from 1x at one post per request up to `max_quiet_stretch` (2x) at none, and comes back
to the base as soon as traffic returns. Empty pages cost no reads, only rate-limited requests,
so the stretch is small and bounded.

Every delay is clamped to [min interval, max interval], except a spent budget's wait, which
may be longer than the max interval but is never shorter than the min one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

PRICE_PER_READ = Decimal("0.005")
SECONDS_PER_DAY = 86_400

# A period's end can come before "now" around a DST change at midnight (the first of two
# midnights is taken as the end); the time left is then treated as this instead of zero or less.
_SHORTEST_TIME_LEFT = 1.0


class Stream(StrEnum):
    MENTIONS = "mentions"
    SEARCH = "search"


class ReadBudget(BaseModel):
    """Caps on posts read; None means no cap. Days and months are in `time_zone` (IANA)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reads_per_day: int | None = Field(default=None, ge=0)
    reads_per_month: int | None = Field(default=None, ge=0)
    time_zone: str = "UTC"

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {name!r}") from error
        return name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class ReadUsage(BaseModel):
    """Posts read so far in the day and the month that contain `measured_at`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reads_today: int = Field(ge=0)
    reads_this_month: int = Field(ge=0)
    measured_at: AwareDatetime


class PollingPlan(BaseModel):
    """Base intervals, bounds and thresholds of the adaptive policy (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    mentions_base_seconds: float = Field(default=60.0, gt=0)
    search_base_seconds: float = Field(default=300.0, gt=0)
    min_seconds: float = Field(default=15.0, gt=0)
    max_seconds: float = Field(default=3600.0, gt=0)
    # Headroom under which a stream starts to slow down; search's is higher so it slows first.
    mentions_slow_below: float = Field(default=0.5, gt=0)
    search_slow_below: float = Field(default=1.0, gt=0)
    # Headroom under which search pauses, keeping what is left for mentions.
    search_reserve: float = Field(default=0.2, gt=0)
    max_quiet_stretch: float = Field(default=2.0, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        bases = (self.mentions_base_seconds, self.search_base_seconds)
        if not all(self.min_seconds <= base <= self.max_seconds for base in bases):
            raise ValueError("base intervals must lie between min_seconds and max_seconds")
        if self.search_slow_below < self.mentions_slow_below:
            raise ValueError("search must slow down first: search_slow_below >= mentions'")
        if self.search_reserve >= self.search_slow_below:
            raise ValueError("search_reserve must be under search_slow_below")
        return self

    def base_seconds(self, stream: Stream) -> float:
        if stream is Stream.MENTIONS:
            return self.mentions_base_seconds
        return self.search_base_seconds

    def slow_below(self, stream: Stream) -> float:
        if stream is Stream.MENTIONS:
            return self.mentions_slow_below
        return self.search_slow_below


class PollDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    delay_seconds: float
    # True when the stream must not poll now (budget spent, or search held back for mentions).
    skip: bool
    reason: str


@dataclass(frozen=True, slots=True)
class _Period:
    """One capped period around "now", and where its budget stands."""

    name: Literal["day", "month"]
    start: datetime
    end: datetime
    cap: int
    used: int

    @property
    def spent(self) -> bool:
        return self.used >= self.cap

    @property
    def percent_used(self) -> int:
        # Rounded down, so that 100% appears only once the cap is reached.
        return 100 if self.spent else math.floor(100 * self.used / self.cap)

    def seconds_left(self, now: datetime) -> float:
        return max((self.end - now).total_seconds(), _SHORTEST_TIME_LEFT)

    def headroom(self, now: datetime) -> float:
        """Share of the cap left over share of the period left; 0 when the cap is reached."""
        if self.spent:
            return 0.0
        share_of_cap_left = (self.cap - self.used) / self.cap
        length = (self.end - self.start).total_seconds()
        share_of_time_left = min(self.seconds_left(now) / length, 1.0)
        return share_of_cap_left / share_of_time_left


def next_poll_delay(
    plan: PollingPlan,
    budget: ReadBudget,
    usage: ReadUsage,
    stream: Stream,
    now: datetime,
    *,
    recent_yield: float | None = None,
) -> PollDecision:
    """When to poll `stream` next, and whether to skip it (see the module docstring)."""
    _require_aware(now)
    periods = _capped_periods(budget, usage, now)
    spent = [period for period in periods if period.spent]
    if spent:
        return _wait_for_boundary(plan, budget, stream, spent, now)
    stretch = _quiet_stretch(plan, recent_yield)
    if not periods:
        delay = _clamp(plan, plan.base_seconds(stream) * stretch)
        reason = f"no read cap: {stream} every {delay:.0f} s"
        return PollDecision(delay_seconds=delay, skip=False, reason=reason + _stretch_note(stretch))
    tightest = min(periods, key=lambda period: period.headroom(now))
    headroom = tightest.headroom(now)
    if stream is Stream.SEARCH and headroom < plan.search_reserve:
        return _hold_search_for_mentions(plan, tightest, now)
    slow_below = plan.slow_below(stream)
    slowdown = slow_below / headroom if headroom < slow_below else 1.0
    delay = _clamp(plan, plan.base_seconds(stream) * slowdown * stretch)
    pace = "ahead of pace" if slowdown > 1.0 else "within pace"
    reason = f"{tightest.name} budget {tightest.percent_used}% used, {pace}: {stream} every "
    reason += f"{delay:.0f} s" + _stretch_note(stretch)
    return PollDecision(delay_seconds=delay, skip=False, reason=reason)


def _wait_for_boundary(
    plan: PollingPlan, budget: ReadBudget, stream: Stream, spent: list[_Period], now: datetime
) -> PollDecision:
    last_to_reset = max(spent, key=lambda period: period.end)
    delay = max(last_to_reset.seconds_left(now), plan.min_seconds)
    boundary = last_to_reset.end.astimezone(budget.zone)
    reason = (
        f"{last_to_reset.name} budget spent ({last_to_reset.used} of {last_to_reset.cap} reads):"
        f" {stream} paused until {boundary:%Y-%m-%d %H:%M} {budget.time_zone}"
    )
    return PollDecision(delay_seconds=delay, skip=True, reason=reason)


def _hold_search_for_mentions(plan: PollingPlan, tightest: _Period, now: datetime) -> PollDecision:
    # The headroom can only recover with time or at the period's end: look again then.
    delay = _clamp(plan, min(plan.max_seconds, tightest.seconds_left(now)))
    reason = (
        f"{tightest.name} budget {tightest.percent_used}% used, far ahead of pace: search paused"
        f" so that mentions keep the rest, checking again in {delay:.0f} s"
    )
    return PollDecision(delay_seconds=delay, skip=True, reason=reason)


def _quiet_stretch(plan: PollingPlan, recent_yield: float | None) -> float:
    """1 at one post per request or more, up to max_quiet_stretch when polls bring nothing."""
    if recent_yield is None or math.isnan(recent_yield):
        return 1.0
    emptiness = 1.0 - min(max(recent_yield, 0.0), 1.0)
    return 1.0 + (plan.max_quiet_stretch - 1.0) * emptiness


def _stretch_note(stretch: float) -> str:
    return f" (stretched x{stretch:.1f}: polls come back nearly empty)" if stretch > 1.0 else ""


def _clamp(plan: PollingPlan, seconds: float) -> float:
    return min(max(seconds, plan.min_seconds), plan.max_seconds)


def _capped_periods(budget: ReadBudget, usage: ReadUsage, now: datetime) -> list[_Period]:
    zone = budget.zone
    periods: list[_Period] = []
    if budget.reads_per_day is not None:
        start, end = _day_bounds(now, zone)
        used = usage.reads_today if _within(usage.measured_at, start, end) else 0
        periods.append(_Period("day", start, end, budget.reads_per_day, used))
    if budget.reads_per_month is not None:
        start, end = _month_bounds(now, zone)
        used = usage.reads_this_month if _within(usage.measured_at, start, end) else 0
        periods.append(_Period("month", start, end, budget.reads_per_month, used))
    return periods


def _within(instant: datetime, start: datetime, end: datetime) -> bool:
    # Counts measured in another day or month than "now" belong to that period, not this one.
    return start <= instant < end


def _day_bounds(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    today = now.astimezone(zone).date()
    return _midnight(today, zone), _midnight(today + timedelta(days=1), zone)


def _month_bounds(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    first = now.astimezone(zone).date().replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return _midnight(first, zone), _midnight(following, zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant `day` starts in `zone`, in UTC, so that subtraction counts real seconds."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def projected_month_end(budget: ReadBudget, usage: ReadUsage, now: datetime) -> int:
    """Reads at the end of the month if the month's pace so far holds (rounded up)."""
    _require_aware(now)
    start, end = _month_bounds(now, budget.zone)
    if not _within(usage.measured_at, start, end):
        return 0
    elapsed_share = (now - start).total_seconds() / (end - start).total_seconds()
    if elapsed_share <= 0:
        return usage.reads_this_month
    return math.ceil(usage.reads_this_month / min(elapsed_share, 1.0))


def remaining(budget: ReadBudget, usage: ReadUsage) -> tuple[int | None, int | None]:
    """Reads left today and this month (never negative); None where there is no cap."""
    day_left = _left(budget.reads_per_day, usage.reads_today)
    month_left = _left(budget.reads_per_month, usage.reads_this_month)
    return day_left, month_left


def _left(cap: int | None, used: int) -> int | None:
    return None if cap is None else max(cap - used, 0)


def cost_estimate(reads: int, price_per_read: Decimal = PRICE_PER_READ) -> Decimal:
    """What `reads` posts read cost, in the price's currency (dollars by default)."""
    if reads < 0:
        raise ValueError("reads cannot be negative")
    return reads * price_per_read


def reads_per_day_for_plan(
    plan: PollingPlan, expected_posts_per_poll: float, *, search_queries: int = 1
) -> int:
    """Reads a day when every poll runs at its base interval and returns that many posts.

    One mentions timeline and `search_queries` search queries are polled per account.
    """
    if expected_posts_per_poll < 0 or math.isnan(expected_posts_per_poll):
        raise ValueError("expected_posts_per_poll must be a number >= 0")
    if search_queries < 0:
        raise ValueError("search_queries cannot be negative")
    mentions_polls = SECONDS_PER_DAY / plan.mentions_base_seconds
    search_polls = search_queries * SECONDS_PER_DAY / plan.search_base_seconds
    return math.ceil((mentions_polls + search_polls) * expected_posts_per_poll)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
