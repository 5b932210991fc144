"""Complaint counts per series in fixed buckets, closed as the caller's clock passes them.

A series is a workspace's whole complaint volume or one slice of it (a topic, a keyword group,
a region), counted at one bucket width. Each series has its own detector; the number of
series is bounded, the least recently active one being forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from routing.signals.detector import DetectorSettings, Signal, SignalDetector

WHOLE_WORKSPACE = "all"
_EPOCH = datetime(1970, 1, 5, tzinfo=UTC)  # a Monday: buckets of a day or a week align too


@dataclass(frozen=True, slots=True, order=True)
class SeriesKey:
    """What is counted: `kind` is "all", "topic", "keywords" or "region"; `value` names it."""

    workspace_id: int
    kind: str = WHOLE_WORKSPACE
    value: str = ""


def complaint_keys(
    workspace_id: int,
    topics: Iterable[str] = (),
    keyword_groups: Iterable[str] = (),
    regions: Iterable[str] = (),
) -> list[SeriesKey]:
    """Every series one complaint counts in: its workspace's, and one per slice it falls in."""
    keys = [SeriesKey(workspace_id)]
    for kind, values in (("topic", topics), ("keywords", keyword_groups), ("region", regions)):
        keys.extend(SeriesKey(workspace_id, kind, value) for value in dict.fromkeys(values))
    return keys


@dataclass(frozen=True, slots=True)
class SeriesSignal:
    key: SeriesKey
    width: timedelta
    signal: Signal


@dataclass(slots=True)
class _Series:
    detector: SignalDetector
    open_bucket: datetime  # start of the bucket being counted
    count: float = 0.0


@dataclass(slots=True)
class BucketCounter:
    """Counts events per (series, width) and scores each bucket once it has closed.

    Time comes only from the caller: `add` takes the event's instant, `close_until` the
    present. A bucket closes when its end has passed; the buckets a series saw no event in
    close with zero. An event for a bucket already closed is not counted but tallied in
    `late_events`. Time-zone-aware datetimes only.
    """

    widths: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=5))
    max_series: int = 10_000
    settings: DetectorSettings = field(default_factory=DetectorSettings)
    late_events: int = 0
    evicted: int = 0
    _series: OrderedDict[tuple[SeriesKey, timedelta], _Series] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        if not self.widths or any(w <= timedelta(0) for w in self.widths):
            raise ValueError("bucket widths must be positive")
        if self.max_series < 1:
            raise ValueError("max_series must be at least 1")

    def __len__(self) -> int:
        return len(self._series)

    def add(
        self, keys: Iterable[SeriesKey], at: datetime, count: float = 1.0
    ) -> list[SeriesSignal]:
        """Count an event in each of its series; answer the buckets it showed to be over."""
        _require_aware(at)
        closed: list[SeriesSignal] = []
        for key in keys:
            for width in self.widths:
                start = bucket_start(at, width)
                series = self._touch(key, width, start)
                if start < series.open_bucket:
                    self.late_events += 1
                    continue
                closed.extend(self._close(key, width, series, start))
                series.count += count
        return closed

    def close_until(self, now: datetime) -> list[SeriesSignal]:
        """Close, in every series, each bucket that ended at or before `now`."""
        _require_aware(now)
        closed: list[SeriesSignal] = []
        for (key, width), series in self._series.items():
            closed.extend(self._close(key, width, series, bucket_start(now, width)))
        return closed

    def _touch(self, key: SeriesKey, width: timedelta, start: datetime) -> _Series:
        series = self._series.get((key, width))
        if series is None:
            while len(self._series) >= self.max_series:
                self._series.popitem(last=False)
                self.evicted += 1
            baseline = replace(self.settings.baseline, bucket=width)
            detector = SignalDetector(replace(self.settings, baseline=baseline))
            series = _Series(detector, start)
            self._series[(key, width)] = series
        else:
            self._series.move_to_end((key, width))
        return series

    def _close(
        self, key: SeriesKey, width: timedelta, series: _Series, until: datetime
    ) -> list[SeriesSignal]:
        """Score every bucket of the series that starts before `until`."""
        closed = []
        while series.open_bucket < until:
            signal = series.detector.update(series.open_bucket, series.count)
            closed.append(SeriesSignal(key, width, signal))
            series.open_bucket += width
            series.count = 0.0
        return closed


def bucket_start(at: datetime, width: timedelta) -> datetime:
    """The start of the bucket of `width` holding `at` (aligned on a Monday 00:00 UTC)."""
    return at - (at - _EPOCH) % width


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError(f"{at.isoformat()} has no time zone")
