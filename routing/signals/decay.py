"""Means and sums that forget with wall-clock time, so irregular buckets weigh what they should."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


def retention(elapsed: timedelta, time_constant: timedelta) -> float:
    """The share of an old observation's weight left after `elapsed`: exp(-elapsed / tau)."""
    seconds = elapsed.total_seconds()
    if seconds <= 0:
        return 1.0
    return math.exp(-seconds / time_constant.total_seconds())


@dataclass(slots=True)
class DecayedMean:
    """A weighted mean in which each observation's weight decays with the time since it came.

    `weight` is the effective number of observations behind the mean: 1 after the first, up to
    about tau / (interval between observations) once warm.
    """

    time_constant: timedelta
    weight: float = 0.0
    mean: float = 0.0
    last: datetime | None = None

    def add(self, at: datetime, value: float) -> None:
        self.weight = self.weight_at(at) + 1.0
        self.mean += (value - self.mean) / self.weight
        self.last = at

    def weight_at(self, at: datetime) -> float:
        if self.last is None:
            return 0.0
        return self.weight * retention(at - self.last, self.time_constant)


@dataclass(slots=True)
class DecayedSums:
    """Observed and expected counts summed over a recent stretch, older buckets fading."""

    time_constant: timedelta
    observed: float = 0.0
    expected: float = 0.0
    buckets: float = 0.0
    last: datetime | None = None

    def add(self, at: datetime, observed: float, expected: float) -> None:
        keep = 0.0 if self.last is None else retention(at - self.last, self.time_constant)
        self.observed = self.observed * keep + observed
        self.expected = self.expected * keep + expected
        self.buckets = self.buckets * keep + 1.0
        self.last = at
