"""The detector's side of incidents in memory: the shared complaint counts, the detector's
lock, and the incidents it opens and follows (one open detector incident per workspace)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from inbox.domain.incidents import (
    BulkMessage,
    Detection,
    Incident,
    IncidentBanner,
    IncidentDetail,
    IncidentPoint,
    IncidentSettings,
    IncidentSource,
    IncidentStatus,
)
from inbox.domain.sla import SlaSettings
from inbox.ports.incidents import ReplanClocks, SeriesCount
from routing.signals import SeriesKey


class SharedCounts:
    """The complaint counts table and the detector's lock, shared by every process's fakes."""

    def __init__(self) -> None:
        self.counts: dict[tuple[SeriesKey, datetime], int] = {}
        self.holder: FakeLeadership | None = None

    def add(self, counts: Sequence[SeriesCount]) -> None:
        for counted in counts:
            seen = (counted.key, counted.bucket)
            self.counts[seen] = self.counts.get(seen, 0) + counted.count


class FakeLeadership:
    def __init__(self, shared: SharedCounts) -> None:
        self._shared = shared
        self._gone = asyncio.Event()
        self.leader = shared.holder is None
        if self.leader:
            shared.holder = self

    def drop(self) -> None:
        """The lock's connection is gone: the lock with it."""
        if self._shared.holder is self:
            self._shared.holder = None
        self._gone.set()

    async def lost(self) -> None:
        await self._gone.wait()


class FakeIncidentStore:
    """What the detector asks of the store, over `shared` counts. Incidents live here (a
    second process's store sees its own; the tests that race two use one store)."""

    def __init__(self, shared: SharedCounts) -> None:
        self.shared = shared
        self.incidents: dict[int, Incident] = {}
        self.held: list[FakeLeadership] = []
        self.reads: list[tuple[datetime, datetime]] = []

    async def complaint_counts(self, since: datetime, until: datetime) -> list[SeriesCount]:
        self.reads.append((since, until))
        found = [
            SeriesCount(key, bucket, count)
            for (key, bucket), count in self.shared.counts.items()
            if since <= bucket < until
        ]
        return sorted(found, key=lambda c: (c.bucket, c.key.workspace_id, c.key.kind != "all"))

    @asynccontextmanager
    async def leadership(self) -> AsyncIterator[FakeLeadership]:
        held = FakeLeadership(self.shared)
        self.held.append(held)
        try:
            yield held
        finally:
            held.drop()

    async def all_settings(self) -> dict[int, IncidentSettings]:
        return {}

    async def settings(self, workspace_id: int) -> IncidentSettings:
        return IncidentSettings()

    async def save_settings(self, workspace_id: int, settings: IncidentSettings) -> None:
        raise NotImplementedError

    async def open_detected(
        self, workspace_id: int, detection: Detection, replan: ReplanClocks | None = None
    ) -> tuple[Incident, bool]:
        for incident in self.incidents.values():
            if incident.workspace_id == workspace_id and incident.is_open:
                series = tuple(dict.fromkeys((*incident.series, *detection.series)))
                joined = incident.model_copy(update={"series": series})
                self.incidents[incident.id] = joined
                return joined, False
        incident = Incident(
            workspace_id=workspace_id,
            id=len(self.incidents) + 1,
            status=IncidentStatus.OPEN,
            source=IncidentSource.DETECTOR,
            major=False,
            title=detection.title,
            topics=detection.topics,
            keyword_groups=detection.keyword_groups,
            series=detection.series,
            keywords=(),
            places=detection.regions,
            started_at=detection.started_at,
            opened_at=detection.opened_at,
            closed_at=None,
            explanation=detection.explanation,
            peak_score=detection.score,
            merged_into=None,
        )
        self.incidents[incident.id] = incident
        return incident, True

    async def open_detected_incidents(self) -> list[Incident]:
        return [
            i for i in self.incidents.values() if i.is_open and i.source is IncidentSource.DETECTOR
        ]

    async def add_points(
        self, workspace_id: int, incident_id: int, points: Sequence[IncidentPoint]
    ) -> None:
        return None

    async def set_normal(
        self, workspace_id: int, incident_id: int, normal: bool, now: datetime
    ) -> datetime | None:
        return None  # never quiet long enough to close: these tests watch openings

    async def keyword_texts(
        self, workspace_id: int, incident_id: int, baseline: timedelta
    ) -> tuple[list[str], list[str]]:
        return [], []

    async def save_keywords(
        self, workspace_id: int, incident_id: int, keywords: Sequence[str]
    ) -> None:
        return None

    async def open_manual(
        self,
        workspace_id: int,
        agent_id: int,
        *,
        title: str,
        topics: Sequence[str],
        keywords: Sequence[str],
        places: Sequence[str],
        major: bool,
        started_at: datetime,
        now: datetime,
        replan: ReplanClocks | None = None,
    ) -> Incident:
        raise NotImplementedError

    async def close(
        self,
        workspace_id: int,
        incident_id: int,
        now: datetime,
        agent_id: int | None,
        replan: ReplanClocks | None = None,
    ) -> Incident | None:
        raise NotImplementedError

    async def merge(
        self,
        workspace_id: int,
        incident_id: int,
        into_id: int,
        now: datetime,
        agent_id: int,
        replan: ReplanClocks | None = None,
    ) -> Incident:
        raise NotImplementedError

    async def set_major(
        self,
        workspace_id: int,
        incident_id: int,
        major: bool,
        now: datetime,
        replan: ReplanClocks | None = None,
    ) -> Incident | None:
        raise NotImplementedError

    async def sla_settings(self, workspace_id: int) -> SlaSettings | None:
        return None

    async def recent(self, workspace_id: int, limit: int) -> list[Incident]:
        raise NotImplementedError

    async def count_open(self, workspace_id: int) -> int:
        raise NotImplementedError

    async def detail(self, workspace_id: int, incident_id: int) -> IncidentDetail | None:
        raise NotImplementedError

    async def for_thread(self, workspace_id: int, thread_id: int) -> list[IncidentBanner]:
        raise NotImplementedError

    async def enqueue_bulk(
        self, workspace_id: int, incident_id: int, message: BulkMessage, body: str, now: datetime
    ) -> int:
        raise NotImplementedError
