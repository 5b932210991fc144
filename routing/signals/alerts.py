"""Alerts from scores: where a series crosses the threshold, and where it is normal again.

Incidents consume these: an alert opens on the first bucket whose score reaches the threshold
and closes on the first bucket at which the detector calls the series normal again (its
`abnormal_since` cleared), so a long outage is one alert however its score fades.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from routing.signals.detector import Signal

DEFAULT_THRESHOLD = 0.5


class CrossingKind(StrEnum):
    OPENED = "opened"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Crossing:
    """An alert opened (`since` is when the series turned abnormal) or closed."""

    kind: CrossingKind
    key: Hashable
    at: datetime
    since: datetime
    signal: Signal


@dataclass(slots=True)
class AlertWatch:
    """Remembers which series have an open alert: memory grows only with open alerts."""

    threshold: float = DEFAULT_THRESHOLD
    _open: dict[Hashable, datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError("the threshold is a score in (0, 1]")

    def is_open(self, key: Hashable) -> bool:
        return key in self._open

    def observe(self, key: Hashable, signal: Signal) -> Crossing | None:
        since = self._open.get(key)
        if since is None:
            if signal.score >= self.threshold:
                since = signal.abnormal_since or signal.at
                self._open[key] = since
                return Crossing(CrossingKind.OPENED, key, signal.at, since, signal)
            return None
        if signal.abnormal_since is None and signal.score < self.threshold:
            del self._open[key]
            return Crossing(CrossingKind.CLOSED, key, signal.at, since, signal)
        return None

    def forget(self, key: Hashable) -> None:
        """Drop a series' open alert without a crossing (the series was evicted)."""
        self._open.pop(key, None)


def crossings(
    signals: Iterable[Signal], threshold: float = DEFAULT_THRESHOLD, key: Hashable = None
) -> Iterator[Crossing]:
    """The openings and closings along one series' signals, in order."""
    watch = AlertWatch(threshold)
    for signal in signals:
        crossing = watch.observe(key, signal)
        if crossing is not None:
            yield crossing
