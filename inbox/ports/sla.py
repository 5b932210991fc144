"""SLA clocks: their writer, the timer and its leadership, reports, settings, alerts."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from inbox.domain.ingestion import NewThreadTimeline
from inbox.domain.sla import (
    MajorIncidentWindow,
    SlaEvent,
    SlaReportRow,
    SlaSettings,
    StoredClock,
    ThreadTimeline,
)
from inbox.domain.sla_alerts import PendingShiftReport, PendingSlaEvent, SlaDispatch
from sla.alerts import Person


class ClockWriter(Protocol):
    """SLA clocks, inside the batch transaction that wrote the messages they follow."""

    async def sla_settings(self, workspace_id: int) -> SlaSettings | None: ...

    async def timelines(
        self,
        workspace_id: int,
        thread_ids: Sequence[int],
        written: Mapping[int, NewThreadTimeline] | None = None,
    ) -> list[ThreadTimeline]:
        """Messages as `written` gives them for the threads it names (a batch's new threads,
        `IngestResult.new_thread_timelines`) unless this writer has closed them since; the
        others' read back."""
        ...

    async def clocks_of(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[StoredClock]: ...

    async def major_incident_windows(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[MajorIncidentWindow]:
        """The major periods of the incidents these threads are linked to, in one read."""
        ...

    async def save_clocks(
        self,
        workspace_id: int,
        clocks: Sequence[StoredClock],
        stale: Sequence[StoredClock] = (),
        fresh: Collection[int] = frozenset(),
    ) -> None:
        """Insert or update `clocks`; delete `stale` ones (clocks closed by hand are kept).
        `fresh`: threads that had no clock stored before this transaction (created by it)."""
        ...

    async def record_closure(
        self, workspace_id: int, thread_id: int, at: datetime, reason: str, closed_by: str
    ) -> bool:
        """Resolve the thread without an answer (or, for "resolved", after one); False when
        it does not exist or, for "resolved", when a customer message is still unanswered."""
        ...

    async def thread_exists(self, workspace_id: int, thread_id: int) -> bool: ...

    async def record_closures(
        self,
        workspace_id: int,
        thread_ids: Sequence[int],
        at: datetime,
        reason: str,
        closed_by: str,
    ) -> list[int]:
        """`record_closure` for many threads in one statement; the ids of those closed."""
        ...

    async def queue_acknowledgements(
        self, workspace_id: int, acknowledgements: Sequence[tuple[int, str, str]]
    ) -> None:
        """(thread id, idempotency key, text) for the outbox, once per key."""
        ...


class Leadership(Protocol):
    """One attempt at being the SLA timer, for as long as the lock's connection lives."""

    @property
    def leader(self) -> bool: ...

    async def lost(self) -> None:
        """Returns when the lock's connection is gone, and leadership with it."""
        ...


class SlaTimerStore(Protocol):
    async def next_due(self) -> datetime | None: ...

    async def fire_due(self, now: datetime, limit: int = 500) -> list[SlaEvent]:
        """Fire the events due at `now`, each exactly once whoever else tries."""
        ...

    def leadership(
        self, on_deadline_change: Callable[[], None]
    ) -> AbstractAsyncContextManager[Leadership]:
        """Leader while this process is the one timer; calls back when a nearer deadline
        may have appeared."""
        ...


class SlaReports(Protocol):
    async def report(
        self,
        workspace_id: int,
        dimension: str,
        since: datetime,
        until: datetime,
        time_zone: str,
        now: datetime,
        assignee_id: int | None = None,
    ) -> list[SlaReportRow]:
        """Only the threads `assignee_id` holds, if given."""
        ...


class SlaQuery(Protocol):
    async def sla_settings(self, workspace_id: int) -> SlaSettings | None: ...

    async def thread_clocks(self, workspace_id: int, thread_id: int) -> list[StoredClock]: ...

    async def major_incident_windows(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[MajorIncidentWindow]: ...


class SlaSettingsWriter(ClockWriter, Protocol):
    """New SLA settings and the clocks re-planned under them, in one transaction."""

    async def save_settings(
        self, workspace_id: int, calendars: dict[str, object], policies: dict[str, object]
    ) -> int:
        """Store them as the next version; returns it."""
        ...

    async def threads_with_running_clocks(self, workspace_id: int) -> list[list[int]]:
        """Thread ids in chunks, each re-planned in one go."""
        ...


class SlaSettingsStore(Protocol):
    async def load(self, workspace_id: int) -> SlaSettings | None: ...

    def settings_transaction(
        self, workspace_id: int
    ) -> AbstractAsyncContextManager[SlaSettingsWriter]:
        """A transaction that ingestion of the workspace waits for, in which settings are
        saved and clocks re-planned: all of it commits, or none."""
        ...

    def clock_transaction(self, workspace_id: int) -> AbstractAsyncContextManager[ClockWriter]:
        """A transaction that ingestion of the workspace waits for."""
        ...


class SlaGauges(Protocol):
    async def gauges(self, workspace_id: int, now: datetime) -> dict[str, int]: ...

    async def waiting_on(self, workspace_id: int, now: datetime, agent_id: int) -> dict[str, int]:
        """The customers waiting on one person's threads, by how long they have waited."""
        ...


class ShiftReports(Protocol):
    async def all_settings(self) -> list[tuple[int, SlaSettings]]: ...

    async def record(self, workspace_id: int, calendar: str, closes_at: datetime) -> int | None:
        """List the calendar's running clocks for this closing, once; None if already done."""
        ...


class SlaDispatchStore(Protocol):
    async def pending_events(self, limit: int = 500) -> list[PendingSlaEvent]: ...

    async def pending_shift_reports(self, limit: int = 100) -> list[PendingShiftReport]: ...

    async def people(self, workspace_id: int) -> list[Person]: ...

    async def record(
        self, events: Sequence[SlaDispatch], shift_reports: Sequence[SlaDispatch] = ()
    ) -> None:
        """Alerts, webhook deliveries and dispatched marks together; a repeat adds nothing."""
        ...
