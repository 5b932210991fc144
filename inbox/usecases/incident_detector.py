"""The outage detector: `IncidentTimer`, the one detector of the database. In whichever
worker holds its lock, it relearns the baseline from the stored complaint counts, then every
minute reads the minutes since its last evaluation, closes buckets, opens (or joins) an
incident when a series crosses the workspace's threshold, charts it, draws its keywords, and
closes it once every series has been normal for the quiet period. Another worker takes over
when the leader's connection drops. Opening and closing re-plan the SLA clocks of the linked
threads (KeepClocks) in the store's transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from inbox.domain.clock import Clock
from inbox.domain.incidents import (
    Detection,
    Incident,
    IncidentPoint,
    IncidentSettings,
    explanation,
    title_for,
)
from inbox.ports.incidents import IncidentStore, SeriesCount
from inbox.ports.sla import Leadership
from inbox.usecases.incidents_watch import (
    COUNT_BUCKET,
    ComplaintWatcher,
    Tick,
    series_key,
    series_name,
)
from inbox.usecases.sla import KeepClocks
from routing.signals import Crossing, CrossingKind, SeriesKey, Signal, bucket_start
from routing.signals.keywords import document_counts, over_represented

log = logging.getLogger(__name__)

# How far back the baseline is relearned on start: the weekly profile's memory.
RELEARN = timedelta(days=21)
# What complaints usually say, against which an incident's keywords stand out: the week
# before it began.
KEYWORD_BASELINE = timedelta(days=7)
# The detector evaluates the counts this often; a follower tries for the lead this often.
TICK_SECONDS = 60.0
LEADERSHIP_RETRY_SECONDS = 10.0
# How far ahead of the present stored counts are read (a network's clock a little ahead of
# ours): the counter's own horizon.
READ_AHEAD = timedelta(minutes=15)
# (ok, detail): where the detector stands, for the process's health.
Report = Callable[[bool, str], None]


def _unreported(ok: bool, detail: str) -> None:
    return None


class IncidentTimer:
    """The one detector: `run` leads (or waits to) and evaluates the stored counts every
    minute while it leads. `start` and `tick` are its steps (a benchmark drives them on a
    simulated clock). The store keeps one open detector incident per workspace, so even two
    detectors racing through a leader change open one incident."""

    def __init__(
        self,
        store: IncidentStore,
        watcher: ComplaintWatcher,
        *,
        clock: Clock,
        relearn: timedelta = RELEARN,
        clocks: KeepClocks | None = None,
        tick_seconds: float = TICK_SECONDS,
        leadership_retry_seconds: float = LEADERSHIP_RETRY_SECONDS,
        report: Report = _unreported,
    ) -> None:
        self._store = store
        self._watcher = watcher
        self._clock = clock
        self._relearn = relearn
        self._replan = (clocks or KeepClocks(clock=clock)).keep
        self._tick_seconds = tick_seconds
        self._retry_seconds = leadership_retry_seconds
        self._report = report
        # What was read of the stored counts: from which minute on they may still change
        # what the watch counts, and how much of each was fed to it already.
        self._read_from: datetime | None = None
        self._fed: dict[tuple[SeriesKey, datetime], int] = {}
        self._settings: dict[int, IncidentSettings] = {}
        # Per open incident: its baseline's word counts (fixed: the days before it began) and
        # how many threads it had linked when its keywords were last drawn.
        self._baselines: dict[int, tuple[Counter[str], int]] = {}
        self._keywords_drawn_at: dict[int, int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Lead or follow until `stop` is set; a lost leadership is sought again at once.
        Errors (the database away) leave `run`: the supervisor starts it again."""
        while not stop.is_set():
            async with self._store.leadership() as held:
                if held.leader:
                    self._report(True, "leading")
                    if not await self._lead(stop, held):
                        return
                    self._report(False, "leadership lost; taking it again")
                    log.warning(
                        "incident detector lost its lock's connection",
                        extra={"action": "incident_detector_lost"},
                    )
                    continue
                self._report(True, "following")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._retry_seconds)

    async def _lead(self, stop: asyncio.Event, held: Leadership) -> bool:
        """Relearn, then tick every minute until `stop` is set (False) or the lock's
        connection drops (True)."""
        log.info("incident detector leading", extra={"action": "incident_detector_lead"})
        stopping = asyncio.ensure_future(stop.wait())
        losing = asyncio.ensure_future(held.lost())
        try:
            await self.start()
            while not (stopping.done() or losing.done()):
                await self.tick()
                await asyncio.wait(
                    (stopping, losing),
                    timeout=self._tick_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
        finally:
            stopping.cancel()
            losing.cancel()
        return not stop.is_set()

    async def start(self) -> None:
        """Relearn the baseline from the stored counts of the last weeks (one query)."""
        until = bucket_start(self._clock(), COUNT_BUCKET)
        await self._load_settings()
        history = await self._store.complaint_counts(until - self._relearn, until)
        state = await asyncio.to_thread(self._watcher.relearned, history, until)
        self._watcher.finish_relearning(state)
        self._read_from, self._fed = until, {}
        log.info(
            "incident baseline relearned",
            extra={"action": "incident_relearn", "counts": len(history)},
        )

    async def _read_counts(self, now: datetime) -> None:
        """Feed the watch what was counted since the last evaluation: each minute that a
        bucket still open may hold, less what was fed of it already (a batch committed after
        its minute was read adds to it; after its bucket closed, the watch tallies it late,
        as it would any late complaint)."""
        if self._read_from is None:
            raise RuntimeError("the detector reads counts only after `start`")
        stored = await self._store.complaint_counts(self._read_from, now + READ_AHEAD)
        fresh = []
        for counted in stored:
            seen = (counted.key, counted.bucket)
            added = counted.count - self._fed.get(seen, 0)
            if added > 0:
                fresh.append(SeriesCount(counted.key, counted.bucket, added))
                self._fed[seen] = counted.count
        self._watcher.add(fresh)
        self._read_from = max(self._read_from, bucket_start(now, max(self._watcher.widths)))
        self._fed = {seen: n for seen, n in self._fed.items() if seen[1] >= self._read_from}

    async def _load_settings(self) -> None:
        self._settings = await self._store.all_settings()
        self._watcher.set_thresholds({w: s.threshold for w, s in self._settings.items()})

    def _settings_of(self, workspace_id: int) -> IncidentSettings:
        return self._settings.get(workspace_id) or IncidentSettings()

    async def tick(self) -> list[Incident]:
        """Close buckets up to now; answer the incidents opened or closed by this tick."""
        now = self._clock()
        await self._load_settings()
        await self._read_counts(now)
        tick = self._watcher.close_until(now)
        changed: list[Incident] = []
        openings = _fresh_openings(tick, now)
        if openings:
            # A slice already in the workspace's open incident has been linked from its own
            # onset; crossing again (at the coarser width, whose bucket starts earlier) it
            # brings nothing new.
            known = {i.workspace_id: i.series for i in await self._store.open_detected_incidents()}
            openings = {
                workspace_id: fresh
                for workspace_id, crossings in openings.items()
                if (fresh := _new_slices(crossings, known.get(workspace_id, ())))
            }
        for workspace_id, crossings in openings.items():
            incident, created = await self._store.open_detected(
                workspace_id, self._detection(crossings, now), self._replan
            )
            if created:
                changed.append(incident)
                log.info(
                    "incident opened",
                    extra={"action": "incident_open", "workspace_id": workspace_id,
                           "incident_id": incident.id, "series": list(incident.series)},
                )  # fmt: skip
        still_open = set()
        for incident in await self._store.open_detected_incidents():
            closed = await self._follow(incident, tick, now)
            if closed is not None:
                changed.append(closed)
            else:
                still_open.add(incident.id)
        for forgotten in set(self._baselines) - still_open:
            del self._baselines[forgotten]
            self._keywords_drawn_at.pop(forgotten, None)
        return changed

    async def _follow(self, incident: Incident, tick: Tick, now: datetime) -> Incident | None:
        workspace_id = incident.workspace_id
        keys = [series_key(workspace_id, name) for name in incident.series]
        if keys:
            charted = keys[0]
            width = min(self._watcher.widths)
            points = [
                _point(s.signal) for s in tick.signals if s.key == charted and s.width == width
            ]
            if points:
                await self._store.add_points(workspace_id, incident.id, points)
        normal = all(self._watcher.back_to_baseline(key) for key in keys)
        normal_since = await self._store.set_normal(workspace_id, incident.id, normal, now)
        await self._draw_keywords(incident)
        quiet = self._settings_of(workspace_id).quiet
        if normal_since is None or now - normal_since < quiet:
            return None
        closed = await self._store.close(workspace_id, incident.id, now, None, self._replan)
        if closed is not None:
            log.info(
                "incident closed: volume back to baseline",
                extra={"action": "incident_close", "workspace_id": workspace_id,
                       "incident_id": incident.id},
            )  # fmt: skip
        return closed

    async def _draw_keywords(self, incident: Incident) -> None:
        """The words its burst says more than the week before it did, redrawn when threads
        were linked since."""
        if self._keywords_drawn_at.get(incident.id) == incident.linked:
            return
        burst_texts, baseline_texts = await self._store.keyword_texts(
            incident.workspace_id, incident.id, KEYWORD_BASELINE
        )
        baseline = self._baselines.get(incident.id)
        if baseline is None:
            baseline = self._baselines[incident.id] = document_counts(baseline_texts)
        burst = document_counts(burst_texts)
        words = [word for word, _ in over_represented(*burst, *baseline)]
        await self._store.save_keywords(incident.workspace_id, incident.id, words)
        self._keywords_drawn_at[incident.id] = incident.linked

    def _detection(self, crossings: Sequence[Crossing], now: datetime) -> Detection:
        ordered = sorted(crossings, key=_specificity)
        first = ordered[0]
        key, width = _watch_key(first)
        signal = first.signal
        series = tuple(dict.fromkeys(series_name(_watch_key(c)[0]) for c in ordered))
        keys = [_watch_key(c)[0] for c in ordered]
        topics = tuple(sorted({k.value for k in keys if k.kind == "topic"}))
        groups = tuple(sorted({k.value for k in keys if k.kind == "keywords"}))
        regions = tuple(sorted({k.value for k in keys if k.kind == "region"}))
        # Each slice began to burst at its finest width's onset (a five-minute bucket also
        # holds the minutes before the burst); the incident, at its earliest slice's.
        onsets: dict[SeriesKey, datetime] = {}
        for crossing in sorted(ordered, key=lambda c: _watch_key(c)[1], reverse=True):
            onsets[_watch_key(crossing)[0]] = crossing.since
        since = min(onsets.values())
        return Detection(
            title=title_for(topics, groups),
            topics=topics,
            keyword_groups=groups,
            series=series,
            regions=regions,
            started_at=since,
            opened_at=now,
            score=max(c.signal.score for c in ordered),
            explanation=explanation(
                signal.stretch_expected, signal.stretch_observed, since, signal.explain()
            ),
            points=tuple(_point(s) for s in self._watcher.recent(key, width)),
        )


def _watch_key(crossing: Crossing) -> tuple[SeriesKey, timedelta]:
    # The watcher keys its alerts by (series, width).
    found = crossing.key
    if not (isinstance(found, tuple) and len(found) == 2):
        raise TypeError(f"not a watcher's alert key: {found!r}")
    key, width = found
    if not (isinstance(key, SeriesKey) and isinstance(width, timedelta)):
        raise TypeError(f"not a watcher's alert key: {found!r}")
    return key, width


_KIND_ORDER = {"topic": 0, "keywords": 1, "region": 2, "all": 3}


def _specificity(crossing: Crossing) -> tuple[int, timedelta, str]:
    """The slice an incident is charted by: the most specific, at the finest width."""
    key, width = _watch_key(crossing)
    return (_KIND_ORDER.get(key.kind, 4), width, key.value)


def _fresh_openings(tick: Tick, now: datetime) -> dict[int, list[Crossing]]:
    """Openings per workspace, leaving out buckets long past (a series that had not been
    closed since before a restart must not open an incident about old news)."""
    found: dict[int, list[Crossing]] = {}
    for crossing in tick.crossings:
        if crossing.kind is not CrossingKind.OPENED:
            continue
        key, width = _watch_key(crossing)
        if crossing.at + 3 * width < now:
            continue
        found.setdefault(key.workspace_id, []).append(crossing)
    return found


def _new_slices(crossings: Sequence[Crossing], known: Sequence[str]) -> list[Crossing]:
    return [c for c in crossings if series_name(_watch_key(c)[0]) not in known]


def _point(signal: Signal) -> IncidentPoint:
    return IncidentPoint(
        bucket=signal.at, observed=signal.observed, expected=signal.expected, score=signal.score
    )
