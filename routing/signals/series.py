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

    Time comes only from the caller: `add` takes the event's instant (and may take the
    present), `close_until` the present. A bucket closes when its end has passed; the buckets a
    series saw no event in close with zero. An event for a bucket already closed is not
    counted but tallied in `late_events`. Time-zone-aware datetimes only.

    The work is bounded by the time that really passed, never by an instant in a payload:
    - an event further than `horizon` ahead of the present (the latest `now` the caller gave)
      is not counted into the future: it is tallied in `early_events`;
    - after a gap in which nothing was closed (a process asleep, a series quiet while no
      timer ran), at most `catch_up` of it is scored bucket by bucket: the bucket that was
      open is scored with what it holds, the older empty buckets of the gap are skipped
      (`skipped_buckets`), as the detector takes any gap in its series: the past fades with
      the time elapsed. `catch_up=None` scores every bucket (replaying a bounded history);
    - a series pushed ahead of the present before any present was known is started afresh
      at the next `close_until` (`restarted_series`).
    """

    widths: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=5))
    max_series: int = 10_000
    settings: DetectorSettings = field(default_factory=DetectorSettings)
    # More than clock drift between a network and us (ingestion believes five minutes ahead),
    # plus a timer tick that lags a little behind the present.
    horizon: timedelta = timedelta(minutes=15)
    # The detector's shortest stretch: enough empty buckets for its short-range evidence to
    # settle after a gap; longer stretches fade with the elapsed time anyway.
    catch_up: timedelta | None = timedelta(minutes=15)
    late_events: int = 0
    early_events: int = 0
    skipped_buckets: int = 0
    restarted_series: int = 0
    evicted: int = 0
    _present: datetime | None = None
    _series: OrderedDict[tuple[SeriesKey, timedelta], _Series] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        if not self.widths or any(w <= timedelta(0) for w in self.widths):
            raise ValueError("bucket widths must be positive")
        if self.max_series < 1:
            raise ValueError("max_series must be at least 1")
        if self.horizon < timedelta(0):
            raise ValueError("the horizon cannot be negative")

    def __len__(self) -> int:
        return len(self._series)

    @property
    def present(self) -> datetime | None:
        """The latest present the caller has given, if any."""
        return self._present

    def add(
        self,
        keys: Iterable[SeriesKey],
        at: datetime,
        count: float = 1.0,
        *,
        now: datetime | None = None,
    ) -> list[SeriesSignal]:
        """Count an event in each of its series; answer the buckets it showed to be over."""
        _require_aware(at)
        self._advance(now)
        if self._present is not None and at > self._present + self.horizon:
            self.early_events += 1
            return []
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
        self._advance(now)
        closed: list[SeriesSignal] = []
        for (key, width), series in list(self._series.items()):
            until = bucket_start(now, width)
            if series.open_bucket > until + self.horizon:
                series = self._restart(key, width, until)
            closed.extend(self._close(key, width, series, until))
        return closed

    def _advance(self, now: datetime | None) -> None:
        if now is None:
            return
        _require_aware(now)
        if self._present is None or now > self._present:
            self._present = now

    def _new_series(self, width: timedelta, start: datetime) -> _Series:
        baseline = replace(self.settings.baseline, bucket=width)
        return _Series(SignalDetector(replace(self.settings, baseline=baseline)), start)

    def _touch(self, key: SeriesKey, width: timedelta, start: datetime) -> _Series:
        series = self._series.get((key, width))
        if series is None:
            while len(self._series) >= self.max_series:
                self._series.popitem(last=False)
                self.evicted += 1
            series = self._series[(key, width)] = self._new_series(width, start)
            workspace = self._series.get((SeriesKey(key.workspace_id), width))
            if key.kind != WHOLE_WORKSPACE and workspace is not None:
                # A slice is counted from its first complaint on, but it was watched, empty,
                # for as long as its workspace: a place no one named before can burst at once.
                series.detector.assume_empty_since(workspace.detector.first or start)
        else:
            self._series.move_to_end((key, width))
        return series

    def _restart(self, key: SeriesKey, width: timedelta, start: datetime) -> _Series:
        """An event dated far ahead, counted while no present was known, took the series
        there (its detector has scored buckets in that future): it starts again from now."""
        series = self._series[(key, width)] = self._new_series(width, start)
        self.restarted_series += 1
        return series

    def _close(
        self, key: SeriesKey, width: timedelta, series: _Series, until: datetime
    ) -> list[SeriesSignal]:
        """Score the buckets of the series that start before `until` (see `catch_up`)."""
        closed: list[SeriesSignal] = []
        if series.open_bucket >= until:
            return closed
        if self.catch_up is not None:
            scored = max(1, self.catch_up // width)
            gap = (until - series.open_bucket) // width - 1  # empty buckets after the open one
            if gap > scored:
                closed.append(self._score(key, width, series))
                series.open_bucket = until - scored * width
                self.skipped_buckets += gap - scored
        while series.open_bucket < until:
            closed.append(self._score(key, width, series))
        return closed

    @staticmethod
    def _score(key: SeriesKey, width: timedelta, series: _Series) -> SeriesSignal:
        signal = series.detector.update(series.open_bucket, series.count)
        series.open_bucket += width
        series.count = 0.0
        return SeriesSignal(key, width, signal)


def bucket_start(at: datetime, width: timedelta) -> datetime:
    """The start of the bucket of `width` holding `at` (aligned on a Monday 00:00 UTC)."""
    return at - (at - _EPOCH) % width


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError(f"{at.isoformat()} has no time zone")
