"""The count a bucket is expected to hold, learned online from the series' own past.

Three levels of seasonal profile, each shrunk towards the one above it while it has seen
little: the whole series (recent days), the hour of the day, the hour of the week. A profile
slot that has seen one day's worth of its hour weighs as much as its parent. The profile is
then scaled by the recent level (the last day's counts against what the profile expected),
so that a series that grows or a busy day does not look anomalous hour after hour.

Memory is fixed: 1 + 24 + 168 decayed means and two decayed sums per series.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from routing.signals.decay import DecayedMean, DecayedSums

HOURS_PER_DAY = 24
HOURS_PER_WEEK = 7 * HOURS_PER_DAY
MIN_LEVEL_PRIOR = 1.0  # events


@dataclass(frozen=True, slots=True)
class BaselineSettings:
    bucket: timedelta = timedelta(minutes=5)
    overall_memory: timedelta = timedelta(days=1)
    daily_memory: timedelta = timedelta(days=7)
    weekly_memory: timedelta = timedelta(days=28)
    level_memory: timedelta = timedelta(hours=12)
    timezone: tzinfo | None = None  # for aware timestamps: whose hours of the day count

    @property
    def buckets_per_hour(self) -> float:
        return timedelta(hours=1) / self.bucket


@dataclass(slots=True)
class SeasonalBaseline:
    settings: BaselineSettings
    overall: DecayedMean = field(init=False)
    daily: list[DecayedMean] = field(init=False)
    weekly: list[DecayedMean] = field(init=False)
    level: DecayedSums = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.overall = DecayedMean(s.overall_memory)
        self.daily = [DecayedMean(s.daily_memory) for _ in range(HOURS_PER_DAY)]
        self.weekly = [DecayedMean(s.weekly_memory) for _ in range(HOURS_PER_WEEK)]
        self.level = DecayedSums(s.level_memory)

    def profile(self, at: datetime) -> float:
        """The seasonal expectation for a bucket at `at`, before the recent level."""
        local = self._local(at)
        prior = self.settings.buckets_per_hour
        estimate = self.overall.mean
        day = self.daily[local.hour]
        estimate = _shrunk(day.mean, day.weight_at(at), estimate, prior)
        week = self.weekly[local.weekday() * HOURS_PER_DAY + local.hour]
        return _shrunk(week.mean, week.weight_at(at), estimate, prior)

    def expected(self, at: datetime) -> float:
        profile = self.profile(at)
        # The recent level weighs against an hour of the profile, and at least one event: in
        # a slice that sees a complaint a week, one complaint is no new level.
        prior = max(self.settings.buckets_per_hour * profile, MIN_LEVEL_PRIOR)
        ratio = (self.level.observed + prior) / (self.level.expected + prior)
        return profile * ratio

    def learn(self, at: datetime, value: float) -> None:
        """Take in a bucket (already clipped by the caller if it was anomalous)."""
        profile = self.profile(at)
        local = self._local(at)
        self.overall.add(at, value)
        self.daily[local.hour].add(at, value)
        self.weekly[local.weekday() * HOURS_PER_DAY + local.hour].add(at, value)
        self.level.add(at, value, profile)

    def assume_empty(self, since: datetime, until: datetime) -> None:
        """Take in, at once, that every bucket from `since` to `until` held nothing: each
        mean gets the weight that many empty buckets would have left it, at zero (a slice of
        complaints counted from its first one on, whose earlier silence was watched)."""
        bucket = self.settings.bucket
        if until - since < bucket:
            return
        every = _ZeroRuns(since, until, bucket)
        _seed(self.overall, every.weight(self.settings.overall_memory), until)
        week = timedelta(days=7)
        for hour, mean in enumerate(self.daily):
            _seed(mean, *every.slot(hour * _HOUR, _DAY, self.settings.daily_memory, self._local))
        for slot, mean in enumerate(self.weekly):
            offset = slot * _HOUR
            _seed(mean, *every.slot(offset, week, self.settings.weekly_memory, self._local))

    def _local(self, at: datetime) -> datetime:
        zone = self.settings.timezone
        return at.astimezone(zone) if zone is not None and at.tzinfo is not None else at


def _shrunk(mean: float, weight: float, parent: float, prior_weight: float) -> float:
    return (mean * weight + parent * prior_weight) / (weight + prior_weight)


_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


def _seed(mean: DecayedMean, weight: float, last: datetime | None) -> None:
    if weight > 0 and last is not None:
        mean.weight, mean.mean, mean.last = weight, 0.0, last


@dataclass(frozen=True, slots=True)
class _ZeroRuns:
    """Empty buckets from `since` to `until`: the weights they leave on decayed means."""

    since: datetime
    until: datetime
    bucket: timedelta

    def weight(self, memory: timedelta) -> float:
        """Of a mean fed every bucket: sum of exp(-k * bucket / memory) over the buckets."""
        count = (self.until - self.since) // self.bucket
        step = math.exp(-self.bucket / memory)
        return (1.0 - step**count) / (1.0 - step)

    def slot(
        self,
        offset: timedelta,
        period: timedelta,
        memory: timedelta,
        local: Callable[[datetime], datetime],
    ) -> tuple[float, datetime | None]:
        """Of a mean fed the buckets of one hour of each `period` (an hour of the day, of the
        week), `offset` into the period: its weight and the end of its latest such hour."""
        now = local(self.until)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        period_start = midnight - timedelta(days=now.weekday()) if period > _DAY else midnight
        latest_end = period_start + offset + _HOUR
        while latest_end > now:
            latest_end -= period
        watched = latest_end - _HOUR - local(self.since)
        if watched < timedelta(0):
            return 0.0, None
        occurrences = watched // period + 1
        step = math.exp(-period / memory)
        weight = (_HOUR / self.bucket) * (1.0 - step**occurrences) / (1.0 - step)
        return weight, latest_end
