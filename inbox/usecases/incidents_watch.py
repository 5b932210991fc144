"""The detector's watch: complaint counts per slice turned into buckets and crossings.

Ingestion, in every process, writes each batch's counts per series and minute to the database
(`series_counts` says which); the one elected detector feeds what it reads there into this
watch. It owns one `BucketCounter` (one detector per workspace, slice and bucket width) and
one `AlertWatch` per workspace (its threshold). No I/O and no clock: instants come in with the
calls, and the timer's instant is the present against which a complaint dated too far ahead is
left uncounted (the counter's `early_events`): nothing a payload claims makes it work through
buckets of a future that has not come.

When a process becomes the detector it relearns from the counts of the last weeks, so a
restart or a new leader does not forget what normal looks like, nor a burst under way.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from inbox.domain.incidents import ComplaintCount
from inbox.ports.incidents import SeriesCount
from routing.signals import (
    AlertWatch,
    BucketCounter,
    Crossing,
    CrossingKind,
    DetectorSettings,
    SeriesKey,
    SeriesSignal,
    Signal,
    bucket_start,
    complaint_keys,
)

# Complaints are stored per minute: every width is a whole number of minutes.
COUNT_BUCKET = timedelta(minutes=1)
WIDTHS = (timedelta(minutes=1), timedelta(minutes=5))
DEFAULT_THRESHOLD = 0.5
# Recent buckets kept per series: the chart of a new incident starts before its onset.
HISTORY = 30
MAX_UNREPORTED = 10_000

WatchKey = tuple[SeriesKey, timedelta]


@dataclass(frozen=True, slots=True)
class Tick:
    """What closing the buckets up to an instant showed."""

    signals: list[SeriesSignal]
    crossings: list[Crossing]


def within_band(signal: Signal) -> bool:
    """A count the baseline could have produced: at most two deviations above what it expected
    (counted as at least one, so that a lone complaint in a quiet slice is not an outage)."""
    return signal.observed <= signal.expected + 2 * math.sqrt(max(signal.expected, 1.0))


def series_name(key: SeriesKey) -> str:
    return f"{key.kind}:{key.value}"


def series_key(workspace_id: int, name: str) -> SeriesKey:
    kind, _, value = name.partition(":")
    return SeriesKey(workspace_id, kind, value)


class ComplaintWatcher:
    def __init__(
        self,
        *,
        widths: tuple[timedelta, ...] = WIDTHS,
        settings: DetectorSettings | None = None,
        max_series: int = 10_000,
    ) -> None:
        self._widths = widths
        self._settings = settings or DetectorSettings()
        self._max_series = max_series
        self._counter = self._new_counter()
        self._thresholds: dict[int, float] = {}
        self._watches: dict[int, AlertWatch] = {}
        self._recent: dict[WatchKey, deque[Signal]] = {}
        # Buckets an event closed before the tick did (and, after relearning, the alerts that
        # opened in the last buckets relearned): the next tick reports them.
        self._unreported: list[SeriesSignal] = []
        self._unreported_crossings: list[Crossing] = []

    @property
    def widths(self) -> tuple[timedelta, ...]:
        return self._widths

    def _new_counter(self) -> BucketCounter:
        return BucketCounter(self._widths, self._max_series, self._settings)

    def set_thresholds(self, thresholds: Mapping[int, float]) -> None:
        """Each workspace's alert threshold; a changed one starts its watch afresh (its open
        incidents then close after their quiet period unless the burst crosses again)."""
        for workspace_id, threshold in thresholds.items():
            if self._thresholds.get(workspace_id) != threshold:
                self._thresholds[workspace_id] = threshold
                self._watches[workspace_id] = AlertWatch(threshold)

    def _watch(self, workspace_id: int) -> AlertWatch:
        watch = self._watches.get(workspace_id)
        if watch is None:
            threshold = self._thresholds.get(workspace_id, DEFAULT_THRESHOLD)
            watch = self._watches[workspace_id] = AlertWatch(threshold)
        return watch

    def add(self, counts: Iterable[SeriesCount]) -> None:
        """Count complaints in their series (buckets they show over are scored at the next
        tick, like every other: the order of closing does not depend on traffic)."""
        for counted in counts:
            closed = self._counter.add((counted.key,), counted.bucket, counted.count)
            self._unreported.extend(closed)
            self._unreported_crossings.extend(self._observe(closed))
        del self._unreported[:-MAX_UNREPORTED]
        del self._unreported_crossings[:-MAX_UNREPORTED]

    def close_until(self, now: datetime) -> Tick:
        signals = self._counter.close_until(now)
        crossings = self._observe(signals)
        self._forget_stale(now)
        tick = Tick(self._unreported + signals, self._unreported_crossings + crossings)
        self._unreported, self._unreported_crossings = [], []
        return tick

    def _observe(self, signals: Iterable[SeriesSignal]) -> list[Crossing]:
        crossings = []
        for closed in signals:
            recent = self._recent.get((closed.key, closed.width))
            if recent is None:
                recent = self._recent[(closed.key, closed.width)] = deque(maxlen=HISTORY)
            recent.append(closed.signal)
            crossing = self._watch(closed.key.workspace_id).observe(
                (closed.key, closed.width), closed.signal
            )
            if crossing is not None:
                crossings.append(crossing)
        return crossings

    def _forget_stale(self, now: datetime) -> None:
        """Series the counter evicted get no signal any more: forget their alerts too, so that
        an incident is not held open by a series nobody counts."""
        for key, recent in list(self._recent.items()):
            series, width = key
            if recent and recent[-1].at < now - 3 * width:
                del self._recent[key]
                self._watch(series.workspace_id).forget(key)

    def is_open(self, key: SeriesKey) -> bool:
        """Whether the series has an open alert at any bucket width."""
        watch = self._watches.get(key.workspace_id)
        return watch is not None and any(watch.is_open((key, width)) for width in self._widths)

    def back_to_baseline(self, key: SeriesKey) -> bool:
        """Whether the series' latest bucket, at every width, is within the baseline's band.

        Not the detector's own verdict: it calls a series abnormal while the evidence of the
        last hours stands out, which outlasts the outage itself by hours. Volume back to what
        the baseline expects is what ends an incident."""
        for width in self._widths:
            recent = self._recent.get((key, width))
            if recent and not within_band(recent[-1]):
                return False
        return True

    def recent(self, key: SeriesKey, width: timedelta) -> list[Signal]:
        return list(self._recent.get((key, width), ()))

    def latest_scores(self, workspace_id: int) -> dict[tuple[str, str, timedelta], float]:
        """The latest score of every watched series of the workspace (for the metrics)."""
        return {
            (series.kind, series.value, width): recent[-1].score
            for (series, width), recent in self._recent.items()
            if series.workspace_id == workspace_id and recent
        }

    # Relearning on start -------------------------------------------------------------------

    def relearned(self, history: Iterable[SeriesCount], until: datetime) -> RelearnedState:
        """Replay history (in time order, before `until`) into a fresh counter and watches.

        CPU-bound and touching nothing of this watcher: it may run in another thread. The
        history is replayed bucket by bucket, quiet gaps included (its span is the relearning
        window, not a date of a payload); live counting then bounds its catch-up after a gap.
        The alerts that opened in the buckets replayed and are open still are kept for the
        next tick: a burst under way when this process took over is not forgotten (the tick
        leaves out those long past, and the store those already in an open incident)."""
        counter = self._new_counter()
        live_catch_up, counter.catch_up = counter.catch_up, None
        watches = {w: AlertWatch(t) for w, t in self._thresholds.items()}
        recent: dict[WatchKey, deque[Signal]] = {}
        opened: dict[WatchKey, Crossing] = {}

        def observe(signals: Iterable[SeriesSignal]) -> None:
            for closed in signals:
                key = (closed.key, closed.width)
                recent.setdefault(key, deque(maxlen=HISTORY)).append(closed.signal)
                workspace_id = closed.key.workspace_id
                if workspace_id not in watches:
                    watches[workspace_id] = AlertWatch(DEFAULT_THRESHOLD)
                crossing = watches[workspace_id].observe(key, closed.signal)
                if crossing is not None and crossing.kind is CrossingKind.OPENED:
                    opened[key] = crossing

        for counted in history:
            observe(counter.add((counted.key,), counted.bucket, counted.count))
        observe(counter.close_until(until))
        counter.catch_up = live_catch_up
        still_open = [
            crossing
            for (series, width), crossing in opened.items()
            if watches[series.workspace_id].is_open((series, width))
        ]
        return RelearnedState(counter, watches, recent, still_open)

    def finish_relearning(self, state: RelearnedState) -> None:
        """Take the relearned state (what was counted before is replaced)."""
        self._counter = state.counter
        self._watches = state.watches
        self._recent = state.recent
        self._unreported = []
        self._unreported_crossings = list(state.open_alerts)


@dataclass(frozen=True, slots=True)
class RelearnedState:
    counter: BucketCounter
    watches: dict[int, AlertWatch]
    recent: dict[WatchKey, deque[Signal]]
    open_alerts: list[Crossing]


def series_counts(complaints: Iterable[ComplaintCount]) -> list[SeriesCount]:
    """What complaints add to the stored counts: one count per series and minute."""
    summed: Counter[tuple[SeriesKey, datetime]] = Counter()
    for complaint in complaints:
        bucket = bucket_start(complaint.at, COUNT_BUCKET)
        for key in _series_of(complaint):
            summed[(key, bucket)] += complaint.count
    return [SeriesCount(key, bucket, count) for (key, bucket), count in summed.items()]


def _series_of(complaint: ComplaintCount) -> list[SeriesKey]:
    """The series a complaint counts in: the workspace's, and its topics', keyword groups'
    and regions'."""
    return complaint_keys(
        complaint.workspace_id, complaint.topics, complaint.keyword_groups, complaint.regions
    )
