"""The SLA clock writer in memory, and the store of settings and closing transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from inbox.domain.ingestion import NewThreadTimeline
from inbox.domain.network import Network
from inbox.domain.sla import (
    MajorIncidentWindow,
    SlaSettings,
    StoredClock,
    ThreadTimeline,
    TimelineEntry,
)
from inbox.domain.thread import Priority, ThreadKind

if TYPE_CHECKING:
    from tests.fakes.ingest import InMemoryInbox


class FakeClockWriter:
    """Clocks of the threads of an `InMemoryInbox`. Records what it was given and what it
    read back, for tests of what the clocks' callers hand over."""

    def __init__(
        self,
        inbox: InMemoryInbox,
        settings: SlaSettings | None = None,
        windows: Sequence[MajorIncidentWindow] = (),
        *,
        timelines: Sequence[ThreadTimeline] = (),
    ) -> None:
        self._inbox = inbox
        self.settings = settings
        self.windows = list(windows)
        # Timelines given whole (a test's own), read instead of the inbox's threads.
        self._given = {t.thread_id: t for t in timelines}
        self.closed: set[int] = set()
        self.read_back: list[int] = []  # threads whose timelines were read from the inbox
        self.saved_fresh: list[frozenset[int]] = []  # `fresh` of each save
        self.saved_clocks: list[StoredClock] = []  # every clock handed to a save, in order

    async def sla_settings(self, workspace_id: int) -> SlaSettings | None:
        return self.settings

    async def timelines(
        self,
        workspace_id: int,
        thread_ids: Sequence[int],
        written: Mapping[int, NewThreadTimeline] | None = None,
    ) -> list[ThreadTimeline]:
        timelines = []
        for thread_id in thread_ids:
            if thread_id in self._given:
                timelines.append(self._given[thread_id])
                continue
            thread = self._inbox.threads[thread_id]
            given = (written or {}).get(thread_id)
            if given is None or thread_id in self.closed:
                self.read_back.append(thread_id)
                messages, language = list(thread.timeline), thread.language
            else:
                messages, language = given.messages, given.language
            timelines.append(
                ThreadTimeline(
                    thread_id,
                    Network(thread.network),
                    ThreadKind(thread.kind),
                    Priority(thread.priority),
                    thread.team_id,
                    False,
                    messages,
                    language,
                )
            )
        return timelines

    async def clocks_of(self, workspace_id: int, thread_ids: Sequence[int]) -> list[StoredClock]:
        wanted = set(thread_ids)
        return [c for c in self._inbox.clocks.values() if c.thread_id in wanted]

    async def major_incident_windows(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[MajorIncidentWindow]:
        return [w for w in self.windows if w.thread_id in thread_ids]

    async def save_clocks(
        self,
        workspace_id: int,
        clocks: Sequence[StoredClock],
        stale: Sequence[StoredClock] = (),
        fresh: Collection[int] = frozenset(),
    ) -> None:
        self.saved_fresh.append(frozenset(fresh))
        self.saved_clocks.extend(clocks)
        for clock in stale:
            self._inbox.clocks.pop((clock.thread_id, clock.kind, clock.started_at), None)
        for clock in clocks:
            self._inbox.clocks[(clock.thread_id, clock.kind, clock.started_at)] = clock

    async def record_closure(
        self, workspace_id: int, thread_id: int, at: datetime, reason: str, closed_by: str
    ) -> bool:
        return bool(await self.record_closures(workspace_id, [thread_id], at, reason, closed_by))

    async def thread_exists(self, workspace_id: int, thread_id: int) -> bool:
        return thread_id in self._inbox.threads

    async def record_closures(
        self,
        workspace_id: int,
        thread_ids: Sequence[int],
        at: datetime,
        reason: str,
        closed_by: str,
    ) -> list[int]:
        closed = []
        for thread_id in thread_ids:
            thread = self._inbox.threads.get(thread_id)
            if thread is None:
                continue
            waiting = thread.last_inbound_at is not None and (
                thread.last_answered_at is None or thread.last_answered_at < thread.last_inbound_at
            )
            if reason == "resolved" and waiting:
                continue
            thread.status = "resolved"
            thread.timeline.append(TimelineEntry(at, False, False, closes=True))
            self._inbox.closures.append((thread_id, reason, closed_by))
            closed.append(thread_id)
        self.closed.update(closed)
        return closed

    async def queue_acknowledgements(
        self, workspace_id: int, acknowledgements: Sequence[tuple[int, str, str]]
    ) -> None:
        self._inbox.acknowledgements.extend(acknowledgements)


class FakeSlaSettingsWriter(FakeClockWriter):
    async def save_settings(
        self, workspace_id: int, calendars: dict[str, object], policies: dict[str, object]
    ) -> int:
        version = (self.settings.version if self.settings else 0) + 1
        self.settings = SlaSettings(version, calendars, policies)
        return version

    async def threads_with_running_clocks(self, workspace_id: int) -> list[list[int]]:
        running = {c.thread_id for c in self._inbox.clocks.values() if c.stopped_at is None}
        return [sorted(running)] if running else []


class FakeSlaSettingsStore:
    """Settings and clock transactions on a copy of `inbox`, kept when committed."""

    def __init__(self, inbox: InMemoryInbox, settings: SlaSettings | None = None) -> None:
        self.inbox = inbox
        self.settings = settings
        self.committed = 0
        self.rolled_back = 0

    async def load(self, workspace_id: int) -> SlaSettings | None:
        return self.settings

    @asynccontextmanager
    async def settings_transaction(self, workspace_id: int) -> AsyncIterator[FakeSlaSettingsWriter]:
        async with self._transaction(workspace_id) as writer:
            yield writer
            self.settings = writer.settings

    @asynccontextmanager
    async def clock_transaction(self, workspace_id: int) -> AsyncIterator[FakeClockWriter]:
        async with self._transaction(workspace_id) as writer:
            yield writer

    @asynccontextmanager
    async def _transaction(self, workspace_id: int) -> AsyncIterator[FakeSlaSettingsWriter]:
        staged = self.inbox.copy()
        writer = FakeSlaSettingsWriter(staged, self.settings)
        try:
            yield writer
        except BaseException:
            self.rolled_back += 1
            raise
        self.inbox = staged
        self.committed += 1
