"""The count a bucket is expected to hold, learned online from the series' own past.

Three levels of seasonal profile, each shrunk towards the one above it while it has seen
little: the whole series (recent days), the hour of the day, the hour of the week. A profile
slot that has seen one day's worth of its hour weighs as much as its parent. The profile is
then scaled by the recent level (the last day's counts against what the profile expected),
so that a series that grows or a busy day does not look anomalous hour after hour.

Memory is fixed: 1 + 24 + 168 decayed means and two decayed sums per series.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from routing.signals.decay import DecayedMean, DecayedSums

HOURS_PER_DAY = 24
HOURS_PER_WEEK = 7 * HOURS_PER_DAY


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
        prior = self.settings.buckets_per_hour * profile
        ratio = (self.level.observed + prior) / (self.level.expected + prior) if prior > 0 else 1.0
        return profile * ratio

    def learn(self, at: datetime, value: float) -> None:
        """Take in a bucket (already clipped by the caller if it was anomalous)."""
        profile = self.profile(at)
        local = self._local(at)
        self.overall.add(at, value)
        self.daily[local.hour].add(at, value)
        self.weekly[local.weekday() * HOURS_PER_DAY + local.hour].add(at, value)
        self.level.add(at, value, profile)

    def _local(self, at: datetime) -> datetime:
        zone = self.settings.timezone
        return at.astimezone(zone) if zone is not None and at.tzinfo is not None else at


def _shrunk(mean: float, weight: float, parent: float, prior_weight: float) -> float:
    return (mean * weight + parent * prior_weight) / (weight + prior_weight)
