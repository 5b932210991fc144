"""Outage incidents: their store, their work on an ingestion batch, the complaint counts the
one detector of the workspace reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from inbox.domain.incidents import (
    BulkMessage,
    ComplaintCount,
    Detection,
    Incident,
    IncidentBanner,
    IncidentDetail,
    IncidentPoint,
    IncidentSettings,
)
from inbox.domain.sla import (
    SlaSettings,
)
from inbox.ports.sla import ClockWriter, Leadership
from routing.signals import SeriesKey

# Re-plans the SLA clocks of these threads on the writer of the transaction that changed what
# they count (KeepClocks.keep): a major incident's window opened, closed, or gained threads.
ReplanClocks = Callable[[ClockWriter, int, Sequence[int]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SeriesCount:
    """Complaints counted in one series in the minute starting at `bucket`."""

    key: SeriesKey
    bucket: datetime
    count: int


class IncidentIngestWriter(Protocol):
    """Incident work on an ingestion batch's open transaction (its unit of work's
    `incidents`)."""

    async def new_complaints(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[ComplaintCount]:
        """The customer complaints this transaction wrote on these threads."""
        ...

    async def link_new(self, workspace_id: int, thread_ids: Sequence[int]) -> int:
        """Link this transaction's complaints to the open incidents they match."""
        ...

    async def count_complaints(self, counts: Sequence[SeriesCount]) -> None:
        """Add these counts (one per series and minute) to the shared complaint counts, in
        this transaction: a rollback takes them back."""
        ...


class IncidentStore(Protocol):
    async def complaint_counts(self, since: datetime, until: datetime) -> list[SeriesCount]:
        """Every workspace's complaint counts of the minutes in [since, until), in time order,
        each workspace's whole volume before its slices within a minute."""
        ...

    def leadership(self) -> AbstractAsyncContextManager[Leadership]:
        """Leader while this process is the one detector of the database (a session lock on a
        connection of its own, released when that connection drops)."""
        ...

    async def all_settings(self) -> dict[int, IncidentSettings]:
        """Every workspace's settings (defaults where none were saved)."""
        ...

    async def settings(self, workspace_id: int) -> IncidentSettings: ...

    async def save_settings(self, workspace_id: int, settings: IncidentSettings) -> None: ...

    async def open_detected(
        self, workspace_id: int, detection: Detection, replan: ReplanClocks | None = None
    ) -> tuple[Incident, bool]:
        """Open the workspace's detector incident, or join the open one (False); threads
        matching it are linked, and an opening is announced (webhooks, live pages). Threads
        newly linked to a major incident get their clocks re-planned by `replan`."""
        ...

    async def open_detected_incidents(self) -> list[Incident]: ...

    async def add_points(
        self, workspace_id: int, incident_id: int, points: Sequence[IncidentPoint]
    ) -> None: ...

    async def set_normal(
        self, workspace_id: int, incident_id: int, normal: bool, now: datetime
    ) -> datetime | None:
        """Record whether every series is normal; the answer is since when it has been."""
        ...

    async def keyword_texts(
        self, workspace_id: int, incident_id: int, baseline: timedelta
    ) -> tuple[list[str], list[str]]:
        """The texts of its linked complaints since it began, and of the workspace's
        complaints over `baseline` before it (both bounded)."""
        ...

    async def save_keywords(
        self, workspace_id: int, incident_id: int, keywords: Sequence[str]
    ) -> None:
        """A detected incident's keywords (a declared one keeps the words ops gave)."""
        ...

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
    ) -> Incident: ...

    async def close(
        self,
        workspace_id: int,
        incident_id: int,
        now: datetime,
        agent_id: int | None,
        replan: ReplanClocks | None = None,
    ) -> Incident | None:
        """Close it if open (announced once), ending its major period; None when it was not
        open."""
        ...

    async def merge(
        self,
        workspace_id: int,
        incident_id: int,
        into_id: int,
        now: datetime,
        agent_id: int,
        replan: ReplanClocks | None = None,
    ) -> Incident:
        """Move its threads to `into_id` and mark it merged; the answer is the target."""
        ...

    async def set_major(
        self,
        workspace_id: int,
        incident_id: int,
        major: bool,
        now: datetime,
        replan: ReplanClocks | None = None,
    ) -> Incident | None:
        """Declare an open incident major from `now` (or no longer major); its linked
        threads' clocks are re-planned in the same transaction. None when it is not open."""
        ...

    async def sla_settings(self, workspace_id: int) -> SlaSettings | None:
        """The workspace's SLA settings: whether its policies suspend clocks."""
        ...

    async def recent(self, workspace_id: int, limit: int) -> list[Incident]: ...

    async def count_open(self, workspace_id: int) -> int: ...

    async def detail(self, workspace_id: int, incident_id: int) -> IncidentDetail | None: ...

    async def for_thread(self, workspace_id: int, thread_id: int) -> list[IncidentBanner]: ...

    async def enqueue_bulk(
        self, workspace_id: int, incident_id: int, message: BulkMessage, body: str, now: datetime
    ) -> int:
        """One outbox item per linked author (their latest linked thread), keyed so that a
        repeat queues nothing new; the answer is how many were queued now."""
        ...
